"""Participations (one person's visit to a round) and their answers."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable
from typing import NamedTuple

from codesign.models import Answer, AnswerInput, Participation
from codesign.store import safeguarding
from codesign.store.db import (
    READ_COMMITTED,
    Database,
    WriteConnection,
    from_db_time,
    to_db_time,
    utcnow,
)
from codesign.store.rounds import RoundState


def _participation(row: sqlite3.Row) -> Participation:
    return Participation(
        id=row["id"],
        round_id=row["round_id"],
        public_id=row["public_id"],
        locale=row["locale"],
        status=row["status"],
        may_quote=bool(row["may_quote"]),
        code_shown=bool(row["code_shown"]),
        created_at=from_db_time(row["created_at"]),
        submitted_at=from_db_time(row["submitted_at"]),
        support_offered=bool(row["support_offered"]),
        source=row["source"],
    )


def new_ref() -> str:
    """A participation's lasting reference (see 0008_privacy.sql): random, never shown."""
    return secrets.token_hex(16)


async def start(
    db: Database, round_id: int, start_key: str, public_id: str, locale: str, may_quote: bool
) -> Participation | None:
    """Create a participation; a repeated `start_key` returns the first one (no duplicate).

    Only while that one is fresh: a web participation with no code yet. Once a code
    exists, the session may have moved to another device (resuming gives it a new
    session id), and a start form sent again from the old one must not bring it
    back; None then, and the caller starts afresh.
    """

    async def work(conn: WriteConnection) -> Participation | None:
        now = to_db_time(utcnow())
        await conn.execute(
            "INSERT INTO participations (round_id, public_id, start_key, ref, locale, status,"
            " may_quote, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'started', ?, ?, ?)"
            " ON CONFLICT (start_key) DO NOTHING",
            (round_id, public_id, start_key, new_ref(), locale, int(may_quote), now, now),
        )
        async with conn.execute(
            "SELECT * FROM participations WHERE start_key = ? AND round_id = ?"
            " AND source = 'web' AND status = 'started' AND code_hash IS NULL",
            (start_key, round_id),
        ) as cursor:
            row = await cursor.fetchone()
        return _participation(row) if row else None

    return await db.write(work)


async def by_public_id(db: Database, round_id: int, public_id: str) -> Participation | None:
    row = await db.fetch_one(
        "SELECT * FROM participations WHERE round_id = ? AND public_id = ? AND source = 'web'",
        (round_id, public_id),
    )
    return _participation(row) if row else None


async def by_code_hash(db: Database, round_id: int, code_hash: str) -> Participation | None:
    row = await db.fetch_one(
        "SELECT * FROM participations WHERE round_id = ? AND code_hash = ? AND source = 'web'",
        (round_id, code_hash),
    )
    return _participation(row) if row else None


async def ref_of(db: Database, participation_id: int) -> str | None:
    row = await db.fetch_one("SELECT ref FROM participations WHERE id = ?", (participation_id,))
    return row["ref"] if row else None


async def issue_first_code(db: Database, participation_id: int, code_hash: str) -> bool:
    """Store the first code's hash; False if a code was issued already (by another page
    load at the same moment, say): then that one is the working code, not this one."""

    async def work(conn: WriteConnection) -> bool:
        cursor = await conn.execute(
            "UPDATE participations SET code_hash = ?, code_shown = 1, updated_at = ?"
            " WHERE id = ? AND code_shown = 0 AND status != 'withdrawn' AND source = 'web'",
            (code_hash, to_db_time(utcnow()), participation_id),
        )
        return cursor.rowcount == 1

    return await db.write(work)


async def replace_code(
    db: Database, participation_id: int, session_id: str, code_hash: str, new_session_id: str
) -> bool:
    """A new code, and a new session id for the browser that asked: every other device's
    session ends. False if the session moved on first (another request replaced it)."""

    async def work(conn: WriteConnection) -> bool:
        cursor = await conn.execute(
            "UPDATE participations SET code_hash = ?, code_shown = 1, public_id = ?,"
            " updated_at = ? WHERE id = ? AND public_id = ? AND status != 'withdrawn'"
            " AND source = 'web'",
            (code_hash, new_session_id, to_db_time(utcnow()), participation_id, session_id),
        )
        return cursor.rowcount == 1

    return await db.write(work)


