"""Sharing and watching: link, QR code, poster, dashboard, exports."""

from __future__ import annotations

import csv
import io
import json

from litestar.testing import AsyncTestClient

from codesign.services.watching import neutralise
from codesign.settings import Settings
from codesign.store.db import Database
from codesign.web.app import create_app
from tests.conftest import CODE, Journey
from tests.web.staff.conftest import signed_in


async def answer(client, text: str, agree: str = "4", submit: bool = True) -> None:
    journey = Journey(client)
    await journey.start()
    q = await journey.questions(1)
    await journey.post("/s/1", {q[0]: agree, q[1]: text, "action": "next"})
    if submit:
        await journey.post("/review", {"may_quote": "no", "action": "submit"})


async def test_share_page_qr_and_poster(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    share = await staff.get("/staff/rounds/1/share")
    assert share.status_code == 200
    assert 'href="http://testserver.local/r/demo"' in share.text
    assert 'src="/staff/rounds/1/share/qr.svg"' in share.text and 'alt="QR code for' in share.text
    qr = await staff.get("/staff/rounds/1/share/qr.svg")
    assert qr.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in qr.text and "<script" not in qr.text
    poster = await staff.get("/staff/rounds/1/poster?lang=en&lang=fr&lang=xx")
    assert poster.status_code == 200
    assert "Tell us what you think" in poster.text
    assert "You can give feedback until" in poster.text
    assert "<style" not in poster.text and " style=" not in poster.text


async def test_dashboard_counts_and_polls(client, accounts) -> None:
    await answer(client, "Evening appointments please", agree="5")
    await answer(client, "Text reminders", agree="2", submit=False)
    board = await signed_in(client, "board")
    page = await board.get("/staff/rounds/1/dashboard")
    assert page.status_code == 200
    assert 'hx-trigger="every 5s"' in page.text
    assert "<svg" in page.text and 'aria-hidden="true"' in page.text
    text = " ".join(page.text.split())
    assert "<dt>Started</dt><dd>2</dd>" in text
    assert "<dt>Sent their answers</dt><dd>1</dd>" in text
    # Only sent answers are counted; the one still being written is only "still answering".
    assert "<dt>Still answering</dt><dd>1</dd>" in text
    assert "1 answer" in text and "2 answers" not in text
    assert '<th scope="row">Strongly agree</th>' in text and "1 (100%)" in text
    board.htmx = True
    block = await board.get("/staff/rounds/1/dashboard", headers={"hx-request": "true"})
    assert block.status_code == 200 and block.text.lstrip().startswith('<div id="live"')
    assert "<html" not in block.text


async def test_exports_are_redacted_neutralised_and_audited(client, accounts) -> None:
    await answer(client, '=HYPERLINK("http://x") call me on 07700 900123')
    await answer(client, "@SUM(1)")
    staff = await signed_in(client, "organizer")
    response = await staff.get("/staff/rounds/1/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    texts = [r["answer_text"] for r in rows if r["answer_text"]]
    assert any(t.startswith("'=HYPERLINK") for t in texts)
    assert any(t.startswith("'@SUM") for t in texts)
    assert not any("07700 900123" in t for t in texts)
    assert {r["text_redacted"] for r in rows} == {"yes"}
    as_json = await staff.get("/staff/rounds/1/export.json")
    document = json.loads(as_json.text)
    assert document["personal_details"] == "redacted"
    assert any(
        a["answer_text"] and a["answer_text"].startswith("=HYPERLINK") for a in document["answers"]
    )  # JSON keeps text as it is
    audit = await client.app.state.db.fetch_all(
        "SELECT action, detail FROM audit_log WHERE action = 'answers_exported'"
    )
    assert [r["detail"].split(",")[0] for r in audit] == ["csv", "json"]


def test_neutralise_every_formula_start() -> None:
    for cell in ("=1+1", "+1", "-1", "@x", "\tx", "\rx"):
        assert neutralise(cell).startswith("'")
    assert neutralise("plain") == "plain" and neutralise(None) == ""


async def test_withdrawn_answers_are_not_exported_or_counted(client, accounts) -> None:
    await answer(client, "keep me")
    client.cookies.clear()
    leaving = Journey(client)
    await leaving.start()
    q = await leaving.questions(1)
    await leaving.post("/s/1", {q[1]: "withdraw me", "action": "next"})
    code = CODE.search((await leaving.get("/code?then=2")).text).group(1)
    await leaving.get("/withdraw")
    done = await leaving.post("/withdraw", {"code": code, "confirm": "yes"})
    assert done.status_code == 303
    staff = await signed_in(client, "organizer")  # on the round: raw answers are for its staff
    rows = (await staff.get("/staff/rounds/1/export.csv")).text
    assert "keep me" in rows and "withdraw me" not in rows
    page = " ".join((await staff.get("/staff/rounds/1/dashboard")).text.split())
    assert "<dt>Withdrew their answers</dt><dd>1</dd>" in page


async def test_demo_staff_are_made_once_and_printed_once(tmp_path, capsys) -> None:
    settings = Settings(background_screening=False, db_path=str(tmp_path / "demo.db"))
    for _ in range(2):
        app = create_app(settings, demo=True, demo_staff=True)
        async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
            assert (await client.get("/healthz")).status_code == 200
    out = capsys.readouterr().out
    assert out.count("organizer@demo.codesign.invalid") == 1
    assert out.count("board@demo.codesign.invalid") == 1
    rows = await _members(settings.db_path)
    assert rows == [("board",), ("organizer",)]


async def _members(path: str) -> list[tuple]:
    db = Database(path)
    await db.connect()
    rows = await db.fetch_all(
        "SELECT u.role FROM round_members m JOIN users u ON u.id = m.user_id ORDER BY u.role"
    )
    await db.close()
    return [tuple(r) for r in rows]
