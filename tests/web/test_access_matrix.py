"""Access across rounds and roles: anonymous, a participant with a resume code,
the organizer of round A, the organizer of round B, a board member of round A,
and an admin — on every round-scoped staff route the app has, with ids changed
in URLs and forms (IDOR) and extra fields posted that must be ignored.
"""

from __future__ import annotations

import re

import msgspec
import pytest

from codesign.demo.round import build_demo_round
from codesign.store import rounds as round_store
from codesign.store import users as user_store
from codesign.store.staff_rounds import settings as round_settings
from codesign.web.staff.common import service_for_app
from tests.conftest import CODE, Journey
from tests.web.staff.conftest import PASSWORD, Staff, accounts, quick_hashing, signed_in  # noqa: F401

ROUND_SCOPED = re.compile(r"^/staff/rounds/\{round_id:int\}")


def _round_routes(app) -> list[tuple[str, str]]:
    found = set()
    for route in app.routes:
        if ROUND_SCOPED.match(route.path):
            for method in getattr(route, "methods", ()):
                if method not in ("OPTIONS", "HEAD"):
                    found.add((method, route.path))
    return sorted(found)


def _url(path: str, round_id: int) -> str:
    path = path.replace("{round_id:int}", str(round_id)).replace("{locale:str}", "es")
    return re.sub(r"\{\w+:int\}", "1", path)


@pytest.fixture
async def two_rounds(client, accounts):  # noqa: F811
    """Round A is the demo round; round B is another open round with its own organizer."""
    db = client.app.state.db
    a = await round_settings.id_for_slug(db, "demo")
    b = await round_store.create_round(db, msgspec.structs.replace(build_demo_round(), slug="b"))
    service = await service_for_app(client.app)
    organizer_b = await service.create_user("organizer-b@example.org", "organizer", PASSWORD)
    await user_store.add_member(db, b, organizer_b.id)
    return a, b


async def _as(client, who: str) -> Staff:
    if who == "organizer-b":
        staff = Staff(client)
        await staff.sign_in("organizer-b@example.org")
        return staff
    return await signed_in(client, who)


@pytest.mark.parametrize(
    ("who", "round_key"),
    [("organizer-b", "a"), ("organizer", "b"), ("board", "b")],
)
async def test_staff_of_one_round_are_refused_on_every_route_of_another(
    client, two_rounds, who: str, round_key: str
) -> None:
    a, b = two_rounds
    target = {"a": a, "b": b}[round_key]
    staff = await _as(client, who)
    routes = _round_routes(client.app)
    assert len(routes) > 30  # the organizer console and the board workspace
    wrong = []
    for method, path in routes:
        url = _url(path, target)
        response = await (staff.get(url) if method == "GET" else staff.post(url, {}))
        if response.status_code != 403:
            wrong.append((method, url, response.status_code))
    assert not wrong, f"{who} on round {round_key}: {wrong}"


async def test_admin_passes_the_round_check_on_both_rounds(client, two_rounds) -> None:
    a, b = two_rounds
    admin = await signed_in(client, "admin")
    for round_id in (a, b):
        # (The board workspace asks admins to sit on the round too: its own matrix.)
        for path in ("", "/dashboard", "/share"):
            response = await admin.get(f"/staff/rounds/{round_id}{path}")
            assert response.status_code == 200, (round_id, path)


async def test_a_participant_with_a_code_gets_no_staff_access(client, two_rounds) -> None:
    a, _ = two_rounds
    journey = Journey(client)
    await journey.start()
    q = await journey.questions(1)
    await journey.post("/s/1", {q[1]: "my words", "action": "next"})
    assert CODE.search((await journey.get("/code")).text)
    for method, path in _round_routes(client.app):
        url = _url(path, a)
        response = await (client.get(url, follow_redirects=False) if method == "GET"
                          else client.post(url, data={"_csrf_token": journey.token},
                                           headers={"x-csrftoken": journey.token},
                                           follow_redirects=False))
        assert response.status_code == 303, (method, url, response.status_code)
        assert response.headers["location"].startswith("/staff/sign-in")


