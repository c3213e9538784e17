# ruff: noqa: S608 - only constants and "?" placeholders are put into SQL text
"""Publishing the board's outcomes: sign-offs, approved quotes, summaries, the public state.

Every change here writes its audit entry in the same transaction (0011).
"Published" is one state: `board_settings.published_at`, and the round's status
'published' moves with it (a closed round becomes published, and back).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from codesign.store import audit
from codesign.store.db import Database, WriteConnection, from_db_time, to_db_time, utcnow


class SignOff(msgspec.Struct, frozen=True):
    user_id: int
    email: str
    at: datetime


class Summary(msgspec.Struct, frozen=True):
    """The board's "we asked, you said, we did" in one language."""

    said: str = ""
    did: str = ""
    changes: str = ""

    @property
    def empty(self) -> bool:
        return not (self.said.strip() or self.did.strip() or self.changes.strip())


class QuoteCandidate(msgspec.Struct, frozen=True):
    """An answer that may become a public quote: from someone who allowed quoting,
    screened, not risk-flagged nor distressing (formula-like and near-empty answers
    are left out by the caller)."""

    id: int
    theme_id: int
    redacted: str
    language: str
    approved: bool


class Actor(msgspec.Struct, frozen=True):
    email: str
    user_id: int | None


# Sign-offs -------------------------------------------------------------------


async def sign_offs(db: Database, round_id: int) -> list[SignOff]:
    rows = await db.fetch_all(
        "SELECT user_id, email, signed_at FROM board_sign_offs WHERE round_id = ?"
        " ORDER BY signed_at, user_id",
        (round_id,),
    )
    return [SignOff(r["user_id"], r["email"], from_db_time(r["signed_at"])) for r in rows]


async def sign_offs_needed(db: Database, round_id: int) -> int:
    row = await db.fetch_one(
        "SELECT sign_offs_needed FROM board_settings WHERE round_id = ?", (round_id,)
    )
    return int(row["sign_offs_needed"]) if row else 1


async def set_sign_offs_needed(db: Database, round_id: int, needed: int, who: Actor) -> None:
    return await db.write(lambda conn: set_sign_offs_needed_in(conn, round_id, needed, who))


async def set_sign_offs_needed_in(
    conn: WriteConnection, round_id: int, needed: int, who: Actor
) -> None:
    await conn.execute(
        "INSERT INTO board_settings (round_id) VALUES (?) ON CONFLICT (round_id) DO NOTHING",
        (round_id,),
    )
    cursor = await conn.execute(
        "UPDATE board_settings SET sign_offs_needed = ? WHERE round_id = ?"
        " AND sign_offs_needed != ?",
        (needed, round_id, needed),
    )
    if cursor.rowcount:
        await audit.add_in(
            conn,
            who.email,
            "sign_offs_needed_changed",
            str(needed),
            user_id=who.user_id,
            round_id=round_id,
        )


async def add_sign_off(db: Database, round_id: int, who: Actor) -> bool:
    """False when this person had already signed it off."""
    assert who.user_id is not None

    async def work(conn: WriteConnection) -> bool:
        now = to_db_time(utcnow())
        cursor = await conn.execute(
            "INSERT INTO board_sign_offs (round_id, user_id, email, signed_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (round_id, user_id) DO NOTHING",
            (round_id, who.user_id, who.email, now),
        )
        if not cursor.rowcount:
            return False
        # the old single sign-off columns follow the latest one (older readers)
        await conn.execute(
            "INSERT INTO board_settings (round_id) VALUES (?) ON CONFLICT (round_id) DO NOTHING",
            (round_id,),
        )
        await conn.execute(
            "UPDATE board_settings SET signed_off_at = ?, signed_off_by = ? WHERE round_id = ?",
            (now, who.email, round_id),
        )
        await audit.add_in(
            conn, who.email, "response_signed_off", "", user_id=who.user_id, round_id=round_id
        )
        return True

    return await db.write(work)


async def withdraw_sign_off(db: Database, round_id: int, who: Actor) -> bool:
    async def work(conn: WriteConnection) -> bool:
        cursor = await conn.execute(
            "DELETE FROM board_sign_offs WHERE round_id = ? AND user_id = ?",
            (round_id, who.user_id),
        )
        if not cursor.rowcount:
            return False
        await _sync_single_sign_off(conn, round_id)
        await audit.add_in(
            conn, who.email, "sign_off_withdrawn", "", user_id=who.user_id, round_id=round_id
        )
        return True

    return await db.write(work)


