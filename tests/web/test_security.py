"""Security headers and escaping on participant pages."""

from __future__ import annotations

import pytest

from tests.backends import columns_of
from tests.conftest import Journey

PAGES = [
    "/r/demo",
    "/r/demo/s/1",
    "/r/demo/resume",
    "/r/demo/withdraw",
    "/r/demo/review",
    "/r/demo/code",
    "/r/nowhere",
    "/healthz",
    "/nope",
]


@pytest.mark.parametrize("path", PAGES)
async def test_every_route_sends_security_headers(client, path: str) -> None:
    journey = Journey(client)
    await journey.start()
    response = await client.get(path, follow_redirects=False)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_static_assets_are_versioned_and_cached_long(client) -> None:
    page = await client.get("/r/demo")
    import re

    css = re.search(r'href="(/static/[0-9a-f]{10}/css/codesign.css)"', page.text).group(1)
    asset = await client.get(css)
    assert asset.status_code == 200
    assert "max-age=31536000" in asset.headers["cache-control"]
    assert asset.headers["content-security-policy"]
    assert re.search(r'src="/static/[0-9a-f]{10}/js/htmx-2\.0\.11\.min\.js" defer', page.text)


async def test_no_inline_script_or_style(client) -> None:
    page = await client.get("/r/demo")
    assert "<script>" not in page.text and "<style" not in page.text
    assert " style=" not in page.text and " onclick=" not in page.text


async def test_answers_are_escaped_everywhere(journey: Journey) -> None:
    await journey.start()
    _, q_text = await journey.questions(1)
    payload = '<script>alert(1)</script><img src=x onerror=alert(2)> hx-get="/x"'
    await journey.post("/s/1", {q_text: payload, "action": "next"})
    for path in ("/s/1", "/review"):
        page = await journey.get(path)
        assert "<script>alert(1)" not in page.text
        assert "<img src=x" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


async def test_no_ip_or_user_agent_stored(journey: Journey, client) -> None:
    await journey.start()
    db = client.app.state.db
    for table in ("participations", "answers"):
        columns = await columns_of(db, table)
        assert not columns & {"ip", "ip_address", "user_agent", "remote_addr"}


async def test_participant_cookie_is_private(journey: Journey) -> None:
    response = await journey.start()
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/r/demo" in cookie
    assert "Max-Age" not in cookie and "expires" not in cookie.lower()  # ends with the session
