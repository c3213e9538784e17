"""Publishing the outcomes in real Chromium, on the real server, at 360 px.

A closed copy of the demo round with sent answers: a board member themes them,
names every public theme and answers it in English, Spanish and Arabic (French
is left out on purpose), writes the summary, approves one quote, signs off,
previews the page in each language, goes through the checklist and the
confirmation, and publishes. A participant then reads the outcomes page in
English, Spanish and Arabic (and French, which says what is not translated),
and the round's own link. axe-core must find nothing on the preview, checklist,
confirmation and outcomes pages; no page may scroll sideways at 360 px.
"""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import msgspec
import pytest

from codesign.demo.answers import fill_round, generate
from codesign.demo.round import build_demo_round
from codesign.store import rounds as round_store
from codesign.store import users as user_store
from codesign.store.db import Database
from tests.browser.harness import cli, open_context
from tests.browser.helpers import axe_violations, describe_violations, horizontal_overflow, t

pytestmark = pytest.mark.browser

SLUG = "publish-demo"
BOARD = "board@demo.codesign.invalid"
PASSWORD = "a calm long passphrase for publishing"
SCREENSHOTS = Path("/tmp/codesign-publish-screens")
WORDS = {
    "en": ("Appointments that fit your day", "We will open on Tuesday evenings."),
    "es": ("Citas que encajan en su día", "Abriremos los martes por la tarde."),
    "ar": ("مواعيد تناسب يومك", "سنفتح مساء كل ثلاثاء."),
}


