"""Organizer flows that used to lose work, in real Chromium: the translate page keeps
text typed in other parts when one part is saved (and keeps focus), and asks before the
page is left with text not saved yet.

Uses the console browser test's server and Chromium fixtures (skipped without Chromium).
"""

from __future__ import annotations

import re

import pytest

from tests.web.staff.test_console_browser import PASSWORD, chromium, site  # noqa: F401

pytestmark = pytest.mark.browser


def _signed_in(chromium, site, width=360):  # noqa: F811
    context = chromium.new_context(
        viewport={"width": width, "height": 740}, base_url=site, locale="en-GB"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/staff/sign-in")
    page.fill("#email", "org@example.org")
    page.fill("#password", PASSWORD)
    page.click("#sign-in-form button[type=submit]")
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


def test_saving_one_part_keeps_text_typed_in_another(site, chromium) -> None:  # noqa: F811
    context, page = _signed_in(chromium, site)
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


def test_without_javascript_other_parts_keep_their_text(site, chromium) -> None:  # noqa: F811
    context, page = _signed_in(chromium, site)
    round_url = _round_with_a_section(page)
    context.close()
    nojs = chromium.new_context(
        viewport={"width": 360, "height": 740}, base_url=site, locale="en-GB",
        java_script_enabled=False,
    )
    nojs.set_default_timeout(10_000)
    page = nojs.new_page()
    page.goto("/staff/sign-in")
    page.fill("#email", "org@example.org")
    page.fill("#password", PASSWORD)
    page.click("#sign-in-form button[type=submit]")
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


def test_removing_a_section_asks_first_and_the_page_passes_axe(site, chromium) -> None:  # noqa: F811
    context, page = _signed_in(chromium, site)
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
    arabic = chromium.new_context(
        viewport={"width": 360, "height": 740}, base_url=site, locale="ar"
    )
    arabic.set_extra_http_headers({"accept-language": "ar"})
    page = arabic.new_page()
    page.goto("/staff/sign-in")
    page.fill("#email", "org@example.org")
    page.fill("#password", PASSWORD)
    page.click("#sign-in-form button[type=submit]")
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
