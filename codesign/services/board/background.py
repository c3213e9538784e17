"""Preparing and embedding answers as they arrive, in the background."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codesign.services.board.service import BoardService

log = logging.getLogger("codesign.board")

#: Answers prepared and embedded per background step, and the pause when idle.
BACKGROUND_BATCH = 32
BACKGROUND_PAUSE = 5.0


async def embed_in_background(
    board: Callable[[], BoardService],
    *,
    pause: float | None = None,
    batch: int = BACKGROUND_BATCH,
) -> None:
    """Run by the app: prepare and embed submitted answers in small batches, for ever.

    `board` gives the current service each time (tests swap it). Busy while
    there is a backlog (a short breather between batches keeps the event loop
    and the CPU free for pages); otherwise it looks again after `pause`
    seconds. It stops quietly when the model can't load: a run then embeds what
    it needs itself (with the fallback vectoriser it only prepares answers, as
    its vectors are refitted per run). Cancel it to stop.
    """
    while True:
        try:
            done = await board().background_step(batch)
        except asyncio.CancelledError:
            raise
        except (ImportError, OSError, RuntimeError):
            log.warning("background embedding stopped: the model could not load", exc_info=True)
            return
        except Exception:  # keep serving; try again later
            log.exception("background embedding failed; trying again later")
            done = 0
        idle = BACKGROUND_PAUSE if pause is None else pause
        await asyncio.sleep(0.05 if done >= batch else idle)