async def test_a_participation_belongs_to_its_round_only(client, two_rounds) -> None:
    journey = Journey(client)
    await journey.start()
    q = await journey.questions(1)
    await journey.post("/s/1", {q[1]: "round A words", "action": "next"})
    code = CODE.search((await journey.get("/code")).text).group(1)
    other = Journey(client, slug="b")
    # Round A's participation and code mean nothing on round B.
    assert (await other.get("/s/1")).headers["location"] == "/r/b"
    await other.get("/resume")
    assert (await other.post("/resume", {"code": code})).status_code == 422
    assert (await other.post("/withdraw", {"code": code})).status_code == 422


async def test_ids_of_another_round_in_urls_and_forms_change_nothing(client, two_rounds) -> None:
    a, b = two_rounds
    db = client.app.state.db
    round_b = await round_store.load_round(db, "b")
    section_b = round_b.sections[0]
    question_b = section_b.questions[0]
    before = await round_store.load_round(db, "b")
    organizer_a = await signed_in(client, "organizer")
    attempts = [
        (f"/staff/rounds/{a}/sections/{section_b.id}", {"title": "hijacked", "body_md": "x"}),
        (f"/staff/rounds/{a}/sections/{section_b.id}", {"action": "delete"}),
        (f"/staff/rounds/{a}/sections/{section_b.id}", {"action": "down"}),
        (f"/staff/rounds/{a}/sections/1", {"action": f"delete_q{question_b.id}"}),
        (f"/staff/rounds/{a}/sections/1", {"action": f"save_q{question_b.id}",
                                            "prompt": "hijacked"}),
        (f"/staff/rounds/{a}/members", {"email": "organizer@example.org", "round_id": str(b)}),
        (f"/staff/rounds/{a}/status", {"status": "closed", "round_id": str(b)}),
    ]
    for url, form in attempts:
        response = await organizer_a.post(url, form)
        assert response.status_code < 500, (url, form)
    after = await round_store.load_round(db, "b")
    assert after == before
    members = await db.fetch_all(
        "SELECT user_id FROM round_members WHERE round_id = ?", (b,)
    )
    organizer = await db.fetch_one("SELECT id FROM users WHERE email = 'organizer@example.org'")
    assert organizer["id"] not in {m["user_id"] for m in members}


async def test_extra_fields_are_ignored(client, two_rounds) -> None:
    a, b = two_rounds
    db = client.app.state.db
    journey = Journey(client)
    page = await journey.get("")
    key = re.search(r'name="start_key" value="([^"]+)"', page.text).group(1)
    extra = {"status": "submitted", "round_id": str(b), "role": "admin", "may_quote": "no"}
    await journey.post("/start", {"start_key": key, "consent": "yes", **extra})
    row = await db.fetch_one("SELECT round_id, status FROM participations")
    assert (row["round_id"], row["status"]) == (a, "started")
    await journey.post("/review", {"action": "save", **extra, "status": "withdrawn"})
    row = await db.fetch_one("SELECT status FROM participations")
    assert row["status"] == "started"

    organizer = await signed_in(client, "organizer")
    created = await organizer.post("/staff/rounds/new", {
        "title": "Extra fields", "organisation": "Org", "purpose": "Why", "readers": "Board",
        "next_steps": "Next", "data_use": "Kept a year", "default_locale": "en",
        "timezone": "UTC", "closes_at": "2099-01-01T10:00",
        "status": "open", "round_id": str(a), "role": "admin", "id": "1",
    })
    assert created.status_code == 303
    new_id = int(re.search(r"/staff/rounds/(\d+)", created.headers["location"]).group(1))
    assert new_id not in (a, b)
    new_round = await db.fetch_one("SELECT status FROM rounds WHERE id = ?", (new_id,))
    assert new_round["status"] == "draft"
    me = await db.fetch_one("SELECT role FROM users WHERE email = 'organizer@example.org'")
    assert me["role"] == "organizer"
