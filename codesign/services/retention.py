"""Keep answers no longer than each round says, and say so in the audit log."""

from __future__ import annotations

import asyncio
import logging

from codesign.services import erasure
from codesign.store import counters
from codesign.store.db import Database, utcnow

log = logging.getLogger("codesign")

DAY_SECONDS = 24 * 3600


async def purge(db: Database, actor: str = "system") -> int:
    """Answers past retention, and unsent answers past their round's `draft_days`."""
    total = await erasure.purge(db, actor)
    log.info("retention purge: %d answers deleted", total)
    # Rate-limit counters whose window has ended (only kept with CODESIGN_RATE_LIMITS=database).
    await counters.sweep(db, utcnow())
    return total


async def purge_daily(db: Database) -> None:
    """Run by the app: once at start-up, then every day."""
    while True:
        try:
            await purge(db)
        except Exception:  # keep serving; try again tomorrow
            log.exception("retention purge failed")
        await asyncio.sleep(DAY_SECONDS)
