"""What the write of every round use case ends with: its audit entry, and the languages
offered worked out again from the round as that write leaves it."""

from __future__ import annotations

from codesign.models import Round, StaffUser
from codesign.services.rounds.texts import offered_locales
from codesign.store import audit
from codesign.store.db import WriteConnection
from codesign.store.staff_rounds import settings as round_settings


async def audit_in(
    conn: WriteConnection, user: StaffUser, action: str, round_id: int | None, detail: str = ""
) -> None:
    """The entry for a change, in the change's own transaction."""
    from codesign.services.accounts import clean_text

    await audit.add_in(
        conn, user.email, action, clean_text(detail), user_id=user.id, round_id=round_id
    )


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
