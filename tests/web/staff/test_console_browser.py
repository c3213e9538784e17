"""The organizer console in real Chromium: build a two-language round, translate it,
preview it, open it, answer it as a participant, watch the answer arrive; axe on every
staff page at phone and desktop widths.

Needs the system Chromium (as tests/browser does); skipped without it, except in CI.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.harness import open_context
from tests.browser.helpers import finish_staff_sign_in, sign_in_with_password
from tests.web.staff.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _axe(page, where: str) -> list[str]:
    from tests.browser.helpers import axe_violations, describe_violations

    return describe_violations(where, axe_violations(page))


def test_build_translate_preview_open_answer_and_watch(site, browser) -> None:
    staff = open_context(browser, site)
    page = staff.new_page()
    problems: list[str] = []

    page.goto("/staff/")
    assert "/staff/sign-in" in page.url
    problems += _axe(page, "sign-in")
    page.fill("#email", "org@example.org")
    page.fill("#password", PASSWORD)
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_url(lambda url: url.endswith("/staff/") and "sign-in" not in url)

    page.goto("/staff/rounds/new")
    problems += _axe(page, "new round")
    for field, value in {
        "title": "Our new opening hours",
        "organisation": "Riverside",
        "purpose": "We want to change when we are open.",
        "readers": "The review board.",
        "next_steps": "We will publish what changed.",
        "data_use": "We keep answers for a year.",
        "contact0_name": "Support line",
        "contact0_phone": "0800 000 000",
        "contact0_hours": "Weekdays 9 to 5",
        "contact0_description": "Talk to someone.",
    }.items():
        page.fill(f"#{field}", value)
    page.select_option("#timezone", "Europe/London")
    page.fill("#closes_at", "2099-06-30T17:00")
    page.check("#offer_es")
    page.click("#round-form button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/rounds/\d+\?done=created"))
    round_url = page.url.split("?")[0]
    problems += _axe(page, "round")

    page.click("a:has-text('Add a section')")
    page.wait_for_url(re.compile(r"/sections/new"))
    page.fill("#title", "Weekday hours")
    page.fill("#body_md", "We will open **from 8am** on weekdays.")
    page.click("#section-form button[type=submit]")
    page.wait_for_url(re.compile(r"/sections/\d+"))
    for kind, prompt in (
        ("agreement", "How much do you agree?"),
        ("open_text", "What would you change?"),
    ):
        page.check(f"#kind-{kind}")
        page.fill("#prompt", prompt)
        page.click("button[value=add_question]")
        page.wait_for_selector(f"input[value='{prompt}']")
    problems += _axe(page, "section")

    page.goto(round_url + "/translate/es")
    problems += _axe(page, "translate")
    spanish = {
        "round_title": "Nuestro nuevo horario",
        "round_organisation": "Riverside",
        "round_purpose": "Queremos cambiar cuándo abrimos.",
        "round_readers": "La junta.",
        "round_next_steps": "Publicaremos lo que cambió.",
        "round_data_use": "Un año.",
        "contact-0_name": "Línea de apoyo",
        "contact-0_hours": "De 9 a 5",
        "contact-0_description": "Hable con alguien.",
    }
    for name, value in spanish.items():
        page.fill(f"[name='{name}']", value)
    page.click("section#round button[type=submit]")
    page.wait_for_selector("section#round >> text=Saved.")
    for form in page.query_selector_all("section.translation"):
        form_id = form.get_attribute("id")
        if form_id == "round":
            continue
        for field in page.query_selector_all(
            f"section#{form_id} input.input, section#{form_id} textarea"
        ):
            if not field.input_value():
                field.fill("Texto en español.")
        page.click(f"section#{form_id} button[type=submit]")
        page.wait_for_selector(f"section#{form_id} >> text=Saved.")
    assert "Participants can choose it once the round is open" in page.content()

    page.goto(round_url + "/preview/es/s/1")
    assert "preview-banner" in page.content() and "Texto en español." in page.content()

    page.goto(round_url)
    # Not without a safeguarding lead: the refusal says so, and an admin chooses one.
    page.click("#lifecycle button:has-text('Open the round')")
    page.wait_for_selector("#lifecycle .error-summary >> text=Choose a safeguarding lead")
    admin = open_context(browser, site, width=1280, height=720)
    admin_page = admin.new_page()
    sign_in_with_password(admin_page, "admin@example.org", PASSWORD)
    finish_staff_sign_in(admin_page, "admin@example.org")  # admins use two-step sign-in
    admin_page.wait_for_url(lambda url: url.endswith("/staff/") and "sign-in" not in url)
    round_id = round_url.rstrip("/").rsplit("/", 1)[1]
    admin_page.goto(f"/staff/rounds/{round_id}/board/settings")
    admin_page.select_option("#lead", label="org@example.org")
    admin_page.click("#settings-form button[type=submit]")
    admin_page.wait_for_selector("text=The board settings are saved.")
    admin.close()
    # A safeguarding lead needs two-step sign-in: the organizer, just named lead, sets it
    # up before going on.
    page.goto(round_url)
    assert "/staff/two-factor" in page.url
    finish_staff_sign_in(page, "org@example.org")
    page.goto(round_url)
    page.click("#lifecycle button:has-text('Open the round')")
    page.wait_for_url(re.compile(r"done=opened"))
    page.goto(round_url + "/share")
    problems += _axe(page, "share")
    public = page.get_attribute("#public-link", "href")

    page.goto(round_url + "/dashboard")
    problems += _axe(page, "dashboard")
    assert " ".join(page.inner_text("#live").split()).count("Sent their answers 0") == 1

    person = open_context(browser, site, locale="es-ES")
    answer = person.new_page()
    answer.goto(public + "?lang=es")
    answer.check("#consent")
    answer.click("#consent-form button[type=submit]")
    answer.wait_for_url(re.compile(r"/s/1"))
    answer.fill("textarea", "Abrir los sábados")
    answer.click("button[value=next]")
    answer.wait_for_url(re.compile(r"/code|/review"))
    answer.goto(public + "/review")
    answer.click("button[value=submit]")
    answer.wait_for_url(re.compile(r"/thanks"))
    person.close()

    # The open dashboard updates itself (htmx polling), no reload.
    page.wait_for_function(
        "() => document.querySelector('#live').innerText.replace(/\\s+/g, ' ')"
        ".includes('Sent their answers 1')",
        timeout=15_000,
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    for path in ("", "/edit", "/translate/es", "/dashboard", "/share", "/paper"):
        page.goto(round_url + path)
        problems += _axe(page, f"{path or 'round'} (desktop)")
    assert not problems, "\n".join(problems)
    staff.close()
