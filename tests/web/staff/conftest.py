"""Staff fixtures: accounts for each role, and a browser that signs in and keeps CSRF."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from litestar.testing import AsyncTestClient

from codesign.store import users as user_store
from codesign.store.staff_rounds import settings as round_settings
from codesign.web.staff.common import service_for_app
from tests.conftest import TOKEN

PASSWORD = "a calm long passphrase"
EMAILS = {
    "admin": "admin@example.org",
    "organizer": "organizer@example.org",
    "board": "board@example.org",
}


class Authenticator:
    """The authenticator app on one staff member's phone (and their recovery codes)."""

    def __init__(self, secret: str, step: int, recovery: list[str]) -> None:
        self.totp = pyotp.TOTP(secret)
        self.last_step = step
        self.recovery = list(recovery)

    def code(self) -> str:
        """The newest code not used yet; a recovery code once this window's are spent."""
        now = int(time.time()) // 30
        for step in (now, now + 1):
            if step > self.last_step:
                self.last_step = step
                return self.totp.at(step * 30)
        return self.recovery.pop()


def phones(app) -> dict[str, Authenticator]:
    """This site's staff phones, by email (kept with the test's app): set up once, kept."""
    if not hasattr(app.state, "test_phones"):
        app.state.test_phones = {}
    return app.state.test_phones


def phone(app, email: str) -> Authenticator | None:
    return phones(app).get(email)


def shown_secret(html: str) -> str:
    match = re.search(r'id="totp-secret"[^>]*>(.*?)</p>', html, re.S)
    assert match, "the set-up page shows the key as text"
    return re.sub(r"<[^>]+>|\s", "", match.group(1))


def shown_recovery_codes(html: str) -> list[str]:
    match = re.search(r'id="recovery-codes"[^>]*>(.*?)</ol>', html, re.S)
    assert match, "the recovery codes are shown once"
    return re.findall(r"<li>([^<]+)</li>", match.group(1))


class Staff:
    """One staff member's browser."""

    def __init__(self, client: AsyncTestClient, htmx: bool = False) -> None:
        self.client = client
        self.token = ""
        self.htmx = htmx

    async def get(self, path: str, **kwargs):
        kwargs.setdefault("follow_redirects", False)
        response = await self.client.get(path, **kwargs)
        match = TOKEN.search(response.text)
        if match:
            self.token = match.group(1)
        return response

    async def post(self, path: str, data: dict[str, str] | None = None, **kwargs):
        if not self.token:
            await self.get("/staff/sign-in")
        kwargs.setdefault("follow_redirects", False)
        headers = {"x-csrftoken": self.token}
        if self.htmx:
            headers["hx-request"] = "true"
        body = {"_csrf_token": self.token, **(data or {})}
        return await self.client.post(path, data=body, headers=headers, **kwargs)

    async def sign_in(self, email: str, password: str = PASSWORD, data: dict | None = None):
        """Sign in as a person would: password, then, where asked, setting up two-step
        sign-in with an app (then signing in again with it) or a code from the app."""
        await self.get("/staff/sign-in")
        form = {"email": email, "password": password, **(data or {})}
        response = await self.post("/staff/sign-in", form)
        location = response.headers.get("location", "")
        if response.status_code == 303 and location.startswith("/staff/two-factor"):
            await self.set_up_two_factor(email)
            await self.post("/staff/sign-out")
            await self.get("/staff/sign-in")
            response = await self.post("/staff/sign-in", form)
            location = response.headers.get("location", "")
        if response.status_code == 303 and location.startswith("/staff/sign-in/code"):
            app = phone(self.client.app, email)
            assert app is not None, f"{email} was asked for a code but has no app set up"
            next_url = parse_qs(urlsplit(location).query).get("next", ["/staff/"])[0]
            await self.get(location)
            response = await self.post(
                "/staff/sign-in/code", {"code": app.code(), "next": next_url}
            )
        return response

    async def set_up_two_factor(self, email: str) -> list[str]:
        page = await self.get("/staff/two-factor")
        assert page.status_code == 200, page.status_code
        secret = shown_secret(page.text)
        totp = pyotp.TOTP(secret)
        step = int(time.time()) // 30
        done = await self.post("/staff/two-factor", {"code": totp.at(step * 30)})
        assert done.status_code == 200, done.text[:500]
        codes = shown_recovery_codes(done.text)
        phones(self.client.app)[email] = Authenticator(secret, step, codes)
        return codes


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch):
    """Argon2id still, with test-sized cost (production cost is checked in tests/store)."""
    from argon2 import PasswordHasher

    from codesign.services import accounts as accounts_module

    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts_module, "_hasher", lambda: quick)
    monkeypatch.setattr(accounts_module, "_dummy_hash", lambda: quick.hash("not a password"))


@pytest.fixture
async def accounts(client):
    """admin, organizer and board accounts; the organizer and board member sit on the demo round."""
    app = client.app
    service = await service_for_app(app)
    demo_id = await round_settings.id_for_slug(app.state.db, "demo")
    made = {}
    for role, email in EMAILS.items():
        user = await service.create_user(email, role, PASSWORD)
        if role != "admin":
            await user_store.add_member(app.state.db, demo_id, user.id)
        made[role] = user
    return made


@pytest.fixture
def demo_id(client) -> int:
    return 1


async def signed_in(client, role: str) -> Staff:
    staff = Staff(client)
    response = await staff.sign_in(EMAILS[role])
    assert response.status_code == 303, response.text[:500]
    return staff


def form_values(html: str, form_id: str) -> dict[str, str]:
    """Text inputs of one form, as a browser would send them unchanged (a helper for tests)."""
    start = html.index(f'id="{form_id}"')
    end = html.index("</form>", start)
    part = html[start:end]
    values = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', part):
        values[name] = value
    return values


# --- real Chromium (test_console_browser.py, test_organizer_browser.py) -----------------
# Module scope, not package: this folder's async tests must not run while a sync
# Playwright holds the thread's event loop. How each is started: tests/browser/harness.py.


def _real_site(folder, admins: tuple[str, ...], organizers: tuple[str, ...], *, demo: bool):
    from tests.backends import server_env
    from tests.browser import harness

    db = str(folder / "site.db")
    env = harness.server_environment(**server_env(db))
    for role, emails in (("admin", admins), ("organizer", organizers)):
        for email in emails:
            harness.cli(
                "create-user", "--email", email, "--role", role, "--password-stdin",
                "--db", db, stdin=f"{PASSWORD}\n", env=env,
            )  # fmt: skip
    return harness.serve(db, folder / "server.log", demo=demo, env=env)


@pytest.fixture(scope="module")
def browser():
    from tests.browser import harness

    with harness.chromium() as instance:
        yield instance


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """An empty site with an organizer (org@) and an admin (admin@)."""
    folder = tmp_path_factory.mktemp("console")
    with _real_site(folder, ("admin@example.org",), ("org@example.org",), demo=False) as base:
        yield base


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    """The site with the demo round (four languages); org@ is an admin here."""
    folder = tmp_path_factory.mktemp("poster")
    with _real_site(folder, ("org@example.org",), (), demo=True) as base:
        yield base
