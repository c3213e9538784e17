"""Every participant page, in every language, checked as a phone sees it.

One walk per language visits each page state a participant can meet – the start
page, the consent error, every section and the content note, the save status
(saving, not saved yet, saved), the private code, "Staying safe online", review,
thanks, resume and its wrong-code error, withdraw, its confirmation, the
withdrawn page, an error page and the start page after leaving – and on each one
checks:

- axe-core finds no violations (all default rules, at 360 px);
- nothing scrolls sideways at 320 px (WCAG 1.4.10 Reflow);
- `<html lang>` and `dir` match the chosen language (Arabic is right-to-left).

All problems of a language are listed together, one line each, so a failure
reads as a to-do list: page, rule id, element, what to fix.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.harness import EXIT_HOST, LANGUAGES, RTL
from tests.browser.helpers import (
    CODE_PATTERN,
    axe_violations,
    describe_violations,
    horizontal_overflow,
    html_language,
)

pytestmark = pytest.mark.browser


class Inspector:
    def __init__(self, page, lang: str) -> None:
        self.page = page
        self.lang = lang
        self.problems: list[str] = []
        self.checked: list[str] = []

    def check(self, where: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        lang, direction = html_language(page)
        expected_dir = "rtl" if self.lang in RTL else "ltr"
        if lang != self.lang or direction != expected_dir:
            self.problems.append(
                f"{where}: <html lang={lang!r} dir={direction!r}>, expected "
                f"lang={self.lang!r} dir={expected_dir!r}"
            )
        self.problems += describe_violations(where, axe_violations(page))
        self.problems += [f"{where}: {p}" for p in horizontal_overflow(page, 320)]
        self.checked.append(where)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_participant_page_passes_axe_reflow_and_language(page, lang: str) -> None:
    look = Inspector(page, lang)

    response = page.goto(f"/r/demo?lang={lang}")
    assert response is not None and response.status == 200, f"/r/demo?lang={lang}"
    look.check("start")

    page.click("#consent-form button[type=submit]")
    page.wait_for_selector("#consent-form .error-summary")
    look.check("start, consent not ticked")

    page.check("#consent")
    page.click("#consent-form button[type=submit]")
    page.wait_for_url("**/r/demo/s/1")
    look.check("section 1")

    # The save status in each of its states: saving, not saved yet (offline), saved.
    held = []
    page.route(
        "**/r/demo/s/1",
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    page.fill("textarea", "Más tiempo, s'il vous plaît – وقت أطول")
    page.wait_for_selector("[data-saving]", state="visible")
    look.check("section 1, saving")
    held[0].abort()
    page.unroute("**/r/demo/s/1")
    page.wait_for_selector("#save-status:not(:empty)")
    look.check("section 1, not saved yet")
    page.wait_for_function(
        "() => document.getElementById('save-status').textContent.includes(':')",
        timeout=15_000,
    )
    look.check("section 1, saved")
    page.click("button[value=next]")
    page.wait_for_url(re.compile(r"/r/demo/code\?then=2$"))
    look.check("private code")
    code = page.inner_text("#resume-code").strip()
    assert CODE_PATTERN.fullmatch(code), code

    page.click("a.button[href$='/s/2']")
    page.wait_for_url("**/r/demo/s/2")
    look.check("section 2")

    page.goto("/r/demo/s/3")
    assert page.locator(".note").count() == 1, "section 3 should start with its content note"
    look.check("section 3, content note")
    page.click("a.button[href$='?note=read']")
    page.wait_for_url("**/r/demo/s/3?note=read")
    look.check("section 3")

    for position in (4, 5):
        page.goto(f"/r/demo/s/{position}")
        assert page.locator("#section-form").count() == 1
        look.check(f"section {position}")

    page.goto("/r/demo/safety")
    look.check("staying safe online")

    page.goto("/r/demo/review")
    look.check("review")
    page.click("button[value=submit]")
    page.wait_for_url("**/r/demo/thanks")
    look.check("thanks")

    page.goto("/r/demo/resume")
    look.check("resume")
    page.fill("#code", "AAAA-BBBB-CCCC")
    page.click("#resume-form button[type=submit]")
    page.wait_for_selector("#resume-form .error-summary")
    look.check("resume, code didn't match")

    page.goto("/r/demo/withdraw")
    look.check("withdraw")
    page.fill("#code", code)
    page.click("#withdraw-panel button[type=submit]")
    page.wait_for_selector("#withdraw-panel .button--warning")
    page.click("#withdraw-panel summary")  # open "See what will be deleted" so axe sees it
    look.check("withdraw, confirm")
    page.click("#withdraw-panel .button--warning")
    page.wait_for_url("**/r/demo/withdraw/done")
    look.check("withdrawn")

    missing = page.goto("/r/no-such-round")
    assert missing is not None and missing.status == 404
    look.check("error page (unknown round)")

    # Leaving: the next person to open the link meets a fresh start (the language
    # choice is forgotten too, so it is asked for again).
    page.goto("/r/demo/resume")
    page.click(".exit")
    page.wait_for_url(EXIT_HOST + "**")
    page.goto(f"/r/demo?lang={lang}")
    look.check("start, after leaving")

    assert len(look.checked) == 22
    report = "\n".join(look.problems)
    assert not look.problems, f"{len(look.problems)} problem(s) in {lang!r}:\n{report}"
