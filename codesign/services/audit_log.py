"""Reading the audit log (the admins' page): one page of entries, and what to filter by."""

from __future__ import annotations

import msgspec

from codesign.models import AuditEntry
from codesign.store import audit
from codesign.store.db import Database


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