async def _sync_single_sign_off(conn: WriteConnection, round_id: int) -> None:
    await conn.execute(
        "UPDATE board_settings SET"
        " signed_off_at = (SELECT MAX(signed_at) FROM board_sign_offs WHERE round_id = ?),"
        " signed_off_by = (SELECT email FROM board_sign_offs WHERE round_id = ?"
        "  ORDER BY signed_at DESC LIMIT 1) WHERE round_id = ?",
        (round_id, round_id, round_id),
    )


async def clear_sign_offs_in(conn: WriteConnection, round_id: int) -> int:
    """Inside a write: a changed response needs signing off again."""
    cursor = await conn.execute("DELETE FROM board_sign_offs WHERE round_id = ?", (round_id,))
    await conn.execute(
        "UPDATE board_settings SET signed_off_at = NULL, signed_off_by = NULL WHERE round_id = ?",
        (round_id,),
    )
    return cursor.rowcount


# Quotes ------------------------------------------------------------------------

#: An answer someone on the round flagged for the safeguarding lead by hand is a
#: risk-flagged answer too (its `risk` column is the detector's): never a quote.
NOT_FLAGGED_BY_HAND = "NOT EXISTS (SELECT 1 FROM safeguarding_items si WHERE si.answer_id = a.id)"


async def quote_candidates(db: Database, question_id: int) -> list[QuoteCandidate]:
    """Every answer of the question's themes that may be quoted, each text once,
    closest to its theme first."""
    rows = await db.fetch_all(
        "SELECT * FROM (SELECT a.id, tm.theme_id, a.redacted, a.language, a.locale,"
        " (qa.answer_id IS NOT NULL) AS approved,"
        " ROW_NUMBER() OVER (PARTITION BY tm.theme_id, a.redacted"
        "  ORDER BY (qa.answer_id IS NOT NULL) DESC, tm.score DESC, a.id) AS copy_rank,"
        " tm.score FROM theme_members tm JOIN answers a ON a.id = tm.answer_id"
        " JOIN participations p ON p.id = a.participation_id"
        " LEFT JOIN quote_approvals qa ON qa.answer_id = a.id"
        " WHERE tm.question_id = ? AND tm.theme_id IS NOT NULL AND p.status = 'submitted'"
        " AND p.may_quote = 1 AND a.screened = 1 AND a.risk = 0 AND a.distressing = 0"
        f" AND {NOT_FLAGGED_BY_HAND}"
        " AND a.redacted IS NOT NULL AND a.redacted != '') c"
        " WHERE copy_rank = 1 ORDER BY theme_id, approved DESC, score DESC, id",
        (question_id,),
    )
    return [
        QuoteCandidate(
            id=r["id"],
            theme_id=r["theme_id"],
            redacted=r["redacted"],
            language=r["language"] or r["locale"],
            approved=bool(r["approved"]),
        )
        for r in rows
    ]


async def set_quote_approval(
    db: Database, round_id: int, answer_id: int, approve: bool, who: Actor
) -> bool:
    """Approve (or take back) one quote. Approving works only for an answer that may
    be quoted at this moment (checked in the same statement). False: nothing changed."""

    async def work(conn: WriteConnection) -> bool:
        if approve:
            cursor = await conn.execute(
                "INSERT INTO quote_approvals (answer_id, round_id, approved_by, approved_at)"
                " SELECT a.id, ?, ?, ? FROM answers a"
                " JOIN participations p ON p.id = a.participation_id"
                " WHERE a.id = ? AND p.round_id = ? AND p.status = 'submitted'"
                " AND p.may_quote = 1 AND a.screened = 1 AND a.risk = 0 AND a.distressing = 0"
                f" AND {NOT_FLAGGED_BY_HAND}"
                " ON CONFLICT (answer_id) DO NOTHING",
                (round_id, who.email, to_db_time(utcnow()), answer_id, round_id),
            )
        else:
            cursor = await conn.execute(
                "DELETE FROM quote_approvals WHERE answer_id = ? AND round_id = ?",
                (answer_id, round_id),
            )
        if not cursor.rowcount:
            return False
        await audit.add_in(
            conn,
            who.email,
            "quote_approved" if approve else "quote_approval_withdrawn",
            f"answer {answer_id}",
            user_id=who.user_id,
            round_id=round_id,
        )
        return True

    return await db.write(work)


async def is_approved(db: Database, answer_id: int) -> bool:
    row = await db.fetch_one("SELECT 1 FROM quote_approvals WHERE answer_id = ?", (answer_id,))
    return row is not None


# Summaries ---------------------------------------------------------------------


async def summaries(db: Database, round_id: int) -> dict[str, Summary]:
    rows = await db.fetch_all(
        "SELECT locale, said, did, changes FROM outcome_summaries WHERE round_id = ?",
        (round_id,),
    )
    return {r["locale"]: Summary(r["said"], r["did"], r["changes"]) for r in rows}


