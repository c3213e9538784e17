"""Choice questions in the organizer console: create, validate, edit, translate, lock, watch."""

from __future__ import annotations

import csv
import io
import json
import re

from tests.conftest import Journey
from tests.web.staff.conftest import signed_in
from tests.web.staff.test_build import ES, add_section, choose_lead, create_round


async def _options(client) -> list[tuple]:
    rows = await client.app.state.db.fetch_all(
        "SELECT o.question_id, o.position, t.locale, t.label FROM question_options o"
        " JOIN question_option_texts t ON t.option_id = o.id ORDER BY o.question_id, o.position,"
        " t.locale"
    )
    return [tuple(r) for r in rows]


async def _setup(client):
    staff = await signed_in(client, "organizer")
    round_id = await create_round(staff)
    section_id = await add_section(staff, round_id, "Reminders")
    return staff, round_id, section_id


async def _add(staff, round_id, section_id, kind, prompt, options):
    return await staff.post(
        f"/staff/rounds/{round_id}/sections/{section_id}",
        {"action": "add_question", "kind": kind, "prompt": prompt, "hint": "", "options": options},
    )


async def test_create_choice_questions_and_refuse_bad_lists(client, accounts) -> None:
    staff, round_id, section_id = await _setup(client)
    url = f"/staff/rounds/{round_id}/sections/{section_id}"
    page = await staff.get(url)
    assert "Single choice (one answer)" in page.text
    assert "Multiple choice (any number of answers)" in page.text
    assert 'name="options"' in page.text
    cases = {
        "Write from 2 to 20 choices, one on each line.": "Only one",
        "Each choice can be up to 200 characters.": "Fine\n" + "x" * 201,
        "Two choices have the same words.": "Phone\nphone",
    }
    for message, options in cases.items():
        bad = await _add(staff, round_id, section_id, "single_choice", "How?", options)
        assert bad.status_code == 422, message
        assert message in bad.text.replace("&#39;", "'"), message
        assert 'class="error-summary"' in bad.text
    too_many = "\n".join(f"Choice {i}" for i in range(21))
    bad = await _add(staff, round_id, section_id, "multiple_choice", "When?", too_many)
    assert bad.status_code == 422
    assert await _options(client) == []
    made = await client.app.state.db.fetch_one(
        "SELECT COUNT(*) AS n FROM questions WHERE section_id = ?", (section_id,)
    )
    assert made["n"] == 0

    ok = await _add(
        staff, round_id, section_id, "single_choice", "How?", "By phone\r\n\r\n By text \nIn person"
    )
    assert ok.status_code == 303
    ok = await _add(staff, round_id, section_id, "multiple_choice", "When?", "Mornings\nEvenings")
    assert ok.status_code == 303
    rows = await _options(client)
    assert [(r[1], r[3]) for r in rows] == [
        (1, "By phone"),
        (2, "By text"),
        (3, "In person"),
        (1, "Mornings"),
        (2, "Evenings"),
    ]
    page = await staff.get(url)
    assert "By phone\nBy text\nIn person</textarea>" in page.text
    # An agreement question ignores a choice list.
    await _add(staff, round_id, section_id, "agreement", "Agree?", "a\nb")
    assert len(await _options(client)) == 5


