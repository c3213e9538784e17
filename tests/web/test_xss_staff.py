"""The XSS corpus through the fields organizers and board members fill: every
page, fragment and export that shows that text stays inert; CSV cells are
neutralised against spreadsheet formulas."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from codesign.store.board import reading as theme_store
from tests.web.board.conftest import analysed, board, vectoriser  # noqa: F401
from tests.web.staff.conftest import accounts, quick_hashing, signed_in  # noqa: F401
from tests.web.staff.test_build import ROUND
from tests.web.test_xss import PAYLOADS, assert_inert

# Several vectors at once, so each field is tried with all of them.
MIXED = (
    '=cmd|"/C calc"!A0 <script>alert(1)</script><img src=x onerror=alert(2)>'
    '"><svg/onload=alert(3)> <div hx-get="/x" hx-trigger="load">x</div>'
)
MARKDOWN = (
    "[click](javascript:alert(1)) ![x](javascript:alert(2)) <script>alert(3)</script>\n\n"
    "<iframe src=https://example.org></iframe> [ok](https://example.org)"
)


def _csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


async def test_organizer_fields_stay_inert_everywhere(client, accounts) -> None:  # noqa: F811
    organizer = await signed_in(client, "organizer")
    await organizer.get("/staff/rounds/new")
    form = {
        **ROUND,
        **{
            k: MIXED
            for k in (
                "title",
                "organisation",
                "purpose",
                "readers",
                "next_steps",
                "data_use",
                "contact0_description",
            )
        },
        "contact0_name": MIXED[:110],
        "contact0_hours": MIXED[:110],
    }
    created = await organizer.post("/staff/rounds/new", form)
    assert created.status_code == 303, created.text[:500]
    round_id = int(re.search(r"/staff/rounds/(\d+)", created.headers["location"]).group(1))
    bad_url = await organizer.post(
        f"/staff/rounds/{round_id}/edit", {**form, "contact0_url": "javascript:alert(1)"}
    )
    assert bad_url.status_code == 422  # a javascript: link is refused, not stored
    section = await organizer.post(
        f"/staff/rounds/{round_id}/sections/new",
        {"title": MIXED, "body_md": MARKDOWN, "content_note": MIXED},
    )
    assert section.status_code == 303
    section_id = int(re.search(r"/sections/(\d+)", section.headers["location"]).group(1))
    await organizer.post(
        f"/staff/rounds/{round_id}/sections/{section_id}",
        {"action": "add_question", "kind": "open_text", "prompt": MIXED, "hint": MIXED},
    )
    pages = [
        "/staff/",
        f"/staff/rounds/{round_id}",
        f"/staff/rounds/{round_id}/edit",
        f"/staff/rounds/{round_id}/sections/{section_id}",
        f"/staff/rounds/{round_id}/translate/es",
        f"/staff/rounds/{round_id}/preview/en",
        f"/staff/rounds/{round_id}/preview/en/s/1",
        f"/staff/rounds/{round_id}/preview/en/s/1?note=read",
        f"/staff/rounds/{round_id}/share",
        f"/staff/rounds/{round_id}/poster",
        f"/staff/rounds/{round_id}/dashboard",
    ]
    for path in pages:
        page = await organizer.get(path)
        assert page.status_code == 200, path
        assert_inert(page.text, path)
        assert "<script>alert" not in page.text
    preview = await organizer.get(f"/staff/rounds/{round_id}/preview/en/s/1?note=read")
    assert 'href="https://example.org"' in preview.text  # ordinary links still work
    exported = await organizer.get(f"/staff/rounds/{round_id}/export.csv")
    assert exported.status_code == 200
    assert not any(c.startswith(("=", "+", "-", "@")) for c in _csv_cells(exported.text))
    data = json.loads((await organizer.get(f"/staff/rounds/{round_id}/export.json")).text)
    assert isinstance(data, dict)
    # Last: signing in as the admin replaces the organizer's session in this browser.
    admin = await signed_in(client, "admin")
    audit = await admin.get("/staff/audit")
    assert_inert(audit.text, "audit")


@pytest.mark.parametrize("payload", PAYLOADS)
async def test_every_payload_as_a_round_title(client, accounts, payload: str) -> None:  # noqa: F811
    organizer = await signed_in(client, "organizer")
    await organizer.get("/staff/rounds/new")
    created = await organizer.post("/staff/rounds/new", {**ROUND, "title": payload})
    assert created.status_code == 303
    location = created.headers["location"].split("?")[0]
    for path in ("/staff/", location):
        page = await organizer.get(path)
        assert_inert(page.text, path)


async def test_board_fields_and_answers_stay_inert(client, board) -> None:  # noqa: F811
    db = client.app.state.db
    from codesign.demo.answers import fill_round

    await fill_round(
        db,
        board["round"],
        [("times", "en", MIXED)] * 6,
        question_id=board["question"],
        agreement_id=board["agreement"],
    )
    await analysed(board)
    themes = await theme_store.themes_for(db, board["question"])
    member = await signed_in(client, "board")
    base = f"/staff/rounds/{board['round'].id}/board"
    assert (
        await member.post(f"{base}/themes/{themes[0].id}/rename", {"label": MIXED[:80]})
    ).status_code == 303
    assert (
        await member.post(
            f"{base}/themes/{themes[0].id}/response",
            {"title_en": MIXED[:120], "text_en": MIXED, "title_ar": MIXED[:120], "text_ar": MIXED},
        )
    ).status_code == 303
    await member.post(f"{base}/sign-off")
    await member.post(f"{base}/publish")
    pages = [
        base,
        f"{base}/q/{board['question']}",
        f"{base}/themes/{themes[0].id}",
        f"{base}/q/{board['question']}/other",
        f"{base}/themes/{themes[0].id}/response",
        f"{base}/report",
    ]
    for path in pages:
        page = await member.get(path)
        assert page.status_code == 200, path
        assert_inert(page.text, path)
    for lang in ("en", "ar"):
        outcomes = await client.get(f"/r/demo/outcomes?lang={lang}")
        assert outcomes.status_code == 200
        assert_inert(outcomes.text, f"outcomes {lang}")
    exported = await member.get(f"{base}/export.csv")
    assert not any(c.startswith(("=", "+", "-", "@")) for c in _csv_cells(exported.text))
    json.loads((await member.get(f"{base}/export.json")).text)
