"""The audit log in the services: a staff member's entry written inside the change it
records, and reading one page of entries (the admins' page) with what to filter by."""

from __future__ import annotations

import msgspec

from codesign.models import AuditEntry, StaffUser
from codesign.services.accounts import clean_text
from codesign.store import audit
from codesign.store.db import Database, WriteConnection


async def audit_in(
    conn: WriteConnection, user: StaffUser, action: str, round_id: int | None, detail: str = ""
) -> None:
    """A staff member's entry for a change, in the change's own transaction."""
    await audit.add_in(
        conn, user.email, action, clean_text(detail), user_id=user.id, round_id=round_id
    )


class AuditPage(msgspec.Struct, frozen=True):
    entries: list[AuditEntry]
    #: Actions and people found in the log, for the filters.
    actions: list[str]
    people: list[str]


async def audit_page(
    db: Database,
    limit: int,
    before_id: int | None,
    *,
    round_id: int | None,
    actor: str | None,
    action: str | None,
) -> AuditPage:
    entries = await audit.recent(
        db, limit, before_id, round_id=round_id, actor=actor, action=action
    )
    return AuditPage(entries, await audit.actions(db), await audit.actors(db))
