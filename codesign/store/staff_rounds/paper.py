"""Typed-in paper responses: checked files waiting to be confirmed, importing them
(all or none, audited), and finding one paper response again."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import msgspec

from codesign.store import audit
from codesign.store.db import Database, WriteConnection, from_db_time, to_db_time, utcnow
from codesign.store.participations import new_ref


async def import_paper_in(
    conn: WriteConnection,
    round_id: int,
    digest: str,
    filename: str,
    who: str,
    responses: list[tuple[int, str, bool, list[tuple[int, str | None, str | None]], str]],
    *,
    user_id: int | None = None,
    audit_detail: str = "",
) -> int | None:
    """Store typed-in paper responses, all or none; None if this file was imported before.

    Each response: (row in the file, locale, may_quote, [(question id, value, text)],
    fingerprint). The audit entry ("paper_imported") commits with the rows.
    It becomes a submitted participation with random ids and no session: nothing in the file
    leads to it from the public site. Its file and row are kept, so staff can find
    one paper form again (to delete it, if the person asks).
    """

    now = to_db_time(utcnow())
    cursor = await conn.execute(
        "INSERT INTO paper_batches (round_id, digest, filename, imported_at, imported_by)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (round_id, digest) DO NOTHING RETURNING id",
        (round_id, digest, filename, now, who),
    )
    batch = await cursor.fetchone()
    if batch is None:  # imported before
        return None
    batch_id = batch["id"]
    for row, locale, may_quote, answers, fingerprint in responses:
        cursor = await conn.execute(
            "INSERT INTO participations (round_id, public_id, start_key, ref, code_shown,"
            " locale, status, may_quote, created_at, updated_at, submitted_at, source,"
            " paper_batch_id, paper_row, paper_fingerprint)"
            " VALUES (?, ?, ?, ?, 1, ?, 'submitted', ?, ?, ?, ?, 'paper', ?, ?, ?)"
            " RETURNING id",
            (
                round_id,
                "paper-" + secrets.token_hex(18),
                "paper:" + secrets.token_hex(16),
                new_ref(),
                locale,
                int(may_quote),
                now,
                now,
                now,
                batch_id,
                row,
                fingerprint,
            ),
        )
        participation_id = (await cursor.fetchone())["id"]
        for question_id, value, text in answers:
            await conn.execute(
                "INSERT INTO answers (participation_id, question_id, value, text, locale,"
                " saved_at) VALUES (?, ?, ?, ?, ?, ?)",
                (participation_id, question_id, value, text, locale, now),
            )
    await audit.add_in(
        conn, who, "paper_imported", audit_detail, user_id=user_id, round_id=round_id
    )
    return len(responses)


class PaperBatch(msgspec.Struct, frozen=True):
    id: int
    filename: str
    imported_at: datetime
    responses: int  # still held (deleted ones are not counted)


class PaperResponse(msgspec.Struct, frozen=True):
    participation_id: int
    batch_id: int
    filename: str
    row: int
    locale: str
    answers: int


async def paper_batches(db: Database, round_id: int) -> list[PaperBatch]:
    rows = await db.fetch_all(
        "SELECT b.id, b.filename, b.imported_at, (SELECT COUNT(*) FROM participations p"
        "  WHERE p.paper_batch_id = b.id AND p.status = 'submitted') AS n"
        " FROM paper_batches b WHERE b.round_id = ? AND b.undone_at IS NULL ORDER BY b.id",
        (round_id,),
    )
    return [
        PaperBatch(r["id"], r["filename"], from_db_time(r["imported_at"]), r["n"]) for r in rows
    ]


async def paper_batch_digest_used(db: Database, round_id: int, digest: str) -> bool:
    row = await db.fetch_one(
        "SELECT 1 FROM paper_batches WHERE round_id = ? AND digest = ?", (round_id, digest)
    )
    return row is not None


async def paper_fingerprints_held(
    db: Database, round_id: int, fingerprints: list[str]
) -> dict[str, tuple[str, int]]:
    """Fingerprints already held by a paper response of the round: {fingerprint:
    (file name, row)} of the earliest such response."""
    found: dict[str, tuple[str, int]] = {}
    for start in range(0, len(fingerprints), 400):
        chunk = fingerprints[start : start + 400]
        marks = ",".join("?" * len(chunk))  # only "?" placeholders go into the SQL
        sql = (
            "SELECT p.paper_fingerprint AS fp, b.filename, p.paper_row"  # noqa: S608
            " FROM participations p JOIN paper_batches b ON b.id = p.paper_batch_id"
            " WHERE p.round_id = ? AND p.status = 'submitted' AND p.source = 'paper'"
            " AND p.paper_fingerprint IN (" + marks + ") ORDER BY p.id"
        )
        rows = await db.fetch_all(
            sql,
            (round_id, *chunk),
        )
        for r in rows:
            found.setdefault(r["fp"], (r["filename"], r["paper_row"]))
    return found


async def save_pending_paper(
    db: Database, round_id: int, user_id: int, filename: str, content: bytes
) -> str:
    """Keep a checked file until it is confirmed; older waiting files (a day) go."""
    token = secrets.token_urlsafe(18)

    async def work(conn: WriteConnection) -> None:
        now = utcnow()
        await drop_stale_pending_paper_in(conn, now)
        await conn.execute(
            "INSERT INTO paper_pending (round_id, token, user_id, filename, content, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (round_id, token, user_id, filename, content, to_db_time(now)),
        )

    await db.write(work)
    return token


#: How long a checked paper file waits to be confirmed (it holds the typed-in answers).
PENDING_PAPER_KEPT = timedelta(days=1)


async def drop_stale_pending_paper_in(conn: WriteConnection, now: datetime) -> None:
    await conn.execute(
        "DELETE FROM paper_pending WHERE created_at < ?",
        (to_db_time(now - PENDING_PAPER_KEPT),),
    )


async def drop_stale_pending_paper(db: Database) -> None:
    """Checked files older than a day go, whether or not anyone uploads another."""

    async def work(conn: WriteConnection) -> None:
        await drop_stale_pending_paper_in(conn, utcnow())

    await db.write(work)


async def pending_paper(
    db: Database, round_id: int, user_id: int, token: str
) -> tuple[str, bytes] | None:
    """A checked file still waiting (None: used, cancelled, or older than a day)."""
    row = await db.fetch_one(
        "SELECT filename, content FROM paper_pending WHERE round_id = ? AND user_id = ?"
        " AND token = ? AND created_at >= ?",
        (round_id, user_id, token, to_db_time(utcnow() - PENDING_PAPER_KEPT)),
    )
    return (row["filename"], bytes(row["content"])) if row else None


async def claim_pending_paper_in(
    conn: WriteConnection, round_id: int, user_id: int, token: str
) -> bool:
    """Inside a write: take the checked file off the waiting list; False if it is no
    longer there (confirmed by another request, cancelled, or too old). The delete is
    the check, so one confirmation imports it and a second one at once does not."""
    async with conn.execute(
        "DELETE FROM paper_pending WHERE round_id = ? AND user_id = ? AND token = ?"
        " AND created_at >= ? RETURNING token",
        (round_id, user_id, token, to_db_time(utcnow() - PENDING_PAPER_KEPT)),
    ) as cursor:
        return await cursor.fetchone() is not None


async def drop_pending_paper(db: Database, round_id: int, token: str) -> None:
    async def work(conn: WriteConnection) -> None:
        await conn.execute(
            "DELETE FROM paper_pending WHERE round_id = ? AND token = ?", (round_id, token)
        )

    await db.write(work)


async def paper_batch_participations(db: Database, round_id: int, batch_id: int) -> list[int]:
    rows = await db.fetch_all(
        "SELECT id FROM participations WHERE paper_batch_id = ? AND round_id = ?"
        " AND source = 'paper' AND status = 'submitted'",
        (batch_id, round_id),
    )
    return [r["id"] for r in rows]


async def paper_response(
    db: Database, round_id: int, batch_id: int, row: int
) -> PaperResponse | None:
    """A paper response still held: file (of this round) and row number as in the file."""
    found = await db.fetch_one(
        "SELECT p.id, p.locale, p.paper_row, b.id AS batch_id, b.filename,"
        " (SELECT COUNT(*) FROM answers a WHERE a.participation_id = p.id) AS n"
        " FROM participations p JOIN paper_batches b ON b.id = p.paper_batch_id"
        " WHERE b.id = ? AND b.round_id = ? AND p.paper_row = ? AND p.source = 'paper'"
        " AND p.status = 'submitted'",
        (batch_id, round_id, row),
    )
    if found is None:
        return None
    return PaperResponse(
        found["id"], found["batch_id"], found["filename"], found["paper_row"], found["locale"],
        found["n"],
    )
