"""Walk every route the app has, with every method it answers: security headers
on each response, and never a server error, signed in or not."""

from __future__ import annotations

import re

from codesign.web.security import CONTENT_SECURITY_POLICY

SAMPLES = {
    "slug": "demo",
    "position": "1",
    "round_id": "1",
    "section_id": "1",
    "locale": "es",
    "file_path": "css/codesign.css",
}


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+):\w+\}", lambda m: SAMPLES.get(m.group(1), "1"), path)


def _requests(app) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        for method in sorted(getattr(route, "methods", ())):
            found.append((method, _concrete(route.path)))
    return found


async def test_every_route_and_method_sends_the_security_headers(client) -> None:
    requests = _requests(client.app)
    assert len(requests) > 20  # the walk really covers the app
    for method, path in requests:
        response = await client.request(method, path, follow_redirects=False)
        assert response.status_code < 500, (method, path, response.status_code)
        headers = response.headers
        assert headers.get("content-security-policy") == CONTENT_SECURITY_POLICY, (method, path)
        assert headers.get("x-content-type-options") == "nosniff", (method, path)
        assert headers.get("referrer-policy") == "no-referrer", (method, path)
        assert "strict-transport-security" not in headers  # only when served over HTTPS


async def test_hsts_when_served_over_https(tmp_path) -> None:
    from litestar.testing import AsyncTestClient

    from codesign.settings import Settings
    from codesign.web.app import create_app

    app = create_app(
        Settings(background_screening=False, db_path=str(tmp_path / "h.db"), https=True), demo=True
    )
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/r/demo")
        assert response.headers["strict-transport-security"].startswith("max-age=")
        assert "Secure" in response.headers["set-cookie"]


def test_policy_forbids_inline_code_and_framing() -> None:
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "'unsafe-eval'" not in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
