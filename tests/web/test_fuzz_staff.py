"""Bad input is never a 500 on the staff side either: random forms, malformed
bodies and odd ids thrown at every organizer and board form handler, signed in
as an admin (who may use all of them). A refused request changes nothing.

The analysis runs (a run, new themes in "other", starting again) are left out:
they start work in the background, which would race the before/after
comparison; the route walk and the board tests cover them.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlencode

import pyotp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from codesign.demo.answers import fill_round, generate
from codesign.services.board.service import BoardService
from codesign.settings import Settings
from codesign.store import rounds as round_store
from codesign.store import users as user_store
from codesign.web.app import create_app
from codesign.web.staff.common import service_for_app
from tests.backends import rows_of
from tests.conftest import TOKEN
from tests.web.board.helpers import TopicVectoriser
from tests.web.staff.conftest import PASSWORD, quick_hashing, shown_secret  # noqa: F401

#: Tables a staff request may not touch when it is refused. The audit log, sign-in
#: attempts and sessions record refusals on purpose.
UNCHANGED = (
    "rounds", "round_texts", "sections", "section_texts", "questions", "question_texts",
    "question_options", "question_option_texts", "support_contacts", "round_members",
    "users", "participations", "answers", "themes", "theme_members", "outcomes",
    "board_settings",
)
PAGES = [
    "/staff/rounds/new",
    "/staff/rounds/1",
    "/staff/rounds/1/edit",
    "/staff/rounds/1/sections/1",
    "/staff/rounds/1/sections/new",
    "/staff/rounds/1/translate/es",
    "/staff/rounds/1/members",
    "/staff/rounds/1/paper",
    "/staff/rounds/1/board",
    "/staff/rounds/1/board/settings",
    "/staff/rounds/1/board/outcomes",
]
ODD_TEXT = st.sampled_from(
    [
        "", "1", "0", "-1", "2", "999999999999999999999", "1e9", "²", "٣", "yes", "on",
        "draft", "open", "closed", "published", "admin", "board", "organizer",
        "en", "ar", "xx", "2026-02-30", "2026-13-01T25:61", "9999-12-31T23:59",
        "x" * 6000, "\x00", "\ud7ff", "=1+1", "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>', "../../etc/passwd", "Europe/Nowhere",
        "single", "multiple", "agreement", "text",
    ]
)
TEXT = st.one_of(ODD_TEXT, st.text(max_size=40))


def _snapshot(client) -> str:
    rows = []
    for table in UNCHANGED:
        rows += [repr(r) for r in rows_of(client, f"SELECT * FROM {table} ORDER BY 1")]  # noqa: S608
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


@pytest.fixture(scope="module")
def staff_site(tmp_path_factory):
    db_path = str(tmp_path_factory.mktemp("fuzz-staff") / "staff.db")
    app = create_app(
        Settings(background_screening=False, db_path=db_path, public_posts_per_minute=10**7,
                 code_attempts_per_minute=10**7, background_embedding=False),
        demo=True,
    )
    with TestClient(app=app, base_url="http://testserver.local") as client:
        ids: dict[str, list[int]] = {}

        async def prepare() -> None:
            from argon2 import PasswordHasher

            from codesign.models import StaffUser
            from codesign.services import accounts

            quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
            accounts._hasher = lambda: quick  # test-sized Argon2 cost, as the staff tests
            db = app.state.db
            service = await service_for_app(app)
            admin = await service.create_user("fuzz@example.org", "admin", PASSWORD)
            round_ = await round_store.load_round(db, "demo")
            await user_store.add_member(db, round_.id, admin.id)
            section = round_.sections[0]
            agreement, question = section.questions[0].id, section.questions[1].id
            await fill_round(db, round_, generate(30, seed=5), question_id=question,
                             agreement_id=agreement)
            board = BoardService(db, TopicVectoriser)
            app.state.board = board
            await board.run_analysis(StaffUser(id=admin.id, email=admin.email, role="admin"),
                                     round_, question)
            ids["question"] = [question]
            ids["theme"] = [r["id"] for r in await db.fetch_all("SELECT id FROM themes")]
            ids["answer"] = [r["id"] for r in await db.fetch_all(
                "SELECT id FROM answers WHERE text IS NOT NULL LIMIT 3")]
            from codesign.store import safeguarding as sg_store

            ids["item"] = [await sg_store.hand_flag(
                db, round_.id, ids["answer"][0], "danger", "", admin.email, user_id=admin.id)]

        from codesign.services import accounts as accounts_module

        hasher = accounts_module._hasher
        try:
            with client.portal() as portal:
                portal.call(prepare)
            token = TOKEN.search(client.get("/staff/sign-in").text).group(1)
            signed = client.post(
                "/staff/sign-in",
                data={"_csrf_token": token, "email": "fuzz@example.org", "password": PASSWORD},
                follow_redirects=False,
            )
            assert signed.status_code == 303
            # An admin sets up two-step sign-in first, as a person would with an app.
            setup = client.get("/staff/two-factor")
            code = pyotp.TOTP(shown_secret(setup.text)).now()
            token = TOKEN.search(setup.text).group(1)
            enrolled = client.post(
                "/staff/two-factor", data={"_csrf_token": token, "code": code},
                follow_redirects=False,
            )
            assert "recovery-codes" in enrolled.text
            fields: set[str] = set()
            for page in PAGES:
                html = client.get(page).text
                fields |= set(re.findall(r'name="([^"]+)"', html))
                token = TOKEN.search(html).group(1) if TOKEN.search(html) else token
            yield client, db_path, token, ids, sorted(fields | {"status", "round_id", "role"})
        finally:
            accounts_module._hasher = hasher


def _paths(app, ids: dict[str, list[int]]) -> list[st.SearchStrategy[str]]:
    choices = {
        "round_id": [1, 1, 1, 2, 999],
        "section_id": [1, 1, 2, 999],
        "locale": ["es", "ar", "xx"],
        "position": [1, 9],
        "theme_id": ids["theme"][:3] + [999_999],
        "answer_id": ids["answer"] + [999_999],
        "question_id": ids["question"] + [999_999],
        "item_id": ids["item"] + [999_999],
        "user_id": [1, 2, 999_999],
        "token": ["not-a-link", "x" * 200],
        "merge_id": [1, 999_999],
        "group_id": [1, 999_999],
    }
    found = []
    for route in app.routes:
        path = route.path
        if "POST" not in getattr(route, "methods", ()) or not path.startswith("/staff"):
            continue
        if path.endswith(("/sign-out", "/run", "/other-themes", "/restart")):
            continue  # sign-out ends the session; runs: see the module's note
        params = re.findall(r"\{(\w+):\w+\}", path)

        def build(values: tuple, path: str = path, params: list[str] = params) -> str:
            for name, value in zip(params, values, strict=True):
                path = re.sub(r"\{" + name + r":\w+\}", str(value), path)
            return path

        found.append(st.tuples(*(st.sampled_from(choices[p]) for p in params)).map(build))
    return found


def test_random_staff_forms_never_cause_a_server_error(staff_site) -> None:
    client, db_path, token, ids, fields = staff_site
    paths = _paths(client.app, ids)
    assert len(paths) >= 18  # every organizer and board form handler is in the draw
    seen: dict[int, int] = {}

    @settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        path=st.one_of(*paths),
        form=st.dictionaries(st.sampled_from(fields), TEXT, max_size=10),
        repeated=st.lists(st.tuples(st.sampled_from(fields), TEXT), max_size=3),
        htmx=st.booleans(),
    )
    def check(path: str, form: dict[str, str], repeated: list, htmx: bool) -> None:
        before = _snapshot(client)
        headers = {"x-csrftoken": token, "content-type": "application/x-www-form-urlencoded"}
        if htmx:
            headers["hx-request"] = "true"
        form.pop("_csrf_token", None)
        body = [("_csrf_token", token), *form.items(), *repeated]
        response = client.post(
            path, content=urlencode(body), headers=headers, follow_redirects=False
        )
        assert response.status_code < 500, (path, body, response.text[:300])
        assert "Traceback" not in response.text
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        if response.status_code >= 400:
            assert _snapshot(client) == before, (path, body, response.status_code)

    check()
    # The draw reached the handlers: some forms were accepted, others refused on their merits.
    assert any(300 <= status < 400 for status in seen), seen
    assert any(status in (400, 404, 409, 422) for status in seen), seen


def test_malformed_staff_bodies_never_cause_a_server_error(staff_site) -> None:
    client, db_path, token, ids, _ = staff_site
    paths = _paths(client.app, ids)

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        path=st.one_of(*paths),
        body=st.one_of(
            st.binary(max_size=400),
            st.just(b"\xff\xfe\x00bad=\xc3("),
            st.just(b"title=" + b"%" * 300),
            st.just(b'{"status": "open"}'),
            st.just(b"--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n--x--"),
        ),
        content_type=st.sampled_from(
            [
                "application/x-www-form-urlencoded",
                "application/x-www-form-urlencoded; charset=latin-1",
                "multipart/form-data; boundary=x",
                "multipart/form-data",
                "application/json",
                "text/plain",
                "",
            ]
        ),
    )
    def check(path: str, body: bytes, content_type: str) -> None:
        before = _snapshot(client)
        headers = {"x-csrftoken": token}
        if content_type:
            headers["content-type"] = content_type
        response = client.post(path, content=body, headers=headers, follow_redirects=False)
        assert response.status_code < 500, (path, body, content_type)
        if response.status_code >= 400:
            assert _snapshot(client) == before, (path, body, response.status_code)

    check()
