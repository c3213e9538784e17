"""The paper-response import under random files: never a server error, and a
file is imported whole or not at all."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from codesign.settings import Settings
from codesign.store import users as user_store
from codesign.store.staff_rounds import settings as round_settings
from codesign.web.app import create_app
from codesign.web.staff.common import service_for_app
from tests.backends import rows_of
from tests.conftest import TOKEN
from tests.web.staff.conftest import PASSWORD, quick_hashing  # noqa: F401

CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            "1",
            "3",
            "5",
            "9",
            "prefer_not",
            "yes",
            "no",
            "en",
            "ar",
            "xx",
            "=1+1",
            "@x",
            "-2",
            "x" * 6000,
            '"',
            '""',
            "a,b",
            "\n",
            "\r",
        ]
    ),
    st.text(max_size=30),
)


def _counts(client) -> tuple[int, int]:
    return (
        rows_of(client, "SELECT COUNT(*) FROM participations")[0][0],
        rows_of(client, "SELECT COUNT(*) FROM answers")[0][0],
    )


def test_random_paper_files_are_all_or_nothing(tmp_path) -> None:
    db_path = str(tmp_path / "paper.db")
    app = create_app(Settings(background_screening=False, db_path=db_path), demo=True)
    with TestClient(app=app, base_url="http://testserver.local") as client:

        async def make_organizer() -> None:
            service = await service_for_app(app)
            user = await service.create_user("paper@example.org", "organizer", PASSWORD)
            round_id = await round_settings.id_for_slug(app.state.db, "demo")
            await user_store.add_member(app.state.db, round_id, user.id)

        with client.portal() as portal:
            portal.call(make_organizer)
        page = client.get("/staff/sign-in")
        token = TOKEN.search(page.text).group(1)
        client.post(
            "/staff/sign-in",
            data={"_csrf_token": token, "email": "paper@example.org", "password": PASSWORD},
        )
        template = client.get("/staff/rounds/1/paper/template.csv").text.lstrip("\ufeff")
        header = template.splitlines()[0].split(",")
        token = TOKEN.search(client.get("/staff/rounds/1/paper").text).group(1)

        # Mostly plausible rows (so whole files do get imported), sometimes anything.
        def plausible(column: str) -> st.SearchStrategy[str]:
            if column == "language":
                valid = st.sampled_from(["", "en", "es", "fr", "ar"])
            elif column == "may_quote":
                valid = st.sampled_from(["", "yes", "no"])
            elif column.endswith(".1"):  # the agreement question of each section
                valid = st.sampled_from(["", "1", "2", "3", "4", "5", "prefer_not"])
            else:
                valid = st.text(min_size=1, max_size=40).filter(lambda t: t.strip())
            return st.one_of(*([valid] * 30), CELLS)

        row = st.tuples(*(plausible(c) for c in header)).map(list)
        noisy_row = st.lists(CELLS, min_size=len(header) - 1, max_size=len(header) + 1)

        @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(
            rows=st.lists(st.one_of(*([row] * 8), noisy_row), min_size=1, max_size=5),
            keep_header=st.sampled_from([True, True, True, True, False]),
            encoding=st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "latin-1", "utf-16"]),
            raw=st.one_of(st.none(), st.none(), st.none(), st.binary(max_size=300)),
        )
        def check(rows, keep_header, encoding, raw) -> None:
            if raw is not None:
                content = raw
            else:
                lines = ([",".join(header)] if keep_header else []) + [
                    ",".join('"' + c.replace('"', '""') + '"' for c in row) for row in rows
                ]
                content = "\n".join(lines).encode(encoding, errors="replace")
            before = _counts(client)
            response = client.post(
                "/staff/rounds/1/paper",
                files={"file": ("p.csv", content, "text/csv")},
                data={"_csrf_token": token},
                headers={"x-csrftoken": token},
                follow_redirects=False,
            )
            assert response.status_code < 500, response.text[:300]
            assert _counts(client) == before  # checked only: nothing added yet
            waiting = re.search(r'name="token" value="([^"]+)"', response.text)
            if response.status_code == 200:
                assert waiting is not None
                response = client.post(
                    "/staff/rounds/1/paper/confirm",
                    data={"_csrf_token": token, "token": waiting.group(1), "add": "all"},
                    headers={"x-csrftoken": token},
                    follow_redirects=False,
                )
                assert response.status_code < 500, response.text[:300]
            after = _counts(client)
            if response.status_code != 200:
                assert after == before  # nothing half-imported
            elif raw is None and keep_header:
                assert after[0] - before[0] == len(rows)  # every row, or none
            else:
                assert after[0] > before[0]

        check()
