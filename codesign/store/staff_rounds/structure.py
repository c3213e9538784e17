"""A draft's structure: sections, questions and choices, in their order.

Every change here runs inside a write that starts with `lock_draft_in`, so the draft
check and the positions read are part of the write itself."""

from __future__ import annotations

from codesign.models import QuestionText, SectionText
from codesign.store.db import WriteConnection, to_db_time, utcnow


async def lock_draft_in(conn: WriteConnection, round_id: int) -> bool:
    """Inside a write: True if the round is still a draft, and from here to the commit
    nobody else changes it (the update takes the round's row lock on PostgreSQL; SQLite
    has one writer). Structure changes (sections, questions, their positions) start here,
    so the draft check and the positions they read are part of the write itself."""
    async with conn.execute(
        "UPDATE rounds SET updated_at = ? WHERE id = ? AND status = 'draft' RETURNING id",
        (to_db_time(utcnow()), round_id),
    ) as cursor:
        return await cursor.fetchone() is not None


async def add_section_in(conn: WriteConnection, round_id: int, text: SectionText) -> int:
    """Inside a write (after `lock_draft_in`): a new last section; its id."""
    async with conn.execute(
        "INSERT INTO sections (round_id, position)"
        " SELECT ?, COALESCE(MAX(position), 0) + 1 FROM sections WHERE round_id = ?"
        " RETURNING id",
        (round_id, round_id),
    ) as cursor:
        section_id = int((await cursor.fetchone())[0])
    await conn.execute(
        "INSERT INTO section_texts (section_id, locale, title, body_md, content_note)"
        " VALUES (?, ?, ?, ?, ?)",
        (section_id, text.locale, text.title, text.body_md, text.content_note),
    )
    return section_id


async def add_question_in(
    conn: WriteConnection,
    round_id: int,
    section_id: int,
    kind: str,
    text: QuestionText,
    options: list[str] | None = None,
) -> int | None:
    """Inside a write (after `lock_draft_in`): a new last question of the round's section;
    None if the section is not the round's (any more)."""
    async with conn.execute(
        "INSERT INTO questions (section_id, position, kind)"
        " SELECT s.id, (SELECT COALESCE(MAX(q.position), 0) + 1 FROM questions q"
        "  WHERE q.section_id = s.id), ?"
        " FROM sections s WHERE s.id = ? AND s.round_id = ?"
        " RETURNING id",
        (kind, section_id, round_id),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    question_id = int(row[0])
    await conn.execute(
        "INSERT INTO question_texts (question_id, locale, prompt, hint) VALUES (?, ?, ?, ?)",
        (question_id, text.locale, text.prompt, text.hint),
    )
    await set_options_in(conn, question_id, text.locale, options or [])
    return question_id


async def move_section_in(conn: WriteConnection, round_id: int, section_id: int, step: int) -> bool:
    """Swap a section with its neighbour (step -1 up, +1 down)."""

    async with conn.execute(
        "SELECT position FROM sections WHERE id = ? AND round_id = ?", (section_id, round_id)
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return False
    here = row[0]
    async with conn.execute(
        "SELECT id FROM sections WHERE round_id = ? AND position = ?",
        (round_id, here + step),
    ) as cursor:
        other = await cursor.fetchone()
    if other is None:
        return False
    # Through a free position: (round_id, position) is unique.
    await conn.execute("UPDATE sections SET position = -1 WHERE id = ?", (section_id,))
    await conn.execute("UPDATE sections SET position = ? WHERE id = ?", (here, other[0]))
    await conn.execute(
        "UPDATE sections SET position = ? WHERE id = ?", (here + step, section_id)
    )
    return True


# Tables whose rows keep a 1, 2, 3 … order under a parent; names are fixed here.
_ORDERED = {("sections", "round_id"), ("questions", "section_id")}


async def _renumber(conn: WriteConnection, table: str, parent: str, parent_id: int) -> None:
    """Close the gap a deleted row left. Negative positions first, so the
    UNIQUE (parent, position) constraint never sees two rows on one number."""
    assert (table, parent) in _ORDERED
    rows = await conn.execute_fetchall(
        f"SELECT id FROM {table} WHERE {parent} = ? ORDER BY position",  # noqa: S608
        (parent_id,),
    )
    for position, row in enumerate(rows, start=1):
        await conn.execute(
            f"UPDATE {table} SET position = ? WHERE id = ?",  # noqa: S608
            (-position, row[0]),
        )
    await conn.execute(
        f"UPDATE {table} SET position = -position WHERE {parent} = ?",  # noqa: S608
        (parent_id,),
    )


async def delete_section_in(conn: WriteConnection, round_id: int, section_id: int) -> bool:
    cursor = await conn.execute(
        "DELETE FROM sections WHERE id = ? AND round_id = ?", (section_id, round_id)
    )
    if cursor.rowcount != 1:
        return False
    await _renumber(conn, "sections", "round_id", round_id)
    return True


async def set_options_in(
    conn: WriteConnection, question_id: int, locale: str, labels: list[str]
) -> None:
    """Inside a write: make the question's choices `labels` (in `locale`), in this order.

    A label that is already a choice (the same words in `locale`) keeps its id and
    its translations; a new label is a new choice (to be translated); a choice whose
    label is gone is removed with its translations.
    """
    async with conn.execute(
        "SELECT o.id, ot.label FROM question_options o LEFT JOIN question_option_texts ot"
        " ON ot.option_id = o.id AND ot.locale = ? WHERE o.question_id = ?",
        (locale, question_id),
    ) as cursor:
        existing = [(row[0], row[1] or "") for row in await cursor.fetchall()]
    free = {label: option_id for option_id, label in reversed(existing)}
    kept: list[int | None] = []
    for label in labels:
        kept.append(free.pop(label, None))
    for option_id, _label in existing:
        if option_id not in kept:
            await conn.execute("DELETE FROM question_options WHERE id = ?", (option_id,))
    # Through free positions: (question_id, position) is unique.
    await conn.execute(
        "UPDATE question_options SET position = -position WHERE question_id = ?", (question_id,)
    )
    for position, (label, option_id) in enumerate(zip(labels, kept, strict=True), start=1):
        if option_id is None:
            cursor = await conn.execute(
                "INSERT INTO question_options (question_id, position) VALUES (?, ?) RETURNING id",
                (question_id, position),
            )
            option_id = int((await cursor.fetchone())["id"])
        else:
            await conn.execute(
                "UPDATE question_options SET position = ? WHERE id = ?", (position, option_id)
            )
        await conn.execute(
            "INSERT INTO question_option_texts (option_id, locale, label) VALUES (?, ?, ?)"
            " ON CONFLICT (option_id, locale) DO UPDATE SET label = excluded.label",
            (option_id, locale, label),
        )


async def delete_question_in(conn: WriteConnection, section_id: int, question_id: int) -> bool:
    cursor = await conn.execute(
        "DELETE FROM questions WHERE id = ? AND section_id = ?", (question_id, section_id)
    )
    if cursor.rowcount != 1:
        return False
    await _renumber(conn, "questions", "section_id", section_id)
    return True