async def save_summaries(
    db: Database, round_id: int, given: dict[str, Summary], who: Actor
) -> None:
    """Save the summary in each language; a change clears the sign-offs (audited)."""
    now = to_db_time(utcnow())

    async def work(conn: WriteConnection) -> None:
        for locale, s in given.items():
            if s.empty:
                await conn.execute(
                    "DELETE FROM outcome_summaries WHERE round_id = ? AND locale = ?",
                    (round_id, locale),
                )
            else:
                await conn.execute(
                    "INSERT INTO outcome_summaries (round_id, locale, said, did, changes,"
                    " updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (round_id, locale) DO UPDATE SET said = excluded.said,"
                    " did = excluded.did, changes = excluded.changes,"
                    " updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                    (round_id, locale, s.said, s.did, s.changes, who.email, now),
                )
        await clear_sign_offs_in(conn, round_id)
        await audit.add_in(
            conn, who.email, "outcome_summary_saved", "", user_id=who.user_id, round_id=round_id
        )

    await db.write(work)


# Publishing --------------------------------------------------------------------


async def publish(db: Database, round_id: int, who: Actor, detail: str) -> bool:
    """Publish the outcomes of a closed, signed-off round. False if the round is not
    closed (or already published), or a change took the sign-offs back meanwhile: the
    checks and the change are one statement."""

    async def work(conn: WriteConnection) -> bool:
        now = to_db_time(utcnow())
        cursor = await conn.execute(
            "UPDATE rounds SET status = 'published', updated_at = ?"
            " WHERE id = ? AND status = 'closed'"
            " AND (SELECT COUNT(*) FROM board_sign_offs WHERE round_id = ?)"
            " >= COALESCE((SELECT sign_offs_needed FROM board_settings WHERE round_id = ?), 1)",
            (now, round_id, round_id, round_id),
        )
        if not cursor.rowcount:
            return False
        await conn.execute(
            "INSERT INTO board_settings (round_id) VALUES (?) ON CONFLICT (round_id) DO NOTHING",
            (round_id,),
        )
        await conn.execute(
            "UPDATE board_settings SET published_at = ?, published_by = ? WHERE round_id = ?",
            (now, who.email, round_id),
        )
        await audit.add_in(
            conn, who.email, "outcomes_published", detail, user_id=who.user_id, round_id=round_id
        )
        return True

    return await db.write(work)


async def unpublish(db: Database, round_id: int, who: Actor) -> bool:
    """Take the outcomes page down; the round is closed again. False if not published."""

    async def work(conn: WriteConnection) -> bool:
        cursor = await conn.execute(
            "UPDATE board_settings SET published_at = NULL, published_by = NULL"
            " WHERE round_id = ? AND published_at IS NOT NULL",
            (round_id,),
        )
        await conn.execute(
            "UPDATE rounds SET status = 'closed', updated_at = ?"
            " WHERE id = ? AND status = 'published'",
            (to_db_time(utcnow()), round_id),
        )
        if not cursor.rowcount:
            return False
        await audit.add_in(
            conn, who.email, "outcomes_unpublished", "", user_id=who.user_id, round_id=round_id
        )
        return True

    return await db.write(work)


# Counts for the public page ------------------------------------------------------


async def value_counts(db: Database, question_id: int) -> dict[str, int]:
    """How the sent answers to an agreement or choice question split (a multiple
    choice value "12,15" counts once for each option)."""
    rows = await db.fetch_all(
        "SELECT a.value, COUNT(*) AS n FROM answers a"
        " JOIN participations p ON p.id = a.participation_id"
        " WHERE a.question_id = ? AND p.status = 'submitted' AND a.value IS NOT NULL"
        " AND a.value != '' GROUP BY a.value",
        (question_id,),
    )
    out: dict[str, int] = {}
    for r in rows:
        for part in str(r["value"]).split(","):
            if part:
                out[part] = out.get(part, 0) + int(r["n"])
    return out


async def answered(db: Database, question_id: int) -> int:
    """How many sent participations answered this question."""
    row = await db.fetch_one(
        "SELECT COUNT(DISTINCT a.participation_id) AS n FROM answers a"
        " JOIN participations p ON p.id = a.participation_id"
        " WHERE a.question_id = ? AND p.status = 'submitted'"
        " AND ((a.value IS NOT NULL AND a.value != '') OR (a.text IS NOT NULL AND a.text != ''))",
        (question_id,),
    )
    return int(row["n"]) if row else 0


async def participants(db: Database, round_id: int) -> int:
    row = await db.fetch_one(
        "SELECT COUNT(*) AS n FROM participations WHERE round_id = ? AND status = 'submitted'",
        (round_id,),
    )
    return int(row["n"]) if row else 0