async def move_session(db: Database, participation_id: int, new_session_id: str) -> bool:
    """Give the participation a new session id (resuming on a device): the old one ends."""

    async def work(conn: WriteConnection) -> bool:
        cursor = await conn.execute(
            "UPDATE participations SET public_id = ?, updated_at = ?"
            " WHERE id = ? AND status != 'withdrawn' AND source = 'web'",
            (new_session_id, to_db_time(utcnow()), participation_id),
        )
        return cursor.rowcount == 1

    return await db.write(work)


async def update_choices(
    db: Database, participation_id: int, *, locale: str | None = None, may_quote: bool | None = None
) -> bool:
    """Change the language or quoting choice while the participation is still open."""

    async def work(conn: WriteConnection) -> bool:
        cursor = await conn.execute(
            "UPDATE participations SET locale = COALESCE(?, locale),"
            " may_quote = COALESCE(?, may_quote), updated_at = ?"
            " WHERE id = ? AND status = 'started'",
            (
                locale,
                None if may_quote is None else int(may_quote),
                to_db_time(utcnow()),
                participation_id,
            ),
        )
        return cursor.rowcount == 1

    return await db.write(work)


async def save_answers(
    db: Database,
    participation_id: int,
    answers: list[AnswerInput],
    locale: str,
    save_key: str | None = None,
) -> bool:
    """Upsert answers (an empty answer removes the stored one). False if no longer open.

    Keyed by (participation, question), so a save can never duplicate an
    answer; `save_key` (UNIQUE) makes a retried request a no-op that still
    succeeds, so an old retry cannot overwrite a newer answer either.
    """
    # The check is the write: still open (not sent or withdrawn) or nothing is saved.
    claim = (
        "UPDATE participations SET updated_at = ? WHERE id = ? AND status = 'started'"
        " RETURNING id, support_offered"
    )
    saved = await _save(db, claim, lambda now: (now, participation_id), answers, locale, save_key)
    return saved is not None


class Autosaved(NamedTuple):
    participation_id: int
    support_offered: bool


async def autosave_answers(
    db: Database,
    round_id: int,
    public_id: str,
    answers: list[AnswerInput],
    locale: str,
    save_key: str | None = None,
) -> Autosaved | None:
    """`save_answers` for the busiest path, the autosave, found by the browser's cookie:
    no read first. Saved only while the participation is started and its round open
    (Round.is_open as a condition: open, and now between opens_at and closes_at, both
    stored as UTC ISO text so that they compare as text); None otherwise, and nothing
    is written. The participant's id and whether they are offered support come back.
    """
    claim = (
        "UPDATE participations SET updated_at = ?"
        " WHERE round_id = ? AND public_id = ? AND source = 'web' AND status = 'started'"
        " AND EXISTS (SELECT 1 FROM rounds r WHERE r.id = participations.round_id"
        " AND r.status = 'open' AND (r.opens_at IS NULL OR r.opens_at <= ?)"
        " AND (r.closes_at IS NULL OR r.closes_at > ?))"
        " RETURNING id, support_offered"
    )
    return await _save(
        db, claim, lambda now: (now, round_id, public_id, now, now), answers, locale, save_key
    )


