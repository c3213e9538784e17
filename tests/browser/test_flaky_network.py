"""Prepaid data drops and servers stumble: nothing written is lost, and the status tells
the truth about it.

Each test types on a real 360 px page, breaks the network (offline, or a 503/500
answer in place of the server's), and checks two things: what the page says, and
what the database really holds. "Saved at" may appear only once the server has the
exact words; until then the page says calmly that it keeps trying, and it does, with
the same idempotency key, so a retry that lands twice is still one save.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import pytest

from tests.browser.harness import open_context
from tests.browser.helpers import stored_answers, t, visit_id

pytestmark = pytest.mark.browser

FAILED = "Not saved yet – we'll keep trying. Your words are still here."
SAVED = re.compile(r"^Saved at \d")


def _start(page, lang: str = "en") -> None:
    page.goto(f"/r/demo?lang={lang}")
    page.check("#consent")
    page.click("#consent-form button[type=submit]")
    page.wait_for_url("**/r/demo/s/1")


def _status(page) -> str:
    return " ".join(page.inner_text("#save-status").split())


def _wait_status(page, pattern: str | re.Pattern[str], timeout: int = 15_000) -> None:
    """Wait until the status line reads `pattern` (a text, or a regular expression)."""
    if isinstance(pattern, str):
        pattern = re.compile("^" + re.escape(pattern) + "$")
    page.wait_for_function(
        "([re]) => new RegExp(re).test(document.getElementById('save-status')"
        ".textContent.trim().replace(/\\s+/g, ' '))",
        arg=[pattern.pattern],
        timeout=timeout,
    )


def _text_field(page) -> int:
    return int(page.get_attribute("textarea", "name")[1:])


def _saves(page) -> list[dict[str, str]]:
    """Every save the page sends from now on (even ones that never reach the server)."""
    sent: list[dict[str, str]] = []

    def record(request) -> None:
        if request.method == "POST" and "/r/demo/s/" in request.url:
            sent.append({k: v[-1] for k, v in parse_qs(request.post_data or "").items()})

    page.on("request", record)
    return sent


def _stored_text(server_folder, context, question: int) -> str | None:
    return stored_answers(server_folder / "b.db", visit_id(context)).get(question)


def _watch_announcements(page) -> None:
    """Record every text the status line's live region is given (what is read out)."""
    page.evaluate(
        """() => {
          const el = document.getElementById('save-status');
          window.spoken = [];
          new MutationObserver(() => {
            const text = el.textContent.trim();
            if (text) window.spoken.push(text);
          }).observe(el, {childList: true, subtree: true, characterData: true});
        }"""
    )


