"""Role matrix: every staff route, as anonymous, board, organizer and admin.

The table names every (method, route) the app has under /staff: a new route
without an entry here fails `test_every_staff_route_is_in_the_matrix`.
"""

from __future__ import annotations

import pytest

from codesign.services.rounds.admin import RoundsAdmin
from codesign.services.rounds.forms import parse_round_form
from codesign.store import users as user_store
from tests.web.staff.conftest import Staff, signed_in

PUBLIC = "public"
ALL = ("board", "organizer", "admin")
BUILD = ("organizer", "admin")
ADMIN = ("admin",)

MATRIX: dict[tuple[str, str], tuple[str, ...] | str] = {
    ("GET", "/staff/sign-in"): PUBLIC,
    ("POST", "/staff/sign-in"): PUBLIC,
    ("GET", "/staff"): ALL,
    ("GET", "/staff/audit"): ADMIN,
    # The steps of signing in after the password (a finished session is sent on), and the
    # one-time links (an unknown link is refused calmly).
    ("GET", "/staff/sign-in/code"): PUBLIC,
    ("POST", "/staff/sign-in/code"): PUBLIC,
    ("GET", "/staff/link/{token:str}"): PUBLIC,
    ("POST", "/staff/link/{token:str}"): PUBLIC,
    ("GET", "/staff/two-factor"): ALL,
    ("POST", "/staff/two-factor"): ALL,
    ("GET", "/staff/users"): ADMIN,
    ("POST", "/staff/users/invite"): ADMIN,
    ("POST", "/staff/users/everyone-two-factor"): ADMIN,
    ("POST", "/staff/users/{user_id:int}"): ADMIN,
    ("GET", "/staff/rounds/new"): BUILD,
    ("POST", "/staff/rounds/new"): BUILD,
    ("GET", "/staff/rounds/{round_id:int}"): ALL,
    ("GET", "/staff/rounds/{round_id:int}/edit"): BUILD,
    ("POST", "/staff/rounds/{round_id:int}/edit"): BUILD,
    ("POST", "/staff/rounds/{round_id:int}/status"): BUILD,
    ("GET", "/staff/rounds/{round_id:int}/status/confirm"): BUILD,
    ("GET", "/staff/rounds/{round_id:int}/sections/{section_id:int}/confirm"): BUILD,
    ("POST", "/staff/rounds/{round_id:int}/members"): BUILD,
    ("POST", "/staff/rounds/{round_id:int}/members/remove"): BUILD,
    ("POST", "/staff/rounds/{round_id:int}/duplicate"): BUILD,
    ("POST", "/staff/rounds/{round_id:int}/delete"): BUILD,
    ("GET", "/staff/rounds/{round_id:int}/delete/confirm"): BUILD,
    ("GET", "/staff/rounds/{round_id:int}/sections/new"): BUILD,
    ("POST", "/staff/rounds/{round_id:int}/sections/new"): BUILD,
    ("GET", "/staff/rounds/{round_id:int}/sections/{section_id:int}"): BUILD,
    ("POST", "/staff/rounds/{round_id:int}/sections/{section_id:int}"): BUILD,
    ("GET", "/staff/rounds/{round_id:int}/translate/{locale:str}"): BUILD,
    ("POST", "/staff/rounds/{round_id:int}/translate/{locale:str}"): BUILD,
    ("GET", "/staff/rounds/{round_id:int}/preview/{locale:str}"): BUILD,
    ("POST", "/staff/rounds/{round_id:int}/preview/{locale:str}/start"): BUILD,
    ("GET", "/staff/rounds/{round_id:int}/preview/{locale:str}/s/{position:int}"): BUILD,
    ("POST", "/staff/rounds/{round_id:int}/preview/{locale:str}/s/{position:int}"): BUILD,
    ("GET", "/staff/rounds/{round_id:int}/preview/{locale:str}/review"): BUILD,
    ("POST", "/staff/rounds/{round_id:int}/preview/{locale:str}/review"): BUILD,
    ("GET", "/staff/rounds/{round_id:int}/share"): BUILD,
    ("GET", "/staff/rounds/{round_id:int}/share/qr.svg"): BUILD,
    ("GET", "/staff/rounds/{round_id:int}/share/qr.png"): BUILD,
    ("GET", "/staff/rounds/{round_id:int}/poster"): BUILD,
    ("GET", "/staff/rounds/{round_id:int}/dashboard"): ALL,
    ("GET", "/staff/rounds/{round_id:int}/export.csv"): BUILD,
    ("GET", "/staff/rounds/{round_id:int}/export.json"): BUILD,
    ("GET", "/staff/rounds/{round_id:int}/paper"): BUILD,
    ("GET", "/staff/rounds/{round_id:int}/paper/template.csv"): BUILD,
    ("GET", "/staff/rounds/{round_id:int}/paper/form/{locale:str}"): BUILD,
    ("POST", "/staff/rounds/{round_id:int}/paper"): BUILD,
    ("POST", "/staff/rounds/{round_id:int}/paper/delete"): BUILD,
    ("POST", "/staff/rounds/{round_id:int}/paper/confirm"): BUILD,
    ("POST", "/staff/rounds/{round_id:int}/paper/undo"): BUILD,
    # Last for each role: it ends the session.
    ("POST", "/staff/sign-out"): ALL,
}


