"""With JavaScript switched off the journey still works end to end (plain forms).

Consent (and its error), an answer, the private code, going back, review, send,
carrying on from another phone with the code, and withdrawing with the code.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.harness import open_context
from tests.browser.helpers import CODE_PATTERN, t

pytestmark = pytest.mark.browser

WORDS = "Evening appointments would help me, I work days."


def test_journey_and_withdraw_without_javascript(nojs_context, browser, server) -> None:
    page = nojs_context.new_page()
    page.goto("/r/demo")
    # Script-only helpers stay hidden: no promise of a Shift shortcut that can't work.
    assert not page.locator(".exit-hint").is_visible()
    assert page.locator(".exit").is_visible()

    # Consent is needed, and the page says so (a full page, not a fragment).
    page.click("#consent-form button[type=submit]")
    page.wait_for_load_state()
    assert page.title().startswith(t("en", "Error:"))
    assert page.locator(".error-summary a[href='#consent']").is_visible()
    assert page.locator("#consent").is_visible()

    page.check("#consent")
    page.click("#consent-form button[type=submit]")
    page.wait_for_url("**/r/demo/s/1")

    # An answer: the scale and the text box; Save and continue shows the code once.
    page.check("#section-form input[type=radio][value='2']")
    page.fill("textarea", WORDS)
    page.click("button[value=next]")
    page.wait_for_url(re.compile(r"/r/demo/code\?then=2$"))
    code = page.inner_text("#resume-code").strip()
    assert CODE_PATTERN.fullmatch(code)
    assert not page.locator("[data-copy]").is_visible()  # copying needs script
    page.click("a.button[href$='/s/2']")
    page.wait_for_url("**/r/demo/s/2")

    # "Save and go back" returns to section 1 with the words still there.
    page.click("button[value=back]")
    page.wait_for_url("**/r/demo/s/1")
    assert page.input_value("textarea") == WORDS
    assert page.is_checked("#section-form input[type=radio][value='2']")
    assert page.inner_text("#save-status").strip() != ""  # "Saved at …"

    # The content note is a plain page with two links.
    page.goto("/r/demo/s/3")
    assert page.locator(".note").is_visible()
    page.click("a.button[href$='?note=read']")
    page.wait_for_url("**/r/demo/s/3?note=read")
    assert page.locator("textarea").count() == 1

    page.goto("/r/demo/review")
    assert WORDS in page.inner_text("main")
    assert t("en", "Disagree") in page.inner_text("main")
    page.check("#may_quote-yes")
    page.click("button[value=submit]")
    page.wait_for_url("**/r/demo/thanks")
    assert page.inner_text("h1").strip() == t("en", "Thank you. Your answers have been sent.")

    # Another phone, also without script: the code finds the sent answers.
    other = open_context(browser, server, javascript=False)
    try:
        phone = other.new_page()
        phone.goto("/r/demo/resume")
        phone.fill("#code", code.lower().replace("-", " "))
        phone.click("#resume-form button[type=submit]")
        phone.wait_for_url("**/r/demo/thanks")
    finally:
        other.close()

    # Withdraw with the code: see what will go, confirm, gone.
    page.goto("/r/demo/withdraw")
    page.fill("#code", code)
    page.click("#withdraw-panel button[type=submit]")
    page.wait_for_selector("#withdraw-panel .button--warning")
    page.click("#withdraw-panel summary")
    assert WORDS in page.inner_text("#withdraw-panel")
    page.click("#withdraw-panel .button--warning")
    page.wait_for_url("**/r/demo/withdraw/done")
    assert page.inner_text("h1").strip() == t("en", "Your answers are deleted")

    # The code no longer works, and the page says so calmly.
    page.goto("/r/demo/resume")
    page.fill("#code", code)
    page.click("#resume-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".error-summary").is_visible()
    assert page.input_value("#code") == code
