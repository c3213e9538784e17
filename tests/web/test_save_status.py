"""What a save answers, so the page never claims more than the server did.

The section page's script reads `x-save-result` ("saved" only when these exact
answers are stored) and `x-error-status` (the real status behind an htmx error
fragment, so it can tell "try again" from "this will not work"). Without script,
every button of the section form — Skip and the language choice too — saves first.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from codesign.store import rounds as round_store
from codesign.store.db import to_db_time, utcnow
from tests.conftest import Journey

WORDS = "Evening appointments would help, I work days."


async def _stored(client) -> list[tuple[str | None, str | None]]:
    rows = await client.app.state.db.fetch_all(
        "SELECT value, text FROM answers ORDER BY question_id"
    )
    return [(r["value"], r["text"]) for r in rows]


async def test_autosave_says_saved_only_for_stored_answers(client) -> None:
    journey = Journey(client)
    await journey.start()
    q_agree, q_text = await journey.questions(1)
    journey.htmx = True
    saved = await journey.post("/s/1", {q_agree: "4", q_text: WORDS, "save_key": "k" * 24})
    assert saved.headers["x-save-result"] == "saved"
    assert "Saved at" in saved.text
    assert await _stored(client) == [("4", None), (None, WORDS)]

    # A retry of the same save (same key) changes nothing and still says saved.
    again = await journey.post("/s/1", {q_agree: "1", q_text: "other", "save_key": "k" * 24})
    assert again.headers["x-save-result"] == "saved"
    assert await _stored(client) == [("4", None), (None, WORDS)]

    # Too long: the rest is kept, this answer is not, and the status says so.
    too_long = await journey.post("/s/1", {q_agree: "5", q_text: "x" * 5001})
    assert too_long.headers["x-save-result"] == "not-saved"
    assert "Saved at" not in too_long.text and f'href="#{q_text}"' in too_long.text
    assert await _stored(client) == [("5", None), (None, WORDS)]


async def test_htmx_errors_carry_their_real_status(client) -> None:
    journey = Journey(client)
    await journey.start()
    q_agree, _ = await journey.questions(1)
    client.cookies.delete("cs_1")  # the visit ended in another tab
    journey.htmx = True
    lost = await journey.post("/s/1", {q_agree: "3"})
    assert lost.status_code == 200  # htmx swaps only 2xx
    assert lost.headers["x-error-status"] == "400"
    assert "x-save-result" not in lost.headers


async def test_buttons_save_then_move_with_htmx(client) -> None:
    journey = Journey(client)
    await journey.start()
    q_agree, q_text = await journey.questions(1)
    journey.htmx = True
    moved = await journey.post("/s/1", {q_text: WORDS, "action": "next"})
    assert moved.headers["hx-redirect"] == "/r/demo/code?then=2"
    assert await _stored(client) == [(None, WORDS)]
    # A move that can't be made whole stays: the status explains, nothing is lost.
    stuck = await journey.post("/s/1", {q_text: "y" * 5001, "action": "next"})
    assert "hx-redirect" not in stuck.headers
    assert stuck.headers["x-save-result"] == "not-saved"


@pytest.mark.parametrize("htmx", [False, True], ids=["no-js", "htmx"])
async def test_skip_keeps_what_was_typed(client, htmx: bool) -> None:
    journey = Journey(client)
    await journey.start()
    await journey.post("/s/1", {"action": "next"})  # nothing answered, no code yet
    q2 = await journey.questions(2)
    journey.htmx = htmx
    skipped = await journey.post("/s/2", {q2[-1]: WORDS, "action": "skip"})
    target = skipped.headers["hx-redirect" if htmx else "location"]
    assert target == "/r/demo/code?then=3"  # words were kept, so the code comes first
    assert (None, WORDS) in await _stored(client)


@pytest.mark.parametrize("htmx", [False, True], ids=["no-js", "htmx"])
async def test_changing_language_keeps_what_was_typed(client, htmx: bool) -> None:
    journey = Journey(client)
    await journey.start()
    q_agree, q_text = await journey.questions(1)
    journey.htmx = htmx
    switched = await journey.post("/s/1", {q_agree: "2", q_text: WORDS, "lang": "es"})
    target = switched.headers["hx-redirect" if htmx else "location"]
    assert target == "/r/demo/s/1?lang=es"
    assert await _stored(client) == [("2", None), (None, WORDS)]
    journey.htmx = False
    page = await journey.get("/s/1?lang=es")
    assert f"{WORDS}</textarea>" in page.text and 'lang="es"' in page.text
    # A section with a content note: the note was read already, so it is not shown again.
    q3 = await journey.questions(3)
    to_fr = await journey.post("/s/3", {q3[-1]: "Merci", "lang": "fr"})
    assert to_fr.headers["location"] == "/r/demo/s/3?note=read&lang=fr"


async def test_language_buttons_are_buttons_of_the_section_form(journey: Journey) -> None:
    await journey.start()
    page = await journey.get("/s/1")
    for lang in ("en", "es", "fr", "ar"):
        assert (
            f'type="submit" form="section-form" name="lang" value="{lang}" lang="{lang}"'
            in page.text
        )
    # Enter in the form submits its first button: the hidden "Save and continue".
    first = page.text.index('form="section-form"')
    assert page.text[first - 40 : first + 60].count('name="action" value="next"') == 1
    # Elsewhere the languages stay plain links.
    start = await journey.get("")
    assert 'form="section-form"' not in start.text and 'hreflang="es"' in start.text


async def test_a_language_the_round_does_not_offer_is_refused(journey: Journey, client) -> None:
    await journey.start()
    _, q_text = await journey.questions(1)
    refused = await journey.post("/s/1", {q_text: WORDS, "lang": "de"})
    assert refused.status_code == 400
    assert await _stored(client) == []


async def test_an_untouched_section_says_nothing_about_saving(journey: Journey) -> None:
    await journey.start()
    _, q_text = await journey.questions(1)
    await journey.post("/s/1", {q_text: WORDS, "action": "next"})
    first = await journey.get("/s/1")
    assert "Saved at" in first.text
    second = await journey.get("/s/2")
    assert "Saved at" not in second.text


async def test_the_reused_save_status_follows_the_language(client) -> None:
    # The status is rendered once per minute, clock and language, then reused: a save in
    # another language gets its own words, never the first language's.
    journey = Journey(client)
    await journey.start()
    _, q_text = await journey.questions(1)
    journey.htmx = True
    english = await journey.post("/s/1", {q_text: WORDS})
    again = await journey.post("/s/1", {q_text: WORDS + "!"})
    spanish = await journey.post("/s/1?lang=es", {q_text: WORDS})
    assert "Saved at" in english.text and "Saved at" in again.text
    assert "Guardado a las" in spanish.text and "Saved at" not in spanish.text
    assert spanish.headers["x-save-result"] == "saved"


def test_a_cached_fragment_is_the_fragment_rendered_fresh() -> None:
    from datetime import UTC, datetime

    from codesign.web.templating import Renderer

    class _Round:
        timezone, region = "Europe/London", "GB"

    renderer = Renderer()
    saved = datetime(2026, 1, 5, 9, 7, tzinfo=UTC)
    context = {"errors": [], "round": _Round(), "last_saved": saved}
    fresh = renderer.render("section.html", "fr", context, block="save_status")
    cached = renderer.render("section.html", "fr", context, "save_status", cache_key=("k",))
    assert cached == fresh == renderer.cached("section.html", "fr", "save_status", ("k",))
    assert "09:07" in fresh
    assert renderer.cached("section.html", "en", "save_status", ("k",)) is None


async def _close_by_date(client) -> None:
    """The round's closing date passes (the round itself stays "open" in the store)."""
    past = to_db_time(utcnow() - timedelta(seconds=1))
    await client.app.state.db.write(
        lambda conn: conn.execute("UPDATE rounds SET closes_at = ? WHERE slug = 'demo'", (past,))
    )


