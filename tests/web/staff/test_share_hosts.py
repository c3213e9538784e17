"""Share links, QR codes and posters name the site's own address, never a forged Host."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from codesign.settings import Settings
from codesign.store.staff_rounds import settings as round_settings
from codesign.web.app import create_app
from tests.web.staff.conftest import signed_in

PUBLIC = "https://consult.example.org"


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        db_path=str(tmp_path / "hosts.db"),
        background_embedding=False,
        background_screening=False,
        public_url=PUBLIC,
        allowed_hosts="testserver.local",
    )


async def _demo_id(client) -> int:
    return await round_settings.id_for_slug(client.app.state.db, "demo")


async def test_share_page_qr_and_poster_use_the_public_url(client, accounts):
    staff = await signed_in(client, "organizer")
    round_id = await _demo_id(client)
    share = await staff.get(f"/staff/rounds/{round_id}/share")
    assert share.status_code == 200
    assert f"{PUBLIC}/r/demo" in share.text and "testserver.local/r/demo" not in share.text
    poster = await staff.get(f"/staff/rounds/{round_id}/poster?lang=en")
    assert "consult.example.org/r/demo" in poster.text


async def test_a_forged_host_header_is_refused(client, accounts):
    staff = await signed_in(client, "organizer")
    round_id = await _demo_id(client)
    forged = await staff.get(
        f"/staff/rounds/{round_id}/share", headers={"host": "evil.example"}
    )
    assert forged.status_code == 400
    assert "evil.example/r/demo" not in forged.text
    for path in ("/r/demo", "/staff/sign-in"):
        assert (await client.get(path, headers={"host": "evil.example"})).status_code == 400
    # Health checks come by address from load balancers: any host.
    assert (await client.get("/healthz", headers={"host": "10.0.0.5"})).status_code == 200


async def test_without_a_public_url_the_allowed_host_list_still_guards_links(tmp_path):
    settings = Settings(
        db_path=str(tmp_path / "h2.db"),
        background_embedding=False,
        background_screening=False,
        allowed_hosts="testserver.local",
    )
    app = create_app(settings, demo=True)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        response = await client.get("/r/demo", headers={"host": "evil.example"})
        assert response.status_code == 400


async def test_a_public_url_with_a_port_accepts_its_own_host_header(tmp_path):
    settings = Settings(
        db_path=str(tmp_path / "h3.db"),
        background_embedding=False,
        background_screening=False,
        public_url="http://consult.example.org:8080",
    )
    app = create_app(settings, demo=True)
    async with AsyncTestClient(app=app, base_url="http://consult.example.org:8080") as client:
        for host in ("consult.example.org:8080", "consult.example.org"):
            response = await client.get("/r/demo", headers={"host": host})
            assert response.status_code == 200, host
        forged = await client.get("/r/demo", headers={"host": "evil.example:8080"})
        assert forged.status_code == 400
