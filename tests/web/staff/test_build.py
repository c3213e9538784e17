"""Building a round: settings, sections, questions, translations, preview, lifecycle."""

from __future__ import annotations

import re

from tests.conftest import Journey
from tests.web.staff.conftest import signed_in

ROUND = {
    "title": "Our new opening hours",
    "organisation": "Riverside",
    "purpose": "We want to change when we are open.",
    "readers": "The review board.",
    "next_steps": "We will publish what changed.",
    "data_use": "We keep answers for a year.",
    "default_locale": "en",
    "offer_es": "yes",
    "timezone": "Europe/London",
    "opens_at": "",
    "closes_at": "2099-06-30T17:00",
    "response_due": "2099-08-01",
    "minutes_estimate": "5",
    "retention_days": "365",
    "contact0_name": "Support line",
    "contact0_phone": "0800 000 000",
    "contact0_hours": "Weekdays 9 to 5",
    "contact0_url": "",
    "contact0_description": "Talk to someone.",
}
ES = {
    "round_title": "Nuestro nuevo horario",
    "round_organisation": "Riverside",
    "round_purpose": "Queremos cambiar cuándo abrimos.",
    "round_readers": "La junta de revisión.",
    "round_next_steps": "Publicaremos lo que cambió.",
    "round_data_use": "Guardamos las respuestas un año.",
    "contact-0_name": "Línea de apoyo",
    "contact-0_hours": "Entre semana de 9 a 5",
    "contact-0_description": "Hable con alguien.",
}


async def _count(client, table: str) -> int:
    row = await client.app.state.db.fetch_one(f"SELECT COUNT(*) AS n FROM {table}")
    return row["n"]


async def create_round(staff) -> int:
    await staff.get("/staff/rounds/new")
    response = await staff.post("/staff/rounds/new", ROUND)
    assert response.status_code == 303, response.text[:2000]
    match = re.fullmatch(r"/staff/rounds/(\d+)\?done=created", response.headers["location"])
    return int(match.group(1))


async def choose_lead(client, round_id: int, email: str) -> None:
    """An admin's board setting; a round can't open without a safeguarding lead."""
    from codesign.store import users as user_store
    from codesign.store.board import settings as settings_store

    user = (await user_store.by_email(client.app.state.db, email))[0]
    await user_store.add_member(client.app.state.db, round_id, user.id)
    await settings_store.save_settings(
        client.app.state.db,
        round_id,
        anonymity_threshold=5,
        quotes_allowed=True,
        safeguarding_user_id=user.id,
    )


async def add_section(staff, round_id: int, title: str, note: str = "") -> int:
    response = await staff.post(
        f"/staff/rounds/{round_id}/sections/new",
        {"title": title, "body_md": f"The text of **{title}**.", "content_note": note},
    )
    assert response.status_code == 303, response.text[:2000]
    return int(re.search(r"/sections/(\d+)", response.headers["location"]).group(1))


async def add_question(staff, round_id: int, section_id: int, kind: str, prompt: str) -> None:
    response = await staff.post(
        f"/staff/rounds/{round_id}/sections/{section_id}",
        {"action": "add_question", "kind": kind, "prompt": prompt, "hint": ""},
    )
    assert response.status_code == 303, response.text[:2000]


