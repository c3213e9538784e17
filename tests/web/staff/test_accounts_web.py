"""Staff accounts from the web (issue 13): invitations and reset links by real email,
deactivation, roles, taking someone off a round, and two-step sign-in."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import AsyncIterator
from email import message_from_bytes

import pyotp
import pytest
from aiosmtpd.controller import Controller
from litestar.testing import AsyncTestClient

from codesign.services import accounts as accounts_module
from codesign.settings import Settings
from codesign.store import audit
from codesign.store.board import settings as settings_store
from codesign.web.app import create_app
from codesign.web.staff.common import service_for_app
from tests.web.staff.conftest import (
    EMAILS,
    PASSWORD,
    Staff,
    phone,
    shown_recovery_codes,
    shown_secret,
    signed_in,
)

SITE = "http://testserver.local"
NEW_PASSWORD = "kettle orchard lantern velvet"
LINK = re.compile(r"http://testserver\.local/staff/link/[A-Za-z0-9_-]+")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], object]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"

    def body(self, index: int = -1) -> str:
        return self.messages[index][1].get_payload(decode=True).decode()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


@pytest.fixture
def settings(tmp_path, smtp) -> Settings:
    """This module's site sends email through the loopback server and knows its address."""
    return Settings(
        db_path=str(tmp_path / "test.db"),
        background_embedding=False,
        background_screening=False,
        smtp_host="127.0.0.1",
        smtp_port=smtp[1],
        smtp_security="none",
        smtp_from="codesign@example.org",
        public_url=SITE,
    )


def another_browser(client) -> Staff:
    """A second browser (its own cookies) on the same site."""
    return Staff(AsyncTestClient(app=client.app, base_url=SITE))


async def audit_actions(client) -> list[str]:
    return [e.action for e in await audit.recent(client.app.state.db)]


async def invite(admin: Staff, email: str, role: str = "board"):
    await admin.get("/staff/users")
    return await admin.post("/staff/users/invite", {"email": email, "role": role})


