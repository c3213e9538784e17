"""The whole journey by keyboard alone, in Spanish and in Arabic (right-to-left).

Only keys a keyboard or switch user has: Tab, Shift+Tab, Space, Enter, the arrow
keys inside a radio group, and typing. No clicks, no `focus()` calls: if the tab
order skips a control or a control ignores its key, the test fails and says where
focus went.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.harness import RTL
from tests.browser.helpers import (
    CODE_PATTERN,
    focused_matches,
    html_language,
    press_and_wait,
    t,
    tab_to,
)

pytestmark = pytest.mark.browser

TYPED = {
    "en": ("Please text me a reminder the day before.", "A named worker to call would help."),
    "es": (
        "Por favor, mándenme un mensaje el día antes de la cita.",
        "Me ayudaría tener una persona de contacto con nombre.",
    ),
    "fr": (
        "Envoyez-moi un rappel par SMS la veille, s'il vous plaît.",
        "Avoir une personne à appeler m'aiderait.",
    ),
    "ar": (
        "أرجو أن ترسلوا لي رسالة تذكير قبل الموعد بيوم.",
        "سيساعدني وجود شخص محدد أتصل به.",
    ),
}


@pytest.mark.parametrize("lang", ["es", "ar"])
def test_whole_journey_by_keyboard_alone(page, lang: str) -> None:
    first_words, second_words = TYPED[lang]
    keys = page.keyboard

    page.goto(f"/r/demo?lang={lang}")
    assert html_language(page) == (lang, "rtl" if lang in RTL else "ltr")
    # The first Tab lands on "Skip to main content", and it shows itself.
    keys.press("Tab")
    assert focused_matches(page, ".skip-link")
    assert page.locator(".skip-link").is_visible()
    assert page.inner_text(".skip-link") == t(lang, "Skip to main content")

    # Start: tick consent with Space, choose to be quoted with an arrow key, Enter to start.
    tab_to(page, "#consent")
    keys.press("Space")
    assert page.is_checked("#consent")
    keys.press("Tab")
    assert focused_matches(page, "#may_quote-no"), "Tab should reach the quote choice next"
    keys.press("ArrowDown")
    assert page.is_checked("#may_quote-yes")
    tab_to(page, "#consent-form button[type=submit]")
    press_and_wait(page, "Enter", "**/r/demo/s/1")

    # Section 1: the agreement scale by arrow keys, then type in the text box.
    tab_to(page, "#section-form input[type=radio]")
    for _ in range(3):
        keys.press("ArrowDown")  # Strongly disagree → Disagree → Neither → Agree
    chosen = page.locator("#section-form input[type=radio]:checked")
    assert chosen.get_attribute("value") == "4"
    agreement = page.inner_text(f"label[for='{chosen.get_attribute('id')}']").strip()
    assert agreement == t(lang, "Agree")
    keys.press("Tab")
    assert focused_matches(page, "textarea"), "Tab from the scale should reach the text box"
    keys.type(first_words)
    tab_to(page, "button[value=next]")
    press_and_wait(page, "Enter", re.compile(r"/r/demo/code\?then=2$"))

    # The private code, shown once; then Continue.
    code = page.inner_text("#resume-code").strip()
    assert CODE_PATTERN.fullmatch(code)
    tab_to(page, "a.button[href$='/s/2']")
    press_and_wait(page, "Enter", "**/r/demo/s/2")

    # Section 2: skip it.
    tab_to(page, "#section-form button[value=skip]")
    press_and_wait(page, "Enter", "**/r/demo/s/3")

    # Section 3 starts with a content note: choose to read it.
    assert page.locator(".note h2").inner_text() == t(lang, "Content note")
    tab_to(page, "a.button[href$='?note=read']")
    press_and_wait(page, "Enter", "**/r/demo/s/3?note=read")
    tab_to(page, "textarea")
    keys.type(second_words)
    # One Tab too far (to "Skip this section"), then Shift+Tab back to "Save and continue".
    tab_to(page, "#section-form button[value=skip]")
    tab_to(page, "button[value=next]", backwards=True, limit=1)
    press_and_wait(page, "Enter", "**/r/demo/s/4")

    for position in (4, 5):
        target = "**/r/demo/review" if position == 5 else f"**/r/demo/s/{position + 1}"
        tab_to(page, "#section-form button[value=skip]")
        press_and_wait(page, "Enter", target)

    # Review shows exactly what was typed and chosen, in this language.
    heading = page.inner_text("h1").strip()
    assert heading == t(lang, "Check your answers")
    review = page.inner_text("main")
    assert first_words in review
    assert second_words in review
    assert agreement in review
    # The quote choice made on the start page is kept; Tab lands on it.
    tab_to(page, "#may_quote-yes")
    assert page.is_checked("#may_quote-yes")
    tab_to(page, "button[value=submit]")
    press_and_wait(page, "Enter", "**/r/demo/thanks")

    thanks = page.inner_text("h1").strip()
    assert thanks == t(lang, "Thank you. Your answers have been sent.")
    if lang != "en":
        assert thanks != "Thank you. Your answers have been sent.", "thank-you page not translated"
    assert html_language(page) == (lang, "rtl" if lang in RTL else "ltr")
