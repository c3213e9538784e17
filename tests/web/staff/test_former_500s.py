"""Requests that once gave a 500 with a traceback now get a calm 4xx page (issue 13)."""

from __future__ import annotations

import pytest

from tests.conftest import START_KEY, TOKEN
from tests.web.staff.conftest import signed_in
from tests.web.staff.test_build import ROUND


def _calm(response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert "Traceback" not in response.text


async def test_a_nul_byte_in_a_static_path(client):
    version = client.app.state.renderer.static_version
    for path in (f"/static/{version}/css/%00.css", f"/static/{version}/%00", "/static/x%00y"):
        _calm(await client.get(path))


@pytest.mark.parametrize(
    "path",
    [
        "/staff/rounds/9223372036854775808",
        "/staff/rounds/99999999999999999999999/edit",
        "/staff/rounds/18446744073709551616/dashboard",
        "/staff/rounds/9223372036854775808/board",
    ],
)
async def test_ids_beyond_64_bits_in_staff_urls(client, accounts, path):
    for role in ("admin", "organizer"):
        staff = await signed_in(client, role)
        _calm(await staff.get(path))


async def test_a_huge_section_number_on_the_public_site(client):
    _calm(await client.get("/r/demo/s/9223372036854775808"))


async def test_a_huge_id_in_a_staff_form_post(client, accounts):
    staff = await signed_in(client, "admin")
    _calm(await staff.post("/staff/rounds/9223372036854775808/close", {}))


@pytest.mark.parametrize(
    ("timezone", "moment"),
    [
        ("America/New_York", "9999-12-31T23:59"),
        ("Asia/Tokyo", "0001-01-01T00:00"),
        ("Asia/Tokyo", "0001-01-01T08:59"),
    ],
)
async def test_extreme_dates_are_explained(client, accounts, timezone, moment):
    staff = await signed_in(client, "organizer")
    await staff.get("/staff/rounds/new")
    for field in ("closes_at", "opens_at"):
        form = {**ROUND, "timezone": timezone, field: moment, "response_due": ""}
        response = await staff.post("/staff/rounds/new", form)
        assert response.status_code == 422, (field, response.text[:300])
        assert 'class="error-summary"' in response.text
        assert "Choose a date between the years 2000 and 2200." in response.text


async def test_the_same_start_key_sent_to_two_rounds(client, accounts):
    staff = await signed_in(client, "organizer")
    await staff.get("/staff/rounds/new")
    made = await staff.post("/staff/rounds/new", ROUND)
    round_id = int(made.headers["location"].split("?")[0].split("/")[3])
    db = client.app.state.db
    slug = (await db.fetch_one("SELECT slug FROM rounds WHERE id = ?", (round_id,)))["slug"]
    await db.write(lambda conn: _open(conn, round_id))
    page = await client.get("/r/demo")
    key = START_KEY.search(page.text).group(1)
    form = {"start_key": key, "consent": "yes", "may_quote": "no"}
    first = await client.post(
        "/r/demo/start",
        data={"_csrf_token": TOKEN.search(page.text).group(1), **form},
        follow_redirects=False,
    )
    assert first.status_code == 303
    page = await client.get(f"/r/{slug}")
    second = await client.post(
        f"/r/{slug}/start",
        data={"_csrf_token": TOKEN.search(page.text).group(1), **form},
        follow_redirects=False,
    )
    # The second round gets its own participation, as if the key were new.
    assert second.status_code == 303, second.text[:300]
    assert second.headers["location"].startswith(f"/r/{slug}/")
    rows = await db.fetch_all("SELECT round_id FROM participations")
    assert sorted(r["round_id"] for r in rows).count(round_id) == 1


async def _open(conn, round_id: int) -> None:
    await conn.execute("UPDATE rounds SET status = 'open' WHERE id = ?", (round_id,))
