"""Rounds as the organizer console sees them: listing, editing, counting, exporting."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import cast

import msgspec

from codesign.models import (
    QuestionText,
    Round,
    RoundSettings,
    RoundSummary,
    RoundText,
    SectionText,
    SupportContact,
)
from codesign.store import audit
from codesign.store.db import Database, WriteConnection, from_db_time, to_db_time, utcnow
from codesign.store.participations import new_ref
from codesign.store.rounds import CLOSED_AT, load_round


def _locales(value: str) -> list[str]:
    return [loc for loc in (value or "").split(",") if loc]


async def list_rounds(db: Database, member_id: int | None) -> list[RoundSummary]:
    """Every round (member_id None), or the rounds one staff member sits on."""
    sql = (
        "SELECT r.*, COALESCE(t.title, '') AS title,"
        " (SELECT COUNT(*) FROM participations p WHERE p.round_id = r.id) AS n"
        " FROM rounds r LEFT JOIN round_texts t"
        " ON t.round_id = r.id AND t.locale = r.default_locale"
    )
    params: tuple = ()
    if member_id is not None:
        sql += " JOIN round_members m ON m.round_id = r.id AND m.user_id = ?"
        params = (member_id,)
    rows = await db.fetch_all(sql + " ORDER BY r.created_at DESC, r.id DESC", params)
    return [
        RoundSummary(
            id=r["id"],
            slug=r["slug"],
            status=r["status"],
            title=r["title"],
            default_locale=r["default_locale"],
            locales=_locales(r["locales"]),
            opens_at=from_db_time(r["opens_at"]),
            closes_at=from_db_time(r["closes_at"]),
            timezone=r["timezone"],
            participations=r["n"],
        )
        for r in rows
    ]


async def slug_for(db: Database, round_id: int) -> str | None:
    row = await db.fetch_one("SELECT slug FROM rounds WHERE id = ?", (round_id,))
    return row["slug"] if row else None


class _InWrite:
    """A write's connection with the read face of `Database` (fetch_one, fetch_all), so
    a use case can read the round as its own transaction sees it, with the same
    queries the pages use."""

    __slots__ = ("conn",)

    def __init__(self, conn: WriteConnection) -> None:
        self.conn = conn

    async def fetch_all(self, sql: str, params: tuple = ()) -> list:
        return list(await self.conn.execute_fetchall(sql, params))

    async def fetch_one(self, sql: str, params: tuple = ()):
        rows = await self.conn.execute_fetchall(sql, params)
        return rows[0] if rows else None


async def load_round_in(conn: WriteConnection, slug: str) -> Round | None:
    """Inside a write: the round with everything in it, as this transaction sees it."""
    return await load_round(cast(Database, _InWrite(conn)), slug)


async def settings_in(conn: WriteConnection, round_id: int) -> RoundSettings | None:
    """Inside a write: the round's settings, as this transaction sees them."""
    return await settings_for(cast(Database, _InWrite(conn)), round_id)


async def settings_for(db: Database, round_id: int) -> RoundSettings | None:
    row = await db.fetch_one(
        "SELECT id, wanted_locales, locales, default_locale, retention_days, draft_days,"
        " EXISTS (SELECT 1 FROM answers a JOIN participations p ON p.id = a.participation_id"
        "   WHERE p.round_id = rounds.id) AS has_answers,"
        " (SELECT safeguarding_user_id FROM board_settings b WHERE b.round_id = rounds.id)"
        "   AS lead_id"
        " FROM rounds WHERE id = ?",
        (round_id,),
    )
    if row is None:
        return None
    wanted = _locales(row["wanted_locales"]) or _locales(row["locales"])
    return RoundSettings(
        round_id=row["id"],
        wanted_locales=wanted,
        retention_days=row["retention_days"],
        has_answers=bool(row["has_answers"]),
        safeguarding_lead_id=row["lead_id"],
        draft_days=row["draft_days"],
    )


