"""Edits by a person on the board: rename, merge, split, move an answer."""

from __future__ import annotations

import json

from codesign.models import NewTheme
from codesign.store.db import Database, WriteConnection, to_db_time, utcnow


async def rename(db: Database, theme_id: int, label: str, who: str) -> None:
    return await db.write(lambda conn: rename_in(conn, theme_id, label, who))


async def rename_in(conn: WriteConnection, theme_id: int, label: str, who: str) -> None:
    await conn.execute(
        "UPDATE themes SET label = ?, edited_by = ?, edited_at = ? WHERE id = ?",
        (label, who, to_db_time(utcnow()), theme_id),
    )


async def merge_in(conn: WriteConnection, source_id: int, target_id: int, who: str) -> None:
    """Source's answers join target (as placed by a person); target keeps both prototypes."""
    now = to_db_time(utcnow())

    rows = await (
        await conn.execute(
            "SELECT id, centroids FROM themes WHERE id IN (?, ?)", (source_id, target_id)
        )
    ).fetchall()
    cents = {r[0]: json.loads(r[1]) for r in rows}
    await conn.execute(
        "UPDATE theme_members SET theme_id = ?, assigned_by = 'person',"
        " assigned_by_user = ?, assigned_at = ? WHERE theme_id = ?",
        (target_id, who, now, source_id),
    )
    await conn.execute(
        "UPDATE themes SET centroids = ?, edited_by = ?, edited_at = ? WHERE id = ?",
        (
            json.dumps(cents.get(target_id, []) + cents.get(source_id, [])),
            who,
            now,
            target_id,
        ),
    )
    await conn.execute("DELETE FROM outcomes WHERE theme_id = ?", (source_id,))
    await conn.execute("DELETE FROM themes WHERE id = ?", (source_id,))


async def insert_person_theme(
    conn: WriteConnection,
    question_id: int,
    label: str,
    terms: list[str],
    centroids: list,
    who: str,
    now: str,
) -> int:
    """Within a write: a theme a person made (split off, or from chosen answers); its id."""
    cursor = await conn.execute(
        "INSERT INTO themes (question_id, label, terms, centroids, created_by, created_at,"
        " edited_by, edited_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            question_id,
            label,
            json.dumps(terms, ensure_ascii=False),
            json.dumps(centroids),
            who,
            now,
            who,
            now,
        ),
    )
    return int((await cursor.fetchone())["id"])


async def split_in(
    conn: WriteConnection, theme_id: int, question_id: int, parts: list[NewTheme], who: str
) -> list[int]:
    """Replace a theme's membership by new themes made by a person's split."""
    now = to_db_time(utcnow())

    made = []
    for i, part in enumerate(parts):
        if i == 0:
            target = theme_id
            await conn.execute(
                "UPDATE themes SET label = ?, terms = ?, centroids = ?, edited_by = ?,"
                " edited_at = ? WHERE id = ?",
                (
                    part.label,
                    json.dumps(part.terms, ensure_ascii=False),
                    json.dumps(part.centroids),
                    who,
                    now,
                    theme_id,
                ),
            )
        else:
            target = await insert_person_theme(
                conn, question_id, part.label, part.terms, part.centroids, who, now
            )
        made.append(target)
        await conn.executemany(
            "UPDATE theme_members SET theme_id = ?, score = ?, assigned_by = 'person',"
            " assigned_by_user = ?, assigned_at = ? WHERE answer_id = ?",
            [(target, round(score, 4), who, now, aid) for aid, score in part.members],
        )
    return made


async def move_answer_in(
    conn: WriteConnection, answer_id: int, theme_id: int | None, who: str
) -> None:
    await conn.execute(
        "UPDATE theme_members SET theme_id = ?, assigned_by = 'person',"
        " assigned_by_user = ?, assigned_at = ? WHERE answer_id = ?",
        (theme_id, who, to_db_time(utcnow()), answer_id),
    )
