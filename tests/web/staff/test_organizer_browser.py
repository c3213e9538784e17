"""Organizer flows that used to lose work, in real Chromium: the translate page keeps
text typed in other parts when one part is saved (and keeps focus), and asks before the
page is left with text not saved yet.

Uses the console browser test's server and Chromium fixtures (skipped without Chromium).
"""

from __future__ import annotations

import re

import pytest

from tests.browser.harness import open_context
from tests.browser.helpers import finish_staff_sign_in, sign_in_with_password
from tests.web.staff.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _signed_in(browser, site, width=360):
    context = open_context(browser, site, width=width)
    page = context.new_page()
    sign_in_with_password(page, "org@example.org", PASSWORD)
    finish_staff_sign_in(page, "org@example.org")  # an admin sets up two-step sign-in
    page.wait_for_url(lambda url: url.endswith("/staff/") and "sign-in" not in url)
    return context, page


def _round_with_a_section(page) -> str:
    page.goto("/staff/rounds/new")
    for field, value in {
        "title": "Kitchen rules",
        "organisation": "Riverside",
        "purpose": "We want to change the kitchen rules.",
        "readers": "The review board.",
        "next_steps": "We will publish what changed.",
        "data_use": "We keep answers for a year.",
        "contact0_name": "Support line",
        "contact0_phone": "0800 000 000",
    }.items():
        page.fill(f"#{field}", value)
    page.fill("#closes_at", "2099-06-30T17:00")
    page.check("#offer_es")
    page.click("#round-form button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/rounds/\d+\?done=created"))
    round_url = page.url.split("?")[0]
    page.click("a:has-text('Add a section')")
    page.wait_for_url(re.compile(r"/sections/new"))
    page.fill("#title", "Using the kitchen")
    page.fill("#body_md", "The kitchen is open from 8am.")
    page.click("#section-form button[type=submit]")
    page.wait_for_url(re.compile(r"/sections/\d+"))
    return round_url


