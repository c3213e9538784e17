"""Single- and multiple-choice questions: the participant's side, with and without htmx."""

from __future__ import annotations

import re

import msgspec
import pytest

from codesign.demo.round import build_demo_round
from codesign.models import NewQuestion, NewSection, QuestionText
from codesign.store import rounds as round_store
from tests.conftest import CODE, Journey

SLUG = "choices"
SINGLE = {
    "en": ["By phone", "By text message", "In person"],
    "es": ["Por teléfono", "Por mensaje de texto", "En persona"],
}
MULTIPLE = {
    "en": ["Mornings", "Afternoons", "Evenings", "Weekends"],
    "es": ["Mañanas", "Tardes", "Noches", "Fines de semana"],
}


def _labels(table: dict[str, list[str]]) -> list[dict[str, str]]:
    return [{loc: table[loc][i] for loc in table} for i in range(len(table["en"]))]


@pytest.fixture
async def choice_round(client):
    demo = build_demo_round()
    locales = ["en", "es"]
    first = demo.sections[0]
    section = NewSection(
        texts={loc: first.texts[loc] for loc in locales},
        questions=[
            NewQuestion(
                "single_choice",
                {
                    "en": QuestionText("en", "How should we remind you?", ""),
                    "es": QuestionText("es", "¿Cómo le recordamos?", ""),
                },
                _labels(SINGLE),
            ),
            NewQuestion(
                "multiple_choice",
                {
                    "en": QuestionText("en", "When could you come?", ""),
                    "es": QuestionText("es", "¿Cuándo podría venir?", ""),
                },
                _labels(MULTIPLE),
            ),
            NewQuestion(
                "open_text",
                {
                    "en": QuestionText("en", "Anything else?", ""),
                    "es": QuestionText("es", "¿Algo más?", ""),
                },
            ),
        ],
    )
    new = msgspec.structs.replace(
        demo,
        slug=SLUG,
        locales=locales,
        texts={loc: demo.texts[loc] for loc in locales},
        contacts={loc: demo.contacts[loc] for loc in locales},
        sections=[section],
    )
    await round_store.create_round(client.app.state.db, new)
    loaded = await round_store.load_round(client.app.state.db, SLUG)
    single, multiple, text = loaded.sections[0].questions
    return {
        "single": f"q{single.id}",
        "multiple": f"q{multiple.id}",
        "text": f"q{text.id}",
        "single_ids": [str(o.id) for o in single.options],
        "multiple_ids": [str(o.id) for o in multiple.options],
    }


async def _answers(client) -> dict[int, tuple]:
    rows = await client.app.state.db.fetch_all("SELECT question_id, value, text FROM answers")
    return {r["question_id"]: (r["value"], r["text"]) for r in rows}


async def test_choices_are_fieldsets_with_prefer_not_to_say(client, choice_round) -> None:
    journey = Journey(client, slug=SLUG)
    await journey.start()
    page = await journey.get("/s/1")
    assert page.status_code == 200
    single, multiple = choice_round["single"], choice_round["multiple"]
    text = page.text
    assert f'<fieldset id="{single}"' in text and f'<fieldset id="{multiple}"' in text
    assert '<legend class="label">How should we remind you?</legend>' in text
    assert len(re.findall(rf'type="radio" id="{single}-', text)) == 4  # 3 choices + prefer not
    assert len(re.findall(rf'type="checkbox" id="{multiple}-', text)) == 5
    assert "Select all that apply." in text
    assert text.count("Prefer not to say") >= 2
    assert 'value="prefer_not"' in text
    for label in SINGLE["en"] + MULTIPLE["en"]:
        assert label in text
    # In Spanish, the choices are in Spanish.
    spanish = await journey.get("/s/1?lang=es")
    assert "Por mensaje de texto" in spanish.text and "Fines de semana" in spanish.text


