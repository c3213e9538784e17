"""Safeguarding in real Chromium on the real server (`codesign serve --demo`, screening on).

A participant who writes something that may show risk gets the calm support panel
(JavaScript on: brought by an autosave, once; off: on the next page), may leave a
way to be contacted, and the lead reads the sent answer in the queue. axe-core on
every new page state, at 360 px and desktop, in all four languages.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.harness import LANGUAGES, cli, open_context
from tests.browser.helpers import (
    axe_violations,
    describe_violations,
    finish_staff_sign_in,
    horizontal_overflow,
    sign_in_with_password,
    t,
)

pytestmark = pytest.mark.browser

PASSWORD = "a calm long passphrase for the lead"
LEAD = "board@demo.codesign.invalid"  # the demo round's lead (serve --demo)
DESKTOP = 1280
SCREENSHOTS = Path("/tmp/codesign-safeguarding-screens")
#: Direct words, so the phrase lexicon catches them whatever the model: this test is
#: about what people see; the detector's recall is measured in tests/analysis.
RISKY = {
    "en": "Honestly some nights I want to kill myself.",
    "es": "Sinceramente, algunas noches quiero quitarme la vida.",
    "fr": "Honnêtement, certains soirs j'ai envie d'en finir avec la vie.",
    "ar": "بصراحة في بعض الليالي أريد أن أنهي حياتي.",
}
PANEL_TITLE = "If you are not safe right now"


def _check(page, where: str, problems: list[str]) -> None:
    size = page.viewport_size
    for width in (360, DESKTOP):
        page.set_viewport_size({"width": width, "height": 900})
        problems += describe_violations(f"{where} @{width}", axe_violations(page))
    page.set_viewport_size({"width": 360, "height": 740})
    problems += [f"{where}: {p}" for p in horizontal_overflow(page, 360)]
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{where}-360.png"), full_page=True)
    page.set_viewport_size(size)


def _start(page, lang: str) -> None:
    page.goto(f"/r/demo?lang={lang}")
    page.check("#consent")
    page.click("#consent-form button[type=submit]")
    page.wait_for_url("**/r/demo/s/1")


def _is_autosave(response) -> bool:
    return response.request.method == "POST" and response.url.endswith("/r/demo/s/1")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_support_panel_arrives_once_with_javascript(browser, server, lang) -> None:
    context = open_context(browser, server)
    page = context.new_page()
    problems: list[str] = []
    _start(page, lang)
    area = page.locator("textarea")
    with page.expect_response(_is_autosave):
        area.fill(RISKY[lang])
    # Screening runs once the words have rested a few seconds; the next autosave
    # brings the panel.
    panel = page.locator("#support-panel .support-panel")
    for attempt in range(10):
        page.wait_for_timeout(4000)
        with page.expect_response(_is_autosave):
            area.press("End")
            area.press_sequentially("." if attempt % 2 == 0 else " ")
        if panel.count():
            break
    assert panel.count() == 1, "the support panel never appeared"
    assert page.inner_text("#support-panel-title") == t(lang, PANEL_TITLE)
    assert page.get_attribute("#support-panel", "aria-live") == "polite"
    assert page.locator("#support-panel [role=alert], dialog").count() == 0  # never a pop-up
    assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
    # Typing goes on: no more panels are swapped in (it is announced once).
    page.evaluate("document.querySelector('#support-panel section').dataset.first = 'yes'")
    with page.expect_response(_is_autosave):
        area.press_sequentially(" ok")
    assert page.get_attribute("#support-panel section", "data-first") == "yes"
    assert page.input_value("textarea").startswith(RISKY[lang])  # nothing they wrote is lost
    _check(page, f"panel-js-{lang}", problems)

    # They choose to leave a way to be contacted; the form swaps to a calm thank-you.
    page.fill("#support-contact", "07700 900123 after 6pm")
    page.click("#contact-form button[type=submit]")
    page.locator("#contact-form button[value=remove]").wait_for()
    thanks = (
        "Thank you. Only the safeguarding lead can see how to contact you, and it is deleted "
        "when they have finished."
    )
    assert t(lang, thanks) in page.inner_text("#contact-form")
    _check(page, f"panel-contact-{lang}", problems)
    page.click("#contact-form button[value=remove]")
    page.locator("#support-contact").wait_for()
    context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_support_panel_on_the_next_page_without_javascript(browser, server, lang) -> None:
    context = open_context(browser, server, javascript=False)
    page = context.new_page()
    _start(page, lang)
    page.fill("textarea", RISKY[lang])
    page.click("#section-form button[value=next]")
    page.wait_for_load_state()
    if "/code" in page.url:  # the private code is shown after the first answer
        page.click("main a.button >> nth=0")
        page.wait_for_load_state()
    assert page.locator("#support-panel .support-panel").count() == 1, page.url
    assert page.inner_text("#support-panel-title") == t(lang, PANEL_TITLE)
    # (axe needs script in the page; this markup is the same block the script tests scan)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"panel-nojs-{lang}-360.png"), full_page=True)
    page.fill("#support-contact", "ask for Sam, weekdays")
    page.click("#contact-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#contact-form button[value=remove]").count() == 1
    assert "#support-panel" in page.url  # back where they were, at the panel
    context.close()


def _prepared_answer(db: Path, words: str) -> int | None:
    import sqlite3

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        row = conn.execute(
            "SELECT id FROM answers WHERE text LIKE ? AND redacted IS NOT NULL",
            (words + "%",),
        ).fetchone()
    return row[0] if row else None


def test_the_lead_reads_the_sent_answer_in_every_language(browser, server, server_folder) -> None:
    cli(
        "set-password", "--email", LEAD, "--password-stdin", "--db",
        str(server_folder / "b.db"), stdin=PASSWORD,
    )  # fmt: skip
    problems: list[str] = []
    # A participant sends a risky answer (no script: the simplest phone).
    participant = open_context(browser, server, javascript=False)
    page = participant.new_page()
    _start(page, "en")
    page.fill("textarea", RISKY["en"] + " Please read this.")
    page.click("#section-form button[value=next]")
    page.goto("/r/demo/review")
    page.click("button[value=submit]")
    page.wait_for_url("**/thanks")
    participant.close()

    for lang in LANGUAGES:
        context = open_context(
            browser,
            server,
            width=DESKTOP,
            height=900,
            locale=lang,
            timeout=15_000,
            extra_http_headers={"Accept-Language": lang},
        )
        staff = context.new_page()
        sign_in_with_password(staff, LEAD, PASSWORD)
        finish_staff_sign_in(staff, LEAD)  # a safeguarding lead uses two-step sign-in
        if lang == "en":
            home = staff.inner_text("main")
            assert "Answers waiting for the safeguarding lead" in home
        _check(staff, f"home-{lang}", problems)
        staff.goto("/staff/rounds/1/board/safeguarding")
        # The sent answer reaches the list within a minute (screening runs every few seconds).
        for _ in range(60):
            if staff.locator("ol.queue a[href*='/safeguarding/']").count():
                break
            staff.wait_for_timeout(1000)
            staff.reload()
        links = staff.locator("ol.queue a[href*='/safeguarding/']")
        assert links.count() >= 1
        assert RISKY["en"] not in staff.inner_text("main")  # the list shows no words
        if lang == "en":  # the model loads on this machine: no "phrases only" notice
            assert "known phrases only" not in staff.inner_text("main")
        _check(staff, f"queue-{lang}", problems)
        href = links.last.get_attribute("href")
        # An answer kept closed on the board's pages, opened on its own page (no script
        # needed): the one just sent, once the board's background step has prepared it.
        answer_id = None
        for _ in range(60):
            answer_id = _prepared_answer(server_folder / "b.db", RISKY["en"] + " Please")
            if answer_id is not None:
                break
            staff.wait_for_timeout(500)
        assert answer_id is not None, "the sent answer was never prepared for the board"
        staff.goto(f"/staff/rounds/1/board/answers/{answer_id}/read?back=q/2/other")
        assert RISKY["en"] in staff.inner_text("main blockquote")
        _check(staff, f"closed-answer-{lang}", problems)
        staff.goto(href)
        assert RISKY["en"] in staff.inner_text("blockquote.answer-text")
        _check(staff, f"item-{lang}", problems)
        if lang == "en":
            staff.check("#status-no_action")
            staff.check("#false_alarm")
            with staff.expect_navigation(url=re.compile("saved=status")):
                staff.click("form[action$='/status'] button[type=submit]")
            assert "No action needed" in staff.inner_text("main")
        context.close()
    assert not problems, "\n".join(problems)