async def test_an_invitation_email_brings_a_link_that_sets_the_password_and_signs_in(
    client, accounts, smtp
) -> None:
    inbox, _ = smtp
    admin = await signed_in(client, "admin")
    sent = await invite(admin, "new.member@example.org", "board")
    assert sent.status_code == 303 and "done=invited" in sent.headers["location"]
    (to, message), = inbox.messages
    assert to == ["new.member@example.org"]
    body = inbox.body()
    assert "72 hours" in body and "password" in body.lower()
    url = LINK.search(body).group(0)
    users = await admin.get("/staff/users")
    assert "new.member@example.org" in users.text and "Invited, no password yet" in users.text
    assert url not in users.text  # mailed, so not shown

    newcomer = another_browser(client)
    page = await newcomer.get(url)
    assert page.status_code == 200 and "Choose your password" in page.text
    assert "new.member@example.org" in page.text
    # The password policy applies; a mismatch is caught; both say what to do.
    weak = await newcomer.post(url, {"password": "password1234", "password_again": "password1234"})
    assert weak.status_code == 422 and "too easy to guess" in weak.text
    typo = await newcomer.post(
        url, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD + "x"}
    )
    assert typo.status_code == 422 and "two passwords were different" in typo.text
    done = await newcomer.post(url, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["location"].startswith("/staff/")
    home = await newcomer.get("/staff/")
    assert home.status_code == 200 and "new.member@example.org" in home.text

    # Used once: the same link is now refused calmly, and changes nothing.
    again = await another_browser(client).get(url)
    assert again.status_code == 410 and "This link no longer works" in again.text
    reuse = await another_browser(client).post(
        url, {"password": PASSWORD, "password_again": PASSWORD}
    )
    assert reuse.status_code == 410
    later = another_browser(client)
    assert (await later.sign_in("new.member@example.org", NEW_PASSWORD)).status_code == 303
    assert {"user_invited", "invitation_accepted"} <= set(await audit_actions(client))


async def test_an_expired_link_is_refused_and_sets_nothing(
    client, accounts, smtp, monkeypatch
) -> None:
    inbox, _ = smtp
    monkeypatch.setattr(accounts_module, "INVITE_VALID", accounts_module.timedelta(seconds=-1))
    admin = await signed_in(client, "admin")
    await invite(admin, "late@example.org")
    url = LINK.search(inbox.body()).group(0)
    newcomer = another_browser(client)
    page = await newcomer.get(url)
    assert page.status_code == 410
    assert "too old" in page.text and "ask an admin to send you a new link" in page.text
    tried = await newcomer.post(url, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert tried.status_code == 410
    assert (await newcomer.sign_in("late@example.org", NEW_PASSWORD)).status_code == 422


async def test_without_email_the_admin_sees_the_link_to_pass_on(tmp_path) -> None:
    app = create_app(
        Settings(db_path=str(tmp_path / "nomail.db"), background_screening=False), demo=True
    )
    async with AsyncTestClient(app=app, base_url=SITE) as client:
        service = await service_for_app(app)
        await service.create_user("boss@example.org", "admin", PASSWORD)
        admin = Staff(client)
        assert (await admin.sign_in("boss@example.org")).status_code == 303
        users = await admin.get("/staff/users")
        assert "no email set up" in users.text
        shown = await invite(admin, "by.hand@example.org", "organizer")
        assert shown.status_code == 200
        assert "This site has no email set up, so no email was sent." in shown.text
        url = LINK.search(shown.text).group(0)
        assert PASSWORD not in shown.text
        # The link shown works like the mailed one.
        newcomer = Staff(AsyncTestClient(app=app, base_url=SITE))
        done = await newcomer.post(url, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
        assert done.status_code == 303
        assert (await newcomer.get("/staff/")).status_code == 200


async def test_deactivation_ends_an_open_session_at_once_and_reactivation_restores(
    client, accounts
) -> None:
    board = another_browser(client)
    assert (await board.sign_in(EMAILS["board"])).status_code == 303
    assert (await board.get("/staff/rounds/1")).status_code == 200
    admin = await signed_in(client, "admin")
    await admin.get("/staff/users")
    off = await admin.post(f"/staff/users/{accounts['board'].id}", {"action": "deactivate"})
    assert off.status_code == 303 and "done=deactivated" in off.headers["location"]
    # The board member's very next request goes to sign-in, and signing in fails.
    after = await board.get("/staff/rounds/1")
    assert after.status_code == 303 and after.headers["location"].startswith("/staff/sign-in")
    refused = await another_browser(client).sign_in(EMAILS["board"])
    assert refused.status_code == 422
    assert "Deactivated" in (await admin.get("/staff/users")).text

    on = await admin.post(f"/staff/users/{accounts['board'].id}", {"action": "reactivate"})
    assert on.status_code == 303
    back = another_browser(client)
    assert (await back.sign_in(EMAILS["board"])).status_code == 303
    assert (await back.get("/staff/rounds/1")).status_code == 200
    actions = await audit_actions(client)
    assert "user_deactivated" in actions and "user_reactivated" in actions


async def test_an_admin_cannot_deactivate_or_demote_themselves(client, accounts) -> None:
    admin = await signed_in(client, "admin")
    await admin.get("/staff/users")
    me = accounts["admin"].id
    off = await admin.post(f"/staff/users/{me}", {"action": "deactivate"})
    assert off.status_code == 422 and "your own account" in off.text
    demote = await admin.post(f"/staff/users/{me}", {"action": "role", "role": "board"})
    assert demote.status_code == 422
    assert (await admin.get("/staff/users")).status_code == 200


async def test_a_reset_link_sets_a_new_password_and_ends_other_sessions(
    client, accounts, smtp
) -> None:
    inbox, _ = smtp
    old_session = another_browser(client)
    assert (await old_session.sign_in(EMAILS["organizer"])).status_code == 303
    admin = await signed_in(client, "admin")
    await admin.get("/staff/users")
    sent = await admin.post(f"/staff/users/{accounts['organizer'].id}", {"action": "link"})
    assert sent.status_code == 303 and "done=reset-sent" in sent.headers["location"]
    assert inbox.messages[-1][0] == [EMAILS["organizer"]]
    body = inbox.body()
    assert "one hour" in body and PASSWORD not in body
    url = LINK.search(body).group(0)
    # Until it is used, nothing changes: the old password and session still work.
    assert (await old_session.get("/staff/")).status_code == 200

    phone_browser = another_browser(client)
    done = await phone_browser.post(
        url, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert done.status_code == 303
    assert (await phone_browser.get("/staff/")).status_code == 200
    ended = await old_session.get("/staff/")
    assert ended.status_code == 303 and ended.headers["location"].startswith("/staff/sign-in")
    assert (await another_browser(client).sign_in(EMAILS["organizer"])).status_code == 422
    renewed = await another_browser(client).sign_in(EMAILS["organizer"], NEW_PASSWORD)
    assert renewed.status_code == 303
    assert (await another_browser(client).get(url)).status_code == 410
    assert "password_reset_used" in await audit_actions(client)


async def test_a_role_change_applies_at_once(client, accounts) -> None:
    board = another_browser(client)
    await board.sign_in(EMAILS["board"])
    assert (await board.get("/staff/rounds/new")).status_code == 403
    admin = await signed_in(client, "admin")
    await admin.get("/staff/users")
    changed = await admin.post(
        f"/staff/users/{accounts['board'].id}", {"action": "role", "role": "organizer"}
    )
    assert changed.status_code == 303 and "done=role-changed" in changed.headers["location"]
    assert (await board.get("/staff/rounds/new")).status_code == 200
    silly = await admin.post(
        f"/staff/users/{accounts['board'].id}", {"action": "role", "role": "owner"}
    )
    assert silly.status_code == 422 and "Choose a role" in silly.text
    assert "role_changed" in await audit_actions(client)


async def test_only_admins_reach_the_users_page(client, accounts) -> None:
    for role in ("organizer", "board"):
        staff = another_browser(client)
        await staff.sign_in(EMAILS[role])
        assert (await staff.get("/staff/users")).status_code == 403
        tried = await staff.post("/staff/users/invite", {"email": "x@example.org", "role": "admin"})
        assert tried.status_code == 403
        off = await staff.post(f"/staff/users/{accounts['admin'].id}", {"action": "deactivate"})
        assert off.status_code == 403
    admin = await signed_in(client, "admin")
    users = await admin.get("/staff/users")
    assert "x@example.org" not in users.text and "Deactivated" not in users.text


async def test_removing_a_member_takes_away_the_rounds_pages(client, accounts) -> None:
    board = another_browser(client)
    await board.sign_in(EMAILS["board"])
    assert (await board.get("/staff/rounds/1")).status_code == 200
    assert (await board.get("/staff/rounds/1/board")).status_code == 200
    organizer = await signed_in(client, "organizer")
    page = await organizer.get("/staff/rounds/1")
    assert f"Remove {EMAILS['board']} from this round" in page.text
    removed = await organizer.post(
        "/staff/rounds/1/members/remove", {"user_id": str(accounts["board"].id)}
    )
    assert removed.status_code == 303 and "member-removed" in removed.headers["location"]
    assert (await board.get("/staff/rounds/1")).status_code == 403
    assert (await board.get("/staff/rounds/1/board")).status_code == 403
    assert (await board.get("/staff/rounds/1/dashboard")).status_code == 403
    home = (await board.get("/staff/")).text
    assert "1" not in re.findall(r"/staff/rounds/(\d+)", home)
    members = (await organizer.get("/staff/rounds/1")).text.split("members-title")[1]
    assert EMAILS["board"] not in members
    assert "member_removed" in await audit_actions(client)


async def test_the_safeguarding_lead_is_not_removed_without_a_new_lead(client, accounts) -> None:
    db = client.app.state.db
    await settings_store.save_settings(
        db, 1, anonymity_threshold=5, quotes_allowed=True,
        safeguarding_user_id=accounts["board"].id, safeguarding_deputy_id=None,
    )
    organizer = await signed_in(client, "organizer")
    await organizer.get("/staff/rounds/1")
    refused = await organizer.post(
        "/staff/rounds/1/members/remove", {"user_id": str(accounts["board"].id)}
    )
    assert refused.status_code == 422 and "safeguarding lead or deputy" in refused.text
    assert EMAILS["board"] in (await organizer.get("/staff/rounds/1")).text


# Two-step sign-in ---------------------------------------------------------------


def _not_now(totp: pyotp.TOTP) -> str:
    """A code that belongs to no step near now."""
    now = int(time.time()) // 30
    near = {totp.at(s * 30) for s in range(now - 2, now + 3)}
    return next(c for c in ("000000", "111111", "222222", "333333", "444444") if c not in near)


async def _enrol_by_hand(staff: Staff) -> tuple[pyotp.TOTP, list[str], int]:
    page = await staff.get("/staff/two-factor")
    assert page.status_code == 200
    assert "<svg" in page.text and "<?xml" not in page.text  # the QR code inline
    secret = shown_secret(page.text)
    totp = pyotp.TOTP(secret)
    wrong = await staff.post("/staff/two-factor", {"code": _not_now(totp)})
    assert wrong.status_code == 422 and "didn't match" in wrong.text
    assert shown_secret(wrong.text) == secret  # the same key: the app needn't be set up again
    step = int(time.time()) // 30
    done = await staff.post("/staff/two-factor", {"code": totp.at(step * 30)})
    assert done.status_code == 200 and "only time they are shown" in done.text
    codes = shown_recovery_codes(done.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    return totp, codes, step


async def _password_step(staff: Staff, email: str) -> str:
    await staff.get("/staff/sign-in")
    response = await staff.post("/staff/sign-in", {"email": email, "password": PASSWORD})
    assert response.status_code == 303
    return response.headers["location"]


async def test_two_step_sign_in_with_a_right_code_a_wrong_one_and_a_replayed_one(
    client, accounts
) -> None:
    organizer = another_browser(client)
    await organizer.sign_in(EMAILS["organizer"])
    totp, _, step = await _enrol_by_hand(organizer)
    assert (await organizer.get("/staff/")).status_code == 200
    stored = await client.app.state.db.fetch_one("SELECT * FROM recovery_codes LIMIT 1")
    assert len(stored["code_hash"]) >= 32  # kept as hashes

    fresh = another_browser(client)
    location = await _password_step(fresh, EMAILS["organizer"])
    assert location.startswith("/staff/sign-in/code")
    # A password alone opens no staff page.
    blocked = await fresh.get("/staff/rounds/1")
    assert blocked.status_code == 303 and blocked.headers["location"] == "/staff/sign-in/code"
    page = await fresh.get(location)
    assert "Enter your sign-in code" in page.text
    wrong = await fresh.post("/staff/sign-in/code", {"code": _not_now(totp)})
    assert wrong.status_code == 422 and "That code didn't match" in wrong.text
    # The code used to set it up can't be used again in its window.
    replay = await fresh.post("/staff/sign-in/code", {"code": totp.at(step * 30)})
    assert replay.status_code == 422
    right = await fresh.post(
        "/staff/sign-in/code", {"code": totp.at((step + 1) * 30), "next": "/staff/rounds/1"}
    )
    assert right.status_code == 303 and right.headers["location"] == "/staff/rounds/1"
    assert (await fresh.get("/staff/rounds/1")).status_code == 200

    # The same code in another browser, moments later: refused.
    thief = another_browser(client)
    await _password_step(thief, EMAILS["organizer"])
    stolen = await thief.post("/staff/sign-in/code", {"code": totp.at((step + 1) * 30)})
    assert stolen.status_code == 422
    assert (await thief.get("/staff/")).status_code == 303
    actions = await audit_actions(client)
    assert "two_factor_set_up" in actions and "two_factor_failed" in actions


async def test_a_recovery_code_works_once(client, accounts) -> None:
    organizer = another_browser(client)
    await organizer.sign_in(EMAILS["organizer"])
    _, codes, _ = await _enrol_by_hand(organizer)
    first = another_browser(client)
    await _password_step(first, EMAILS["organizer"])
    used = await first.post("/staff/sign-in/code", {"code": codes[0].upper()})
    assert used.status_code == 303
    assert (await first.get("/staff/")).status_code == 200
    second = another_browser(client)
    await _password_step(second, EMAILS["organizer"])
    again = await second.post("/staff/sign-in/code", {"code": codes[0]})
    assert again.status_code == 422
    page = await first.get("/staff/two-factor")
    assert "9 recovery codes left" in page.text
    assert "recovery_code_used" in await audit_actions(client)


async def test_the_code_step_is_paused_after_repeated_wrong_codes(client, accounts) -> None:
    organizer = another_browser(client)
    await organizer.sign_in(EMAILS["organizer"])
    totp, _, step = await _enrol_by_hand(organizer)
    guesser = another_browser(client)
    await _password_step(guesser, EMAILS["organizer"])
    wrong = _not_now(totp)
    statuses = [
        (await guesser.post("/staff/sign-in/code", {"code": wrong})).status_code for _ in range(6)
    ]
    assert statuses[:5] == [422] * 5 and statuses[5] == 429
    paused = await guesser.post("/staff/sign-in/code", {"code": totp.at((step + 1) * 30)})
    assert paused.status_code == 429 and "paused" in paused.text
    assert (await guesser.get("/staff/")).status_code == 303


async def test_an_admin_must_set_up_two_step_sign_in_before_any_other_page(
    client, accounts
) -> None:
    admin = Staff(client)
    location = await _password_step(admin, EMAILS["admin"])
    assert location.startswith("/staff/two-factor")
    for page in ("/staff/", "/staff/audit", "/staff/users", "/staff/rounds/1"):
        response = await admin.get(page)
        assert response.status_code == 303 and response.headers["location"] == "/staff/two-factor"
    setup = await admin.get("/staff/two-factor")
    assert "needs a second step" in setup.text
    assert 'aria-label="Staff pages"' not in setup.text  # no menu of pages that can't open yet
    await _enrol_by_hand(admin)
    assert (await admin.get("/staff/audit")).status_code == 200
    # Next time: the code step, not the set-up.
    again = another_browser(client)
    assert (await _password_step(again, EMAILS["admin"])).startswith("/staff/sign-in/code")


async def test_a_safeguarding_lead_and_everyone_when_asked_must_set_it_up(
    client, accounts
) -> None:
    db = client.app.state.db
    await settings_store.save_settings(
        db, 1, anonymity_threshold=5, quotes_allowed=True,
        safeguarding_user_id=accounts["board"].id, safeguarding_deputy_id=None,
    )
    lead = Staff(client)
    assert (await _password_step(lead, EMAILS["board"])).startswith("/staff/two-factor")
    organizer = another_browser(client)
    assert (await _password_step(organizer, EMAILS["organizer"])) == "/staff/"
    admin = another_browser(client)
    await admin.sign_in(EMAILS["admin"])
    await admin.get("/staff/users")
    saved = await admin.post("/staff/users/everyone-two-factor", {"everyone": "on"})
    assert saved.status_code == 303
    later = another_browser(client)
    assert (await _password_step(later, EMAILS["organizer"])).startswith("/staff/two-factor")
    assert "two_factor_for_everyone" in await audit_actions(client)


async def test_demo_staff_skip_two_step_sign_in_and_every_page_says_so(client) -> None:
    from codesign.store.staff_rounds import settings as round_settings

    service = await service_for_app(client.app)
    demo_id = await round_settings.id_for_slug(client.app.state.db, "demo")
    made = await service.ensure_demo_staff(demo_id)
    board = next(a for a in made if a.role == "board")  # also the demo round's lead
    staff = Staff(client)
    await staff.get("/staff/sign-in")
    signed = await staff.post("/staff/sign-in", {"email": board.email, "password": board.password})
    assert signed.status_code == 303 and signed.headers["location"] == "/staff/"
    for page in ("/staff/", "/staff/rounds/1", "/staff/rounds/1/board", "/staff/two-factor"):
        response = await staff.get(page)
        assert response.status_code == 200, page
        assert "This is a demo account." in response.text, page
        assert 'aria-label="Staff pages"' in response.text, page  # the menu, once signed in
    # Real staff see no such banner.
    await service.create_user("real@example.org", "organizer", PASSWORD)
    real = another_browser(client)
    await real.sign_in("real@example.org")
    assert "This is a demo account." not in (await real.get("/staff/")).text


@pytest.fixture
async def https_client(tmp_path) -> AsyncIterator[AsyncTestClient]:
    app = create_app(
        Settings(db_path=str(tmp_path / "s.db"), https=True, background_screening=False),
        demo=True,
    )
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as client:
        yield client


async def test_under_https_the_session_cookie_is_host_bound(https_client) -> None:
    service = await service_for_app(https_client.app)
    await service.create_user("lead@example.org", "admin", PASSWORD)
    staff = Staff(https_client)
    await staff.get("/staff/sign-in")
    response = await staff.post(
        "/staff/sign-in", {"email": "lead@example.org", "password": PASSWORD}
    )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-cs_staff=") and "Secure" in cookie and "Path=/;" in cookie
    assert "cs_staff=" not in cookie.replace("__Host-cs_staff=", "")
    # The whole sign-in, set-up included, works with the prefixed name.
    await staff.set_up_two_factor("lead@example.org")
    assert (await staff.get("/staff/audit")).status_code == 200
    assert phone(https_client.app, "lead@example.org") is not None
    # A cookie under the plain name is not a session here.
    plain = AsyncTestClient(app=https_client.app, base_url="https://testserver.local")
    plain.cookies.set("cs_staff", https_client.cookies.get("__Host-cs_staff"), path="/staff")
    assert (await plain.get("/staff/audit", follow_redirects=False)).status_code == 303


async def test_an_admin_turns_off_two_step_sign_in_for_someone_who_lost_their_phone(
    client, accounts
) -> None:
    lead = another_browser(client)
    await lead.sign_in(EMAILS["organizer"])
    await _enrol_by_hand(lead)
    admin = await signed_in(client, "admin")
    await admin.get("/staff/users")
    page = await admin.get("/staff/users")
    assert f"Turn off two-step sign-in for {EMAILS['organizer']}" in page.text
    cleared = await admin.post(
        f"/staff/users/{accounts['organizer'].id}", {"action": "clear_two_factor"}
    )
    assert cleared.status_code == 303 and "two-factor-cleared" in cleared.headers["location"]
    # Their sessions ended; the password alone signs them in again (not required for them).
    assert (await lead.get("/staff/")).status_code == 303
    assert await _password_step(another_browser(client), EMAILS["organizer"]) == "/staff/"
    mine = await admin.post(f"/staff/users/{accounts['admin'].id}", {"action": "clear_two_factor"})
    assert mine.status_code == 422
    assert "two_factor_cleared" in await audit_actions(client)


async def test_someone_made_an_admin_sets_up_two_step_sign_in_before_acting_as_one(
    client, accounts
) -> None:
    """Admins need two-step sign-in. An organizer signed in with a password only, then made
    an admin, must not reach the admin pages on that password-only session."""
    organizer = another_browser(client)
    await organizer.sign_in(EMAILS["organizer"])
    assert (await organizer.get("/staff/")).status_code == 200
    admin = await signed_in(client, "admin")
    await admin.get("/staff/users")
    changed = await admin.post(
        f"/staff/users/{accounts['organizer'].id}", {"action": "role", "role": "admin"}
    )
    assert changed.status_code == 303
    users = await organizer.get("/staff/users")
    assert users.status_code == 303
    assert users.headers["location"].startswith("/staff/two-factor")
    await organizer.set_up_two_factor(EMAILS["organizer"])
    assert (await organizer.get("/staff/users")).status_code == 200


async def test_someone_made_a_safeguarding_deputy_sets_up_two_step_sign_in_first(
    client, accounts
) -> None:
    """Leads and deputies read disclosures and need two-step sign-in: an organizer signed in
    with a password only, then named deputy, goes to the set-up step before anything else."""

    organizer = another_browser(client)
    await organizer.sign_in(EMAILS["organizer"])
    assert (await organizer.get("/staff/rounds/1")).status_code == 200
    db = client.app.state.db
    settings = await settings_store.settings_for(db, 1)
    await settings_store.save_settings(
        db,
        1,
        anonymity_threshold=settings.anonymity_threshold,
        quotes_allowed=settings.quotes_allowed,
        safeguarding_user_id=settings.safeguarding_user_id,
        safeguarding_deputy_id=accounts["organizer"].id,
    )
    page = await organizer.get("/staff/rounds/1")
    assert page.status_code == 303 and page.headers["location"].startswith("/staff/two-factor")
    await organizer.set_up_two_factor(EMAILS["organizer"])
    assert (await organizer.get("/staff/rounds/1")).status_code == 200
