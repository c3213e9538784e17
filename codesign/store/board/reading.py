# ruff: noqa: S608 - only constants and "?" placeholders are put into SQL text
"""Reading a question's themes: sizes, counts, risk and agreement per theme."""

from __future__ import annotations

import json
import sqlite3

from codesign.models import ThemeRow
from codesign.store.board.answers import THEMED
from codesign.store.db import Database, from_db_time


async def themes_for(db: Database, question_id: int) -> list[ThemeRow]:
    rows = await db.fetch_all(
        "SELECT t.*, (SELECT COUNT(*) FROM theme_members tm WHERE tm.theme_id = t.id) AS size"
        " FROM themes t WHERE t.question_id = ? ORDER BY size DESC, t.id",
        (question_id,),
    )
    return [_theme(r) for r in rows]


def _theme(r: sqlite3.Row) -> ThemeRow:
    return ThemeRow(
        id=r["id"],
        question_id=r["question_id"],
        label=r["label"],
        terms=json.loads(r["terms"]),
        size=r["size"],
        created_by=r["created_by"],
        edited_by=r["edited_by"],
        edited_at=from_db_time(r["edited_at"]),
    )


async def theme_by_id(db: Database, theme_id: int) -> ThemeRow | None:
    row = await db.fetch_one(
        "SELECT t.*, (SELECT COUNT(*) FROM theme_members tm WHERE tm.theme_id = t.id) AS size"
        " FROM themes t WHERE t.id = ?",
        (theme_id,),
    )
    return _theme(row) if row else None


async def theme_centroids(db: Database, question_id: int) -> dict[int, list[list[float]]]:
    rows = await db.fetch_all(
        "SELECT id, centroids FROM themes WHERE question_id = ?", (question_id,)
    )
    return {r["id"]: json.loads(r["centroids"]) for r in rows}


async def counts(db: Database, question_id: int) -> tuple[int, int]:
    """(answers to theme, answers placed)."""
    row = await db.fetch_one(
        "SELECT COUNT(*) AS n, COUNT(tm.answer_id) AS placed FROM answers a"
        " JOIN participations p ON p.id = a.participation_id"
        " LEFT JOIN theme_members tm ON tm.answer_id = a.id"
        f" WHERE a.question_id = ? AND {THEMED}",
        (question_id,),
    )
    return (int(row["n"]), int(row["placed"])) if row else (0, 0)


async def risky_members(db: Database, question_id: int) -> dict[int, int]:
    """Per theme: how many of its answers may show risk: flagged by the screening or by a
    person for the safeguarding lead (a hand flag leaves the detector's `risk` column as it
    was, and a theme mostly of such disclosures must stay off the public page all the same)."""
    rows = await db.fetch_all(
        "SELECT tm.theme_id, COUNT(*) AS n FROM theme_members tm"
        " JOIN answers a ON a.id = tm.answer_id"
        " WHERE tm.question_id = ? AND tm.theme_id IS NOT NULL AND (a.risk = 1 OR EXISTS"
        "  (SELECT 1 FROM safeguarding_items si WHERE si.answer_id = a.id))"
        " GROUP BY tm.theme_id",
        (question_id,),
    )
    return {int(r["theme_id"]): int(r["n"]) for r in rows}


async def other_count(db: Database, question_id: int) -> int:
    row = await db.fetch_one(
        "SELECT COUNT(*) AS n FROM theme_members WHERE question_id = ? AND theme_id IS NULL",
        (question_id,),
    )
    return int(row["n"]) if row else 0


async def agreement_split(
    db: Database, question_id: int, agreement_question_id: int
) -> dict[int | None, dict[str, int]]:
    """Per theme (None = other): how its writers answered the section's agreement question."""
    rows = await db.fetch_all(
        "SELECT tm.theme_id, a2.value, COUNT(*) AS n FROM theme_members tm"
        " JOIN answers a ON a.id = tm.answer_id"
        " JOIN answers a2 ON a2.participation_id = a.participation_id AND a2.question_id = ?"
        " WHERE tm.question_id = ? AND a2.value IS NOT NULL"
        " GROUP BY tm.theme_id, a2.value",
        (agreement_question_id, question_id),
    )
    out: dict[int | None, dict[str, int]] = {}
    for r in rows:
        out.setdefault(r["theme_id"], {})[r["value"]] = int(r["n"])
    return out


async def agreement_matrix(db: Database, round_id: int) -> list[tuple[int, int, str]]:
    """(participation, question, value) for every agreement answer of submitted participations."""
    rows = await db.fetch_all(
        "SELECT a.participation_id, a.question_id, a.value FROM answers a"
        " JOIN participations p ON p.id = a.participation_id"
        " JOIN questions q ON q.id = a.question_id"
        " WHERE p.round_id = ? AND p.status = 'submitted' AND q.kind = 'agreement'"
        " AND a.value IS NOT NULL",
        (round_id,),
    )
    return [(int(r[0]), int(r[1]), str(r[2])) for r in rows]