async def test_journey_without_javascript(client, choice_round) -> None:
    journey = Journey(client, slug=SLUG)
    await journey.start()
    c = choice_round
    saved = await journey.post(
        "/s/1",
        {
            c["single"]: c["single_ids"][1],
            # A repeated field: the checkboxes of a multiple choice.
            c["multiple"]: [c["multiple_ids"][3], c["multiple_ids"][0]],
            "action": "next",
        },
    )
    assert saved.status_code == 303, saved.text[:500]
    answers = await _answers(client)
    single_id, multiple_id = int(c["single"][1:]), int(c["multiple"][1:])
    assert answers[single_id] == (c["single_ids"][1], None)
    # Stored as the option ids, sorted as numbers, joined by commas.
    expected = ",".join(sorted([c["multiple_ids"][3], c["multiple_ids"][0]], key=int))
    assert answers[multiple_id] == (expected, None)
    # The page shows what was chosen.
    page = await journey.get("/s/1")
    assert re.search(rf'value="{c["single_ids"][1]}" checked', page.text)
    assert re.search(rf'value="{c["multiple_ids"][0]}" checked', page.text)
    assert re.search(rf'value="{c["multiple_ids"][3]}" checked', page.text)
    assert not re.search(rf'value="{c["multiple_ids"][1]}" checked', page.text)
    # The review page names the choices, in the participant's language.
    review = await journey.get("/review")
    assert "By text message" in review.text
    assert "Mornings" in review.text and "Weekends" in review.text
    assert "Afternoons" not in review.text
    review_es = await journey.get("/review?lang=es")
    assert "Por mensaje de texto" in review_es.text and "Fines de semana" in review_es.text
    # Unticking every box removes the answer.
    await journey.post("/s/1", {c["single"]: c["single_ids"][1], "action": "next"})
    assert multiple_id not in await _answers(client)


async def test_htmx_autosave_with_checkboxes(client, choice_round) -> None:
    journey = Journey(client, slug=SLUG)
    await journey.start()
    await journey.get("/s/1")
    journey.htmx = True
    c = choice_round
    response = await journey.post(
        "/s/1", {c["multiple"]: [c["multiple_ids"][2], c["multiple_ids"][1]]}
    )
    assert response.status_code == 200
    assert "Saved at" in response.text and "<html" not in response.text
    answers = await _answers(client)
    expected = ",".join(sorted([c["multiple_ids"][2], c["multiple_ids"][1]], key=int))
    assert answers[int(c["multiple"][1:])] == (expected, None)
    # Prefer not to say together with a choice: a calm message, nothing changes for it.
    mixed = await journey.post("/s/1", {c["multiple"]: ["prefer_not", c["multiple_ids"][0]]})
    assert mixed.status_code == 200
    assert "Prefer not to say” on its own" in mixed.text.replace("&#34;", '"')
    assert (await _answers(client))[int(c["multiple"][1:])] == (expected, None)


async def test_prefer_not_to_say(client, choice_round) -> None:
    journey = Journey(client, slug=SLUG)
    await journey.start()
    c = choice_round
    await journey.post(
        "/s/1",
        {c["single"]: "prefer_not", c["multiple"]: "prefer_not", "action": "next"},
    )
    answers = await _answers(client)
    assert answers[int(c["single"][1:])] == ("prefer_not", None)
    assert answers[int(c["multiple"][1:])] == ("prefer_not", None)
    review = await journey.get("/review")
    assert review.text.count("Prefer not to say") >= 2
    # Without JS, prefer-not with other boxes is refused kindly; the other answers are kept.
    mixed = await journey.post(
        "/s/1",
        {
            c["single"]: c["single_ids"][0],
            c["multiple"]: ["prefer_not", c["multiple_ids"][1]],
            c["text"]: "Thanks",
            "action": "next",
        },
    )
    assert mixed.status_code == 422
    assert "<title>Error:" in mixed.text and f'href="#{c["multiple"]}"' in mixed.text
    # What they ticked comes back ticked.
    assert re.search(rf'value="{c["multiple_ids"][1]}" checked', mixed.text)
    answers = await _answers(client)
    assert answers[int(c["single"][1:])] == (c["single_ids"][0], None)
    assert answers[int(c["text"][1:])] == (None, "Thanks")
    assert answers[int(c["multiple"][1:])] == ("prefer_not", None)


