"""Organizer flows that used to lose or corrupt work (issue 13 part 4)."""

from __future__ import annotations

from tests.web.staff.conftest import signed_in
from tests.web.staff.test_build import ES, ROUND, add_section, create_round


async def _stored_title(client, round_id: int, locale: str) -> str | None:
    row = await client.app.state.db.fetch_one(
        "SELECT title FROM round_texts WHERE round_id = ? AND locale = ?", (round_id, locale)
    )
    return row["title"] if row else None


async def test_translate_without_js_keeps_every_parts_text(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    round_id = await create_round(staff)
    section = await add_section(staff, round_id, "Weekday hours")
    item = f"section-{section}"
    # The whole page is sent (one form); the round part is saved, the section is not.
    page = await staff.post(
        f"/staff/rounds/{round_id}/translate/es",
        {"item": "round", **ES, f"{item}_title": "Horario entre semana", f"{item}_body_md": ""},
    )
    assert page.status_code == 200
    assert 'value="Horario entre semana"' in page.text
    assert "Not saved yet: save this part to keep what you typed." in page.text
    assert await _stored_title(client, round_id, "es") == ES["round_title"]
    sections = await client.app.state.db.fetch_all(
        "SELECT locale FROM section_texts WHERE section_id = ?", (section,)
    )
    assert [r["locale"] for r in sections] == ["en"]
    # Nothing typed elsewhere: the usual redirect back to the part.
    again = await staff.post(f"/staff/rounds/{round_id}/translate/es", {"item": "round", **ES})
    assert again.status_code == 303 and again.headers["location"].endswith("#round")


async def test_translate_htmx_error_returns_only_that_part_with_its_words(
    client, accounts
) -> None:
    staff = await signed_in(client, "organizer")
    round_id = await create_round(staff)
    section = await add_section(staff, round_id, "Weekday hours")
    staff.htmx = True
    too_long = "x" * 300
    reply = await staff.post(
        f"/staff/rounds/{round_id}/translate/es",
        {"item": "round", **ES, "round_title": too_long},
    )
    assert reply.status_code == 200
    assert reply.text.lstrip().startswith('<section id="round"')
    assert f'id="section-{section}"' not in reply.text
    assert "There is a problem" in reply.text and too_long in reply.text
    assert await _stored_title(client, round_id, "es") is None


# Destructive one-click actions ask first -----------------------------------------------


async def _status(client, round_id: int) -> str:
    row = await client.app.state.db.fetch_one("SELECT status FROM rounds WHERE id = ?", (round_id,))
    return row["status"]


async def test_closing_and_publishing_ask_first_and_work_without_js(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    asked = await staff.post("/staff/rounds/1/status", {"status": "closed"})
    assert asked.status_code == 200
    assert "Close the round?" in asked.text and "Yes, close the round" in asked.text
    assert 'name="confirmed" value="yes"' in asked.text
    assert await _status(client, 1) == "open"
    done = await staff.post("/staff/rounds/1/status", {"status": "closed", "confirmed": "yes"})
    assert done.status_code == 303 and await _status(client, 1) == "closed"
    # Publishing is the board's, through its checklist: the round page neither asks to
    # mark the round published nor lets it be set.
    page = await staff.get("/staff/rounds/1/status/confirm?status=published")
    assert "Mark the round as published?" not in page.text
    assert "/staff/rounds/1/board/publish" in page.text
    refused = await staff.post(
        "/staff/rounds/1/status", {"status": "published", "confirmed": "yes"}
    )
    assert refused.status_code == 422 and await _status(client, 1) == "closed"


async def test_removing_a_section_or_question_asks_first(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    round_id = await create_round(staff)
    section = await add_section(staff, round_id, "Weekday hours")
    await staff.post(
        f"/staff/rounds/{round_id}/sections/{section}",
        {"action": "add_question", "kind": "open_text", "prompt": "What would you change?"},
    )
    db = client.app.state.db
    question = (await db.fetch_one("SELECT id FROM questions WHERE section_id = ?", (section,)))[
        "id"
    ]
    url = f"/staff/rounds/{round_id}/sections/{section}"
    asked = await staff.post(url, {"action": f"delete_q{question}"})
    assert asked.status_code == 200
    assert "Remove the question “What would you change?”?" in asked.text.replace("&#34;", '"')
    asked = await staff.post(url, {"action": "delete"})
    assert "Remove the section “Weekday hours”?" in asked.text
    assert "Yes, remove the section" in asked.text
    count = await db.fetch_one("SELECT COUNT(*) AS n FROM sections WHERE round_id = ?", (round_id,))
    assert count["n"] == 1
    done = await staff.post(url, {"action": "delete", "confirmed": "yes"})
    assert done.status_code == 303
    count = await db.fetch_one("SELECT COUNT(*) AS n FROM sections WHERE round_id = ?", (round_id,))
    assert count["n"] == 0


# Sharing: a PNG QR code beside the SVG; the poster's short address --------------------


async def test_the_qr_code_downloads_as_png_too(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    share = await staff.get("/staff/rounds/1/share")
    assert "Download the QR code (PNG)" in share.text and "/share/qr.png" in share.text
    png = await staff.get("/staff/rounds/1/share/qr.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert "attachment" in png.headers["content-disposition"]
    # Large enough to print: 16 pixels a module, at least 29 modules with the border.
    import struct

    width, height = struct.unpack(">II", png.content[16:24])
    assert width == height and width >= 29 * 16


async def test_the_poster_puts_every_language_on_one_page_with_the_short_address(
    client, accounts
) -> None:
    staff = await signed_in(client, "organizer")
    poster = await staff.get("/staff/rounds/1/poster?lang=en&lang=es&lang=fr&lang=ar")
    text = poster.text
    assert 'class="poster poster--4"' in text
    assert text.count('class="poster-panel"') == 3 and text.count("poster-code") == 1
    assert ">testserver.local/r/demo<" in text
    assert 'lang="ar" dir="rtl"' in text


# Correcting wording after opening --------------------------------------------------


async def test_a_typo_can_be_corrected_while_open_and_what_it_said_is_kept(
    client, accounts
) -> None:
    db = client.app.state.db
    staff = await signed_in(client, "organizer")
    section = await db.fetch_one(
        "SELECT s.id, t.title, t.body_md, t.content_note FROM sections s"
        " JOIN section_texts t ON t.section_id = s.id AND t.locale = 'en'"
        " WHERE s.round_id = 1 ORDER BY s.position LIMIT 1"
    )
    url = f"/staff/rounds/1/sections/{section['id']}"
    page = await staff.get(url)
    assert "Save the correction" in page.text and "what it said before is kept" in page.text
    round_page = await staff.get("/staff/rounds/1")
    assert "Correct the wording" in round_page.text
    questions_before = await db.fetch_all("SELECT id, kind FROM questions ORDER BY id")
    fixed = await staff.post(
        url,
        {
            "action": "save",
            "title": section["title"] + " (corrected)",
            "body_md": section["body_md"],
            "content_note": section["content_note"],
        },
    )
    assert fixed.status_code == 303
    now = await db.fetch_one(
        "SELECT title FROM section_texts WHERE section_id = ? AND locale = 'en'", (section["id"],)
    )
    assert now["title"] == section["title"] + " (corrected)"
    revision = await db.fetch_one("SELECT * FROM text_revisions")
    assert (revision["item"], revision["field"], revision["old_text"], revision["new_text"]) == (
        "section", "title", section["title"], section["title"] + " (corrected)"
    )
    assert revision["actor"] == "organizer@example.org"
    entry = await db.fetch_one(
        "SELECT detail FROM audit_log WHERE action = 'section_wording_corrected'"
    )
    assert entry["detail"].startswith("section 1: title; was: ")
    # The structure stays as it was: no question can be added.
    assert await db.fetch_all("SELECT id, kind FROM questions ORDER BY id") == questions_before
    added = await staff.post(url, {"action": "add_question", "kind": "open_text", "prompt": "New?"})
    assert added.status_code == 409
    # A blank title is refused with the reason, and nothing changes.
    blank = await staff.post(url, {"action": "save", "title": "", "body_md": "x"})
    assert blank.status_code == 422
    assert (await db.fetch_one("SELECT COUNT(*) AS n FROM text_revisions"))["n"] == 1


async def test_question_wording_can_be_corrected_but_not_once_published(client, accounts) -> None:
    db = client.app.state.db
    staff = await signed_in(client, "organizer")
    question = await db.fetch_one(
        "SELECT q.id, q.section_id, t.prompt, t.hint FROM questions q"
        " JOIN question_texts t ON t.question_id = q.id AND t.locale = 'en'"
        " WHERE q.kind = 'open_text' ORDER BY q.id LIMIT 1"
    )
    qid = question["id"]
    url = f"/staff/rounds/1/sections/{question['section_id']}"
    fixed = await staff.post(
        url, {"action": f"save_q{qid}", f"q{qid}_prompt": "What would you change?",
              f"q{qid}_hint": question["hint"]},
    )
    assert fixed.status_code == 303
    revision = await db.fetch_one("SELECT item, item_id, old_text FROM text_revisions")
    assert (revision["item"], revision["item_id"], revision["old_text"]) == (
        "question", qid, question["prompt"]
    )
    await staff.post("/staff/rounds/1/status", {"status": "closed", "confirmed": "yes"})
    # The board's publication (its checklist is tested with publishing) sets this state.
    await db.write(
        lambda conn: conn.execute("UPDATE rounds SET status = 'published' WHERE id = 1")
    )
    late = await staff.post(
        url, {"action": f"save_q{qid}", f"q{qid}_prompt": "Something else", f"q{qid}_hint": ""}
    )
    assert late.status_code == 409 and "This round is published" in late.text
    prompt = await db.fetch_one(
        "SELECT prompt FROM question_texts WHERE question_id = ? AND locale = 'en'", (qid,)
    )
    assert prompt["prompt"] == "What would you change?"


# The audit log: actions in words, filters ----------------------------------------------


async def test_the_audit_log_names_actions_in_words_and_filters(client, accounts) -> None:
    organizer = await signed_in(client, "organizer")
    round_id = await create_round(organizer)
    await add_section(organizer, round_id, "Weekday hours")
    admin = await signed_in(client, "admin")
    page = await admin.get("/staff/audit")
    assert '<td class="audit-what">Section added</td>' in page.text
    assert '<option value="section_added">Section added</option>' in page.text
    # By round: only that round's entries, its title in the Round column.
    only = await admin.get(f"/staff/audit?round={round_id}")
    assert only.text.count("<tr>") - 1 == 2  # round created, section added
    assert "Our new opening hours" in only.text and "Signed in" not in only.text.split("<tbody>")[1]
    # By person and by action.
    who = await admin.get("/staff/audit?who=organizer@example.org&action=sign_in")
    body = who.text.split("<tbody>")[1]
    assert body.count("<tr>") == 1 and "organizer@example.org" in body and "Signed in" in body
    assert 'selected>organizer@example.org<' in who.text
    none = await admin.get("/staff/audit?action=theme_split")
    assert "Nothing matches these filters." in none.text and "Show everything" in none.text
    # In the staff member's language.
    spanish = await admin.get("/staff/audit", headers={"accept-language": "es"})
    assert "Sección añadida" in spanish.text


# A time-zone picker -------------------------------------------------------------------


async def test_the_time_zone_is_chosen_from_a_grouped_list_in_the_staff_language(
    client, accounts
) -> None:
    staff = await signed_in(client, "organizer")
    page = await staff.get("/staff/rounds/new")
    assert '<select class="input" id="timezone" name="timezone"' in page.text
    assert '<optgroup label="Europe">' in page.text and '<optgroup label="Americas">' in page.text
    assert '<option value="Europe/London" selected>London – United Kingdom Time</option>' in (
        page.text
    )
    assert '<option value="America/Mexico_City">' in page.text
    arabic = await staff.get("/staff/rounds/new", headers={"accept-language": "ar"})
    assert "London – توقيت المملكة المتحدة" in arabic.text
    # A round's own zone is selected when its settings are edited.
    round_id = await create_round(staff)
    await staff.post(
        f"/staff/rounds/{round_id}/edit",
        {**ROUND, "timezone": "America/Mexico_City"},
    )
    edit = await staff.get(f"/staff/rounds/{round_id}/edit")
    assert '<option value="America/Mexico_City" selected>' in edit.text


# Duplicating a round -------------------------------------------------------------------


async def test_a_round_is_copied_as_a_new_draft_with_its_translations(client, accounts) -> None:
    db = client.app.state.db
    staff = await signed_in(client, "organizer")
    page = await staff.get("/staff/rounds/1")
    assert "Copy as a new draft" in page.text
    copied = await staff.post("/staff/rounds/1/duplicate")
    assert copied.status_code == 303
    new_id = int(copied.headers["location"].split("/")[3].split("?")[0])
    assert new_id != 1 and copied.headers["location"].endswith("done=copied")
    row = await db.fetch_one(
        "SELECT status, slug, closes_at, locales FROM rounds WHERE id = ?", (new_id,)
    )
    assert row["status"] == "draft" and row["slug"] != "demo" and row["closes_at"] is None
    assert row["locales"] == "en,es,fr,ar"  # every translation came along, complete
    titles = {
        r["locale"]: r["title"]
        for r in await db.fetch_all("SELECT locale, title FROM round_texts WHERE round_id = ?",
                                    (new_id,))
    }
    original = {
        r["locale"]: r["title"]
        for r in await db.fetch_all("SELECT locale, title FROM round_texts WHERE round_id = 1")
    }
    assert titles["en"] == original["en"] + " (copy)" and titles["es"] == original["es"]

    async def options(question_id: int) -> str:
        rows = await db.fetch_all(
            "SELECT ot.label FROM question_options o"
            " JOIN question_option_texts ot ON ot.option_id = o.id"
            " WHERE o.question_id = ? ORDER BY o.position, ot.locale",
            (question_id,),
        )
        return "|".join(r["label"] for r in rows)

    async def shape(round_id: int):
        return [
            (r["position"], r["kind"], r["prompt"], await options(r["id"]))
            for r in await db.fetch_all(
                "SELECT q.id, q.position, q.kind, qt.prompt"
                " FROM questions q JOIN sections s ON s.id = q.section_id"
                " JOIN question_texts qt ON qt.question_id = q.id"
                " WHERE s.round_id = ? ORDER BY s.position, q.position, qt.locale",
                (round_id,),
            )
        ]

    assert await shape(new_id) == await shape(1)
    answers = await db.fetch_one(
        "SELECT COUNT(*) AS n FROM participations WHERE round_id = ?", (new_id,)
    )
    assert answers["n"] == 0
    new_page = await staff.get(copied.headers["location"])
    assert new_page.status_code == 200 and "This is a copy" in new_page.text
    # Editing the copy leaves the original alone.
    section = await db.fetch_one(
        "SELECT id FROM sections WHERE round_id = ? ORDER BY position", (new_id,)
    )
    await staff.post(
        f"/staff/rounds/{new_id}/sections/{section['id']}", {"action": "delete", "confirmed": "yes"}
    )
    left = await db.fetch_one("SELECT COUNT(*) AS n FROM sections WHERE round_id = 1")
    assert left["n"] == len(await db.fetch_all("SELECT id FROM sections WHERE round_id = 1"))
    assert left["n"] > (
        await db.fetch_one("SELECT COUNT(*) AS n FROM sections WHERE round_id = ?", (new_id,))
    )["n"]
    entry = await db.fetch_one("SELECT detail FROM audit_log WHERE action = 'round_copied'")
    assert entry["detail"] == "copy of round 1"


# Deleting a closed round with its data ------------------------------------------------


async def test_a_closed_round_is_deleted_with_all_its_data_after_asking(client, accounts) -> None:
    from tests.web.staff.test_paper import HEADER, _rows, upload
    from tests.web.staff.test_watch import answer

    db = client.app.state.db
    await answer(client, "I would open on Saturdays")
    staff = await signed_in(client, "organizer")
    await upload(staff, HEADER + _rows(2))
    # Open: refused, nothing asked.
    open_refused = await staff.post("/staff/rounds/1/delete", {"confirmed": "yes"})
    assert open_refused.status_code == 409 and "Close the round before" in open_refused.text
    await staff.post("/staff/rounds/1/status", {"status": "closed", "confirmed": "yes"})
    page = await staff.get("/staff/rounds/1")
    assert "Delete this round and its answers" in page.text
    asked = await staff.post("/staff/rounds/1/delete")
    assert asked.status_code == 200 and "and everything in it?" in asked.text
    assert "Yes, delete the round" in asked.text
    assert (await db.fetch_one("SELECT COUNT(*) AS n FROM answers"))["n"] > 0
    done = await staff.post("/staff/rounds/1/delete", {"confirmed": "yes"})
    assert done.status_code == 303 and done.headers["location"] == "/staff/?done=round-deleted"
    for table in (
        "rounds", "participations", "answers", "sections", "questions", "answer_saves",
        "theme_members", "themes", "safeguarding_items", "paper_batches", "round_members",
    ):
        n = (await db.fetch_one(f"SELECT COUNT(*) AS n FROM {table}"))["n"]  # noqa: S608
        assert n == 0, table
    entry = await db.fetch_one(
        "SELECT actor, round_id, detail FROM audit_log WHERE action = 'round_deleted'"
    )
    assert entry["actor"] == "organizer@example.org" and entry["round_id"] == 1
    assert "answers deleted: " in entry["detail"]
    home = await staff.get("/staff/?done=round-deleted")
    assert "The round is deleted, with all its answers." in home.text
    gone = await staff.get("/staff/rounds/1")
    assert gone.status_code in (403, 404)


async def test_staff_dates_read_to_the_minute_without_seconds_or_offsets(client, accounts) -> None:
    import re

    from codesign.i18n import format_staff_moment

    admin = await signed_in(client, "admin")
    page = await admin.get("/staff/audit", headers={"accept-language": "en-GB"})
    cells = re.findall(r"<tr>\s*<td>([^<]+)</td>", page.text)
    assert cells and all(re.search(r"\d{4}, \d{1,2}:\d{2}", c) for c in cells), cells
    assert not any(re.search(r"\d:\d{2}:\d{2}|UTC|GMT", c) for c in cells), cells
    assert "When (UTC)" in page.text
    from datetime import UTC, datetime

    moment = datetime(2027, 2, 23, 8, 9, 30, tzinfo=UTC)
    assert format_staff_moment(moment, "en", "Europe/London", "GB") == "23 February 2027, 08:09"
    assert format_staff_moment(moment, "fr", "Europe/Paris") == "23 février 2027, 09:09"
    assert "GMT" not in format_staff_moment(moment, "ar", "Asia/Amman")
    round_page = await admin.get("/staff/rounds/1")
    closes = re.search(r"Closes ([^<]+)</p>", round_page.text).group(1).strip()
    assert not re.search(r":\d{2}:\d{2}|GMT|UTC", closes), closes


async def test_staff_choose_their_language_with_a_switch_that_is_remembered(
    client, accounts
) -> None:
    staff = await signed_in(client, "organizer")
    page = await staff.get("/staff/rounds/1")
    assert 'aria-label="Language of staff pages"' in page.text
    assert 'href="/staff/rounds/1?lang=fr" lang="fr" hreflang="fr">Français</a>' in page.text
    french = await staff.get("/staff/rounds/1?lang=fr")
    assert '<html lang="fr" dir="ltr">' in french.text
    cookie = french.headers["set-cookie"]
    assert "cs_staff_lang=fr" in cookie and "Path=/staff" in cookie
    # Remembered on the next staff page, whatever the browser asks for.
    later = await staff.get("/staff/audit", headers={"accept-language": "ar"})
    assert '<html lang="fr" dir="ltr">' in later.text or later.status_code == 403
    home = await staff.get("/staff/", headers={"accept-language": "ar"})
    assert '<html lang="fr" dir="ltr">' in home.text
    arabic = await staff.get("/staff/?lang=ar")
    assert '<html lang="ar" dir="rtl">' in arabic.text
    assert 'aria-current="true">العربية' in arabic.text
    # Participant pages don't follow the staff choice.
    public = await client.get("/r/demo", headers={"accept-language": "en"})
    assert '<html lang="en"' in public.text


async def test_the_round_page_shows_the_round_in_the_staff_language_where_translated(
    client, accounts
) -> None:
    db = client.app.state.db
    titles = {
        r["locale"]: r["title"]
        for r in await db.fetch_all("SELECT locale, title FROM round_texts WHERE round_id = 1")
    }
    staff = await signed_in(client, "organizer")
    spanish = await staff.get("/staff/rounds/1?lang=es")
    assert f'<h1 lang="es" dir="auto">{titles["es"]}</h1>' in spanish.text
    # A round not translated into Spanish stays in its main language.
    english_only = await create_round(staff)
    page = await staff.get(f"/staff/rounds/{english_only}")
    assert '<html lang="es"' in page.text and '<h1 lang="en" dir="auto">' in page.text