def test_saving_one_part_keeps_text_typed_in_another(site, browser) -> None:
    context, page = _signed_in(browser, site)
    round_url = _round_with_a_section(page)
    page.goto(round_url + "/translate/es")
    section_id = page.get_attribute("section.translation[id^=section-]", "id")
    # Text typed in two parts; only the first part is saved.
    page.fill("[name='round_title']", "Normas de la cocina")
    page.fill(f"[name='{section_id}_title']", "Usar la cocina")
    page.fill(f"[name='{section_id}_body_md']", "La cocina abre a las 8.")
    page.focus("#save-round")
    page.keyboard.press("Enter")
    page.wait_for_selector("#round-status >> text=Saved.")

    # The other part's words are still on the screen, and focus stayed on the button.
    assert page.input_value(f"[name='{section_id}_title']") == "Usar la cocina"
    assert page.input_value(f"[name='{section_id}_body_md']") == "La cocina abre a las 8."
    assert page.evaluate("document.activeElement.id") == "save-round"
    assert "1 of" in page.inner_text("#translation-progress")
    # Stored: the saved part only.
    page.goto(round_url + "/translate/es")
    assert page.input_value("[name='round_title']") == "Normas de la cocina"
    assert page.input_value(f"[name='{section_id}_title']") == ""

    # Leaving with text not saved yet: the browser asks first; staying keeps the words.
    page.fill(f"[name='{section_id}_title']", "Usar la cocina")
    asked: list[str] = []

    def stay(dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    page.evaluate("() => { window.__still_here = true; }")
    page.click("a:has-text('Back to the round')")
    page.wait_for_timeout(300)  # the dialog is handled by then; not a timed assertion
    assert asked == ["beforeunload"]
    assert page.evaluate("window.__still_here === true")
    assert page.input_value(f"[name='{section_id}_title']") == "Usar la cocina"
    page.remove_listener("dialog", stay)

    # Once saved, nothing is asked: leaving simply goes.
    page.click(f"#save-{section_id}")
    page.wait_for_selector(f"#{section_id}-status >> text=Saved.")
    page.on("dialog", lambda dialog: asked.append(dialog.type) or dialog.accept())
    page.click("a:has-text('Back to the round')")
    page.wait_for_url(round_url)
    assert asked == ["beforeunload"]
    context.close()


def test_without_javascript_other_parts_keep_their_text(site, browser) -> None:
    context, page = _signed_in(browser, site)
    round_url = _round_with_a_section(page)
    context.close()
    nojs = open_context(browser, site, javascript=False)
    page = nojs.new_page()
    sign_in_with_password(page, "org@example.org", PASSWORD)
    finish_staff_sign_in(page, "org@example.org")  # an admin's two-step sign-in
    page.wait_for_url(lambda url: url.endswith("/staff/"))
    page.goto(round_url + "/translate/es")
    section_id = page.get_attribute("section.translation[id^=section-]", "id")
    page.fill("[name='round_title']", "Normas de la cocina")
    page.fill(f"[name='{section_id}_title']", "Usar la cocina")
    page.click("#save-round")
    page.wait_for_selector("#round-status >> text=Saved.")
    assert page.input_value(f"[name='{section_id}_title']") == "Usar la cocina"
    assert "Not saved yet" in page.inner_text(f"#{section_id}-status")
    page.screenshot(path=str(_shots() / "translate-nojs-360.png"), full_page=True)
    nojs.close()


def _shots():
    from pathlib import Path

    folder = Path(__file__).resolve().parents[3] / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder


def _axe(page, where: str) -> list[str]:
    from tests.browser.helpers import axe_violations, describe_violations

    return describe_violations(where, axe_violations(page))


def test_removing_a_section_asks_first_and_the_page_passes_axe(site, browser) -> None:
    context, page = _signed_in(browser, site)
    round_url = _round_with_a_section(page)
    page.goto(round_url)
    page.click("#sections button[value=delete]")
    page.wait_for_url(re.compile(r"/sections/\d+/confirm\?action=delete"))
    assert "Remove the section “Using the kitchen”?" in page.inner_text("h1")
    assert page.evaluate("document.activeElement.tagName") == "H1"
    problems = _axe(page, "confirm (360)")
    page.screenshot(path=str(_shots() / "confirm-remove-360.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    problems += _axe(page, "confirm (desktop)")
    # "Keep it" goes back with nothing removed.
    page.click("#confirm-form a")
    page.wait_for_url(re.compile(r"#sections$"))
    assert "Using the kitchen" in page.inner_text("#sections")
    page.click("#sections button[value=delete]")
    page.click("#confirm-form button[type=submit]")
    page.wait_for_url(re.compile(r"done=removed"))
    assert "Using the kitchen" not in page.inner_text("#sections")
    context.close()
    # In Arabic (right to left), at phone width.
    arabic = open_context(browser, site, locale="ar")
    arabic.set_extra_http_headers({"accept-language": "ar"})
    page = arabic.new_page()
    sign_in_with_password(page, "org@example.org", PASSWORD)
    finish_staff_sign_in(page, "org@example.org")  # an admin's two-step sign-in
    page.wait_for_url(lambda url: url.endswith("/staff/"))
    page.goto(round_url + "/sections/new")
    page.fill("#title", "المطبخ")
    page.fill("#body_md", "نص.")
    page.click("#section-form button[type=submit]")
    page.wait_for_url(re.compile(r"/sections/\d+"))
    page.goto(round_url)
    page.click("#sections button[value=delete]")
    page.wait_for_url(re.compile(r"/confirm"))
    assert page.get_attribute("html", "dir") == "rtl"
    assert "إزالة القسم" in page.inner_text("h1")
    assert page.evaluate("document.documentElement.scrollWidth <= 360")
    problems += _axe(page, "confirm (Arabic)")
    page.screenshot(path=str(_shots() / "confirm-remove-ar-360.png"), full_page=True)
    arabic.close()
    assert not problems, "\n".join(problems)


def test_a_four_language_poster_prints_on_one_a4_page(demo_site, browser) -> None:
    import io

    from pypdf import PdfReader

    context, page = _signed_in(browser, demo_site)
    page.goto("/staff/rounds/1/share")
    for loc in ("en", "es", "fr", "ar"):
        page.check(f"#poster-{loc}")
    page.click("form[action$='/poster'] button[type=submit]")
    page.wait_for_url(re.compile(r"/poster\?"))
    problems = _axe(page, "poster (360)")
    page.screenshot(path=str(_shots() / "poster-4-languages-360.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    problems += _axe(page, "poster (desktop)")
    pdf = page.pdf(format="A4", print_background=True)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    printed = reader.pages[0].extract_text()
    short = page.inner_text(".poster-url")
    assert short.startswith("127.0.0.1:") and "/r/" in short and "http" not in short
    assert short in printed.replace("\n", "")
    # The QR code is on that page (the SVG, drawn as vector paths, inside the page).
    box = page.evaluate(
        "() => { const r = document.querySelector('.poster-code .qr').getBoundingClientRect();"
        " return r.width > 100 && r.height > 100; }"
    )
    assert box
    # Every language's invitation is on the printed page, not on a second sheet.
    for ask in ("Tell us what you think",):
        assert ask in printed
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})
    page.screenshot(path=str(_shots() / "poster-4-languages-print.png"), full_page=True)
    heights = page.evaluate(
        "() => [...document.querySelectorAll('.poster-panel, .poster-main, .poster-code')]"
        ".map(e => e.getBoundingClientRect().bottom <="
        " document.querySelector('.poster').getBoundingClientRect().bottom + 1)"
    )
    assert all(heights), "a language runs past the end of the page and is cut off"
    context.close()
    assert not problems, "\n".join(problems)


def test_correcting_wording_on_an_open_round(demo_site, browser) -> None:
    context, page = _signed_in(browser, demo_site)
    page.goto("/staff/rounds/1")
    page.click("#sections a:has-text('Correct the wording') >> nth=0")
    page.wait_for_url(re.compile(r"/sections/\d+$"))
    problems = _axe(page, "correct wording (360)")
    title = page.input_value("#title")
    page.fill("#title", title + " – fixed")
    page.click("button[value=save]")
    page.wait_for_url(re.compile(r"done=saved"))
    assert page.input_value("#title") == title + " – fixed"
    page.screenshot(path=str(_shots() / "correct-wording-360.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    problems += _axe(page, "correct wording (desktop)")
    context.close()
    assert not problems, "\n".join(problems)


def test_the_audit_log_filters_in_words_at_phone_width_and_in_arabic(demo_site, browser) -> None:  # noqa: E501
    context, page = _signed_in(browser, demo_site)
    page.goto("/staff/audit")
    problems = _axe(page, "audit (360)")
    page.select_option("#filter-action", label="Signed in")
    page.click(".audit-filters button[type=submit]")
    page.wait_for_url(re.compile(r"action=sign_in"))
    cells = page.locator("table.audit tbody tr td:nth-child(3)").all_inner_texts()
    assert cells and set(cells) == {"Signed in"}
    page.set_viewport_size({"width": 1280, "height": 900})
    problems += _axe(page, "audit filtered (desktop)")
    context.close()
    arabic = open_context(browser, demo_site, locale="ar")
    arabic.set_extra_http_headers({"accept-language": "ar"})
    page = arabic.new_page()
    sign_in_with_password(page, "org@example.org", PASSWORD)
    finish_staff_sign_in(page, "org@example.org")  # an admin's two-step sign-in
    page.wait_for_url(lambda url: url.endswith("/staff/"))
    page.goto("/staff/audit")
    assert page.get_attribute("html", "dir") == "rtl"
    assert "تسجيل الدخول" in page.inner_text("table.audit")
    problems += _axe(page, "audit (Arabic)")
    page.screenshot(path=str(_shots() / "audit-ar-360.png"), full_page=True)
    arabic.close()
    assert not problems, "\n".join(problems)


def test_the_printable_paper_form_in_arabic(demo_site, browser) -> None:
    import io

    from pypdf import PdfReader

    context, page = _signed_in(browser, demo_site)
    page.goto("/staff/rounds/1/paper")
    page.click("a:has-text('Paper form in العربية')")
    page.wait_for_url(re.compile(r"/paper/form/ar$"))
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.evaluate("document.documentElement.scrollWidth <= 360")
    problems = _axe(page, "paper form ar (360)")
    page.screenshot(path=str(_shots() / "paper-form-ar-360.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    problems += _axe(page, "paper form ar (desktop)")
    printed = PdfReader(io.BytesIO(page.pdf(format="A4"))).pages[0].extract_text()
    assert "1.1" in printed and "Print" not in printed  # the staff note is not printed
    context.close()
    assert not problems, "\n".join(problems)