@pytest.mark.parametrize(
    "bad",
    [
        {"single": "999999"},
        {"single": "1; DROP TABLE answers"},
        {"multiple": ["999999"]},
        {"multiple": ["x"]},
        {"single_twice": True},
        {"foreign": True},
    ],
)
async def test_unknown_or_impossible_choices_are_a_clear_400(client, choice_round, bad) -> None:
    journey = Journey(client, slug=SLUG)
    await journey.start()
    c = choice_round
    form: dict = {c["text"]: "should not be saved", "action": "next"}
    if "single" in bad:
        form[c["single"]] = bad["single"]
    if "multiple" in bad:
        form[c["multiple"]] = [c["multiple_ids"][0], *bad["multiple"]]
    if "single_twice" in bad:
        form[c["single"]] = c["single_ids"][:2]
    if "foreign" in bad:
        # An option of the other question.
        form[c["single"]] = c["multiple_ids"][0]
    response = await journey.post("/s/1", form)
    assert response.status_code == 400
    assert "Something went wrong with that form" in response.text
    assert await _answers(client) == {}


async def test_withdraw_confirmation_names_the_choices(client, choice_round) -> None:
    journey = Journey(client, slug=SLUG)
    await journey.start()
    c = choice_round
    await journey.post(
        "/s/1",
        {c["single"]: c["single_ids"][2], c["multiple"]: c["multiple_ids"][1], "action": "next"},
    )
    code_page = await journey.get("/code?then=2")
    code = CODE.search(code_page.text).group(1)
    other = Journey(client, slug=SLUG)
    await other.get("/withdraw?lang=es")
    confirm = await other.post("/withdraw?lang=es", {"code": code})
    assert confirm.status_code == 200
    assert "En persona" in confirm.text and "Tardes" in confirm.text


async def test_paper_import_reads_labels_ids_and_semicolons(client, choice_round) -> None:
    from codesign.services import paper

    round_ = await round_store.load_round(client.app.state.db, SLUG)
    single, multiple, _text = round_.sections[0].questions
    c = choice_round
    good = (
        "language,1.1,1.2\r\n"
        "en,by TEXT message,Mornings; weekends\r\n"
        f"es,{c['single_ids'][0]},Tardes;{c['multiple_ids'][0]}\r\n"
        ",prefer not to say,prefer_not\r\n"
    ).encode()
    responses, problems, rows = paper.parse(round_, good)
    assert problems == [] and rows == 3
    m = sorted([c["multiple_ids"][0], c["multiple_ids"][3]], key=int)
    assert [r[0] for r in responses] == [2, 3, 4]  # rows as the spreadsheet numbers them
    assert responses[0][3] == [
        (single.id, c["single_ids"][1], None),
        (multiple.id, ",".join(m), None),
    ]
    assert responses[1][3] == [
        (single.id, c["single_ids"][0], None),
        (
            multiple.id,
            ",".join(sorted([c["multiple_ids"][0], c["multiple_ids"][1]], key=int)),
            None,
        ),
    ]
    assert responses[2][3] == [(single.id, "prefer_not", None), (multiple.id, "prefer_not", None)]
    bad = b"1.1,1.2\r\nBy fax,\r\n,Mornings;prefer_not\r\nBy phone;In person,\r\n"
    responses, problems, _ = paper.parse(round_, bad)
    assert responses == []
    assert [p.row for p in problems] == [2, 3, 4]
    assert problems[0].message.startswith("Question %(question)s has no choice")
    assert "on its own" in problems[1].message