async def _replace_contacts(
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


async def _upsert_round_text(conn: WriteConnection, round_id: int, t: RoundText) -> None:
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


async def create_draft_in(
    conn: WriteConnection,
    *,
    slug: str,
    default_locale: str,
    wanted_locales: list[str],
    timezone: str,
    opens_at: datetime | None,
    closes_at: datetime | None,
    response_due: date | None,
    minutes_estimate: int,
    retention_days: int,
    text: RoundText,
    contacts: list[SupportContact],
    member_id: int,
    region: str = "",
    draft_days: int = 30,
) -> int | None:
    """A new draft and its first member; None (nothing written) if the slug is taken."""
    now = to_db_time(utcnow())
    cursor = await conn.execute(
        "INSERT INTO rounds (slug, status, default_locale, locales, wanted_locales, timezone,"
        " opens_at, closes_at, response_due, minutes_estimate, retention_days, created_at,"
        " updated_at, region, draft_days)"
        " VALUES (?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (slug) DO NOTHING RETURNING id",
        (
            slug,
            default_locale,
            default_locale,
            ",".join(wanted_locales),
            timezone,
            to_db_time(opens_at),
            to_db_time(closes_at),
            response_due.isoformat() if response_due else None,
            minutes_estimate,
            retention_days,
            now,
            now,
            region,
            draft_days,
        ),
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    round_id = int(row["id"])
    await _upsert_round_text(conn, round_id, text)
    await _replace_contacts(conn, round_id, default_locale, contacts)
    await conn.execute(
        "INSERT INTO round_members (round_id, user_id, added_at) VALUES (?, ?, ?)",
        (round_id, member_id, now),
    )
    return round_id


async def update_round_in(
    conn: WriteConnection,
    round_id: int,
    *,
    default_locale: str,
    wanted_locales: list[str],
    timezone: str,
    opens_at: datetime | None,
    closes_at: datetime | None,
    response_due: date | None,
    minutes_estimate: int,
    retention_days: int,
    text: RoundText,
    contacts: list[SupportContact],
    region: str = "",
    draft_days: int = 30,
) -> None:
    await conn.execute(
        "UPDATE rounds SET default_locale = ?, wanted_locales = ?, timezone = ?,"
        " opens_at = ?, closes_at = ?, response_due = ?, minutes_estimate = ?,"
        " retention_days = ?, updated_at = ?, region = ?, draft_days = ? WHERE id = ?",
        (
            default_locale,
            ",".join(wanted_locales),
            timezone,
            to_db_time(opens_at),
            to_db_time(closes_at),
            response_due.isoformat() if response_due else None,
            minutes_estimate,
            retention_days,
            to_db_time(utcnow()),
            region,
            draft_days,
            round_id,
        ),
    )
    await _upsert_round_text(conn, round_id, text)
    await _replace_contacts(conn, round_id, default_locale, contacts)


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
        await _upsert_round_text(conn, round_id, round_text)
    if contacts is not None:
        await _replace_contacts(conn, round_id, locale, contacts)
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


async def set_offered_in(conn: WriteConnection, round_id: int, offered: list[str]) -> None:
    await conn.execute("UPDATE rounds SET locales = ? WHERE id = ?", (",".join(offered), round_id))


async def set_status(db: Database, round_id: int, status: str, expected: str) -> bool:
    return await db.write(lambda conn: set_status_in(conn, round_id, status, expected))


async def set_status_in(conn: WriteConnection, round_id: int, status: str, expected: str) -> bool:
    """Move the round on; False if someone else moved it first."""

    now = to_db_time(utcnow())
    cursor = await conn.execute(
        f"UPDATE rounds SET status = ?, updated_at = ?, {CLOSED_AT}"  # noqa: S608
        " WHERE id = ? AND status = ?",
        (status, now, status, now, status, round_id, expected),
    )
    return cursor.rowcount == 1


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


# Watching ---------------------------------------------------------------


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


async def id_for_slug(db: Database, slug: str) -> int | None:
    row = await db.fetch_one("SELECT id FROM rounds WHERE slug = ?", (slug,))
    return int(row["id"]) if row else None


async def import_paper(
    db: Database,
    round_id: int,
    digest: str,
    filename: str,
    who: str,
    responses: list[tuple[int, str, bool, list[tuple[int, str | None, str | None]], str]],
    *,
    user_id: int | None = None,
    audit_detail: str = "",
) -> int | None:
    return await db.write(
        lambda conn: import_paper_in(
            conn,
            round_id,
            digest,
            filename,
            who,
            responses,
            user_id=user_id,
            audit_detail=audit_detail,
        )
    )


async def import_paper_in(
    conn: WriteConnection,
    round_id: int,
    digest: str,
    filename: str,
    who: str,
    responses: list[tuple[int, str, bool, list[tuple[int, str | None, str | None]], str]],
    *,
    user_id: int | None = None,
    audit_detail: str = "",
) -> int | None:
    """Store typed-in paper responses, all or none; None if this file was imported before.

    Each response: (row in the file, locale, may_quote, [(question id, value, text)],
    fingerprint). The audit entry ("paper_imported") commits with the rows.
    It becomes a submitted participation with random ids and no session: nothing in the file
    leads to it from the public site. Its file and row are kept, so staff can find
    one paper form again (to delete it, if the person asks).
    """

    now = to_db_time(utcnow())
    cursor = await conn.execute(
        "INSERT INTO paper_batches (round_id, digest, filename, imported_at, imported_by)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (round_id, digest) DO NOTHING RETURNING id",
        (round_id, digest, filename, now, who),
    )
    batch = await cursor.fetchone()
    if batch is None:  # imported before
        return None
    batch_id = batch["id"]
    for row, locale, may_quote, answers, fingerprint in responses:
        cursor = await conn.execute(
            "INSERT INTO participations (round_id, public_id, start_key, ref, code_shown,"
            " locale, status, may_quote, created_at, updated_at, submitted_at, source,"
            " paper_batch_id, paper_row, paper_fingerprint)"
            " VALUES (?, ?, ?, ?, 1, ?, 'submitted', ?, ?, ?, ?, 'paper', ?, ?, ?)"
            " RETURNING id",
            (
                round_id,
                "paper-" + secrets.token_hex(18),
                "paper:" + secrets.token_hex(16),
                new_ref(),
                locale,
                int(may_quote),
                now,
                now,
                now,
                batch_id,
                row,
                fingerprint,
            ),
        )
        participation_id = (await cursor.fetchone())["id"]
        for question_id, value, text in answers:
            await conn.execute(
                "INSERT INTO answers (participation_id, question_id, value, text, locale,"
                " saved_at) VALUES (?, ?, ?, ?, ?, ?)",
                (participation_id, question_id, value, text, locale, now),
            )
    await audit.add_in(
        conn, who, "paper_imported", audit_detail, user_id=user_id, round_id=round_id
    )
    return len(responses)


class PaperBatch(msgspec.Struct, frozen=True):
    id: int
    filename: str
    imported_at: datetime
    responses: int  # still held (deleted ones are not counted)


class PaperResponse(msgspec.Struct, frozen=True):
    participation_id: int
    batch_id: int
    filename: str
    row: int
    locale: str
    answers: int


async def paper_batches(db: Database, round_id: int) -> list[PaperBatch]:
    rows = await db.fetch_all(
        "SELECT b.id, b.filename, b.imported_at, (SELECT COUNT(*) FROM participations p"
        "  WHERE p.paper_batch_id = b.id AND p.status = 'submitted') AS n"
        " FROM paper_batches b WHERE b.round_id = ? AND b.undone_at IS NULL ORDER BY b.id",
        (round_id,),
    )
    return [
        PaperBatch(r["id"], r["filename"], from_db_time(r["imported_at"]), r["n"]) for r in rows
    ]


async def paper_batch_digest_used(db: Database, round_id: int, digest: str) -> bool:
    row = await db.fetch_one(
        "SELECT 1 FROM paper_batches WHERE round_id = ? AND digest = ?", (round_id, digest)
    )
    return row is not None


async def paper_fingerprints_held(
    db: Database, round_id: int, fingerprints: list[str]
) -> dict[str, tuple[str, int]]:
    """Fingerprints already held by a paper response of the round: {fingerprint:
    (file name, row)} of the earliest such response."""
    found: dict[str, tuple[str, int]] = {}
    for start in range(0, len(fingerprints), 400):
        chunk = fingerprints[start : start + 400]
        marks = ",".join("?" * len(chunk))  # only "?" placeholders go into the SQL
        sql = (
            "SELECT p.paper_fingerprint AS fp, b.filename, p.paper_row"  # noqa: S608
            " FROM participations p JOIN paper_batches b ON b.id = p.paper_batch_id"
            " WHERE p.round_id = ? AND p.status = 'submitted' AND p.source = 'paper'"
            " AND p.paper_fingerprint IN (" + marks + ") ORDER BY p.id"
        )
        rows = await db.fetch_all(
            sql,
            (round_id, *chunk),
        )
        for r in rows:
            found.setdefault(r["fp"], (r["filename"], r["paper_row"]))
    return found


async def save_pending_paper(
    db: Database, round_id: int, user_id: int, filename: str, content: bytes
) -> str:
    """Keep a checked file until it is confirmed; older waiting files (a day) go."""
    token = secrets.token_urlsafe(18)

    async def work(conn: WriteConnection) -> None:
        now = utcnow()
        await drop_stale_pending_paper_in(conn, now)
        await conn.execute(
            "INSERT INTO paper_pending (round_id, token, user_id, filename, content, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (round_id, token, user_id, filename, content, to_db_time(now)),
        )

    await db.write(work)
    return token


#: How long a checked paper file waits to be confirmed (it holds the typed-in answers).
PENDING_PAPER_KEPT = timedelta(days=1)


async def drop_stale_pending_paper_in(conn: WriteConnection, now: datetime) -> None:
    await conn.execute(
        "DELETE FROM paper_pending WHERE created_at < ?",
        (to_db_time(now - PENDING_PAPER_KEPT),),
    )


async def drop_stale_pending_paper(db: Database) -> None:
    """Checked files older than a day go, whether or not anyone uploads another."""

    async def work(conn: WriteConnection) -> None:
        await drop_stale_pending_paper_in(conn, utcnow())

    await db.write(work)


async def pending_paper(
    db: Database, round_id: int, user_id: int, token: str
) -> tuple[str, bytes] | None:
    """A checked file still waiting (None: used, cancelled, or older than a day)."""
    row = await db.fetch_one(
        "SELECT filename, content FROM paper_pending WHERE round_id = ? AND user_id = ?"
        " AND token = ? AND created_at >= ?",
        (round_id, user_id, token, to_db_time(utcnow() - PENDING_PAPER_KEPT)),
    )
    return (row["filename"], bytes(row["content"])) if row else None


async def claim_pending_paper_in(
    conn: WriteConnection, round_id: int, user_id: int, token: str
) -> bool:
    """Inside a write: take the checked file off the waiting list; False if it is no
    longer there (confirmed by another request, cancelled, or too old). The delete is
    the check, so one confirmation imports it and a second one at once does not."""
    async with conn.execute(
        "DELETE FROM paper_pending WHERE round_id = ? AND user_id = ? AND token = ?"
        " AND created_at >= ? RETURNING token",
        (round_id, user_id, token, to_db_time(utcnow() - PENDING_PAPER_KEPT)),
    ) as cursor:
        return await cursor.fetchone() is not None


async def drop_pending_paper(db: Database, round_id: int, token: str) -> None:
    async def work(conn: WriteConnection) -> None:
        await conn.execute(
            "DELETE FROM paper_pending WHERE round_id = ? AND token = ?", (round_id, token)
        )

    await db.write(work)


async def paper_batch_participations(db: Database, round_id: int, batch_id: int) -> list[int]:
    rows = await db.fetch_all(
        "SELECT id FROM participations WHERE paper_batch_id = ? AND round_id = ?"
        " AND source = 'paper' AND status = 'submitted'",
        (batch_id, round_id),
    )
    return [r["id"] for r in rows]


async def paper_response(
    db: Database, round_id: int, batch_id: int, row: int
) -> PaperResponse | None:
    """A paper response still held: file (of this round) and row number as in the file."""
    found = await db.fetch_one(
        "SELECT p.id, p.locale, p.paper_row, b.id AS batch_id, b.filename,"
        " (SELECT COUNT(*) FROM answers a WHERE a.participation_id = p.id) AS n"
        " FROM participations p JOIN paper_batches b ON b.id = p.paper_batch_id"
        " WHERE b.id = ? AND b.round_id = ? AND p.paper_row = ? AND p.source = 'paper'"
        " AND p.status = 'submitted'",
        (batch_id, round_id, row),
    )
    if found is None:
        return None
    return PaperResponse(
        found["id"], found["batch_id"], found["filename"], found["paper_row"], found["locale"],
        found["n"],
    )


# Copying a round ----------------------------------------------------------


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


async def participation_ids(db: Database, round_id: int) -> list[int]:
    rows = await db.fetch_all("SELECT id FROM participations WHERE round_id = ?", (round_id,))
    return [r["id"] for r in rows]
