"""Rounds and their per-locale content."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from codesign.models import (
    NewRound,
    Option,
    Question,
    QuestionText,
    Round,
    RoundText,
    Section,
    SectionText,
    SupportContact,
)
from codesign.store.db import Database, WriteConnection, from_db_time, to_db_time, utcnow


async def create_round(db: Database, new: NewRound) -> int:
    async def work(conn: WriteConnection) -> int:
        cursor = await conn.execute(
            "INSERT INTO rounds (slug, status, default_locale, locales, timezone, opens_at,"
            " closes_at, response_due, minutes_estimate, created_at, region)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                new.slug,
                new.status,
                new.default_locale,
                ",".join(new.locales),
                new.timezone,
                to_db_time(new.opens_at),
                to_db_time(new.closes_at),
                new.response_due.isoformat() if new.response_due else None,
                new.minutes_estimate,
                to_db_time(utcnow()),
                new.region,
            ),
        )
        round_id = (await cursor.fetchone())["id"]
        for text in new.texts.values():
            await conn.execute(
                "INSERT INTO round_texts (round_id, locale, title, organisation, purpose,"
                " readers, next_steps, data_use) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    round_id,
                    text.locale,
                    text.title,
                    text.organisation,
                    text.purpose,
                    text.readers,
                    text.next_steps,
                    text.data_use,
                ),
            )
        for locale, contacts in new.contacts.items():
            for position, contact in enumerate(contacts):
                await conn.execute(
                    "INSERT INTO support_contacts (round_id, locale, position, name, phone,"
                    " hours, url, description, languages) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        round_id,
                        locale,
                        position,
                        contact.name,
                        contact.phone,
                        contact.hours,
                        contact.url,
                        contact.description,
                        contact.languages,
                    ),
                )
        for position, section in enumerate(new.sections, start=1):
            cursor = await conn.execute(
                "INSERT INTO sections (round_id, position) VALUES (?, ?) RETURNING id",
                (round_id, position),
            )
            section_id = (await cursor.fetchone())["id"]
            for text in section.texts.values():
                await conn.execute(
                    "INSERT INTO section_texts (section_id, locale, title, body_md, content_note)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (section_id, text.locale, text.title, text.body_md, text.content_note),
                )
            for q_position, question in enumerate(section.questions, start=1):
                cursor = await conn.execute(
                    "INSERT INTO questions (section_id, position, kind) VALUES (?, ?, ?)"
                    " RETURNING id",
                    (section_id, q_position, question.kind),
                )
                question_id = (await cursor.fetchone())["id"]
                for qtext in question.texts.values():
                    await conn.execute(
                        "INSERT INTO question_texts (question_id, locale, prompt, hint)"
                        " VALUES (?, ?, ?, ?)",
                        (question_id, qtext.locale, qtext.prompt, qtext.hint),
                    )
                for o_position, labels in enumerate(question.options, start=1):
                    cursor = await conn.execute(
                        "INSERT INTO question_options (question_id, position) VALUES (?, ?)"
                        " RETURNING id",
                        (question_id, o_position),
                    )
                    option_id = (await cursor.fetchone())["id"]
                    for locale, label in labels.items():
                        await conn.execute(
                            "INSERT INTO question_option_texts (option_id, locale, label)"
                            " VALUES (?, ?, ?)",
                            (option_id, locale, label),
                        )
        return int(round_id)

    return await db.write(work)


#: Keeps `closed_at` with the status: set when a round closes, cleared if it opens again.
#: Parameters: the new status, now, the new status.
CLOSED_AT = (
    "closed_at = CASE WHEN ? = 'closed' THEN COALESCE(closed_at, ?)"
    " WHEN ? = 'open' THEN NULL ELSE closed_at END"
)


async def round_exists(db: Database, slug: str) -> bool:
    return await db.fetch_one("SELECT 1 FROM rounds WHERE slug = ?", (slug,)) is not None


async def set_status(db: Database, slug: str, status: str) -> None:
    async def work(conn: WriteConnection) -> None:
        await conn.execute(
            f"UPDATE rounds SET status = ?, {CLOSED_AT} WHERE slug = ?",  # noqa: S608
            (status, status, to_db_time(utcnow()), status, slug),
        )

    await db.write(work)


async def load_round(db: Database, slug: str) -> Round | None:
    """A round with all its content in every locale, or None."""
    row = await db.fetch_one("SELECT * FROM rounds WHERE slug = ?", (slug,))
    if row is None:
        return None
    round_id = row["id"]
    texts = {
        r["locale"]: RoundText(
            r["locale"],
            r["title"],
            r["organisation"],
            r["purpose"],
            r["readers"],
            r["next_steps"],
            r["data_use"],
        )
        for r in await db.fetch_all("SELECT * FROM round_texts WHERE round_id = ?", (round_id,))
    }
    contacts: dict[str, list[SupportContact]] = {}
    for r in await db.fetch_all(
        "SELECT * FROM support_contacts WHERE round_id = ? ORDER BY locale, position", (round_id,)
    ):
        contacts.setdefault(r["locale"], []).append(
            SupportContact(
                r["name"], r["phone"], r["hours"], r["url"], r["description"], r["languages"]
            )
        )
    section_texts: dict[int, dict[str, SectionText]] = {}
    for r in await db.fetch_all(
        "SELECT st.* FROM section_texts st JOIN sections s ON s.id = st.section_id"
        " WHERE s.round_id = ?",
        (round_id,),
    ):
        section_texts.setdefault(r["section_id"], {})[r["locale"]] = SectionText(
            r["locale"], r["title"], r["body_md"], r["content_note"]
        )
    question_texts: dict[int, dict[str, QuestionText]] = {}
    for r in await db.fetch_all(
        "SELECT qt.* FROM question_texts qt JOIN questions q ON q.id = qt.question_id"
        " JOIN sections s ON s.id = q.section_id WHERE s.round_id = ?",
        (round_id,),
    ):
        question_texts.setdefault(r["question_id"], {})[r["locale"]] = QuestionText(
            r["locale"], r["prompt"], r["hint"]
        )
    option_labels: dict[int, dict[str, str]] = {}
    for r in await db.fetch_all(
        "SELECT ot.option_id, ot.locale, ot.label FROM question_option_texts ot"
        " JOIN question_options o ON o.id = ot.option_id"
        " JOIN questions q ON q.id = o.question_id"
        " JOIN sections s ON s.id = q.section_id WHERE s.round_id = ?",
        (round_id,),
    ):
        option_labels.setdefault(r["option_id"], {})[r["locale"]] = r["label"]
    options: dict[int, list[Option]] = {}
    for r in await db.fetch_all(
        "SELECT o.* FROM question_options o JOIN questions q ON q.id = o.question_id"
        " JOIN sections s ON s.id = q.section_id WHERE s.round_id = ?"
        " ORDER BY o.question_id, o.position",
        (round_id,),
    ):
        options.setdefault(r["question_id"], []).append(
            Option(r["id"], r["position"], option_labels.get(r["id"], {}))
        )
    questions: dict[int, list[Question]] = {}
    for r in await db.fetch_all(
        "SELECT q.* FROM questions q JOIN sections s ON s.id = q.section_id"
        " WHERE s.round_id = ? ORDER BY q.section_id, q.position",
        (round_id,),
    ):
        questions.setdefault(r["section_id"], []).append(
            Question(
                r["id"],
                r["section_id"],
                r["position"],
                r["kind"],
                question_texts.get(r["id"], {}),
                options.get(r["id"], []),
            )
        )
    sections = [
        Section(r["id"], r["position"], section_texts.get(r["id"], {}), questions.get(r["id"], []))
        for r in await db.fetch_all(
            "SELECT * FROM sections WHERE round_id = ? ORDER BY position", (round_id,)
        )
    ]
    return Round(
        id=round_id,
        slug=row["slug"],
        status=row["status"],
        default_locale=row["default_locale"],
        locales=[loc for loc in row["locales"].split(",") if loc],
        timezone=row["timezone"],
        opens_at=from_db_time(row["opens_at"]),
        closes_at=from_db_time(row["closes_at"]),
        response_due=date.fromisoformat(row["response_due"]) if row["response_due"] else None,
        minutes_estimate=row["minutes_estimate"],
        texts=texts,
        contacts=contacts,
        sections=sections,
        region=row["region"],
        draft_days=row["draft_days"],
        closed_at=from_db_time(row["closed_at"]),
    )


class RoundState(msgspec.Struct, frozen=True):
    status: str
    opens_at: datetime | None
    closes_at: datetime | None


async def round_state(db: Database, slug: str) -> RoundState | None:
    """Just what decides whether a round is open: one cheap query, always fresh."""
    row = await db.fetch_one(
        "SELECT status, opens_at, closes_at FROM rounds WHERE slug = ?", (slug,)
    )
    if row is None:
        return None
    return RoundState(row["status"], from_db_time(row["opens_at"]), from_db_time(row["closes_at"]))


def visible_round_quick(db: Database, slug: str) -> Round | None:
    """A round people can see (not a draft) with its support contacts only, read right
    here on the calling thread (for error pages, which can't await). No texts or
    sections: an error page needs the contacts and the round's links, nothing else."""
    row = db.quick_one(
        "SELECT id, slug, status, default_locale, locales, timezone, region FROM rounds"
        " WHERE slug = ? AND status != 'draft'",
        (slug,),
    )
    if row is None:
        return None
    contacts: dict[str, list[SupportContact]] = {}
    for r in db.quick_all(
        "SELECT * FROM support_contacts WHERE round_id = ? ORDER BY locale, position",
        (row["id"],),
    ):
        contacts.setdefault(r["locale"], []).append(
            SupportContact(
                r["name"], r["phone"], r["hours"], r["url"], r["description"], r["languages"]
            )
        )
    return Round(
        id=row["id"],
        slug=row["slug"],
        status=row["status"],
        default_locale=row["default_locale"],
        locales=[loc for loc in row["locales"].split(",") if loc],
        timezone=row["timezone"],
        opens_at=None,
        closes_at=None,
        response_due=None,
        minutes_estimate=0,
        texts={},
        contacts=contacts,
        sections=[],
        region=row["region"],
    )


async def title_and_locale(db: Database, round_id: int) -> tuple[str, str]:
    """A round's title in its main language, and that language (for notices)."""
    row = await db.fetch_one(
        "SELECT r.default_locale, COALESCE(t.title, r.slug) AS title FROM rounds r"
        " LEFT JOIN round_texts t ON t.round_id = r.id AND t.locale = r.default_locale"
        " WHERE r.id = ?",
        (round_id,),
    )
    return (row["title"], row["default_locale"]) if row else ("", "en")