async def test_edit_translate_completeness_open_and_lock(client, accounts) -> None:
    staff, round_id, section_id = await _setup(client)
    url = f"/staff/rounds/{round_id}/sections/{section_id}"
    await _add(staff, round_id, section_id, "multiple_choice", "When?", "Mornings\nEvenings")
    qid = (await client.app.state.db.fetch_one("SELECT MAX(id) AS id FROM questions"))["id"]

    # Edit while a draft: reorder, add one, drop one.
    bad = await staff.post(
        url, {"action": f"save_q{qid}", f"q{qid}_prompt": "When?", f"q{qid}_options": "Just one"}
    )
    assert bad.status_code == 422
    saved = await staff.post(
        url,
        {
            "action": f"save_q{qid}",
            f"q{qid}_prompt": "When could you come?",
            f"q{qid}_hint": "",
            f"q{qid}_options": "Evenings\nWeekends\nMornings",
        },
    )
    assert saved.status_code == 303
    assert [r[3] for r in await _options(client)] == ["Evenings", "Weekends", "Mornings"]

    # The translation editor lists every choice and counts it.
    translate = await staff.get(f"/staff/rounds/{round_id}/translate/es")
    assert "Choice 1" in translate.text and "Choice 3" in translate.text
    total = int(re.search(r"0 of (\d+) texts translated", translate.text).group(1))
    # round (6) + contact (3) + section (2) + prompt (1) + 3 choices
    assert total == 15
    await staff.post(f"/staff/rounds/{round_id}/translate/es", {"item": "round", **ES})
    item = f"section-{section_id}"
    await staff.post(
        f"/staff/rounds/{round_id}/translate/es",
        {"item": item, f"{item}_title": "Recordatorios", f"{item}_body_md": "Texto."},
    )
    option_ids = re.findall(rf'name="question-{qid}_option-(\d+)"', translate.text)
    assert len(option_ids) == 3
    q_item = f"question-{qid}"
    partial = {
        "item": q_item,
        f"{q_item}_prompt": "¿Cuándo podría venir?",
        f"{q_item}_option-{option_ids[0]}": "Noches",
        f"{q_item}_option-{option_ids[1]}": "Fines de semana",
        f"{q_item}_option-{option_ids[2]}": "",
    }
    await staff.post(f"/staff/rounds/{round_id}/translate/es", partial)
    translate = await staff.get(f"/staff/rounds/{round_id}/translate/es")
    assert "14 of 15 texts translated" in translate.text
    assert "1.1 · Choice 3" in translate.text  # what is missing
    # Spanish is not offered while one choice is missing: opening is refused.
    refused = await staff.post(f"/staff/rounds/{round_id}/status", {"status": "open"})
    assert refused.status_code == 422 and "Español is not fully translated" in refused.text
    # Too long a translation is refused, nothing changes.
    long = await staff.post(
        f"/staff/rounds/{round_id}/translate/es",
        {**partial, f"{q_item}_option-{option_ids[2]}": "x" * 201},
    )
    assert long.status_code == 422
    assert "14 of 15" in (await staff.get(f"/staff/rounds/{round_id}/translate/es")).text
    done = await staff.post(
        f"/staff/rounds/{round_id}/translate/es",
        {**partial, f"{q_item}_option-{option_ids[2]}": "Mañanas"},
    )
    assert done.status_code == 303
    assert "15 of 15" in (await staff.get(f"/staff/rounds/{round_id}/translate/es")).text

    # The preview shows the choices in Spanish.
    preview = await staff.get(f"/staff/rounds/{round_id}/preview/es/s/1")
    assert "Fines de semana" in preview.text and 'type="checkbox"' in preview.text
    sent = await staff.post(
        f"/staff/rounds/{round_id}/preview/es/s/1",
        {f"q{qid}": [option_ids[0], option_ids[1]], "action": "next"},
    )
    assert sent.status_code == 303

    await choose_lead(client, round_id, "board@example.org")
    opened = await staff.post(f"/staff/rounds/{round_id}/status", {"status": "open"})
    assert opened.status_code == 303
    row = await client.app.state.db.fetch_one(
        "SELECT locales, slug FROM rounds WHERE id = ?", (round_id,)
    )
    assert row["locales"] == "en,es"

    # Locked once open: choices can't be added or removed (their wording and their
    # translations can be corrected).
    locked = await staff.post(
        url,
        {"action": f"save_q{qid}", f"q{qid}_prompt": "When?", f"q{qid}_options": "A\nB"},
    )
    assert locked.status_code == 422 and "the choices stay the same" in locked.text
    assert [r[3] for r in await _options(client) if r[2] == "en"] == [
        "Evenings",
        "Weekends",
        "Mornings",
    ]
    blank = await staff.post(
        f"/staff/rounds/{round_id}/translate/es",
        {**partial, f"{q_item}_option-{option_ids[2]}": ""},
    )
    assert blank.status_code == 422 and "Participants can choose this language now" in blank.text
    fixed = await staff.post(
        f"/staff/rounds/{round_id}/translate/es",
        {**partial, f"{q_item}_option-{option_ids[2]}": "Por la mañana"},
    )
    assert fixed.status_code == 303

    # Participants answer and send; the dashboard counts each choice; exports name them.
    for chosen in ([option_ids[0], option_ids[2]], [option_ids[2]], ["prefer_not"]):
        journey = Journey(client, slug=row["slug"])
        client.cookies.delete(f"cs_{round_id}")  # a new person on the same test client
        await journey.start()
        await journey.get("/s/1")
        response = await journey.post("/s/1", {f"q{qid}": chosen, "action": "next"})
        assert response.status_code == 303
        await journey.get("/review")
        sent = await journey.post("/review", {"may_quote": "no", "action": "submit"})
        assert sent.headers["location"].endswith("/thanks")
    page = await staff.get(f"/staff/rounds/{round_id}/dashboard")
    text = " ".join(page.text.split())
    assert "3 answers" in text
    assert '<th scope="row"><span dir="auto">Mornings</span></th>' in text
    assert "2 (67%)" in text  # Mornings: 2 of 3 people
    assert "1 (33%)" in text  # Evenings, and prefer not to say
    assert "What people chose: When could you come?" in text
    export = await staff.get(f"/staff/rounds/{round_id}/export.csv")
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert sorted(r["choice"] for r in rows) == ["Evenings; Mornings", "Mornings", "prefer_not"]
    assert all(r["agreement"] == "" for r in rows)
    document = json.loads((await staff.get(f"/staff/rounds/{round_id}/export.json")).text)
    assert sorted(a["choice_ids"] for a in document["answers"]) == sorted(
        [",".join(sorted([option_ids[0], option_ids[2]], key=int)), option_ids[2], "prefer_not"]
    )
