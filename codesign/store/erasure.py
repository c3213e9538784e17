# ruff: noqa: S608 - only constants and "?" placeholders are put into SQL text
"""Deleting what people wrote, with every trace the product holds of it.

One place for it, used by withdrawal, by staff deleting a paper response and by
the retention purge, so a new table that holds something of an answer has one
function to join:

- the answers themselves (their redacted text, language, flags and risk marks
  are columns of the same rows);
- where the theming put them (`theme_members`, deleted with the answer);
- their rows in the search index (a trigger on SQLite, a foreign key on
  PostgreSQL; SQLite's index is then rewritten so no deleted word stays in its
  pages, see store/search.py);
- the themes they were in are marked stale, so their terms and labels are
  rebuilt from the answers that remain (see services/erasure.py);
- the terms (and a model-made name) of a merged theme kept for undoing the merge;
- the idempotency keys of their saves;
- their embedding vectors, once no remaining answer has the same text.

The withdrawals log is a file beside the database: a restored backup does not
know about withdrawals made after it was taken, and the log tells it at
start-up. It holds only random references, never anything a person wrote.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from codesign.store import audit, search
from codesign.store.db import Database, WriteConnection, to_db_time, utcnow

_REF = re.compile(r"[0-9a-f]{32}")


async def _forget_answers(conn: WriteConnection, where: str, params: tuple) -> int:
    """Delete the answers chosen by `where` (a condition on `answers`); returns how many."""
    await conn.execute(
        "UPDATE themes SET stale = stale + 1 WHERE id IN (SELECT tm.theme_id FROM theme_members tm"
        f" WHERE tm.answer_id IN (SELECT id FROM answers WHERE {where}))",
        params,
    )
    # A merge kept for undoing holds the merged theme's row, whose terms (and a name the
    # model made) come from its answers: they go, and the row is marked stale, so an undo
    # brings the theme back described by the answers that remain. (The JSON is read and
    # written here, not by the database: SQLite's and PostgreSQL's JSON functions differ.)
    async with conn.execute(f"SELECT id, question_id FROM answers WHERE {where}", params) as found:
        leaving = {(int(r["id"]), int(r["question_id"])) for r in await found.fetchall()}
    for question_id in sorted({q for _, q in leaving}):
        ids = {a for a, q in leaving if q == question_id}
        async with conn.execute(
            "SELECT id, source, members FROM theme_merges WHERE question_id = ? ORDER BY id",
            (question_id,),
        ) as merges:
            rows = list(await merges.fetchall())
        for m in rows:
            if not any(member[0] in ids for member in json.loads(m["members"])):
                continue
            source = json.loads(m["source"])
            source["terms"] = "[]"
            source["stale"] = (0 if source.get("stale") is None else source["stale"]) + 1
            if source.get("created_by") == "model" and source.get("edited_by") is None:
                source["label"] = ""
            await conn.execute(
                "UPDATE theme_merges SET source = ? WHERE id = ?",
                (json.dumps(source, ensure_ascii=False), m["id"]),
            )
    cursor = await conn.execute(f"DELETE FROM answers WHERE {where}", params)
    return cursor.rowcount


async def _drop_unused_vectors(conn: WriteConnection) -> int:
    # the deleted answers' rows left the search index with them (a trigger, or a
    # foreign key); rewrite the index so that none of their words stays in its pages
    await search.drop_deleted_in(conn)
    cursor = await conn.execute(
        "DELETE FROM answer_vectors WHERE digest NOT IN"
        " (SELECT vector_digest FROM answers WHERE vector_digest IS NOT NULL)"
    )
    return cursor.rowcount


async def erase_participation_in(conn: WriteConnection, participation_id: int) -> int:
    """Within a write: delete all of one participation's answers and their traces, and
    forget its code and session. The row stays, marked withdrawn, holding nothing
    anyone wrote (it is counted as "withdrew" on the dashboard). Returns answers deleted.
    """
    deleted = await _forget_answers(conn, "participation_id = ?", (participation_id,))
    await conn.execute("DELETE FROM answer_saves WHERE participation_id = ?", (participation_id,))
    # Their safeguarding items went with the answers; a contact they left goes too.
    await conn.execute(
        "DELETE FROM safeguarding_contacts WHERE participation_id = ?", (participation_id,)
    )
    now = to_db_time(utcnow())
    # A new random session id too: any browser still holding the old one finds nothing.
    await conn.execute(
        "UPDATE participations SET status = 'withdrawn', code_hash = NULL, may_quote = 0,"
        " paper_fingerprint = NULL,"
        " public_id = ?, withdrawn_at = ?, updated_at = ? WHERE id = ?",
        ("gone-" + secrets.token_hex(18), now, now, participation_id),
    )
    await _drop_unused_vectors(conn)
    return deleted


async def withdraw(db: Database, participation_id: int) -> int:
    async def work(conn: WriteConnection) -> int:
        return await erase_participation_in(conn, participation_id)

    return await db.write(work)


async def delete_paper_response(
    db: Database, round_id: int, participation_id: int, actor: str, user_id: int, detail: str
) -> bool:
    """A staff member deletes one paper response; audited in the same transaction.
    False if it is not a paper response of this round still held."""

    async def work(conn: WriteConnection) -> bool:
        async with conn.execute(
            "SELECT 1 FROM participations WHERE id = ? AND round_id = ? AND source = 'paper'"
            " AND status = 'submitted'",
            (participation_id, round_id),
        ) as cursor:
            if await cursor.fetchone() is None:
                return False
        deleted = await erase_participation_in(conn, participation_id)
        await audit.add_in(
            conn,
            actor,
            "paper_response_deleted",
            f"{detail}; answers deleted: {deleted}",
            user_id=user_id,
            round_id=round_id,
        )
        return True

    return await db.write(work)


async def undo_paper_batch(
    db: Database, round_id: int, batch_id: int, actor: str, user_id: int, filename: str
) -> int | None:
    """Undo one paper import: every response of the file still held is deleted with
    every trace (as a withdrawal), the file may be imported again, and the audit entry
    commits with it. None if there is no such import (any more)."""

    async def work(conn: WriteConnection) -> int | None:
        cursor = await conn.execute(
            "UPDATE paper_batches SET undone_at = ?, digest = 'undone-' || id"
            " WHERE id = ? AND round_id = ? AND undone_at IS NULL",
            (to_db_time(utcnow()), batch_id, round_id),
        )
        if cursor.rowcount == 0:
            return None
        async with conn.execute(
            "SELECT id FROM participations WHERE paper_batch_id = ? AND round_id = ?"
            " AND source = 'paper' AND status = 'submitted'",
            (batch_id, round_id),
        ) as found:
            ids = [r["id"] for r in await found.fetchall()]
        answers = 0
        for participation_id in ids:
            answers += await erase_participation_in(conn, participation_id)
        await audit.add_in(
            conn,
            actor,
            "paper_import_undone",
            f"file {filename or batch_id}: {len(ids)} responses, {answers} answers deleted",
            user_id=user_id,
            round_id=round_id,
        )
        return len(ids)

    return await db.write(work)


async def delete_round(
    db: Database, round_id: int, actor: str, user_id: int, title: str
) -> int | None:
    """Delete a round that is not open, with everything in it: every participation's
    answers and their traces (as a withdrawal), then the round itself, whose sections,
    questions, themes, outcomes, safeguarding items and paper files go with it. The
    audit entry commits with it. None (nothing deleted) if the round is open or gone."""

    async def work(conn: WriteConnection) -> int | None:
        async with conn.execute(
            "SELECT 1 FROM rounds WHERE id = ? AND status != 'open'", (round_id,)
        ) as cursor:
            if await cursor.fetchone() is None:
                return None
        async with conn.execute(
            "SELECT id FROM participations WHERE round_id = ?", (round_id,)
        ) as cursor:
            ids = [r["id"] for r in await cursor.fetchall()]
        answers = 0
        for participation_id in ids:
            answers += await erase_participation_in(conn, participation_id)
        await conn.execute("DELETE FROM rounds WHERE id = ? AND status != 'open'", (round_id,))
        await _drop_unused_vectors(conn)
        await audit.add_in(
            conn,
            actor,
            "round_deleted",
            f"{title}; responses: {len(ids)}, answers deleted: {answers}",
            user_id=user_id,
            round_id=round_id,
        )
        return answers

    return await db.write(work)


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
            n = await _forget_answers(
                conn,
                "saved_at < ? AND participation_id IN"
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
            if n:
                deleted[row["id"]] = n
                await audit.add_in(
                    conn,
                    actor,
                    "purge",
                    f"answers deleted past the retention period: {n}",
                    round_id=row["id"],
                )
        # Always: a vector saved by an analysis that was still running when its answer
        # was withdrawn has no answer left, and goes here at the latest.
        await _drop_unused_vectors(conn)
        return deleted

    return await db.write(work)


#: When a round stopped taking answers: closed by hand, or its closing date passed.
_ENDED = (
    "CASE WHEN status IN ('closed', 'published') THEN COALESCE(closed_at, closes_at, updated_at)"
    " WHEN status = 'open' THEN closes_at END"
)


async def purge_unsent_drafts(db: Database, now: datetime, actor: str) -> dict[int, int]:
    """Delete answers never sent, `draft_days` after their round stopped taking answers.

    {round_id: deleted}; audited per round in the same transaction.
    """

    async def work(conn: WriteConnection) -> dict[int, int]:
        deleted: dict[int, int] = {}
        async with conn.execute(
            f"SELECT id, draft_days, {_ENDED} AS ended FROM rounds WHERE {_ENDED} IS NOT NULL"
        ) as cursor:
            rounds = list(await cursor.fetchall())
        for row in rounds:
            ended = datetime.fromisoformat(row["ended"])
            if now < ended + timedelta(days=row["draft_days"]):
                continue
            drafts = "SELECT id FROM participations WHERE round_id = ? AND status = 'started'"
            n = await _forget_answers(conn, f"participation_id IN ({drafts})", (row["id"],))
            for table in ("answer_saves", "safeguarding_contacts"):
                await conn.execute(
                    f"DELETE FROM {table} WHERE participation_id IN ({drafts})",  # noqa: S608
                    (row["id"],),
                )
            if n:
                deleted[row["id"]] = n
                await audit.add_in(
                    conn,
                    actor,
                    "purge",
                    f"unsent answers deleted {row['draft_days']} days after closing: {n}",
                    round_id=row["id"],
                )
        if deleted:
            await _drop_unused_vectors(conn)
        return deleted

    return await db.write(work)


# The withdrawals log ------------------------------------------------------------


def withdrawals_log(db: Database) -> Path:
    """The log beside the database file (`codesign.db` → `codesign.db.withdrawals`)."""
    return Path(db.path + ".withdrawals")


def log_withdrawal(path: Path, ref: str) -> None:
    """Append one reference and make it durable before the deletion is done."""
    if not _REF.fullmatch(ref):
        raise ValueError("not a participation reference")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (ref + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)


def logged_withdrawals(path: Path) -> list[str]:
    if not path.exists():
        return []
    refs = path.read_text(encoding="ascii", errors="replace").split()
    return [ref for ref in refs if _REF.fullmatch(ref)]


async def still_held(db: Database, refs: list[str]) -> list[int]:
    """Participations named in the log that still hold answers or a code (a restore)."""
    found: list[int] = []
    unique = sorted(set(refs))
    for i in range(0, len(unique), 500):
        chunk = unique[i : i + 500]
        marks = ",".join("?" * len(chunk))
        rows = await db.fetch_all(
            f"SELECT id FROM participations WHERE ref IN ({marks}) AND status != 'withdrawn'",
            chunk,
        )
        found += [int(r["id"]) for r in rows]
    return found


async def reapply_withdrawals(db: Database, ids: list[int], actor: str) -> int:
    """Withdraw again what a restored backup brought back; one audit line, no content."""

    async def work(conn: WriteConnection) -> int:
        for participation_id in ids:
            await erase_participation_in(conn, participation_id)
        if ids:
            await audit.add_in(
                conn,
                actor,
                "withdrawals_reapplied",
                f"participations withdrawn again after a restore: {len(ids)}",
            )
        return len(ids)

    return await db.write(work)
