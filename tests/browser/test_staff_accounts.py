"""Staff accounts in a real browser: an admin invites someone (no email set up, so the link
is shown to pass on), the invitee chooses a password through it and sets up two-step
sign-in with an authenticator app, then signs in with a code — at 360 px, with axe-core on
every page state, at desktop width too, and in Arabic (right to left)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pyotp
import pytest

from tests.browser.harness import cli, open_context, server_environment
from tests.browser.helpers import (
    axe_violations,
    describe_violations,
    finish_staff_sign_in,
    horizontal_overflow,
    sign_in_with_password,
)

pytestmark = pytest.mark.browser

ADMIN = "accounts.admin@example.org"
PASSWORD = "a calm long passphrase"
INVITEE = "new.admin@example.org"
INVITEE_PASSWORD = "kettle orchard lantern velvet"
DESKTOP = 1280
SHOTS = os.environ.get("CODESIGN_SCREENSHOTS")


def _create_admin(db: Path) -> None:
    cli("create-user", "--email", ADMIN, "--role", "admin", "--password-stdin", "--db",
        str(db), stdin=f"{PASSWORD}\n", env=server_environment())  # fmt: skip


def _check(page, where: str, problems: list[str]) -> None:
    """axe at 360 px and at desktop width, and nothing wider than the phone."""
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{where}-360.png"), full_page=True)
    problems += describe_violations(f"{where} (360 px)", axe_violations(page))
    problems += [f"{where}: too wide: {w}" for w in horizontal_overflow(page, 360)]
    page.set_viewport_size({"width": DESKTOP, "height": 900})
    problems += describe_violations(f"{where} (desktop)", axe_violations(page))
    page.set_viewport_size({"width": 360, "height": 740})


def test_invite_set_password_and_set_up_two_step_sign_in(
    browser, server, server_folder
) -> None:
    _create_admin(server_folder / "b.db")
    problems: list[str] = []

    admin_context = open_context(browser, server)
    admin = admin_context.new_page()
    sign_in_with_password(admin, ADMIN, PASSWORD)
    # An admin sets up two-step sign-in before any other page opens.
    assert "/staff/two-factor" in admin.url
    admin.goto("/staff/users")
    assert "/staff/two-factor" in admin.url
    _check(admin, "two-factor-forced", problems)
    finish_staff_sign_in(admin, ADMIN)

    admin.goto("/staff/users")
    _check(admin, "users", problems)
    admin.fill("#email", INVITEE)
    admin.select_option("#role", "admin")
    with admin.expect_navigation():
        admin.click("#invite-form button[type=submit]")
    assert "no email set up" in admin.inner_text("#shown-link")
    link = admin.inner_text("#the-link").strip()
    assert re.search(r"/staff/link/[A-Za-z0-9_-]+$", link)
    _check(admin, "users-link-shown", problems)
    admin_context.close()

    invitee_context = open_context(browser, server)
    invitee = invitee_context.new_page()
    invitee.goto(link)
    assert "Choose your password" in invitee.inner_text("h1")
    _check(invitee, "link", problems)
    invitee.fill("#password", INVITEE_PASSWORD)
    invitee.fill("#password_again", INVITEE_PASSWORD + " typo")
    with invitee.expect_navigation():
        invitee.click("#link-form button[type=submit]")
    assert "two passwords were different" in invitee.inner_text(".error-summary")
    _check(invitee, "link-error", problems)
    invitee.fill("#password", INVITEE_PASSWORD)
    invitee.fill("#password_again", INVITEE_PASSWORD)
    with invitee.expect_navigation():
        invitee.click("#link-form button[type=submit]")

    # Invited as an admin: setting up two-step sign-in comes first.
    assert "/staff/two-factor" in invitee.url
    assert invitee.locator(".qr-inline svg").count() == 1
    secret = re.sub(r"\s", "", invitee.inner_text("#totp-secret"))
    totp = pyotp.TOTP(secret)
    invitee.fill("#code", "000000" if totp.now() != "000000" else "111111")
    with invitee.expect_navigation():
        invitee.click("#two-factor-form button[type=submit]")
    assert "didn't match" in invitee.inner_text(".error-summary")
    _check(invitee, "two-factor-error", problems)
    step = int(time.time()) // 30
    invitee.fill("#code", totp.at(step * 30))
    with invitee.expect_navigation():
        invitee.click("#two-factor-form button[type=submit]")
    codes = invitee.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    _check(invitee, "recovery-codes", problems)
    with invitee.expect_navigation():
        invitee.click("main a.button")
    assert invitee.url.rstrip("/").endswith("/staff") or "/staff/?" in invitee.url
    invitee_context.close()

    # Next time: password, then a code from the app.
    again_context = open_context(browser, server)
    again = again_context.new_page()
    sign_in_with_password(again, INVITEE, INVITEE_PASSWORD)
    assert "/staff/sign-in/code" in again.url
    _check(again, "code-step", problems)
    again.fill("#code", totp.at((step + 1) * 30))
    with again.expect_navigation():
        again.click("#code-form button[type=submit]")
    assert "/staff/sign-in" not in again.url
    assert again.locator("text=Staff accounts").count() >= 1
    again_context.close()

    # The same pages in Arabic, right to left.
    arabic = open_context(
        browser, server, locale="ar", extra_http_headers={"Accept-Language": "ar"}
    )
    page = arabic.new_page()
    page.goto(link)  # used: the calm refusal
    assert page.get_attribute("html", "dir") == "rtl"
    _check(page, "link-used-ar", problems)
    sign_in_with_password(page, INVITEE, INVITEE_PASSWORD)
    _check(page, "code-step-ar", problems)
    page.fill("#code", codes[0])
    with page.expect_navigation():
        page.click("#code-form button[type=submit]")
    page.goto("/staff/two-factor")
    assert page.get_attribute("html", "dir") == "rtl"
    _check(page, "two-factor-ar", problems)
    page.goto("/staff/users")
    _check(page, "users-ar", problems)
    arabic.close()
    assert not problems, "\n".join(problems)
