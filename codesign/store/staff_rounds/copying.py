"""Copying a round: a new draft with its texts, sections, questions and choices."""

from __future__ import annotations

from codesign.store.db import WriteConnection, to_db_time, utcnow


async def _copy_rows(
    conn: WriteConnection, table: str, key: str, old_id: int, new_id: int, keep_id: bool
) -> dict[int, int]:
    """Copy the rows of `table` whose `key` is old_id, pointing them at new_id; returns
    {old row id: new row id} when the rows have ids of their own (keep_id=False).

    Rows with ids of their own are copied in id order; the others (texts, one per
    locale) in locale order."""
    order = "locale" if keep_id else "id"
    async with conn.execute(
        f"SELECT * FROM {table} WHERE {key} = ? ORDER BY {order}", (old_id,)  # noqa: S608
    ) as cursor:
        rows = [dict(r) for r in await cursor.fetchall()]
    ids: dict[int, int] = {}
    for row in rows:
        old_row_id = row.pop("id", None) if not keep_id else None
        row[key] = new_id
        columns = ", ".join(row)
        marks = ", ".join("?" * len(row))
        returning = "" if keep_id else " RETURNING id"
        inserted = await conn.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks}){returning}",  # noqa: S608
            tuple(row.values()),
        )
        if old_row_id is not None:
            ids[old_row_id] = (await inserted.fetchone())["id"]
    return ids


async def copy_round_in(
    conn: WriteConnection, round_id: int, slug: str, title_suffix: str, member_id: int
) -> int | None:
    """Inside a write: a new draft with the round's texts in every language, sections,
    questions and choices (and their translations), and no dates, answers, board or
    safeguarding settings; the copier is on it. None (nothing written) if the slug is
    taken."""
    async with conn.execute("SELECT * FROM rounds WHERE id = ?", (round_id,)) as cursor:
        source = dict(await cursor.fetchone())
    now = to_db_time(utcnow())
    source.pop("id")
    source.update(
        slug=slug, status="draft", opens_at=None, closes_at=None, response_due=None,
        created_at=now, updated_at=now, closed_at=None,
    )
    columns = ", ".join(source)
    cursor = await conn.execute(
        f"INSERT INTO rounds ({columns}) VALUES ({', '.join('?' * len(source))})"  # noqa: S608
        " ON CONFLICT (slug) DO NOTHING RETURNING id",
        tuple(source.values()),
    )
    inserted = await cursor.fetchone()
    if inserted is None:
        return None
    new_id = inserted["id"]
    await _copy_rows(conn, "round_texts", "round_id", round_id, new_id, keep_id=True)
    await conn.execute(
        "UPDATE round_texts SET title = substr(title || ?, 1, 200)"
        " WHERE round_id = ? AND locale = ?",
        (title_suffix, new_id, source["default_locale"]),
    )
    await _copy_rows(conn, "support_contacts", "round_id", round_id, new_id, keep_id=False)
    sections = await _copy_rows(conn, "sections", "round_id", round_id, new_id, False)
    for old_section, new_section in sections.items():
        await _copy_rows(conn, "section_texts", "section_id", old_section, new_section, True)
        questions = await _copy_rows(
            conn, "questions", "section_id", old_section, new_section, False
        )
        for old_q, new_q in questions.items():
            await _copy_rows(conn, "question_texts", "question_id", old_q, new_q, True)
            options = await _copy_rows(
                conn, "question_options", "question_id", old_q, new_q, False
            )
            for old_o, new_o in options.items():
                await _copy_rows(
                    conn, "question_option_texts", "option_id", old_o, new_o, True
                )
    await conn.execute(
        "INSERT INTO round_members (round_id, user_id, added_at) VALUES (?, ?, ?)",
        (new_id, member_id, now),
    )
    return new_id
