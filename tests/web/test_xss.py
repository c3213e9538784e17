"""The XSS corpus through every field a participant can fill: nothing executable
comes back in any page or fragment that shows it."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import CODE, Journey

PAYLOADS = [
    line
    for line in (Path(__file__).resolve().parents[1] / "fixtures" / "xss_payloads.txt")
    .read_text(encoding="utf-8")
    .splitlines()
    if line
]


class Executable(HTMLParser):
    """Collects anything in a page that could run or fetch: scripts, handlers, URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs) -> None:
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") or name.startswith("hx-on"):
                self.found.append(f"<{tag} {name}>")
            if name in _URL_ATTRS and value.strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:>")
        if tag == "script":
            src = dict(attrs).get("src") or ""
            if not re.fullmatch(r"/static/[0-9a-f]{10}/js/[\w.-]+\.js", src):
                self.found.append(f"<script src={src!r}>")
        if tag in ("iframe", "object", "embed", "style", "base", "meta", "link") and not _ours(
            tag, attrs
        ):
            self.found.append(f"<{tag}>")
        hx = [name for name, _ in attrs if name.startswith("hx-") and name not in _OUR_HX]
        if hx and tag not in ("form", "body"):
            self.found.append(f"<{tag} {hx}>")


_URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}
_OUR_HX = {
    "hx-post",
    "hx-target",
    "hx-swap",
    "hx-trigger",
    "hx-sync",
    "hx-headers",
    "hx-history",
    "hx-get",
    "hx-select",
}


def _ours(tag: str, attrs) -> bool:
    """The page's own <meta> and stylesheet <link> tags in the head."""
    values = dict(attrs)
    if tag == "meta":
        return set(values) <= {"charset", "name", "content"}
    if tag == "link":
        return values.get("rel") == "stylesheet" and bool(
            re.fullmatch(r"/static/[0-9a-f]{10}/css/[\w.-]+\.css", values.get("href") or "")
        )
    return False


def assert_inert(html: str, where: str) -> None:
    parser = Executable()
    parser.feed(html)
    assert not parser.found, f"{where}: {parser.found}"


@pytest.mark.parametrize("payload", PAYLOADS)
async def test_written_answers_come_back_inert(client, payload: str) -> None:
    journey = Journey(client)
    await journey.start()
    _, q_text = await journey.questions(1)
    saved = await journey.post("/s/1", {q_text: payload, "action": "next"})
    assert saved.status_code == 303
    for path in ("/s/1", "/review", "/code"):
        page = await journey.get(path)
        assert_inert(page.text, path)
    journey.htmx = True
    fragment = await journey.post("/s/1", {q_text: payload})
    assert_inert(fragment.text, "autosave fragment")
    journey.htmx = False
    # The text is kept exactly as written (escaped on the page, raw in the database).
    row = await client.app.state.db.fetch_one("SELECT text FROM answers WHERE text IS NOT NULL")
    assert row["text"] == payload.strip()
    # The withdraw page lists the answer before deleting it.
    code = CODE.search((await journey.get("/code")).text)
    if code:
        confirm = await journey.post("/withdraw", {"code": code.group(1)})
        assert_inert(confirm.text, "withdraw confirm")


@pytest.mark.parametrize("payload", PAYLOADS)
async def test_codes_and_query_values_come_back_inert(client, payload: str) -> None:
    journey = Journey(client)
    await journey.get("/resume")
    wrong = await journey.post("/resume", {"code": payload})
    assert wrong.status_code == 422
    assert_inert(wrong.text, "resume error")
    withdraw = await journey.post("/withdraw", {"code": payload})
    assert_inert(withdraw.text, "withdraw error")
    for page in (
        await client.get("/r/demo", params={"lang": payload}),
        await client.get("/r/demo/code", params={"then": payload}),
        await client.get(f"/r/{payload[:40]}"),
    ):
        assert page.status_code < 500
        assert_inert(page.text, str(page.url))
