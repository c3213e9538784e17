"""What script adds on top of the plain pages: autosave, a character count, quick exit."""

from __future__ import annotations

import re

import pytest

from tests.browser.harness import EXIT_HOST
from tests.browser.helpers import focused_matches, t

pytestmark = pytest.mark.browser


def _start(page) -> None:
    page.goto("/r/demo")
    page.check("#consent")
    page.click("#consent-form button[type=submit]")
    page.wait_for_url("**/r/demo/s/1")


def _is_autosave(response) -> bool:
    return response.request.method == "POST" and response.url.endswith("/r/demo/s/1")


def test_answers_are_saved_while_typing_and_survive_a_reload(page) -> None:
    _start(page)
    with page.expect_response(_is_autosave):
        page.check("#section-form input[type=radio][value='5']")
    words = "I can only come after school pick-up."
    with page.expect_response(_is_autosave):
        page.locator("textarea").press_sequentially(words)
    # The status line says it is saved (with the time), without leaving the page.
    page.locator("#save-status").filter(has_text=re.compile(r"\d")).wait_for()
    assert page.url.endswith("/r/demo/s/1")

    page.reload()
    assert page.input_value("textarea") == words
    assert page.is_checked("#section-form input[type=radio][value='5']")


def test_character_count_appears_and_warns_calmly_past_the_limit(page) -> None:
    _start(page)
    area = page.locator("textarea")
    count = page.locator(f"#{area.get_attribute('id')}-count")
    assert count.is_visible()
    assert count.inner_text() == "0 of 5,000 characters"
    area.press_sequentially("Hello")
    page.wait_for_function(
        "el => el.textContent === '5 of 5,000 characters'", arg=count.element_handle()
    )
    # The count is seen, not read out: far from the limit its live region stays silent.
    live = page.locator(f"#{area.get_attribute('id')}-count-live")
    assert count.get_attribute("aria-live") is None
    assert live.get_attribute("aria-live") == "polite"
    page.wait_for_timeout(800)
    assert live.inner_text() == ""
    # Near the limit it is read out, and past it the calm message is.
    area.fill("x" * 4600)
    area.press("x")
    page.wait_for_function("el => el.textContent.startsWith('4,601')", arg=live.element_handle())
    area.fill("x" * 5001)
    area.press("x")
    page.wait_for_function("el => el.classList.contains('count--over')", arg=count.element_handle())
    over = t("en", "This is longer than we can save. Please make it shorter - nothing is lost.")
    assert count.inner_text() == over
    page.wait_for_function(
        "([el, text]) => el.textContent === text", arg=[live.element_handle(), over]
    )
    assert page.input_value("textarea") == "x" * 5002  # nothing is cut off


@pytest.mark.parametrize("lang", ["es", "fr", "ar"])
def test_character_count_writes_the_limit_as_the_hint_does(page, lang: str) -> None:
    page.goto(f"/r/demo?lang={lang}")
    page.check("#consent")
    page.click("#consent-form button[type=submit]")
    page.wait_for_url("**/r/demo/s/1")
    area = page.locator("textarea")
    field = area.get_attribute("id")
    hint = page.inner_text(f"#{field}-hint")
    limit = re.search(r"\d[\d\s.,\u202f\u00a0]*\d", hint)
    assert limit is not None, hint
    count = page.inner_text(f"#{field}-count")
    assert limit.group(0) in count, f"hint says {limit.group(0)!r}, the count says {count!r}"


def test_consent_error_is_shown_in_place_and_focused(page) -> None:
    page.goto("/r/demo")
    page.click("#consent-form button[type=submit]")
    page.wait_for_selector("#consent-form .error-summary")
    assert page.url.endswith("/r/demo")
    page.wait_for_function("document.activeElement.classList.contains('error-summary')")
    assert focused_matches(page, ".error-summary")
    # The summary links to the checkbox; following it by keyboard reaches the box.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.keyboard.press("Space")
    assert page.is_checked("#consent")


def _came_from_a_neutral_page(page) -> int:
    page.goto("/healthz")  # stands in for whatever the person had open before
    page.goto("/r/demo/resume")
    assert page.locator(".exit-hint").is_visible()
    return page.evaluate("history.length")


def test_leave_this_page_goes_away_and_back_does_not_return(page) -> None:
    length = _came_from_a_neutral_page(page)
    with page.expect_navigation(url=EXIT_HOST + "**"):
        page.click(".exit")
    assert page.evaluate("history.length") == length, "leaving must replace, not add, history"
    page.go_back()
    assert page.url.endswith("/healthz"), f"Back returned to {page.url}"


def test_shift_three_times_leaves(page) -> None:
    length = _came_from_a_neutral_page(page)
    # Capital letters typed with Shift are not a signal to leave, even with two
    # Shift presses after them.
    page.click("#code")
    for letter in "ABC":
        page.keyboard.press(f"Shift+{letter}")
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.wait_for_timeout(300)
    assert page.input_value("#code") == "ABC"
    assert page.url.endswith("/r/demo/resume")

    with page.expect_navigation(url=EXIT_HOST + "**"):
        page.keyboard.press("Shift")
    page.wait_for_load_state("load")
    assert page.evaluate("history.length") == length
    page.go_back()
    assert page.url.endswith("/healthz"), f"Back returned to {page.url}"
