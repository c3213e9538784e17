"""Shared fixtures: a fresh app on a temporary SQLite file with the demo round."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from codesign.settings import Settings
from codesign.web.app import create_app

TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
START_KEY = re.compile(r'name="start_key" value="([^"]+)"')


class _ShownCode:
    """Finds the private code as the page shows it (its groups are separate spans).

    `CODE.search(html).group(1)` is the code as a person reads it, "K7QP-2MXR-9DFT".
    """

    _box = re.compile(r'id="resume-code"[^>]*>(.*?)</p>', re.S)

    def search(self, html: str) -> re.Match[str] | None:
        found = self._box.search(html)
        if found is None:
            return None
        return re.fullmatch(r"(.+)", re.sub(r"<[^>]+>", "", found.group(1)).strip())


CODE = _ShownCode()


@pytest.fixture
def settings(tmp_path) -> Settings:
    # No background embedding or screening unless a test asks for it: tests drive
    # them step by step (tests/web/board/test_board_background.py, tests/web/safeguarding/).
    return Settings(
        db_path=str(tmp_path / "test.db"), background_embedding=False, background_screening=False
    )


@pytest.fixture
async def client(settings) -> AsyncIterator[AsyncTestClient]:
    app = create_app(settings, demo=True)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


class Journey:
    """A participant's browser: keeps cookies and the CSRF token, as a phone would."""

    def __init__(self, client: AsyncTestClient, slug: str = "demo", htmx: bool = False) -> None:
        self.client = client
        self.slug = slug
        self.htmx = htmx
        self.token = ""

    @property
    def base(self) -> str:
        return f"/r/{self.slug}"

    def headers(self) -> dict[str, str]:
        headers = {"x-csrftoken": self.token}
        if self.htmx:
            headers["hx-request"] = "true"
        return headers

    async def get(self, path: str, **kwargs):
        kwargs.setdefault("follow_redirects", False)
        response = await self.client.get(self.base + path, **kwargs)
        match = TOKEN.search(response.text)
        if match:
            self.token = match.group(1)
        return response

    async def post(self, path: str, data: dict[str, str], **kwargs):
        body = {"_csrf_token": self.token, **data}
        kwargs.setdefault("follow_redirects", False)
        return await self.client.post(self.base + path, data=body, headers=self.headers(), **kwargs)

    async def start(self, may_quote: str = "no"):
        page = await self.get("")
        key = START_KEY.search(page.text).group(1)
        return await self.post(
            "/start", {"start_key": key, "consent": "yes", "may_quote": may_quote}
        )

    async def questions(self, position: int) -> list[str]:
        page = await self.get(f"/s/{position}?note=read")
        seen: list[str] = []
        for name in re.findall(r'name="(q\d+)"', page.text):
            if name not in seen:
                seen.append(name)
        return seen


@pytest.fixture
def journey(client) -> Journey:
    return Journey(client)


def pytest_collection_modifyitems(config, items) -> None:
    """Run the real-browser tests last: Playwright's sync API runs an event loop
    in this thread while its browser is open, which async tests can't share."""
    items.sort(key=lambda item: "tests/browser/" in item.nodeid.replace("\\", "/"))
