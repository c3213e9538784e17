"""A round's texts in every language: round texts and contacts, translations, and
corrections of the main language's wording once the round is open (with revisions)."""

from __future__ import annotations

import msgspec

from codesign.models import QuestionText, RoundText, SectionText, SupportContact
from codesign.store.db import Database, WriteConnection, to_db_time, utcnow


async def replace_contacts_in(
    conn: WriteConnection, round_id: int, locale: str, contacts: list[SupportContact]
) -> None:
    await conn.execute(
        "DELETE FROM support_contacts WHERE round_id = ? AND locale = ?", (round_id, locale)
    )
    for position, c in enumerate(contacts):
        await conn.execute(
            "INSERT INTO support_contacts (round_id, locale, position, name, phone, hours, url,"
            " description, languages) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                round_id,
                locale,
                position,
                c.name,
                c.phone,
                c.hours,
                c.url,
                c.description,
                c.languages,
            ),
        )


async def upsert_round_text_in(conn: WriteConnection, round_id: int, t: RoundText) -> None:
    await conn.execute(
        "INSERT INTO round_texts (round_id, locale, title, organisation, purpose, readers,"
        " next_steps, data_use) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (round_id, locale) DO UPDATE SET title = excluded.title,"
        " organisation = excluded.organisation, purpose = excluded.purpose,"
        " readers = excluded.readers, next_steps = excluded.next_steps,"
        " data_use = excluded.data_use",
        (
            round_id,
            t.locale,
            t.title,
            t.organisation,
            t.purpose,
            t.readers,
            t.next_steps,
            t.data_use,
        ),
    )


async def save_translation_in(
    conn: WriteConnection,
    round_id: int,
    locale: str,
    *,
    round_text: RoundText | None = None,
    contacts: list[SupportContact] | None = None,
    sections: dict[int, SectionText] | None = None,
    questions: dict[int, QuestionText] | None = None,
    options: dict[int, str] | None = None,
) -> None:
    """Texts in one language; ids are checked against the round by the caller.

    `options` maps an option id to its label; an empty label removes the translation.
    """
    if round_text is not None:
        await upsert_round_text_in(conn, round_id, round_text)
    if contacts is not None:
        await replace_contacts_in(conn, round_id, locale, contacts)
    for section_id, st in (sections or {}).items():
        await conn.execute(
            "INSERT INTO section_texts (section_id, locale, title, body_md, content_note)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (section_id, locale) DO UPDATE SET"
            " title = excluded.title, body_md = excluded.body_md,"
            " content_note = excluded.content_note",
            (section_id, locale, st.title, st.body_md, st.content_note),
        )
    for question_id, qt in (questions or {}).items():
        await conn.execute(
            "INSERT INTO question_texts (question_id, locale, prompt, hint)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (question_id, locale) DO UPDATE SET"
            " prompt = excluded.prompt, hint = excluded.hint",
            (question_id, locale, qt.prompt, qt.hint),
        )
    for option_id, label in (options or {}).items():
        if not label:
            await conn.execute(
                "DELETE FROM question_option_texts WHERE option_id = ? AND locale = ?",
                (option_id, locale),
            )
            continue
        await conn.execute(
            "INSERT INTO question_option_texts (option_id, locale, label) VALUES (?, ?, ?)"
            " ON CONFLICT (option_id, locale) DO UPDATE SET label = excluded.label",
            (option_id, locale, label),
        )
    await conn.execute(
        "UPDATE rounds SET updated_at = ? WHERE id = ?", (to_db_time(utcnow()), round_id)
    )


class Revision(msgspec.Struct, frozen=True):
    item: str  # section, question, option
    item_id: int
    field: str
    old: str
    new: str


#: Where each correctable text lives: (item, field) → (table, key column).
_CORRECTABLE = {
    ("section", "title"): ("section_texts", "section_id"),
    ("section", "body_md"): ("section_texts", "section_id"),
    ("section", "content_note"): ("section_texts", "section_id"),
    ("question", "prompt"): ("question_texts", "question_id"),
    ("question", "hint"): ("question_texts", "question_id"),
    ("option", "label"): ("question_option_texts", "option_id"),
}


async def lock_correctable_in(conn: WriteConnection, round_id: int) -> bool:
    """Inside a write: True if the round is open or closed (its main-language wording may
    be corrected), held so until the commit; False (nothing written) once published."""
    async with conn.execute(
        "UPDATE rounds SET updated_at = ? WHERE id = ? AND status IN ('open', 'closed')"
        " RETURNING id",
        (to_db_time(utcnow()), round_id),
    ) as cursor:
        return await cursor.fetchone() is not None


async def correct_wording_in(
    conn: WriteConnection,
    round_id: int,
    locale: str,
    revisions: list[Revision],
    *,
    actor: str,
    user_id: int,
) -> None:
    """Inside a write (after `lock_correctable_in`): each changed text and its revision
    row (old and new). Only texts change, never sections, questions or choices."""
    now = to_db_time(utcnow())
    for r in revisions:
        table, key = _CORRECTABLE[(r.item, r.field)]
        await conn.execute(
            f"UPDATE {table} SET {r.field} = ? WHERE {key} = ? AND locale = ?",  # noqa: S608
            (r.new, r.item_id, locale),
        )
        await conn.execute(
            "INSERT INTO text_revisions (round_id, at, user_id, actor, item, item_id, field,"
            " locale, old_text, new_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (round_id, now, user_id, actor, r.item, r.item_id, r.field, locale, r.old, r.new),
        )


async def text_revisions(db: Database, round_id: int) -> list[dict]:
    rows = await db.fetch_all(
        "SELECT at, actor, item, item_id, field, old_text, new_text FROM text_revisions"
        " WHERE round_id = ? ORDER BY id DESC",
        (round_id,),
    )
    return [dict(r) for r in rows]