def staff_routes(app) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        if route.path.startswith("/staff/rounds/{round_id:int}/board"):
            continue  # the board workspace has its own matrix: tests/web/board/test_board_roles.py
        if route.path == "/staff" or route.path.startswith("/staff/"):
            for method in getattr(route, "methods", ()):
                if method not in ("OPTIONS", "HEAD"):
                    found.add((method, route.path))
    return found


def concrete(path: str) -> str:
    return (
        path.replace("{round_id:int}", "1")
        .replace("{section_id:int}", "1")
        .replace("{locale:str}", "es")
        .replace("{position:int}", "1")
        .replace("{user_id:int}", "1")
        .replace("{token:str}", "not-a-link")
    )


#: Raw answers: only the staff on the round, admins too (services.access, READ_ANSWERS).
RAW_ANSWERS = {
    "/staff/rounds/{round_id:int}/export.csv",
    "/staff/rounds/{round_id:int}/export.json",
}


def test_every_staff_route_is_in_the_matrix(client) -> None:
    assert staff_routes(client.app) == set(MATRIX)


@pytest.mark.parametrize("role", ["anonymous", "board", "organizer", "admin"])
async def test_role_matrix(client, accounts, role: str) -> None:
    staff = Staff(client) if role == "anonymous" else await signed_in(client, role)
    if role == "anonymous":
        await staff.get("/staff/sign-in")  # a CSRF token, as a browser would have
    problems = []
    for (method, path), allowed in MATRIX.items():
        url = concrete(path)
        if method == "GET":
            response = await staff.get(url)
        else:
            response = await staff.post(url, {})
        status = response.status_code
        location = response.headers.get("location", "")
        if allowed == PUBLIC:
            ok = status < 500 and status != 403
        elif role == "anonymous":
            ok = status == 303 and location.startswith("/staff/sign-in")
        elif role == "admin" and path in RAW_ANSWERS:
            ok = status == 403  # not on round 1: raw answers are for the round's staff only
        elif role in allowed:
            sent_away = location.startswith("/staff/sign-in") and "done=signed-out" not in location
            passed_guard = status not in (401, 403) and not sent_away
            ok = status == 200 if method == "GET" else passed_guard and status < 500
        else:
            ok = status == 403
        if not ok:
            problems.append((method, url, status, location))
        csp = response.headers.get("content-security-policy", "")
        if "frame-ancestors 'none'" not in csp or "unsafe-inline" in csp:
            problems.append((method, url, "security headers missing"))
        if response.headers.get("content-type", "").startswith("text/html") and status == 200:
            if "no-store" not in response.headers.get("cache-control", ""):
                problems.append((method, url, "staff page may be cached"))
    assert not problems, f"{role}: {problems}"


async def test_staff_see_only_their_rounds(client, accounts) -> None:
    admin = accounts["admin"]
    data, errors = parse_round_form(
        {
            "title": "Housing rules",
            "organisation": "Org",
            "purpose": "Why",
            "readers": "Board",
            "next_steps": "Next",
            "data_use": "Kept a year",
            "default_locale": "en",
            "timezone": "UTC",
            "closes_at": "2099-01-01T10:00",
        }
    )
    assert not errors
    other = await RoundsAdmin(client.app.state.db).create(admin, data)
    for role in ("organizer", "board"):
        staff = await signed_in(client, role)
        listing = await staff.get("/staff/")
        assert "Housing rules" not in listing.text
        assert "Our appointments policy" in listing.text
        for path in ("", "/dashboard"):
            response = await staff.get(f"/staff/rounds/{other}{path}")
            assert response.status_code == 403, (role, path)
        assert (await staff.get(f"/staff/rounds/{other}/export.csv")).status_code == 403
    admin_view = await (await signed_in(client, "admin")).get("/staff/")
    assert "Housing rules" in admin_view.text
    # Added to the round, the organizer sees it.
    await user_store.add_member(client.app.state.db, other, accounts["organizer"].id)
    organizer = await signed_in(client, "organizer")
    assert (await organizer.get(f"/staff/rounds/{other}")).status_code == 200


async def test_unknown_round_is_404_for_everyone(client, accounts) -> None:
    staff = await signed_in(client, "admin")
    assert (await staff.get("/staff/rounds/999")).status_code == 404


async def test_forbidden_page_is_calm_and_has_headers(client, accounts) -> None:
    board = await signed_in(client, "board")
    response = await board.get("/staff/audit")
    assert response.status_code == 403
    assert "This page is not part of your role" in response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
