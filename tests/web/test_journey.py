"""The participant journey end to end, without htmx (plain forms) and with it."""

from __future__ import annotations

import re

import pytest

from tests.conftest import CODE, Journey


async def test_start_page_explains_before_asking(journey: Journey) -> None:
    page = await journey.get("")
    assert page.status_code == 200
    text = page.text
    for heading in (
        "Why we are asking",
        "Who will read your answers",
        "What happens next",
        "How long it takes",
        "How we keep your answers",
    ):
        assert heading in text
    assert "It takes about 10 minutes." in text
    assert "You can skip any question." in text
    # Consent is never pre-ticked; quoting defaults to no.
    assert re.search(r'<input type="checkbox" id="consent" name="consent" value="yes">', text)
    assert re.search(r'id="may_quote-no" name="may_quote" value="no" checked', text)
    assert "Riverside support line" in text and 'href="tel:08001234567"' in text
    assert "Leave this page" in text


async def test_consent_is_required_and_explained(journey: Journey) -> None:
    page = await journey.get("")
    key = re.search(r'name="start_key" value="([^"]+)"', page.text).group(1)
    response = await journey.post("/start", {"start_key": key, "may_quote": "no"})
    assert response.status_code == 422
    assert "<title>Error:" in response.text
    assert 'href="#consent"' in response.text
    assert "To take part, tick the box to say yes." in response.text
    # Without consent, sections send people back to the start.
    section = await journey.get("/s/1")
    assert section.status_code in (302, 303) and section.headers["location"] == "/r/demo"


async def test_whole_journey_without_javascript(journey: Journey) -> None:
    started = await journey.start()
    assert started.status_code == 303 and started.headers["location"] == "/r/demo/s/1"
    section = await journey.get("/s/1")
    assert "Section 1 of 5" in section.text
    q_agree, q_text = await journey.questions(1)
    saved = await journey.post(
        "/s/1", {q_agree: "4", q_text: "Please text a reminder the day before.", "action": "next"}
    )
    # After the first answer, the private code is shown once.
    assert saved.headers["location"] == "/r/demo/code?then=2"
    code_page = await journey.get("/code?then=2")
    code = CODE.search(code_page.text).group(1)
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    assert 'href="/r/demo/s/2"' in code_page.text
    again = await journey.get("/code")
    assert CODE.search(again.text) is None and "We showed your code once already" in again.text

    # Back saves and goes back; Skip is a button of the form: it keeps what was typed.
    q2 = await journey.questions(2)
    back = await journey.post("/s/2", {q2[0]: "prefer_not", "action": "back"})
    assert back.headers["location"] == "/r/demo/s/1"
    page2 = await journey.get("/s/2")
    assert 'name="action" value="skip">Skip this section</button>' in page2.text

    # A section with a content note shows the note first, with both choices.
    note = await journey.get("/s/3")
    assert "Content note" in note.text and "Read this section" in note.text
    assert 'href="/r/demo/s/4"' in note.text
    read = await journey.get("/s/3?note=read")
    assert "Keeping you safe" in read.text and "<form" in read.text

    review = await journey.get("/review")
    assert "Please text a reminder the day before." in review.text
    assert "Prefer not to say" in review.text
    assert review.text.count("Not answered") == 7
    assert 'href="/r/demo/s/1#q' in review.text

    submitted = await journey.post("/review", {"may_quote": "yes", "action": "submit"})
    assert submitted.headers["location"] == "/r/demo/thanks"
    thanks = await journey.get("/thanks")
    assert "Your answers have been sent" in thanks.text
    assert "The board will publish its response" in thanks.text
    # After sending, answers can't be changed any more.
    after = await journey.post("/s/1", {q_text: "changed", "action": "next"})
    assert after.headers["location"] == "/r/demo/thanks"
    again = await journey.get("/review")
    assert again.headers["location"] == "/r/demo/thanks"


async def test_autosave_with_htmx_returns_the_status_fragment(client) -> None:
    journey = Journey(client, htmx=False)
    await journey.start()
    q_agree, q_text = await journey.questions(1)
    journey.htmx = True
    response = await journey.post("/s/1", {q_agree: "2", q_text: "Evenings please"})
    assert response.status_code == 200
    assert "Saved at" in response.text
    assert "<html" not in response.text and "<form" not in response.text
    assert "HX-Request" in response.headers.get("vary", "")
    journey.htmx = False
    page = await journey.get("/s/1")
    assert "Evenings please</textarea>" in page.text
    assert f'id="{q_agree}-2" name="{q_agree}" value="2" checked' in page.text


async def test_htmx_navigation_forms_redirect_with_hx_redirect(client) -> None:
    journey = Journey(client)
    page = await journey.get("")
    key = re.search(r'name="start_key" value="([^"]+)"', page.text).group(1)
    journey.htmx = True
    missing = await journey.post("/start", {"start_key": key, "may_quote": "no"})
    # htmx swaps only 2xx: the consent form comes back with its error summary.
    assert missing.status_code == 200
    assert missing.text.lstrip().startswith('<form id="consent-form"')
    assert "To take part, tick the box" in missing.text
    ok = await journey.post("/start", {"start_key": key, "consent": "yes", "may_quote": "no"})
    assert ok.status_code == 200 and ok.headers["hx-redirect"] == "/r/demo/s/1"


async def test_double_sent_consent_makes_one_participation(journey: Journey) -> None:
    page = await journey.get("")
    key = re.search(r'name="start_key" value="([^"]+)"', page.text).group(1)
    first = await journey.post("/start", {"start_key": key, "consent": "yes", "may_quote": "no"})
    second = await journey.post("/start", {"start_key": key, "consent": "yes", "may_quote": "no"})
    assert first.cookies.get("cs_1") == second.cookies.get("cs_1")


