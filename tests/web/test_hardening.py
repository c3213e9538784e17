"""Hardening an outside test asked for (issue 13): CSRF, cookies, hosts, files, calm errors."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from codesign.settings import Settings
from codesign.web.app import create_app
from tests.conftest import TOKEN


def _settings(tmp_path, **values) -> Settings:
    return Settings(
        db_path=str(tmp_path / "h.db"),
        background_embedding=False,
        background_screening=False,
        **values,
    )


@pytest.mark.parametrize("path", ["/r/static/start", "/r/healthz/start", "/r/demo-static/start"])
async def test_csrf_exemptions_cover_only_their_own_paths(client, path):
    # Without a token these are refused before any handler runs (unanchored patterns
    # let any path containing "/static" or "/healthz" through to its handler).
    response = await client.post(path, data={"agree": "yes"}, follow_redirects=False)
    assert response.status_code == 403


async def test_health_and_static_still_need_no_token(client):
    assert (await client.get("/healthz")).status_code == 200


async def test_host_prefixed_cookies_under_https(tmp_path):
    app = create_app(_settings(tmp_path, https=True), demo=True)
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as client:
        page = await client.get("/r/demo")
        cookies = page.headers.get_list("set-cookie")
        csrf = [c for c in cookies if "csrftoken=" in c]
        assert csrf and csrf[0].startswith("__Host-csrftoken=")
        assert "Secure" in csrf[0] and "Path=/" in csrf[0] and "Domain" not in csrf[0]
        # The form still works with the prefixed cookie.
        token = TOKEN.search(page.text).group(1)
        start = await client.post(
            "/r/demo/start", data={"_csrf_token": token}, follow_redirects=False
        )
        assert start.status_code != 403


async def test_plain_cookie_names_over_plain_http(client):
    page = await client.get("/r/demo")
    assert any(c.startswith("csrftoken=") for c in page.headers.get_list("set-cookie"))