async def test_bad_dates_are_explained_and_nothing_is_created(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    await staff.get("/staff/rounds/new")
    before = await _count(client, "rounds")
    cases = {
        "The closing date must be after the opening date.": {
            "opens_at": "2099-07-01T09:00",
            "closes_at": "2099-06-30T17:00",
        },
        "The closing date is in the past.": {"closes_at": "2001-01-01T10:00"},
        "Enter the date and time like": {"closes_at": "next tuesday"},
        "Enter a time zone like Europe/London.": {"timezone": "Mars/Olympus"},
        "Enter a title.": {"title": "   "},
        "on or after the closing date": {"response_due": "2099-01-01"},
    }
    for message, change in cases.items():
        response = await staff.post("/staff/rounds/new", {**ROUND, **change})
        assert response.status_code == 422, message
        assert message in response.text.replace("&#39;", "'"), message
        assert "<title>Error:" in response.text
        assert 'class="error-summary"' in response.text
    # What they typed comes back.
    assert 'value="Our new opening hours"' in response.text
    assert await _count(client, "rounds") == before


async def test_htmx_create_errors_return_the_form_block(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    await staff.get("/staff/rounds/new")
    staff.htmx = True
    response = await staff.post("/staff/rounds/new", {**ROUND, "closes_at": ""})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<form id="round-form"')
    ok = await staff.post("/staff/rounds/new", ROUND)
    assert ok.status_code == 200 and ok.headers["hx-redirect"].startswith("/staff/rounds/")


async def test_build_translate_preview_open_and_lock(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    round_id = await create_round(staff)
    page = await staff.get(f"/staff/rounds/{round_id}")
    assert "Draft" in page.text and "0 of 9 texts translated" in page.text

    first = await add_section(staff, round_id, "Weekday hours")
    second = await add_section(staff, round_id, "Weekend hours", note="Talks about closures.")
    await add_question(staff, round_id, first, "agreement", "How much do you agree?")
    await add_question(staff, round_id, first, "open_text", "What would you change?")
    await add_question(staff, round_id, second, "agreement", "Do you agree with weekends?")

    # Reorder: the second section moves up.
    moved = await staff.post(f"/staff/rounds/{round_id}/sections/{second}", {"action": "up"})
    assert moved.status_code == 303
    page = await staff.get(f"/staff/rounds/{round_id}")
    assert page.text.index("Weekend hours") < page.text.index("Weekday hours")

    # Opening with Spanish half done is refused, saying what is missing.
    refused = await staff.post(f"/staff/rounds/{round_id}/status", {"status": "open"})
    assert refused.status_code == 422
    assert "Español is not fully translated" in refused.text
    assert "Choose a safeguarding lead in the board settings first" in refused.text
    row = await client.app.state.db.fetch_one(
        "SELECT status, locales FROM rounds WHERE id = ?", (round_id,)
    )
    assert (row["status"], row["locales"]) == ("draft", "en")

    # Translate into Spanish block by block; the indicator counts up.
    translate = await staff.get(f"/staff/rounds/{round_id}/translate/es")
    assert "0 of 17 texts translated" in translate.text
    saved = await staff.post(f"/staff/rounds/{round_id}/translate/es", {"item": "round", **ES})
    assert saved.status_code == 303
    for section_id, title in ((first, "Horario entre semana"), (second, "Fin de semana")):
        note = "Habla de cierres." if section_id == second else ""
        item = f"section-{section_id}"
        await staff.post(
            f"/staff/rounds/{round_id}/translate/es",
            {
                "item": item,
                f"{item}_title": title,
                f"{item}_body_md": "Texto.",
                f"{item}_content_note": note,
            },
        )
    translate = await staff.get(f"/staff/rounds/{round_id}/translate/es")
    assert "14 of 17 texts translated" in translate.text
    question_ids = re.findall(r'name="item" value="question-(\d+)"', translate.text)
    assert len(question_ids) == 3

    # Preview a section in Spanish while one question is still in English: nothing stored.
    answers_before = await _count(client, "answers")
    preview = await staff.get(f"/staff/rounds/{round_id}/preview/es/s/2")
    assert preview.status_code == 200
    assert (
        '<html lang="es" dir="rtl">' not in preview.text and "Horario entre semana" in preview.text
    )
    assert "How much do you agree?" in preview.text  # falls back, and says so
    assert "preview-banner" in preview.text
    q_field = re.search(r'name="(q\d+)"', preview.text).group(1)
    sent = await staff.post(
        f"/staff/rounds/{round_id}/preview/es/s/2", {q_field: "4", "action": "next"}
    )
    assert sent.headers["location"] == f"/staff/rounds/{round_id}/preview/es/review"
    note = await staff.get(f"/staff/rounds/{round_id}/preview/es/s/1")
    assert "Habla de cierres." in note.text
    assert await _count(client, "answers") == answers_before
    assert await _count(client, "participations") == 0

    for qid in question_ids:
        item = f"question-{qid}"
        await staff.post(
            f"/staff/rounds/{round_id}/translate/es", {"item": item, f"{item}_prompt": "¿Pregunta?"}
        )
    translate = await staff.get(f"/staff/rounds/{round_id}/translate/es")
    assert "17 of 17 texts translated" in translate.text

    await choose_lead(client, round_id, "board@example.org")
    opened = await staff.post(f"/staff/rounds/{round_id}/status", {"status": "open"})
    assert opened.status_code == 303 and opened.headers["location"].endswith("done=opened")
    row = await client.app.state.db.fetch_one(
        "SELECT status, locales, slug FROM rounds WHERE id = ?", (round_id,)
    )
    assert (row["status"], row["locales"]) == ("open", "en,es")

    # A participant answers in Spanish.
    journey = Journey(client, slug=row["slug"])
    start = await journey.get("?lang=es")
    assert start.status_code == 200 and "Nuestro nuevo horario" in start.text
    await journey.start()
    q = await journey.questions(2)
    await journey.post("/s/2", {q[0]: "5", q[1]: "Abrir los sábados", "action": "next"})

    # Now the structure is fixed, and the round can't go back to draft.
    locked = await staff.post(f"/staff/rounds/{round_id}/sections/{first}", {"action": "delete"})
    assert locked.status_code == 409
    assert "no longer a draft" in locked.text
    assert await _count(client, "sections") >= 2
    back = await staff.post(f"/staff/rounds/{round_id}/status", {"status": "draft"})
    assert back.status_code == 422 and "already answered" in back.text
    # An offered language must stay complete while open...
    blank = await staff.post(
        f"/staff/rounds/{round_id}/translate/es", {"item": "round", **ES, "round_title": ""}
    )
    assert blank.status_code == 422 and "Participants can choose this language now" in blank.text
    # ...but wording fixes in a translation are fine.
    fixed = await staff.post(
        f"/staff/rounds/{round_id}/translate/es",
        {"item": "round", **ES, "round_title": "Nuestro horario nuevo"},
    )
    assert fixed.status_code == 303
    staff.htmx = True
    fixed_htmx = await staff.post(f"/staff/rounds/{round_id}/translate/es", {"item": "round", **ES})
    # htmx: only the saved part comes back (and the progress line), never the other parts.
    assert fixed_htmx.status_code == 200
    assert fixed_htmx.text.lstrip().startswith('<section id="round"')
    assert 'id="section-' not in fixed_htmx.text and "Saved." in fixed_htmx.text
    assert 'id="translation-progress"' in fixed_htmx.text and "hx-swap-oob" in fixed_htmx.text
    staff.htmx = False

    closed = await staff.post(
        f"/staff/rounds/{round_id}/status", {"status": "closed", "confirmed": "yes"}
    )
    assert closed.status_code == 303
    # Published is the board's publication, with its checklist: not a status to set here.
    published = await staff.post(f"/staff/rounds/{round_id}/status", {"status": "published"})
    assert published.status_code == 422
    page = await staff.get(f"/staff/rounds/{round_id}")
    assert "Mark as published" not in page.text
    assert f"/staff/rounds/{round_id}/board/publish" in page.text


async def test_changes_are_audited(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    round_id = await create_round(staff)
    await add_section(staff, round_id, "Hours\n2026-01-01 forged line")
    rows = await client.app.state.db.fetch_all(
        "SELECT action, detail FROM audit_log WHERE round_id = ? ORDER BY id", (round_id,)
    )
    assert [r["action"] for r in rows] == ["round_created", "section_added"]
    assert "\n" not in rows[1]["detail"]


async def test_settings_edit_keeps_values_and_validates(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    round_id = await create_round(staff)
    page = await staff.get(f"/staff/rounds/{round_id}/edit")
    assert 'value="2099-06-30T17:00"' in page.text
    assert 'id="offer_es" name="offer_es" value="yes" checked' in page.text
    bad = await staff.post(
        f"/staff/rounds/{round_id}/edit", {**ROUND, "contact0_url": "javascript:alert(1)"}
    )
    assert bad.status_code == 422 and "starts with https://" in bad.text
    ok = await staff.post(f"/staff/rounds/{round_id}/edit", {**ROUND, "title": "New title"})
    assert ok.status_code == 303
    assert "New title" in (await staff.get(f"/staff/rounds/{round_id}")).text


async def test_markdown_and_text_are_escaped_in_the_console(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    round_id = await create_round(staff)
    response = await staff.post(
        f"/staff/rounds/{round_id}/sections/new",
        {"title": "<script>alert(1)</script>", "body_md": "<img src=x onerror=alert(1)>"},
    )
    section_id = int(re.search(r"/sections/(\d+)", response.headers["location"]).group(1))
    for path in (
        f"/staff/rounds/{round_id}",
        f"/staff/rounds/{round_id}/sections/{section_id}",
        f"/staff/rounds/{round_id}/preview/en/s/1",
    ):
        page = await staff.get(path)
        assert "<script>alert(1)" not in page.text and "<img src=x" not in page.text, path