async def _save(
    db: Database,
    claim: str,
    claim_params: Callable[[str], tuple[object, ...]],
    answers: list[AnswerInput],
    locale: str,
    save_key: str | None,
) -> Autosaved | None:
    """One write: `claim` (an UPDATE … RETURNING id, support_offered of the participation,
    its parameters given the time) takes the participation's row or finds nothing; then
    the answers."""

    async def work(conn: WriteConnection) -> Autosaved | None:
        now = to_db_time(utcnow())
        # On PostgreSQL the update also holds the participation's row until the commit, so
        # a send or a withdrawal at the same moment comes wholly before or after this save.
        rows = list(await conn.execute_fetchall(claim, claim_params(now)))
        if not rows:
            return None
        participation_id = rows[0]["id"]
        found = Autosaved(participation_id, bool(rows[0]["support_offered"]))
        if save_key is not None:
            cursor = await conn.execute(
                "INSERT INTO answer_saves (idempotency_key, participation_id, saved_at)"
                " VALUES (?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING",
                (save_key, participation_id, now),
            )
            if cursor.rowcount == 0:
                return found  # this exact save already landed
        for answer in answers:
            if answer.value is None and not answer.text:
                await conn.execute(
                    "DELETE FROM answers WHERE participation_id = ? AND question_id = ?",
                    (participation_id, answer.question_id),
                )
                continue
            await conn.execute(
                "INSERT INTO answers (participation_id, question_id, value, text, locale, saved_at)"
                " VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (participation_id, question_id) DO UPDATE SET"
                " value = excluded.value, text = excluded.text, locale = excluded.locale,"
                " saved_at = excluded.saved_at,"
                # changed words are screened again for risk (store.safeguarding)
                " screened = CASE WHEN answers.text IS NOT DISTINCT FROM excluded.text"
                " THEN answers.screened ELSE 0 END",
                (
                    participation_id,
                    answer.question_id,
                    answer.value,
                    answer.text or None,
                    locale,
                    now,
                ),
            )
        return found

    # Every check above is a conditional statement on the rows this save then holds
    # (the participation's row until the commit, the answers' by their unique keys), so
    # READ COMMITTED is enough on PostgreSQL; SERIALIZABLE refused saves of different
    # participants whose rows merely shared an index page (codesign.store.postgres).
    return await db.write(work, isolation=READ_COMMITTED)


async def answers_for(db: Database, participation_id: int) -> dict[int, Answer]:
    rows = await db.fetch_all(
        "SELECT question_id, value, text, saved_at FROM answers WHERE participation_id = ?",
        (participation_id,),
    )
    return {
        r["question_id"]: Answer(
            r["question_id"], r["value"], r["text"], from_db_time(r["saved_at"])
        )
        for r in rows
    }


async def submit(db: Database, participation_id: int, may_quote: bool) -> bool:
    async def work(conn: WriteConnection) -> bool:
        now = to_db_time(utcnow())
        cursor = await conn.execute(
            "UPDATE participations SET status = 'submitted', may_quote = ?, submitted_at = ?,"
            " updated_at = ? WHERE id = ? AND status = 'started'",
            (int(may_quote), now, now, participation_id),
        )
        if cursor.rowcount != 1:
            return False
        # Sent: answers already screened as risky reach the lead's queue now.
        await safeguarding.queue_sent_answers(conn, participation_id)
        return True

    return await db.write(work)


async def count_answers(db: Database, round_id: int) -> int:
    row = await db.fetch_one(
        "SELECT COUNT(*) AS n FROM answers a JOIN participations p ON p.id = a.participation_id"
        " WHERE p.round_id = ?",
        (round_id,),
    )
    return int(row["n"]) if row else 0


async def round_state_with_participation(
    db: Database, slug: str, public_id: str | None
) -> tuple[RoundState | None, Participation | None]:
    """Whether a round is open, and this browser's participation in it: one query.

    Every participant request needs both; asking once halves the reads on the
    busiest path (autosave).
    """
    sql = (
        "SELECT r.status AS r_status, r.opens_at AS r_opens_at, r.closes_at AS r_closes_at,"
        " p.* FROM rounds r LEFT JOIN participations p"
        " ON p.round_id = r.id AND p.public_id = ? AND p.source = 'web' WHERE r.slug = ?"
    )
    params = (public_id or "", slug)
    # SQLite: read here on the loop's thread (a reader if locked); PostgreSQL: awaited.
    row = await db.fetch_one_quick(sql, params)
    if row is None:
        return None, None
    state = RoundState(
        row["r_status"], from_db_time(row["r_opens_at"]), from_db_time(row["r_closes_at"])
    )
    return state, (_participation(row) if row["id"] is not None else None)
