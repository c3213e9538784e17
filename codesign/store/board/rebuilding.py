"""Rebuilding themes after answers left (withdrawn or purged)."""

from __future__ import annotations

import json

import msgspec

from codesign.store.db import Database, WriteConnection


class ThemeHolding(msgspec.Struct, frozen=True):
    """A theme of a question that needs rebuilding, with what it holds now."""

    id: int
    label: str
    terms: list[str]
    stale: int  # the counter read; the rebuild is saved only if it has not moved
    touched: bool  # a person made, renamed, merged or split it
    has_outcome: bool  # the board wrote a response to it
    texts: list[str]  # redacted texts of the answers it holds now
    languages: list[str]


async def stale_questions(db: Database) -> list[int]:
    rows = await db.fetch_all("SELECT DISTINCT question_id FROM themes WHERE stale > 0")
    return [int(r["question_id"]) for r in rows]


async def holdings(db: Database, question_id: int) -> list[ThemeHolding]:
    """Every theme of the question (the terms of one are weighed against the others)."""
    themes = await db.fetch_all(
        "SELECT t.id, t.label, t.terms, t.stale, t.created_by, t.edited_by,"
        " EXISTS (SELECT 1 FROM outcomes o WHERE o.theme_id = t.id) AS has_outcome"
        " FROM themes t WHERE t.question_id = ? ORDER BY t.id",
        (question_id,),
    )
    texts: dict[int, list[tuple[str, str]]] = {}
    for r in await db.fetch_all(
        "SELECT tm.theme_id, a.redacted, a.language FROM theme_members tm"
        " JOIN answers a ON a.id = tm.answer_id"
        " WHERE tm.question_id = ? AND tm.theme_id IS NOT NULL AND a.redacted IS NOT NULL"
        " ORDER BY a.id",
        (question_id,),
    ):
        texts.setdefault(r["theme_id"], []).append((r["redacted"], r["language"] or ""))
    return [
        ThemeHolding(
            id=t["id"],
            label=t["label"],
            terms=json.loads(t["terms"]),
            stale=t["stale"],
            touched=t["created_by"] != "model" or t["edited_by"] is not None,
            has_outcome=bool(t["has_outcome"]),
            texts=[text for text, _ in texts.get(t["id"], [])],
            languages=[language for _, language in texts.get(t["id"], [])],
        )
        for t in themes
    ]


async def save_rebuilt(
    db: Database,
    updates: list[tuple[int, int, str, list[str], bool]],
    drops: list[tuple[int, int]],
) -> int:
    """Store rebuilt themes: (id, stale read, label, terms, empty) and drop (id, stale read)
    the empty ones nobody worked on. A theme whose counter moved since it was read (a
    later withdrawal) is left stale for the next rebuild. Returns themes changed."""

    async def work(conn: WriteConnection) -> int:
        changed = 0
        for theme_id, seen, label, terms, empty in updates:
            # A parent theme named after this one (and not renamed by a person) carries
            # the same name, which may come from an answer that left: it follows.
            await conn.execute(
                "UPDATE theme_groups SET label = ? WHERE edited_by IS NULL"
                " AND id = (SELECT group_id FROM themes WHERE id = ? AND stale = ?)"
                " AND label = (SELECT label FROM themes WHERE id = ?)",
                (label, theme_id, seen, theme_id),
            )
            cursor = await conn.execute(
                "UPDATE themes SET label = ?, terms = ?, stale = 0,"
                " centroids = CASE WHEN ? = 1 THEN '[]' ELSE centroids END"
                " WHERE id = ? AND stale = ?",
                (label, json.dumps(terms, ensure_ascii=False), int(empty), theme_id, seen),
            )
            changed += cursor.rowcount
        for theme_id, seen in drops:
            found = await conn.execute_fetchall(
                "DELETE FROM themes WHERE id = ? AND stale = ?"
                " AND NOT EXISTS (SELECT 1 FROM theme_members WHERE theme_id = ?)"
                " RETURNING label, group_id",
                (theme_id, seen, theme_id),
            )
            changed += len(found)
            if found and found[0]["group_id"] is not None:
                # its parent theme, if named after it: another of its themes' names, or
                # the parent goes when it has none left
                group_id, old = found[0]["group_id"], found[0]["label"]
                await conn.execute(
                    "UPDATE theme_groups SET label = (SELECT label FROM themes"
                    " WHERE group_id = ? ORDER BY id LIMIT 1)"
                    " WHERE id = ? AND edited_by IS NULL AND label = ?"
                    " AND EXISTS (SELECT 1 FROM themes WHERE group_id = ?)",
                    (group_id, group_id, old, group_id),
                )
                await conn.execute(
                    "DELETE FROM theme_groups WHERE id = ?"
                    " AND NOT EXISTS (SELECT 1 FROM themes WHERE group_id = ?)",
                    (group_id, group_id),
                )
        return changed

    return await db.write(work)