@pytest.mark.parametrize(
    "closing", ["closed by hand", "closing date passed"], ids=["status", "date"]
)
async def test_an_autosave_moments_after_the_round_closes_saves_nothing(
    client, closing: str
) -> None:
    # The round was read a moment ago (its content is reused for a couple of seconds),
    # but whether it is still open is the save's own condition, checked as it writes.
    journey = Journey(client)
    await journey.start()
    q_agree, q_text = await journey.questions(1)
    journey.htmx = True
    first = await journey.post("/s/1", {q_text: WORDS, "save_key": "a" * 24})
    assert first.headers["x-save-result"] == "saved"
    if closing == "closed by hand":
        await round_store.set_status(client.app.state.db, "demo", "closed")
    else:
        await _close_by_date(client)
    late = await journey.post("/s/1", {q_text: "written after it closed", "save_key": "b" * 24})
    assert late.headers["x-error-status"] == "403"
    assert "x-save-result" not in late.headers
    assert "This consultation is not open" in late.text
    assert await _stored(client) == [(None, WORDS)]


async def test_an_autosave_from_a_tab_left_open_after_sending_saves_nothing(client) -> None:
    journey = Journey(client)
    await journey.start()
    q_agree, q_text = await journey.questions(1)
    journey.htmx = True
    await journey.post("/s/1", {q_text: WORDS})
    journey.htmx = False
    sent = await journey.post("/review", {"may_quote": "no", "action": "submit"})
    assert sent.headers["location"] == "/r/demo/thanks"
    journey.htmx = True  # the other tab still autosaves
    stale = await journey.post("/s/1", {q_agree: "1", q_text: "changed after sending"})
    assert stale.headers["hx-redirect"] == "/r/demo/thanks"
    assert "x-save-result" not in stale.headers
    assert await _stored(client) == [(None, WORDS)]


async def test_an_autosave_with_another_rounds_visit_finds_nothing(client) -> None:
    # The cookie names a visit; the save matches it to this round as it writes.
    journey = Journey(client)
    await journey.start()
    _, q_text = await journey.questions(1)
    journey.htmx = True
    await journey.post("/s/1", {q_text: WORDS})
    visit = client.cookies.get("cs_1")
    client.cookies.delete("cs_1")
    client.cookies.set("cs_1", visit[::-1], path="/r/demo")  # not anyone's visit
    lost = await journey.post("/s/1", {q_text: "whose is this?"})
    assert lost.headers["x-error-status"] == "400"
    assert "x-save-result" not in lost.headers
    assert await _stored(client) == [(None, WORDS)]
