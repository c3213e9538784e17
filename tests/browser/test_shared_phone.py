"""A phone shared with someone who checks it: "Leave this page" ends the visit.

After the exit, neither Back (page after page) nor the poster link shows anything
that was written, with script on or off, and also in a Chromium that keeps pages
in its back/forward cache as phones do; the private code still brings the answers
back. The exit bar stays slim with large text, high-contrast mode keeps focus and
button edges visible, and the Shift shortcut says how many presses are left.
axe-core sees none of this, so each has its own check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.browser.harness import EXIT_HOST, LANGUAGES, PHONE, launch, open_context
from tests.browser.helpers import CODE_PATTERN, t, tab_to

pytestmark = pytest.mark.browser

WORDS = "My ex reads my phone, so texts are not safe for me."
MORE = "Please call the other number instead."


@pytest.fixture(scope="module")
def phone_like_browser(browser) -> Iterator[object]:
    """A Chromium that keeps pages in its back/forward cache, even no-store ones while
    cookies are unchanged, as phones increasingly do (Playwright turns that cache off)."""
    instance = launch(
        browser.browser_type,
        "--enable-features=CacheControlNoStoreEnterBackForwardCache:"
        "level/store-and-restore-unless-cookie-change",
        ignore_default_args=["--disable-back-forward-cache"],
    )
    yield instance
    instance.close()


def _shows(page) -> str:
    """Everything a person could see on the page, typed values included."""
    return page.evaluate(
        """() => document.body.innerText + " " + [...document.querySelectorAll(
             "textarea, input")].map(el => el.value).join(" ")"""
    )


@pytest.mark.parametrize("kind", ["js", "no-js", "js-phone-cache"])
def test_after_leaving_back_and_the_poster_link_show_nothing_written(
    browser, phone_like_browser, server, kind: str
) -> None:
    chosen = phone_like_browser if kind == "js-phone-cache" else browser
    context = open_context(chosen, server, javascript=kind != "no-js")
    try:
        page = context.new_page()
        page.goto("/healthz")  # stands in for whatever the person had open before
        page.goto("/r/demo")
        page.check("#consent")
        page.click("#consent-form button[type=submit]")
        page.wait_for_url("**/r/demo/s/1")
        page.fill("textarea", WORDS)
        page.click("button[value=next]")
        page.wait_for_url(re.compile(r"/r/demo/code\?then=2$"))
        code = page.inner_text("#resume-code").strip()
        assert CODE_PATTERN.fullmatch(code)
        page.click("a.button[href$='/s/2']")
        page.wait_for_url("**/r/demo/s/2")
        page.fill("textarea", MORE)  # typed, perhaps not saved yet
        length = page.evaluate("history.length")

        page.click(".exit")
        page.wait_for_url(EXIT_HOST + "**")
        assert page.title() == "Weather"
        if kind != "no-js":
            assert page.evaluate("history.length") == length, "the exit should replace"

        # Back, page after page, to what was open before the visit: nothing written.
        visited = []
        for _ in range(8):
            page.go_back()
            page.wait_for_load_state()
            page.wait_for_timeout(300)  # a page from the cache may reload itself
            visited.append(page.url)
            shown = _shows(page)
            assert WORDS not in shown and MORE not in shown, f"Back showed words at {page.url}"
            if page.url.endswith("/healthz"):
                break
        assert page.url.endswith("/healthz"), visited

        # The next person opens the poster link, or the review page: a fresh start.
        page.goto("/r/demo")
        assert page.locator("#consent-form").is_visible()
        assert t("en", "Carry on with your answers") not in _shows(page)
        page.goto("/r/demo/review")
        assert page.url.endswith("/r/demo")
        assert not [c for c in context.cookies() if re.fullmatch(r"cs_\d+", c["name"])]

        # The person comes back later with their code: everything saved is there.
        page.goto("/r/demo/resume")
        page.fill("#code", code)
        page.click("#resume-form button[type=submit]")
        page.wait_for_url(re.compile(r"/r/demo/s/\d$"))
        page.goto("/r/demo/review")
        assert WORDS in page.inner_text("main")
    finally:
        context.close()


def test_titles_kept_in_history_say_nothing_about_the_sections(page) -> None:
    page.goto("/r/demo")
    page.check("#consent")
    page.click("#consent-form button[type=submit]")
    page.wait_for_url("**/r/demo/s/1")
    for position in range(1, 6):
        page.goto(f"/r/demo/s/{position}")
        titles = [page.title()]
        if page.locator(".note").count():
            assert page.title() == f"Section {position} of 5"  # not "Content note: …"
            page.click("a.button[href$='?note=read']")
            page.wait_for_load_state()
            titles.append(page.title())
        heading = page.inner_text("h1").strip()
        for title in titles:
            assert title == f"Section {position} of 5", title
            assert heading not in title


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_shift_presses_are_counted_aloud_before_leaving(page, lang: str) -> None:
    plural = "Press Shift %(num)s more time to leave.", "Press Shift %(num)s more times to leave."

    def left(n: int) -> str:
        from codesign.i18n import translations_for

        return translations_for(lang).ngettext(*plural, n) % {"num": n}

    page.goto(f"/r/demo/resume?lang={lang}")
    progress = page.locator("[data-exit-progress]")
    assert progress.get_attribute("role") == "status"
    page.keyboard.press("Shift")
    assert progress.inner_text() == left(2)
    page.keyboard.press("Shift")
    assert progress.inner_text() == left(1)
    assert left(1) != left(2)
    # Any other key starts the count again, and the message goes.
    page.keyboard.press("a")
    assert progress.inner_text() == ""
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    with page.expect_navigation(url=EXIT_HOST + "**"):
        page.keyboard.press("Shift")


def test_the_shift_hint_is_not_offered_on_a_touch_only_phone(browser, server) -> None:
    context = open_context(browser, server, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        page.goto("/r/demo")
        assert page.evaluate("matchMedia('(hover: none) and (pointer: coarse)').matches")
        assert not page.locator(".exit-hint").is_visible()
        assert page.locator(".exit").is_visible()
        safety = page.locator(".exit-more a[href='/r/demo/safety']")
        assert safety.is_visible()
        assert safety.inner_text() == t("en", "Staying safe online")
    finally:
        context.close()


_FOCUS_SEEN = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const seen = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2
    && !/rgba\\(.*, 0\\)$/.test(s.outlineColor) && s.outlineColor !== "transparent";
  const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " "
    + (el.innerText || el.value || "").trim().slice(0, 30);
  return {name, seen, index: [...document.querySelectorAll("*")].indexOf(el)};
}"""