def _in_a_thread(work):
    """Playwright's sync API keeps an event loop in this thread: set data up in another."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work()).result()


def _closed_round_with_answers(db_path: str) -> dict[str, int]:
    async def work():
        db = Database(db_path)
        await db.connect()
        await round_store.create_round(
            db, msgspec.structs.replace(build_demo_round(), slug=SLUG, status="closed")
        )
        round_ = await round_store.load_round(db, SLUG)
        section = round_.sections[0]
        agreement, question = section.questions[0].id, section.questions[1].id
        await fill_round(
            db, round_, generate(80, seed=5), question_id=question, agreement_id=agreement
        )
        found = await user_store.by_email(db, BOARD)
        await user_store.add_member(db, round_.id, found[0].id)
        await db.close()
        return {"round": round_.id, "question": question}

    return _in_a_thread(work)


@pytest.fixture(scope="module")
def publish_site(server: str, server_folder: Path) -> dict[str, object]:
    db = str(server_folder / "b.db")
    cli("set-password", "--email", BOARD, "--password-stdin", "--db", db, stdin=PASSWORD)
    return {"base": server, **_closed_round_with_answers(db)}


def look(page, where: str, problems: list[str]) -> None:
    """axe at 360 px, no sideways scroll, and a screenshot to look at."""
    page.wait_for_load_state("load")
    problems += describe_violations(f"{where} @360", axe_violations(page))
    problems += [f"{where}: {p}" for p in horizontal_overflow(page, 360)]
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{where}-360.png"), full_page=True)


def go_and_wait(page, selector: str, done: str) -> None:
    with page.expect_navigation(url=re.compile(re.escape(done))):
        page.click(selector)


def test_publish_in_three_languages_and_read_the_outcomes(browser, publish_site) -> None:
    problems: list[str] = []
    base = f"/staff/rounds/{publish_site['round']}/board"
    staff = open_context(browser, publish_site["base"])
    staff.set_default_timeout(20_000)
    page = staff.new_page()
    page.goto("/staff/sign-in")
    page.fill("#email", BOARD)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit] >> text=Sign in")

    # Theme the answers.
    page.goto(f"{base}/q/{publish_site['question']}")
    page.click("#run button")
    page.wait_for_function(
        """() => !!document.querySelector("#run button") && !document.querySelector("#run-progress")
           && document.querySelectorAll(".theme-card").length > 0""",
        timeout=120_000,
        polling=250,
    )

    # Before anything is written: the checklist names what is missing, nothing can go out.
    page.goto(f"{base}/publish")
    assert page.locator("#publish-form").count() == 0
    main = page.inner_text("main")
    assert "These themes still carry the name the analysis made." in main
    look(page, "checklist-to-do", problems)
    responses = sorted(
        {a.get_attribute("href") for a in page.locator("main a[href$='/response']").all()}
    )
    assert responses

    # Name and answer every public theme in English, Spanish and Arabic.
    for href in responses:
        page.goto(href)
        for loc, (title, text) in WORDS.items():
            page.fill(f"#title_{loc}", title)
            page.fill(f"#text_{loc}", text)
        assert page.get_attribute("#text_ar", "dir") == "rtl"
        assert page.get_attribute("#text_ar", "lang") == "ar"
        go_and_wait(page, "#response-form button[type=submit]", "done=response")
    page.goto(f"{base}/summary")
    assert page.get_attribute("#did_ar", "dir") == "rtl"
    look(page, "summary", problems)
    for loc in WORDS:
        page.fill(f"#did_{loc}", WORDS[loc][1])
    go_and_wait(page, "#summary-form button[type=submit]", "done=summary")

    # Approve one quote.
    page.goto(f"{base}/quotes")
    first_quote = page.locator("main blockquote").first.inner_text()
    go_and_wait(page, "main form[action*='/quotes/'] button", "done=quote-approved")
    look(page, "quotes", problems)
    # Approving one far down the list comes back to it, not to the top of the page.
    last = page.locator("main li[id^='quote-']").last
    last_id = last.get_attribute("id")
    go_and_wait(page, f"#{last_id} form button", "done=quote-approved")
    assert page.evaluate("window.scrollY") > 0
    box = page.locator(f"#{last_id}").bounding_box()
    assert box is not None and 0 <= box["y"] < page.viewport_size["height"]
    assert "Approved: public once published." in page.inner_text(f"#{last_id}")

    # Sign off.
    page.goto(base)
    go_and_wait(page, "form[action$='/sign-off'] button", "done=signed-off")

    # Preview in each language: the public template, marked as not public.
    for loc in ("en", "es", "ar"):
        page.goto(f"{base}/preview?lang={loc}")
        assert page.get_attribute("html", "lang") == loc
        assert t(loc, "Preview — not public yet") in page.inner_text("main")
        assert WORDS[loc][1] in page.inner_text("main")
        look(page, f"preview-{loc}", problems)

    # The checklist and the confirmation.
    page.goto(f"{base}/publish")
    main = page.inner_text("main")
    assert "Every theme going public has a name the board gave it." in main
    assert "Français: not everything is written in this language yet." in main
    assert first_quote in main  # the confirmation names the quote that goes public
    look(page, "checklist-ready", problems)
    page.click("#publish-form button[type=submit]")  # without ticking the box
    page.wait_for_selector(".error-summary")
    assert "Tick the box" in page.inner_text(".error-summary")
    look(page, "confirmation-error", problems)
    page.check("#confirm")
    go_and_wait(page, "#publish-form button[type=submit]", "done=published")
    assert "The outcomes page is published." in page.inner_text("main")
    look(page, "published", problems)
    staff.close()

    # A participant reads the outcomes in English, Spanish and Arabic, and French.
    reader = open_context(browser, publish_site["base"])
    outcome = reader.new_page()
    for loc in ("en", "es", "ar", "fr"):
        outcome.goto(f"/r/{SLUG}/outcomes?lang={loc}")
        assert outcome.get_attribute("html", "lang") == loc
        assert outcome.get_attribute("html", "dir") == ("rtl" if loc == "ar" else "ltr")
        text = outcome.inner_text("main")
        assert t(loc, "What you said, and what we will do") in text
        assert t(loc, "We asked, you said, we did") in text
        assert first_quote in text
        assert outcome.locator("main table.bars svg.bar-chart").count() >= 1
        assert t(loc, "Preview — not public yet") not in text
        if loc == "fr":
            assert outcome.locator("#not-translated").count() == 1
            assert outcome.get_attribute(".answer-text[lang='en']", "lang") == "en"
        else:
            assert WORDS[loc][0] in text and WORDS[loc][1] in text
            assert outcome.locator("#not-translated").count() == 0
        look(outcome, f"outcomes-{loc}", problems)
    # In forced colours (Windows high contrast) backgrounds are dropped: the "not translated
    # yet" note and the summary must keep a visible edge, or they melt into the page.
    outcome.emulate_media(forced_colors="active")
    outcome.goto(f"/r/{SLUG}/outcomes?lang=fr")
    for box in ("#not-translated", ".outcome-summary"):
        edge = outcome.eval_on_selector(box, "e => getComputedStyle(e).borderTopWidth")
        assert edge not in ("0px", ""), f"{box} has no edge in forced colours"
    outcome.emulate_media(forced_colors="none")
    # The poster's link: the closed round's page, which now leads to the outcomes.
    outcome.goto(f"/r/{SLUG}?lang=ar")
    assert outcome.locator(f"main a[href='/r/{SLUG}/outcomes']").count() == 1
    assert outcome.locator(".support li").count() >= 1
    look(outcome, "closed-round-ar", problems)
    reader.close()

    assert not problems, "\n".join(problems)