async def test_retried_save_never_duplicates_or_loses(journey: Journey, client) -> None:
    await journey.start()
    q_agree, q_text = await journey.questions(1)
    for _ in range(3):
        await journey.post("/s/1", {q_agree: "5", q_text: "Same words", "action": "next"})
    review = await journey.get("/review")
    assert review.text.count("Same words") == 1
    db = client.app.state.db
    rows = await db.fetch_all("SELECT COUNT(*) AS n FROM answers")
    assert rows[0]["n"] == 2


async def test_clearing_an_answer_removes_it(journey: Journey) -> None:
    await journey.start()
    _, q_text = await journey.questions(1)
    await journey.post("/s/1", {q_text: "first thought", "action": "next"})
    await journey.post("/s/1", {q_text: "   ", "action": "next"})
    review = await journey.get("/review")
    assert "first thought" not in review.text


async def test_resume_returns_to_where_they_left_off(client) -> None:
    first = Journey(client)
    await first.start()
    q1 = await first.questions(1)
    await first.post("/s/1", {q1[1]: "one", "action": "next"})
    q2 = await first.questions(2)
    await first.post("/s/2", {q2[1]: "two", "action": "next"})
    code = CODE.search((await first.get("/code?then=3")).text).group(1)

    client.cookies.clear()  # a different browser or a new day
    other = Journey(client)
    await other.get("/resume")
    # Forgiving: lower case, spaces instead of dashes.
    typed = code.lower().replace("-", " ")
    response = await other.post("/resume", {"code": typed})
    assert response.status_code == 303 and response.headers["location"] == "/r/demo/s/3"
    page = await other.get("/s/2")
    assert "two</textarea>" in page.text


async def test_wrong_code_gets_a_calm_message(journey: Journey) -> None:
    await journey.get("/resume")
    response = await journey.post("/resume", {"code": "AAAA-BBBB-CCCC"})
    assert response.status_code == 422
    assert "That code didn't match. Check it and try again." in response.text
    assert 'value="AAAA-BBBB-CCCC"' in response.text  # what they typed stays


async def test_withdraw_shows_then_deletes_everything(client) -> None:
    journey = Journey(client)
    await journey.start()
    q1 = await journey.questions(1)
    await journey.post("/s/1", {q1[0]: "1", q1[1]: "delete me please", "action": "next"})
    code = CODE.search((await journey.get("/code")).text).group(1)
    await journey.post("/review", {"may_quote": "no", "action": "submit"})

    await journey.get("/withdraw")
    shown = await journey.post("/withdraw", {"code": code})
    assert shown.status_code == 200
    assert "We will delete 2 answers for good." in shown.text
    assert "delete me please" in shown.text
    db = client.app.state.db
    assert (await db.fetch_one("SELECT COUNT(*) AS n FROM answers"))["n"] == 2

    done = await journey.post("/withdraw", {"code": code, "confirm": "yes"})
    assert done.headers["location"] == "/r/demo/withdraw/done"
    page = await journey.get("/withdraw/done")
    assert "We have deleted all your answers for good." in page.text
    assert (await db.fetch_one("SELECT COUNT(*) AS n FROM answers"))["n"] == 0
    row = await db.fetch_one("SELECT status, code_hash FROM participations")
    assert row["status"] == "withdrawn" and row["code_hash"] is None
    # The code no longer works.
    again = await journey.post("/resume", {"code": code})
    assert again.status_code == 422


async def test_quote_choice_changeable_until_submit(journey: Journey, client) -> None:
    await journey.start(may_quote="yes")
    db = client.app.state.db
    assert (await db.fetch_one("SELECT may_quote FROM participations"))["may_quote"] == 1
    changed = await journey.post("/review", {"may_quote": "no", "action": "save"})
    assert changed.headers["location"] == "/r/demo/review"
    assert (await db.fetch_one("SELECT may_quote FROM participations"))["may_quote"] == 0
    await journey.post("/review", {"may_quote": "yes", "action": "submit"})
    await journey.post("/review", {"may_quote": "no", "action": "submit"})
    assert (await db.fetch_one("SELECT may_quote FROM participations"))["may_quote"] == 1


@pytest.mark.parametrize("path", ["", "/s/1", "/resume", "/withdraw", "/code"])
async def test_support_and_exit_on_every_page(journey: Journey, path: str) -> None:
    await journey.start()
    page = await journey.get(path)
    assert page.status_code == 200
    # The exit goes through the round's own step, which ends the visit on this device.
    assert "data-exit" in page.text and 'href="/r/demo/leave"' in page.text
    assert "If you want to talk to someone" in page.text


async def test_a_retried_save_is_a_success_and_never_overwrites_newer_words(client) -> None:
    journey = Journey(client)
    await journey.start()
    _, q_text = await journey.questions(1)
    first = {q_text: "first words", "save_key": "k" * 20, "action": "next"}
    newer = {q_text: "newer words", "save_key": "n" * 20, "action": "next"}
    assert (await journey.post("/s/1", first)).status_code == 303
    assert (await journey.post("/s/1", newer)).status_code == 303
    # The phone retries the first request after a timeout: acknowledged, ignored.
    retry = await journey.post("/s/1", first)
    assert retry.status_code == 303
    page = await journey.get("/s/1")
    assert "newer words</textarea>" in page.text
    db = client.app.state.db
    assert (await db.fetch_one("SELECT COUNT(*) FROM answer_saves"))[0] == 2


async def test_each_section_page_carries_a_fresh_save_key(journey: Journey) -> None:
    await journey.start()
    keys = set()
    for _ in range(2):
        page = await journey.get("/s/1")
        keys.add(re.search(r'name="save_key" value="([^"]+)"', page.text).group(1))
    assert len(keys) == 2
