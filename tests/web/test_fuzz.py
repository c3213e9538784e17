"""Bad input is never a 500: random and malformed bodies, headers and encodings
thrown at every participant form handler. A refused request changes nothing."""

from __future__ import annotations

import hashlib
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from codesign.settings import Settings
from codesign.web.app import create_app
from tests.backends import rows_of

POSTS = [
    "/r/demo/start",
    "/r/demo/s/1",
    "/r/demo/s/2",
    "/r/demo/s/9",
    "/r/demo/code",
    "/r/demo/review",
    "/r/demo/resume",
    "/r/demo/withdraw",
    "/r/nowhere/start",
]
FIELDS = [
    "q1",
    "q2",
    "q3",
    "q4",
    "q999",
    "action",
    "consent",
    "start_key",
    "may_quote",
    "code",
    "save_key",
    "confirm",
    "lang",
    "_csrf_token",
    "status",
    "round_id",
    "role",
]
TEXT = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "",
            "1",
            "5",
            "prefer_not",
            "yes",
            "no",
            "next",
            "back",
            "submit",
            "K7QP-2MXR-9DFT",
            "x" * 6000,
            "\x00",
            "\ud7ff",
            "=1+1",
            "<script>",
            "²",
            "٣",
            "-1",
            "1e9",
            "99999999999999999999",
            "../../etc",
        ]
    ),
)


def _snapshot(client) -> str:
    """Everything a participant's request could change, as one digest."""
    rows = []
    for table in ("participations", "answers", "answer_saves"):
        rows += [repr(r) for r in rows_of(client, f"SELECT * FROM {table} ORDER BY 1")]  # noqa: S608
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def _client(tmp_path):
    db_path = str(tmp_path / "fuzz.db")
    app = create_app(
        Settings(
            background_screening=False,
            db_path=db_path,
            public_posts_per_minute=10**7,
            code_attempts_per_minute=10**7,
        ),
        demo=True,
    )
    return db_path, TestClient(app=app, base_url="http://testserver.local")


def _join(client) -> str:
    page = client.get("/r/demo")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
    key = re.search(r'name="start_key" value="([^"]+)"', page.text).group(1)
    client.post(
        "/r/demo/start",
        data={"_csrf_token": token, "start_key": key, "consent": "yes", "may_quote": "no"},
        follow_redirects=False,
    )
    return token


def test_random_forms_never_cause_a_server_error(tmp_path) -> None:
    db_path, test_client = _client(tmp_path)
    with test_client as client:
        token = _join(client)

        @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(
            path=st.sampled_from(POSTS),
            form=st.dictionaries(st.sampled_from(FIELDS), TEXT, max_size=8),
            htmx=st.booleans(),
        )
        def check(path: str, form: dict[str, str], htmx: bool) -> None:
            before = _snapshot(client)
            headers = {"x-csrftoken": token}
            if htmx:
                headers["hx-request"] = "true"
            form = {k: v.replace("\x00", "") if k == "_csrf_token" else v for k, v in form.items()}
            form.setdefault("_csrf_token", token)
            response = client.post(path, data=form, headers=headers, follow_redirects=False)
            assert response.status_code < 500, (path, form, response.text[:300])
            assert "Traceback" not in response.text
            if response.status_code >= 400:
                assert _snapshot(client) == before, (path, form, response.status_code)

        check()


def test_malformed_bodies_and_headers_never_cause_a_server_error(tmp_path) -> None:
    db_path, test_client = _client(tmp_path)
    with test_client as client:
        token = _join(client)

        @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(
            path=st.sampled_from(POSTS),
            body=st.one_of(
                st.binary(max_size=400),
                st.just(b"\xff\xfe\x00bad=\xc3("),
                st.just(b"q2=" + b"%" * 300),
                st.just(b'{"q2": "json?"}'),
                st.just(b"--x\r\nContent-Disposition: form-data\r\n\r\n--x--"),
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
                    "garbage/;;;=",
                ]
            ),
            extra=st.dictionaries(
                st.sampled_from(
                    ["accept-language", "hx-request", "cookie", "x-csrftoken", "hx-target"]
                ),
                st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80),
                max_size=3,
            ),
        )
        def check(path: str, body: bytes, content_type: str, extra: dict[str, str]) -> None:
            before = _snapshot(client)
            headers = {"x-csrftoken": token, **extra}
            if content_type:
                headers["content-type"] = content_type
            response = client.post(path, content=body, headers=headers, follow_redirects=False)
            assert response.status_code < 500, (path, body, content_type, extra)
            if response.status_code >= 400:
                assert _snapshot(client) == before

        check()


def test_oversized_and_odd_get_requests_never_cause_a_server_error(tmp_path) -> None:
    _, test_client = _client(tmp_path)
    with test_client as client:
        _join(client)

        @settings(max_examples=80, deadline=None)
        @given(
            path=st.sampled_from(
                [
                    "/r/demo",
                    "/r/demo/s/1",
                    "/r/demo/code",
                    "/r/demo/review",
                    "/r/demo/resume",
                    "/r/demo/withdraw",
                    "/r/demo/thanks",
                ]
            ),
            query=st.dictionaries(
                st.sampled_from(["lang", "then", "note", "x"]),
                TEXT.filter(lambda v: "\x00" not in v and len(v) < 100),
                max_size=3,
            ),
            accept=st.text(max_size=120),
        )
        def check(path: str, query: dict[str, str], accept: str) -> None:
            safe_accept = accept.encode("ascii", "ignore").decode().replace("\n", "")
            response = client.get(
                path, params=query, headers={"accept-language": safe_accept}, follow_redirects=False
            )
            assert response.status_code < 500, (path, query, accept)

        check()
