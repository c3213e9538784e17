"""Backups and retention: SQLite specifics of keeping data safe, and not too long."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from codesign.store import audit
from codesign.store.db import Database, WriteConnection, to_db_time


def backup(db_path: str, destination: str) -> int:
    """Copy the database with SQLite's online backup: safe while the site is serving.

    Returns the number of pages copied. The copy is a complete database file.
    """
    target = Path(destination)
    if target.exists():
        raise FileExistsError(f"{destination} exists; choose a new file name")
    source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    copy = sqlite3.connect(str(target))
    try:
        source.backup(copy, pages=1024)
        pages = copy.execute("PRAGMA page_count").fetchone()[0]
        ok = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise RuntimeError(f"the backup failed its integrity check: {ok}")
        return int(pages)
    finally:
        copy.close()
        source.close()


async def purge_expired_answers(db: Database, now: datetime, actor: str) -> dict[int, int]:
    """Delete answers older than their round's retention period. {round_id: deleted}.

    The audit entry for each round commits with the deletion itself.
    """

    async def work(conn: WriteConnection) -> dict[int, int]:
        deleted: dict[int, int] = {}
        async with conn.execute("SELECT id, retention_days FROM rounds") as cursor:
            rounds = list(await cursor.fetchall())
        for row in rounds:
            cutoff = to_db_time(now - timedelta(days=row["retention_days"]))
            cursor = await conn.execute(
                "DELETE FROM answers WHERE saved_at < ? AND participation_id IN"
                " (SELECT id FROM participations WHERE round_id = ?)",
                (cutoff, row["id"]),
            )
            for table, column in (
                ("answer_saves", "saved_at"),
                ("safeguarding_contacts", "created_at"),
            ):
                await conn.execute(
                    f"DELETE FROM {table} WHERE {column} < ? AND participation_id IN"  # noqa: S608
                    " (SELECT id FROM participations WHERE round_id = ?)",
                    (cutoff, row["id"]),
                )
            if cursor.rowcount:
                deleted[row["id"]] = cursor.rowcount
                await audit.add_in(
                    conn,
                    actor,
                    "purge",
                    f"answers deleted past the retention period: {cursor.rowcount}",
                    round_id=row["id"],
                )
        return deleted

    return await db.write(work)