def test_offline_while_typing_says_so_keeps_trying_and_then_saves(
    context, page, server_folder
) -> None:
    _start(page)
    question = _text_field(page)
    area = page.locator("textarea")
    area.press_sequentially("First words.")
    _wait_status(page, SAVED)
    assert _stored_text(server_folder, context, question) == "First words."

    sent = _saves(page)
    _watch_announcements(page)
    context.set_offline(True)
    area.press_sequentially(" My ex reads my phone.")
    _wait_status(page, FAILED)
    # Retried with backoff while offline: the same answers, the same key each time.
    page.wait_for_timeout(2600)
    assert len(sent) >= 2, sent
    assert len({s["save_key"] for s in sent}) == 1
    assert _status(page) == FAILED
    assert area.input_value() == "First words. My ex reads my phone."
    assert _stored_text(server_folder, context, question) == "First words."
    # Nothing kept in storage that outlives the tab, even with unsaved words.
    storage = page.evaluate(
        """async () => ({
          local: localStorage.length,
          keys: Object.keys(sessionStorage),
          values: [...Object.values(localStorage), ...Object.values(sessionStorage)],
          idb: (await indexedDB.databases()).length,
          caches: (await caches.keys()).length,
        })"""
    )
    storage["keys"] = set(storage["keys"])
    # (htmx keeps the page's address in sessionStorage; never anything typed.)
    assert storage["keys"] <= {"htmx-current-path-for-history"}, storage
    assert not any("ex reads" in value or "First" in value for value in storage["values"])
    assert (storage["local"], storage["idb"], storage["caches"]) == (0, 0, 0)

    context.set_offline(False)
    _wait_status(page, SAVED)
    assert _stored_text(server_folder, context, question) == "First words. My ex reads my phone."
    # The landed retry used the key of the failed tries: one save, not two.
    assert sent[-1]["save_key"] == sent[0]["save_key"]
    # Read out once when it failed (not at every retry), once when it saved.
    spoken = page.evaluate("window.spoken")
    assert spoken.count(FAILED) == 1 and len(spoken) == 2, spoken
    assert SAVED.match(spoken[-1])


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 503, "body": "Service Unavailable"},
        # The app's own errors reach htmx as 200 + the real status in a header.
        {"status": 200, "headers": {"x-error-status": "500"}, "body": "<p>Sorry</p>"},
        {"status": 500, "body": "Internal Server Error"},
        # A Wi-Fi login page answering instead of the server: not ours, not saved.
        {"status": 200, "body": "<h1>Log in to the free Wi-Fi</h1>"},
    ],
    ids=["503", "app-500", "500", "wifi-login-page"],
)
def test_server_errors_while_typing_are_never_called_saved(
    context, page, server_folder, answer
) -> None:
    _start(page)
    question = _text_field(page)
    failures: list[str] = []

    def fail(route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        failures.append(parse_qs(route.request.post_data)["save_key"][0])
        route.fulfill(content_type="text/html", **answer)

    page.route("**/r/demo/s/1", fail)
    sent = _saves(page)
    page.locator("textarea").press_sequentially("Texts the day before, please.")
    _wait_status(page, FAILED)
    assert not page.locator("#save-status").inner_text().startswith("Saved")
    assert _stored_text(server_folder, context, question) is None

    page.unroute("**/r/demo/s/1")
    _wait_status(page, SAVED)
    assert _stored_text(server_folder, context, question) == "Texts the day before, please."
    assert sent[-1]["save_key"] == failures[0], "the retry should reuse the failed save's key"


def test_saving_shows_while_the_save_is_in_flight(context, page, server_folder) -> None:
    _start(page)
    page.locator("textarea").press_sequentially("Earlier words.")
    _wait_status(page, SAVED)
    held = []
    page.route(
        "**/r/demo/s/1",
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    page.locator("textarea").press_sequentially(" Later words.")
    page.wait_for_selector("[data-saving]", state="visible")
    assert page.inner_text("[data-saving]") == t("en", "Saving…")
    # The earlier "Saved at" is gone: it was true of other words.
    assert _status(page) == ""
    assert held, "the save should be waiting"
    held[0].continue_()
    _wait_status(page, SAVED)
    assert not page.locator("[data-saving]").is_visible()
    question = _text_field(page)
    assert _stored_text(server_folder, context, question) == "Earlier words. Later words."


def test_save_and_continue_offline_stays_and_keeps_the_words(
    context, page, server_folder
) -> None:
    _start(page)
    question = _text_field(page)
    words = "I can only come after school pick-up."
    context.set_offline(True)
    page.fill("textarea", words)
    page.click("button[value=next]")
    _wait_status(page, FAILED)
    # Still this page, not the browser's error page, with every word in place.
    assert page.url.endswith("/r/demo/s/1")
    assert page.input_value("textarea") == words
    assert page.locator("h1").count() == 1
    assert _stored_text(server_folder, context, question) is None

    # Pressing again while still offline says it again (a person asked again).
    _watch_announcements(page)
    page.click("button[value=next]")
    page.wait_for_function("() => window.spoken.length >= 1")
    assert page.evaluate("window.spoken") == [FAILED]

    context.set_offline(False)
    _wait_status(page, SAVED)
    assert _stored_text(server_folder, context, question) == words
    page.click("button[value=next]")
    page.wait_for_url(re.compile(r"/r/demo/code\?then=2$"))
    page.go_back()
    page.wait_for_url("**/r/demo/s/1")
    assert page.input_value("textarea") == words


def test_save_and_continue_during_a_503_stays_then_moves_on(context, page, server_folder) -> None:
    words = "Please answer the phone in the evening."
    _start(page)
    question = _text_field(page)
    page.route(
        "**/r/demo/s/1",
        lambda route: route.fulfill(status=503, body="busy")
        if route.request.method == "POST"
        else route.continue_(),
    )
    page.fill("textarea", words)
    page.click("button[value=next]")
    _wait_status(page, FAILED)
    assert page.url.endswith("/r/demo/s/1")
    assert page.input_value("textarea") == words
    page.unroute("**/r/demo/s/1")
    page.click("button[value=next]")
    page.wait_for_url(re.compile(r"/r/demo/code\?then=2$"))
    assert _stored_text(server_folder, context, question) == words


def test_a_section_nobody_touched_says_nothing_about_saving(page) -> None:
    _start(page)
    page.locator("textarea").press_sequentially("Some words.")
    _wait_status(page, SAVED)
    page.click("button[value=next]")
    page.wait_for_url(re.compile(r"/code\?then=2$"))
    page.click("a.button[href$='/s/2']")
    page.wait_for_url("**/r/demo/s/2")
    assert _status(page) == ""


def test_leave_page_prompt_only_while_words_are_unsaved(context, page, server_folder) -> None:
    _start(page)
    question = _text_field(page)
    prompts: list[str] = []

    def answer(dialog) -> None:
        prompts.append(dialog.type)
        dialog.accept()

    page.on("dialog", answer)
    page.locator("textarea").press_sequentially("Saved words.")
    _wait_status(page, SAVED)
    page.reload()
    assert prompts == [], "nothing unsaved: no prompt"

    # A reload within the pause after typing: the browser asks, and the last words are
    # sent on the way out, so they are there after the reload.
    page.focus("textarea")
    page.keyboard.press("Control+End")
    page.keyboard.type(" Last words")
    page.reload()
    assert prompts == ["beforeunload"]
    page.wait_for_function(
        "() => document.querySelector('textarea').value === 'Saved words. Last words'"
    )
    for _ in range(50):
        if _stored_text(server_folder, context, question) == "Saved words. Last words":
            break
        page.wait_for_timeout(100)
    assert _stored_text(server_folder, context, question) == "Saved words. Last words"
    # Leaving by the quick exit never asks, even with unsaved words.
    page.locator("textarea").press_sequentially(" more")
    page.click(".exit")
    page.wait_for_url(re.compile(r"localhost:\d+/weather"))
    assert prompts == ["beforeunload"]


def test_arrow_keys_on_the_scale_send_one_save(context, page, server_folder) -> None:
    _start(page)
    sent = _saves(page)
    first = page.locator("#section-form input[type=radio]").first
    first.focus()
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    _wait_status(page, SAVED)
    page.wait_for_timeout(1200)
    assert len(sent) == 1, f"{len(sent)} saves for one choice"
    scale = first.get_attribute("name")
    assert sent[0][scale] == "4"
    assert stored_answers(server_folder / "b.db", visit_id(context))[int(scale[1:])] == "4"


def test_one_announcement_per_save(page) -> None:
    _start(page)
    _watch_announcements(page)
    page.locator("textarea").press_sequentially("Once.")
    _wait_status(page, SAVED)
    page.wait_for_timeout(500)
    spoken = page.evaluate("window.spoken")
    assert len(spoken) == 1 and SAVED.match(spoken[0]), spoken
    assert t("en", "Saving…") not in " ".join(spoken)


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_changing_language_or_skipping_keeps_the_words(
    browser, server, server_folder, javascript: bool
) -> None:
    context = open_context(browser, server, javascript=javascript)
    try:
        page = context.new_page()
        _start(page)
        question = _text_field(page)
        page.fill("textarea", "Words before switching.")
        page.click("nav.languages button[lang=es]")
        page.wait_for_url("**/r/demo/s/1?lang=es")
        assert page.get_attribute("html", "lang") == "es"
        assert page.input_value("textarea") == "Words before switching."
        assert _stored_text(server_folder, context, question) == "Words before switching."

        page.fill("textarea", "Palabras antes de saltar.")
        page.click("button[value=skip]")
        page.wait_for_url(re.compile(r"/r/demo/code\?then=2$"))
        assert _stored_text(server_folder, context, question) == "Palabras antes de saltar."
    finally:
        context.close()


def test_enter_on_a_choice_without_javascript_saves_and_continues(nojs_context) -> None:
    page = nojs_context.new_page()
    _start(page)
    page.check("#section-form input[type=radio][value='3']")
    page.focus("#section-form input[type=radio][value='3']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/r/demo/code\?then=2$"))
    assert page.get_attribute("html", "lang") == "en"  # not a language button