_BUTTON_EDGES = """() => [...document.querySelectorAll("button, .button, .exit, [type=submit]")]
  .filter(el => el.offsetParent !== null)
  .map(el => {
    const s = getComputedStyle(el);
    const edge = ["Top", "Right", "Bottom", "Left"].every(side =>
      s["border" + side + "Style"] !== "none" && parseFloat(s["border" + side + "Width"]) >= 1
      && !/rgba\\(.*, 0\\)$/.test(s["border" + side + "Color"]));
    return {name: el.innerText.trim().slice(0, 30), edge};
  })
  .filter(b => !b.edge).map(b => b.name)"""


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_high_contrast_keeps_focus_and_button_edges_visible(page, lang: str) -> None:
    page.emulate_media(forced_colors="active")
    page.goto(f"/r/demo?lang={lang}")
    assert page.evaluate("matchMedia('(forced-colors: active)').matches")
    problems: list[str] = []

    def walk(where: str) -> None:
        edgeless = page.evaluate(_BUTTON_EDGES)
        problems.extend(f"{where}: button without an edge: {name}" for name in edgeless)
        first = None
        for _ in range(80):
            page.keyboard.press("Tab")
            report = page.evaluate(_FOCUS_SEEN)
            if report is None:
                continue
            if report["index"] == first:
                break
            first = first if first is not None else report["index"]
            if not report["seen"]:
                problems.append(f"{where}: no visible focus on {report['name']}")
        # The walk ends back on "Skip to main content", which shows itself while focused.
        page.evaluate("document.activeElement.blur()")

    walk("start")
    page.check("#consent")
    page.click("#consent-form button[type=submit]")
    page.wait_for_url("**/r/demo/s/1")
    page.locator("textarea").press_sequentially("Words")
    page.wait_for_selector("#save-status:has-text(':')")
    walk("section 1")
    page.goto("/r/demo/review")
    walk("review")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_exit_bar_stays_slim_and_on_screen_with_200_percent_text(page, lang: str) -> None:
    page.goto(f"/r/demo?lang={lang}")
    page.check("#consent")
    page.click("#consent-form button[type=submit]")
    page.wait_for_url("**/r/demo/s/1")
    height = PHONE["height"]
    normal = page.locator("header.top").bounding_box()["height"]
    assert normal <= 0.1 * height, f"{lang}: the bar is {normal:.0f}px at normal text"
    # Text at 200%: what a phone's large-text setting does to rem-sized text.
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    bar = page.locator("header.top").bounding_box()
    assert bar["height"] <= 0.15 * height, (
        f"{lang}: the exit bar covers {bar['height'] / height:.0%} of the screen at 200% text"
    )
    exit_box = page.locator(".exit").bounding_box()
    assert exit_box["width"] >= 44 and exit_box["height"] >= 44
    assert page.evaluate(
        "el => el.scrollWidth <= el.clientWidth", page.locator(".exit").element_handle()
    ), f"{lang}: the exit button's words are cut off"
    # Far down the page it is still there, at the top, and can be pressed.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_timeout(100)
    stuck = page.locator("header.top").bounding_box()
    assert abs(stuck["y"]) < 1 and page.locator(".exit").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_focus_moves_to_what_a_swap_puts_in_place(page) -> None:
    page.goto("/r/demo")
    page.check("#consent")
    page.click("#consent-form button[type=submit]")
    page.wait_for_url("**/r/demo/s/1")
    page.fill("textarea", WORDS)
    page.click("button[value=next]")
    page.wait_for_url(re.compile(r"/code\?then=2$"))
    code = page.inner_text("#resume-code").strip()

    # A new code replaces the panel: focus goes to its heading.
    page.goto("/r/demo/code")
    tab_to(page, "#code-panel button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#resume-code")
    page.wait_for_function("() => document.activeElement.matches('#code-panel h1')")
    code = page.inner_text("#resume-code").strip()

    # Withdrawing: the confirmation replaces the form, and says what will be deleted.
    page.goto("/r/demo/withdraw")
    page.fill("#code", code)
    tab_to(page, "#withdraw-panel button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#withdraw-confirm")
    page.wait_for_function("() => document.activeElement.id === 'withdraw-confirm'")
    assert "We will delete 1 answer for good." in page.inner_text("#withdraw-confirm")
    assert page.url.endswith("/r/demo/withdraw")
