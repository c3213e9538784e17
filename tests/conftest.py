"""Shared fixtures: a fresh app on a temporary SQLite file with the demo round.

With CODESIGN_TEST_DATABASE_URL set, every database is a fresh PostgreSQL one
instead (tests/backends.py); tests marked `sqlite_only` are about SQLite itself
and are skipped there.
"""

from __future__ import annotations

import re
import sys
from collections.abc import AsyncIterator, Iterator

import pytest
from litestar.testing import AsyncTestClient

from codesign.settings import Settings
from codesign.web.app import create_app
from tests.backends import ON_POSTGRES, PostgresBackend

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


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers",
        "sqlite_only(reason): about SQLite itself (WAL, group commit, files, maintenance"
        " commands); skipped when the tests run on PostgreSQL",
    )


def pytest_collection_modifyitems(config, items) -> None:
    """Run the real-browser tests last: Playwright's sync API runs an event loop
    in this thread while its browser is open, which async tests can't share.
    On PostgreSQL, skip the tests about SQLite itself, saying why."""
    items.sort(key=lambda item: "tests/browser/" in item.nodeid.replace("\\", "/"))
    if not ON_POSTGRES:
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


@pytest.fixture(scope="session", autouse=True)
def database_backend() -> Iterator[PostgresBackend | None]:
    """On PostgreSQL: the app's `open_database`, the CLI's database and every test
    module's `Database` give a fresh PostgreSQL database per SQLite path."""
    if not ON_POSTGRES:
        yield None
        return
    import codesign.cli
    import codesign.web.app
    import tests.backends
    from codesign.store.db import Database

    backend = tests.backends.current = PostgresBackend()
    patched: list[tuple[object, str, object]] = []

    def patch(target: object, name: str, value: object) -> None:
        patched.append((target, name, getattr(target, name)))
        setattr(target, name, value)

    patch(codesign.web.app, "open_database", backend.open_database)
    patch(codesign.cli, "_database", lambda args: backend.database(args.db or "codesign.db"))
    for module_name, module in list(sys.modules.items()):
        if module_name.startswith("tests.") and getattr(module, "Database", None) is Database:
            patch(module, "Database", backend.database)
    try:
        yield backend
    finally:
        for target, name, value in reversed(patched):
            setattr(target, name, value)
        tests.backends.current = None
        backend.close()


@pytest.fixture(autouse=True)
def _drop_test_databases(database_backend) -> Iterator[None]:
    """The PostgreSQL databases a test made are dropped when it ends."""
    if database_backend is None:
        yield
        return
    mark = database_backend.mark()
    yield
    database_backend.drop_since(mark)
