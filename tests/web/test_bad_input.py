"""Every bad input gets a clear 4xx page and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from codesign.store import rounds as round_store
from tests.conftest import Journey


async def _answer_rows(client) -> list[tuple]:
    rows = await client.app.state.db.fetch_all(
        "SELECT question_id, value, text FROM answers ORDER BY question_id"
    )
    return [tuple(row) for row in rows]


async def test_oversized_answer_is_refused_kindly_and_kept_on_the_page(journey, client) -> None:
    await journey.start()
    q_agree, q_text = await journey.questions(1)
    await journey.post("/s/1", {q_text: "my earlier answer", "action": "next"})
    long_text = "word " * 1001  # 5,005 characters
    response = await journey.post("/s/1", {q_agree: "3", q_text: long_text, "action": "next"})
    assert response.status_code == 422
    assert "<title>Error:" in response.text
    assert "Your answer is 5,005 characters long. We can save up to 5,000." in response.text
    assert f'href="#{q_text}"' in response.text
    # Never silently cut: the whole text comes back in the box.
    assert long_text.strip() in response.text
    # The valid answer in the same form was saved; the earlier text is not lost.
    assert await _answer_rows(client) == [
        (int(q_agree[1:]), "3", None),
        (int(q_text[1:]), None, "my earlier answer"),
    ]


async def test_unknown_question_is_refused(journey, client) -> None:
    await journey.start()
    q_agree, _ = await journey.questions(1)
    q_other = (await journey.questions(2))[1]
    response = await journey.post("/s/1", {q_agree: "4", q_other: "sneaky", "action": "next"})
    assert response.status_code == 400
    assert "Something went wrong with that form" in response.text
    assert await _answer_rows(client) == []


async def test_impossible_choice_is_refused(journey, client) -> None:
    await journey.start()
    q_agree, _ = await journey.questions(1)
    response = await journey.post("/s/1", {q_agree: "9", "action": "next"})
    assert response.status_code == 400
    assert await _answer_rows(client) == []


async def test_missing_csrf_token_is_refused_with_a_translated_page(journey, client) -> None:
    await journey.start()
    q_agree, _ = await journey.questions(1)
    response = await client.post(
        "/r/demo/s/1",
        data={q_agree: "4"},
        headers={"accept-language": "en"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "This form has expired" in response.text
    forged = await client.post(
        "/r/demo/s/1", data={q_agree: "4", "_csrf_token": "x" * 64}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert await _answer_rows(client) == []


async def test_unknown_round_and_section(journey, client) -> None:
    missing = await client.get("/r/no-such-round")
    assert missing.status_code == 404
    assert "We can't find this consultation" in missing.text
    await journey.start()
    section = await journey.get("/s/99")
    assert section.status_code == 404
    assert "Traceback" not in section.text


async def test_unknown_language_lists_the_offered_ones(journey) -> None:
    response = await journey.get("?lang=xx")
    assert response.status_code == 404
    assert "We don't have that language here" in response.text
    assert 'href="/r/demo?lang=en"' in response.text


async def test_closed_round_says_so_and_keeps_answers(journey, client) -> None:
    await journey.start()
    q_agree, _ = await journey.questions(1)
    await journey.post("/s/1", {q_agree: "5", "action": "next"})
    await round_store.set_status(client.app.state.db, "demo", "closed")
    page = await journey.get("/s/1")
    assert page.status_code == 403
    assert "This consultation is not open" in page.text
    late = await journey.post("/s/1", {q_agree: "1", "action": "next"})
    assert late.status_code == 403
    assert await _answer_rows(client) == [(int(q_agree[1:]), "5", None)]


async def test_round_past_its_closing_date_is_closed(client) -> None:
    from codesign.demo.round import build_demo_round

    past = build_demo_round(datetime.now(UTC) - timedelta(weeks=20))
    import msgspec

    await round_store.create_round(client.app.state.db, msgspec.structs.replace(past, slug="old"))
    response = await client.get("/r/old")
    # The poster's link says it has closed (and when), and answering is refused.
    assert response.status_code == 200 and "This consultation closed on" in response.text
    assert 'id="consent-form"' not in response.text
    assert (await client.get("/r/old/s/1")).status_code == 403


async def test_oversized_body_is_refused(journey, client) -> None:
    await journey.start()
    q_agree, q_text = await journey.questions(1)
    response = await journey.post("/s/1", {q_text: "x" * 200_000, "action": "next"})
    assert response.status_code == 413
    assert "That was more than we can take in one go" in response.text
    assert await _answer_rows(client) == []


async def test_repeated_field_is_a_clear_400(journey, client) -> None:
    await journey.start()
    q_agree, _ = await journey.questions(1)
    response = await client.post(
        "/r/demo/s/1",
        content=f"_csrf_token={journey.token}&{q_agree}=1&{q_agree}=2",
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert await _answer_rows(client) == []


async def test_saving_without_a_participation_explains_how_to_carry_on(client) -> None:
    journey = Journey(client)
    await journey.get("")
    response = await journey.post("/s/1", {"action": "next"})
    assert response.status_code == 400
    assert "Carry on with your code" in response.text


async def test_code_checks_are_rate_limited(client) -> None:
    journey = Journey(client)
    await journey.get("/resume")
    statuses = [
        (await journey.post("/resume", {"code": "AAAA-BBBB-CCCC"})).status_code for _ in range(11)
    ]
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429
    last = await journey.post("/resume", {"code": "AAAA-BBBB-CCCC"})
    assert "Please wait a moment" in last.text
    assert last.headers["retry-after"] == "60"
    # Pages stay open while the checks are paused, and other POSTs count separately.
    assert (await journey.get("/resume")).status_code == 200
    assert (await journey.start()).status_code == 303


async def test_odd_digits_in_the_code_page_link_are_ignored(journey) -> None:
    # "²".isdigit() is True but int("²") fails: found by the fuzz test.
    await journey.start()
    for then in ("²", "٣", "99999999999999999999"):
        response = await journey.get(f"/code?then={then}")
        assert response.status_code == 200
        assert 'href="/r/demo/review"' in response.text


async def test_an_answer_with_a_nul_character_in_it_is_saved(journey, client) -> None:
    # Pasted text can carry a NUL (U+0000), which PostgreSQL's text can't hold: the
    # save must still work there, the character kept as the U+FFFD a browser shows.
    await journey.start()
    q_agree, q_text = await journey.questions(1)
    saved = await journey.post("/s/1", {q_agree: "4", q_text: "before\x00after", "action": "next"})
    assert saved.status_code == 303
    rows = await _answer_rows(client)
    assert rows[0] == (int(q_agree[1:]), "4", None)
    assert rows[1][2] in ("before\x00after", "before\ufffdafter")
    page = await journey.get("/s/1")
    assert "before" in page.text and "after</textarea>" in page.text
