"""Staff fixtures: accounts for each role, and a browser that signs in and keeps CSRF."""

from __future__ import annotations

import re

import pytest
from litestar.testing import AsyncTestClient

from codesign.store import staff_rounds
from codesign.store import users as user_store
from codesign.web.staff.common import service_for_app
from tests.conftest import TOKEN

PASSWORD = "a calm long passphrase"
EMAILS = {
    "admin": "admin@example.org",
    "organizer": "organizer@example.org",
    "board": "board@example.org",
}


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

    async def sign_in(self, email: str, password: str = PASSWORD):
        await self.get("/staff/sign-in")
        return await self.post("/staff/sign-in", {"email": email, "password": password})


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
    demo_id = await staff_rounds.id_for_slug(app.state.db, "demo")
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
