"""The audit log: who did what, when. Written by services, read by admins."""

from __future__ import annotations

from datetime import datetime

from codesign.models import AuditEntry
from codesign.store.db import Database, WriteConnection, from_db_time, to_db_time, utcnow


async def add(
    db: Database,
    actor: str,
    action: str,
    detail: str = "",
    *,
    user_id: int | None = None,
    round_id: int | None = None,
) -> None:
    async def work(conn: WriteConnection) -> None:
        await add_in(conn, actor, action, detail, user_id=user_id, round_id=round_id)

    await db.write(work)


async def add_in(
    conn: WriteConnection,
    actor: str,
    action: str,
    detail: str = "",
    *,
    user_id: int | None = None,
    round_id: int | None = None,
) -> None:
    """Inside a write transaction: the change and its entry commit together."""
    await conn.execute(
        "INSERT INTO audit_log (at, user_id, actor, action, round_id, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (to_db_time(utcnow()), user_id, actor, action, round_id, detail),
    )


async def add_folded(
    db: Database,
    actor: str,
    action: str,
    fold_key: str,
    since: datetime,
    *,
    user_id: int | None = None,
) -> None:
    """One row per `fold_key` since `since`: a repeat adds to its count instead of a row."""

    async def work(conn: WriteConnection) -> None:
        now = to_db_time(utcnow())
        cursor = await conn.execute(
            "UPDATE audit_log SET tries = tries + 1, at = ? WHERE id = ("
            " SELECT id FROM audit_log WHERE fold_key = ? AND action = ? AND at >= ?"
            " ORDER BY id DESC LIMIT 1)",
            (now, fold_key, action, to_db_time(since)),
        )
        if cursor.rowcount == 0:
            await conn.execute(
                "INSERT INTO audit_log (at, user_id, actor, action, detail, fold_key)"
                " VALUES (?, ?, ?, ?, '', ?)",
                (now, user_id, actor, action, fold_key),
            )

    await db.write(work)


async def recent(
    db: Database,
    limit: int = 200,
    before_id: int | None = None,
    *,
    round_id: int | None = None,
    actor: str | None = None,
    action: str | None = None,
) -> list[AuditEntry]:
    """Newest first; each filter given narrows the list (round, person, action)."""
    rows = await db.fetch_all(
        # Typed: PostgreSQL can't tell what a bare "? IS NULL" is.
        "SELECT * FROM audit_log WHERE (CAST(? AS BIGINT) IS NULL OR id < ?)"
        " AND (CAST(? AS BIGINT) IS NULL OR round_id = ?)"
        " AND (CAST(? AS TEXT) IS NULL OR actor = ?) AND (CAST(? AS TEXT) IS NULL OR action = ?)"
        " ORDER BY id DESC LIMIT ?",
        (before_id, before_id, round_id, round_id, actor, actor, action, action, limit),
    )
    return [
        AuditEntry(
            id=r["id"],
            at=from_db_time(r["at"]),
            actor=r["actor"],
            action=r["action"],
            round_id=r["round_id"],
            detail=r["detail"],
            tries=r["tries"],
        )
        for r in rows
    ]


async def actors(db: Database, limit: int = 300) -> list[str]:
    """The people (and system actors) in the log, for choosing one; not the references
    kept for text that matched no account."""
    rows = await db.fetch_all(
        "SELECT actor FROM audit_log WHERE actor NOT LIKE 'unknown-email:%'"
        " GROUP BY actor ORDER BY actor LIMIT ?",
        (limit,),
    )
    return [r["actor"] for r in rows]


async def actions(db: Database) -> list[str]:
    rows = await db.fetch_all("SELECT DISTINCT action FROM audit_log ORDER BY action")
    return [r["action"] for r in rows]
