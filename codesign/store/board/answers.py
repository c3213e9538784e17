# ruff: noqa: S608 - only constants and "?" placeholders are put into SQL text
"""Reading the answers in themes, as the board sees them (redacted)."""

from __future__ import annotations

import sqlite3

import msgspec

from codesign.analysis.label import is_quotable_text
from codesign.models import AnswerRow
from codesign.store.db import Database, from_db_time

QUOTE_SPARE = 5  # extra quote candidates fetched, as junk answers are dropped after the query
#: The answers that are themed, in queries joining answers `a` and participations `p`.
THEMED = "p.status = 'submitted' AND a.text IS NOT NULL AND a.text != ''"


#: What `answer_row` reads, in queries joining answers `a`, participations `p` and
#: theme_members `tm`.
ANSWER_COLUMNS = (
    "a.id, a.participation_id, a.redacted, a.language, a.locale, a.flags, a.risk,"
    " a.distressing, p.may_quote, tm.theme_id, tm.score, tm.assigned_by, tm.assigned_by_user,"
    " tm.assigned_at"
)


def _flags(value: str | None) -> list[str]:
    return [f for f in (value or "").split(",") if f]


def answer_row(r: sqlite3.Row) -> AnswerRow:
    return AnswerRow(
        id=r["id"],
        participation_id=r["participation_id"],
        redacted=r["redacted"] or "",
        language=r["language"] or "",
        locale=r["locale"],
        flags=_flags(r["flags"]),
        risk=bool(r["risk"]),
        distressing=bool(r["distressing"]),
        may_quote=bool(r["may_quote"]),
        theme_id=r["theme_id"],
        score=float(r["score"] or 0.0),
        assigned_by=r["assigned_by"] or "model",
        assigned_by_user=r["assigned_by_user"],
        assigned_at=from_db_time(r["assigned_at"]),
    )


async def quotes(
    db: Database, question_id: int, per_theme: int = 5, *, quotable_only: bool = False
) -> dict[int, list[AnswerRow]]:
    """The answers closest to each theme's centre, leaving out flagged and unscreened ones.

    Each text once (copies of an answer are one quote, ``said_by`` counts them);
    formula-like and near-empty answers are never quotes.
    `quotable_only`: only from participants who allowed quoting.
    """
    quotable = " AND p.may_quote = 1" if quotable_only else ""
    rows = await db.fetch_all(
        "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY theme_id"
        " ORDER BY score DESC, id) AS rank FROM ("
        f"SELECT {ANSWER_COLUMNS},"
        " COUNT(*) OVER (PARTITION BY tm.theme_id, a.redacted) AS said_by,"
        " ROW_NUMBER() OVER (PARTITION BY tm.theme_id, a.redacted"
        " ORDER BY tm.score DESC, a.id) AS copy_rank"
        " FROM theme_members tm JOIN answers a ON a.id = tm.answer_id"
        " JOIN participations p ON p.id = a.participation_id"
        " WHERE tm.question_id = ? AND tm.theme_id IS NOT NULL AND a.risk = 0 AND a.screened = 1"
        f" AND a.distressing = 0 AND a.redacted IS NOT NULL{quotable}) copies"
        " WHERE copy_rank = 1) ranked"
        " WHERE rank <= ? ORDER BY theme_id, rank",
        # room for the junk left out below
        (question_id, per_theme + QUOTE_SPARE),
    )
    out: dict[int, list[AnswerRow]] = {}
    for r in rows:
        kept = out.setdefault(r["theme_id"], [])
        if len(kept) < per_theme and is_quotable_text(r["redacted"] or ""):
            kept.append(msgspec.structs.replace(answer_row(r), said_by=int(r["said_by"])))
    return {t: kept for t, kept in out.items() if kept}


async def theme_answers(
    db: Database, question_id: int, theme_id: int | None, limit: int = 2000, offset: int = 0
) -> list[AnswerRow]:
    rows = await db.fetch_all(
        f"SELECT {ANSWER_COLUMNS} FROM theme_members tm JOIN answers a ON a.id = tm.answer_id"
        " JOIN participations p ON p.id = a.participation_id"
        " WHERE tm.question_id = ? AND tm.theme_id IS NOT DISTINCT FROM ?"
        " ORDER BY tm.score DESC, a.id LIMIT ? OFFSET ?",
        (question_id, theme_id, limit, offset),
    )
    return [answer_row(r) for r in rows]


async def answer_by_id(db: Database, answer_id: int) -> tuple[AnswerRow, int] | None:
    """The answer and its question id."""
    row = await db.fetch_one(
        f"SELECT {ANSWER_COLUMNS}, a.question_id FROM answers a"
        " JOIN participations p ON p.id = a.participation_id"
        " LEFT JOIN theme_members tm ON tm.answer_id = a.id WHERE a.id = ?",
        (answer_id,),
    )
    return (answer_row(row), int(row["question_id"])) if row else None


async def member_ids(db: Database, theme_id: int) -> list[int]:
    rows = await db.fetch_all(
        "SELECT answer_id FROM theme_members WHERE theme_id = ? ORDER BY answer_id", (theme_id,)
    )
    return [int(r["answer_id"]) for r in rows]


async def export_rows(db: Database, round_id: int) -> list[sqlite3.Row]:
    return await db.fetch_all(
        "SELECT a.id AS answer_id, a.question_id, a.redacted, a.language, a.flags, a.risk,"
        " tm.theme_id, t.label AS theme_label, tm.assigned_by, tm.assigned_by_user,"
        " tm.assigned_at FROM theme_members tm"
        " JOIN answers a ON a.id = tm.answer_id"
        " JOIN participations p ON p.id = a.participation_id"
        " LEFT JOIN themes t ON t.id = tm.theme_id"
        " JOIN questions q ON q.id = a.question_id JOIN sections s ON s.id = q.section_id"
        " WHERE s.round_id = ? AND p.status = 'submitted' ORDER BY a.question_id, a.id",
        (round_id,),
    )
