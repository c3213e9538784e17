"""'Leave this page' ends the visit on this device, and goes only to the neutral site.

On a shared phone the next person opens the poster link, or presses Back: after the
exit they must find nothing that was written. The answers stay on the server, and
the private code brings them back.
"""

from __future__ import annotations

import re

import pytest

from codesign.settings import Settings
from tests.conftest import CODE, Journey

WORDS = "My ex reads my phone, so evening texts are not safe for me."
EXIT_URL = "https://www.bbc.co.uk/weather"


def _set_cookies(response) -> list[str]:
    return response.headers.get_list("set-cookie")


async def _answered(journey: Journey) -> tuple[str, str]:
    """Start, write an answer, get the code; returns the code and the text field's name."""
    await journey.start()
    q_agree, q_text = await journey.questions(1)
    await journey.post("/s/1", {q_agree: "2", q_text: WORDS, "action": "next"})
    code = CODE.search((await journey.get("/code?then=2")).text).group(1)
    assert WORDS in (await journey.get("/review")).text  # the visit shows it, before leaving
    return code, q_text


async def test_leaving_expires_the_visit_cookies_and_goes_to_the_exit_site(
    journey: Journey, client
) -> None:
    await _answered(journey)
    await journey.get("/s/1?lang=es")  # the language choice is remembered in a cookie too
    assert client.cookies.get("cs_1") and client.cookies.get("lang") == "es"

    left = await journey.get("/leave")

    assert left.status_code == 303
    assert left.headers["location"] == EXIT_URL
    assert left.headers["cache-control"] == "no-store"
    # Pages already seen are dropped from the cache; cookies are expired one by one
    # instead, so a staff session on this browser is not signed out.
    assert left.headers["clear-site-data"] == '"cache"'
    forgotten = _set_cookies(left)
    participation = [c for c in forgotten if c.startswith("cs_1=")]
    assert len(participation) == 1
    assert "Max-Age=0" in participation[0] and "Path=/r/demo" in participation[0]
    assert any(c.startswith("lang=") and "Max-Age=0" in c for c in forgotten)
    assert client.cookies.get("cs_1") is None and client.cookies.get("lang") is None


async def test_after_leaving_the_poster_link_and_back_show_nothing_written(
    journey: Journey, client
) -> None:
    code, q_text = await _answered(journey)
    await journey.get("/leave")

    # The poster link: a fresh start, nothing to carry on with.
    start = await journey.get("")
    assert start.status_code == 200
    assert 'id="consent-form"' in start.text
    assert "Carry on with your answers" not in start.text
    # Back to any page seen before: each one now sends to the start, showing nothing.
    for path in ("/s/1", "/s/1?note=read", "/s/2", "/review", "/code", "/code?then=2"):
        page = await journey.get(path)
        assert WORDS not in page.text, path
        assert page.status_code in (302, 303), (path, page.status_code)
        assert page.headers["location"] in ("/r/demo", "/r/demo/resume"), path
    # A save from a page left open elsewhere finds no visit and keeps nothing new.
    refused = await journey.post("/s/1", {q_text: "after leaving", "action": "next"})
    assert refused.status_code == 400
    db = client.app.state.db
    stored = await db.fetch_all("SELECT value, text FROM answers ORDER BY question_id")
    # the answers stay on the server, unchanged
    assert [(r["value"], r["text"]) for r in stored] == [("2", None), (None, WORDS)]

    # The person comes back with their code: everything is there.
    resumed = await journey.post("/resume", {"code": code})
    assert resumed.status_code == 303
    page = await journey.get("/s/1")
    assert f"{WORDS}</textarea>" in page.text


@pytest.mark.parametrize(
    "path",
    [
        "/r/demo/leave?next=https://evil.example/",
        "/r/demo/leave?url=//evil.example&exit=https://evil.example",
        "/r/demo/leave?lang=es&then=//evil.example",
        "/r/nowhere/leave",  # an unknown round still lets people leave
        "/r/demo/leave?location=javascript:alert(1)",
    ],
)
async def test_leaving_goes_only_to_the_configured_exit_url(client, path: str) -> None:
    response = await client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == EXIT_URL


