"""Keyboard focus can always be seen, and right-to-left pages mirror the layout."""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import html_language, tab_to

pytestmark = pytest.mark.browser

#: For the focused element: can it be seen, and is it clear of the sticky header?
_FOCUS_REPORT = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const shadow = style.boxShadow !== "none" && style.boxShadow !== "";
  const box = el.getBoundingClientRect();
  const header = document.querySelector("header.top").getBoundingClientRect();
  const inHeader = document.querySelector("header.top").contains(el);
  const index = [...document.querySelectorAll("*")].indexOf(el);
  let name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "");
  const text = (el.innerText || el.value || "").trim().slice(0, 30);
  if (text) name += ` "${text}"`;
  const problems = [];
  if (!outline && !shadow) problems.push("no visible focus indicator");
  if (box.width === 0 || box.height === 0) problems.push("has no size");
  if (box.bottom > innerHeight + 1 || box.top < -1) problems.push("is off screen");
  if (!inHeader && box.top < header.bottom - 1 && box.bottom > header.top + 1) {
    problems.push("is hidden under the sticky header");
  }
  return {name, index, problems};
}"""


def _walk_focus(page, where: str) -> list[str]:
    """Tab through the whole page, then Shift+Tab back to the top; report any focus
    that can't be seen. Going back up matters: that is when a sticky header can hide it."""
    problems: list[str] = []
    order: list[int] = []
    for _ in range(100):
        page.keyboard.press("Tab")
        report = page.evaluate(_FOCUS_REPORT)
        if report is None or (order and report["index"] == order[0]):
            break
        order.append(report["index"])
        problems += [f"{where} (Tab): {report['name']} {p}" for p in report["problems"]]
    assert len(order) > 4, f"{where}: Tab reached only {len(order)} elements"
    for _ in range(100):
        page.keyboard.press("Shift+Tab")
        report = page.evaluate(_FOCUS_REPORT)
        if report is None:
            continue  # past the end of the page: the next Shift+Tab comes back in
        problems += [f"{where} (Shift+Tab): {report['name']} {p}" for p in report["problems"]]
        if report["index"] == order[0]:
            break
    return problems


def _start(page, lang: str) -> None:
    page.goto(f"/r/demo?lang={lang}")
    page.check("#consent")
    page.click("#consent-form button[type=submit]")
    page.wait_for_url("**/r/demo/s/1")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_focus_is_always_visible_and_never_under_the_header(page, lang: str) -> None:
    problems = []
    page.goto(f"/r/demo?lang={lang}")
    problems += _walk_focus(page, "start")
    _start(page, lang)
    page.fill("textarea", "A few words")
    problems += _walk_focus(page, "section 1")
    page.click("button[value=next]")
    page.wait_for_url(re.compile(r"/code\?then=2$"))
    problems += _walk_focus(page, "private code")
    page.goto("/r/demo/review")
    problems += _walk_focus(page, "review")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_error_summary_link_shows_the_field_clear_of_the_header(
    browser, server, javascript: bool
) -> None:
    from tests.browser.harness import open_context

    context = open_context(browser, server, javascript=javascript)
    try:
        page = context.new_page()
        page.goto("/r/demo")
        page.click("#consent-form button[type=submit]")
        page.wait_for_selector(".error-summary a[href='#consent']")
        tab_to(page, ".error-summary a[href='#consent']")
        page.keyboard.press("Enter")
        page.wait_for_timeout(200)
        header_bottom = page.evaluate(
            "document.querySelector('header.top').getBoundingClientRect().bottom"
        )
        box = page.locator("#consent").bounding_box()
        assert box is not None and box["y"] >= header_bottom, (
            f"the checkbox (top {box and box['y']}) is under the sticky header "
            f"(bottom {header_bottom}) after following the error link"
        )
    finally:
        context.close()


def test_arabic_mirrors_the_layout_but_not_phone_numbers(page) -> None:
    page.goto("/r/demo?lang=en")
    width = page.viewport_size["width"]
    exit_en = page.locator(".exit").bounding_box()
    assert exit_en["x"] + exit_en["width"] > width * 0.75, "English: quick exit on the right"

    page.goto("/r/demo?lang=ar")
    assert html_language(page) == ("ar", "rtl")
    exit_ar = page.locator(".exit").bounding_box()
    assert exit_ar["x"] < width * 0.25, "Arabic: quick exit mirrored to the left"
    # Text starts at the right edge of the page.
    heading = page.locator("h1").bounding_box()
    assert heading["x"] + heading["width"] > width - 20
    # A phone number keeps its digits in order, left to right.
    phone = page.locator("a.phone").first
    assert phone.get_attribute("dir") == "ltr"
    assert page.evaluate("el => getComputedStyle(el).direction", phone.element_handle()) == "ltr"
