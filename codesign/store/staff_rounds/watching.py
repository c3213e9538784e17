"""What a round holds, for watching it and exporting it: counts of participations
and answers, the sent answers row by row."""

from __future__ import annotations

from codesign.store.db import Database


async def participation_counts(db: Database, round_id: int) -> list[tuple[str, str, int]]:
    """(status, locale, count) for a round."""
    rows = await db.fetch_all(
        "SELECT status, locale, COUNT(*) AS n FROM participations WHERE round_id = ?"
        " GROUP BY status, locale",
        (round_id,),
    )
    return [(r["status"], r["locale"], r["n"]) for r in rows]


async def answer_counts(db: Database, round_id: int) -> dict[int, dict[str, int]]:
    """question id → {value or "text": count}, over sent answers only: staff never see
    what someone typed but did not send (the review page promises so)."""
    rows = await db.fetch_all(
        "SELECT a.question_id, COALESCE(a.value, 'text') AS v, COUNT(*) AS n FROM answers a"
        " JOIN participations p ON p.id = a.participation_id"
        " WHERE p.round_id = ? AND p.status = 'submitted' GROUP BY a.question_id, v",
        (round_id,),
    )
    counts: dict[int, dict[str, int]] = {}
    for r in rows:
        counts.setdefault(r["question_id"], {})[r["v"]] = r["n"]
    return counts


async def export_rows(db: Database, round_id: int) -> list[dict]:
    """One row per answer of every participation that was sent (never unsent drafts)."""
    rows = await db.fetch_all(
        "SELECT p.id AS response, p.status, p.source, p.locale AS response_locale, p.may_quote,"
        " p.submitted_at, s.position AS section, q.position AS question_position,"
        " q.id AS question_id, q.kind, a.value, a.text, a.locale, a.saved_at"
        " FROM answers a JOIN participations p ON p.id = a.participation_id"
        " JOIN questions q ON q.id = a.question_id JOIN sections s ON s.id = q.section_id"
        " WHERE p.round_id = ? AND p.status = 'submitted'"
        " ORDER BY p.id, s.position, q.position",
        (round_id,),
    )
    return [dict(r) for r in rows]


async def participation_ids(db: Database, round_id: int) -> list[int]:
    rows = await db.fetch_all("SELECT id FROM participations WHERE round_id = ?", (round_id,))
    return [r["id"] for r in rows]