async def test_the_exit_url_is_the_setting_and_nothing_else(tmp_path) -> None:
    from litestar.testing import AsyncTestClient

    from codesign.web.app import create_app

    exit_url = "https://example.org/news"
    settings = Settings(
        db_path=str(tmp_path / "e.db"), exit_url=exit_url, background_embedding=False
    )
    async with AsyncTestClient(app=create_app(settings, demo=True)) as client:
        page = await client.get("/r/demo/resume")
        # The button goes through the round's own exit step, never straight away.
        assert re.search(r'<a class="exit" href="/r/demo/leave"', page.text)
        left = await client.get("/r/demo/leave?next=https://evil.example", follow_redirects=False)
        assert left.headers["location"] == exit_url


async def test_a_closed_round_still_lets_people_leave(journey: Journey, client) -> None:
    await _answered(journey)
    db = client.app.state.db
    await db.write(lambda conn: conn.execute("UPDATE rounds SET status = 'closed'"))
    left = await journey.get("/leave")
    assert left.status_code == 303 and left.headers["location"] == EXIT_URL
    assert any(c.startswith("cs_1=") and "Max-Age=0" in c for c in _set_cookies(left))


async def test_a_strange_slug_cannot_write_cookie_attributes(client) -> None:
    response = await client.get(
        "/r/a%3BDomain%3Devil.example/leave",
        headers={"cookie": "cs_1=abc"},
        follow_redirects=False,
    )
    assert response.headers["location"] == EXIT_URL
    for cookie in _set_cookies(response):
        assert "evil" not in cookie.lower(), cookie


async def test_leaving_does_not_sign_staff_out(client, monkeypatch) -> None:
    from argon2 import PasswordHasher

    from codesign.services import accounts as accounts_module
    from codesign.web.staff.common import SESSION_COOKIE, service_for_app
    from tests.web.staff.conftest import Staff

    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts_module, "_hasher", lambda: quick)
    service = await service_for_app(client.app)
    await service.create_user("organizer@example.org", "organizer", "a calm long passphrase")
    staff = Staff(client)
    signed = await staff.sign_in("organizer@example.org", "a calm long passphrase")
    assert signed.status_code == 303 and client.cookies.get(SESSION_COOKIE)

    # The same browser is used to try the participant pages, then leaves quickly.
    journey = Journey(client)
    await _answered(journey)
    left = await journey.get("/leave")
    assert not any(c.startswith(f"{SESSION_COOKIE}=") for c in _set_cookies(left))
    assert "cookies" not in left.headers["clear-site-data"]
    console = await staff.get("/staff")
    assert console.status_code == 200, "staff should still be signed in"


async def test_every_participant_page_offers_the_exit_and_the_safety_page(
    journey: Journey,
) -> None:
    await journey.start()
    for path in ("", "/s/1", "/s/3", "/s/3?note=read", "/review", "/resume", "/withdraw"):
        page = await journey.get(path)
        assert 'href="/r/demo/leave"' in page.text, path
        assert 'href="/r/demo/safety"' in page.text, path


@pytest.mark.parametrize("lang", ["en", "es", "fr", "ar"])
async def test_staying_safe_page_says_what_the_exit_does_and_does_not_hide(
    client, lang: str
) -> None:
    from codesign.i18n import translations_for

    t = translations_for(lang).gettext
    page = await client.get(f"/r/demo/safety?lang={lang}")
    assert page.status_code == 200
    html = page.text.replace("&#39;", "'")
    assert f"<title>{t('Staying safe online')}</title>" in html
    for message in (
        "It ends your visit on this device. If someone presses Back or opens the link "
        "again, they will not see your answers.",
        "It does not delete your browsing history. Someone who looks at it can see that "
        "you visited this site.",
        "You can use a private window (sometimes called incognito). When you close it, "
        "your browser forgets the pages you visited.",
    ):
        assert t(message) in html
    if lang != "en":
        assert t("What it can't hide") != "What it can't hide"
    start = await client.get(f"/r/demo?lang={lang}")
    assert 'href="/r/demo/safety"' in start.text


async def test_titles_kept_in_history_do_not_name_the_section(journey: Journey) -> None:
    await journey.start()
    note = await journey.get("/s/3")
    section = await journey.get("/s/3?note=read")
    for page in (note, section):
        title = re.search(r"<title>([^<]*)</title>", page.text).group(1)
        assert title == "Section 3 of 5"
        assert "Keeping you safe" in page.text  # the heading on the page still says it
