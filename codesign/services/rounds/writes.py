"""What the write of a round use case ends with (beside its audit entry): the languages
offered worked out again from the round as that write leaves it."""

from __future__ import annotations

from codesign.models import Round
from codesign.services.rounds.texts import offered_locales
from codesign.store.db import WriteConnection
from codesign.store.staff_rounds import settings as round_settings


async def offered_in(
    conn: WriteConnection, round_id: int, slug: str, fresh: Round | None = None
) -> None:
    """Inside the write that changed the round: the languages offered, from the round
    as this write leaves it (`fresh`, or read again), so they never lag its texts."""
    if fresh is None:
        fresh = await round_settings.load_round_in(conn, slug)
    settings = await round_settings.settings_in(conn, round_id)
    if fresh is None or settings is None:
        return
    offered = offered_locales(fresh, settings.wanted_locales)
    if offered != fresh.locales:
        await round_settings.set_offered_in(conn, round_id, offered)
