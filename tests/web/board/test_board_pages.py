"""The board workspace as a board member uses it: themes, corrections, responses, exports."""

from __future__ import annotations

import csv
import html
import io
import json
import re

from codesign.store import audit
from codesign.store import rounds as round_store
from codesign.store.board import answers as answer_store
from codesign.store.board import edits as edit_store
from codesign.store.board import reading as theme_store
from codesign.store.board import runs as run_store
from codesign.store.board import settings as settings_store
from tests.web.board.conftest import analysed
from tests.web.staff.conftest import signed_in


def url(board, path: str = "") -> str:
    return f"/staff/rounds/{board['round'].id}/board{path}"


async def test_theme_list_shows_themes_quotes_and_agreement(client, board) -> None:
    await analysed(board)
    member = await signed_in(client, "board")
    page = await member.get(url(board, f"/q/{board['question']}"))
    assert page.status_code == 200
    assert page.text.count('class="theme-card"') >= 3
    assert "<blockquote" in page.text
    assert "Strongly disagree" in page.text or "Agree" in page.text
    assert "@example.com" not in page.text and "sam.jones" not in page.text  # redacted
    assert "Add new answers to the themes" in page.text


async def test_threshold_hides_quotes_and_counts_small_themes_as_other(client, board) -> None:
    await analysed(board)
    await settings_store.save_settings(
        client.app.state.db,
        board["round"].id,
        anonymity_threshold=50,
        quotes_allowed=True,
        safeguarding_user_id=None,
    )
    member = await signed_in(client, "board")
    page = await member.get(url(board, f"/q/{board['question']}"))
    assert 'class="theme-card"' not in page.text
    assert "<blockquote" not in page.text
    assert "60 answers are in" in page.text


async def test_theme_page_collapses_flagged_answers_and_is_audited(client, board) -> None:
    await analysed(board)
    db = client.app.state.db
    flagged = [
        t
        for t in await theme_store.themes_for(db, board["question"])
        if any(
            a.risk or a.distressing
            for a in await answer_store.theme_answers(db, board["question"], t.id)
        )
    ]
    target = flagged[0] if flagged else None
    member = await signed_in(client, "board")
    path = f"/themes/{target.id}" if target else f"/q/{board['question']}/other"
    page = await member.get(url(board, path))
    assert page.status_code == 200
    assert "Open to read it" in page.text
    # a flagged answer's text is not on the page at all until asked for
    assert "partner hits me" not in page.text
    assert "Language:" in page.text
    entries = await audit.recent(db)
    assert any(e.action == "theme_answers_viewed" for e in entries)
    link = re.search(r'href="([^"]+/answers/(\d+)/read[^"]*)"', page.text)
    opened = await member.get(link.group(1).replace("&amp;", "&"))
    assert opened.status_code == 200
    flagged_words = ("partner hits me", "No me siento", "Je ne me", "لا أشعر")
    assert any(words in opened.text for words in flagged_words)
    entries = await audit.recent(db)
    assert any(e.action == "flagged_answer_opened" and link.group(2) in e.detail for e in entries)


async def test_run_from_the_page_with_progress(client, board) -> None:
    member = await signed_in(client, "board")
    page = await member.get(url(board, f"/q/{board['question']}"))
    assert "Find themes" in page.text
    response = await member.post(url(board, f"/q/{board['question']}/run"))
    assert response.status_code == 303
    # the progress block (htmx) while running, or a refresh once done
    member.htmx = True
    polled = await member.client.get(
        url(board, f"/q/{board['question']}/progress?was=running"),
        headers={"hx-request": "true"},
    )
    assert polled.status_code == 200
    import asyncio

    for _ in range(200):  # the run goes on in the app's loop; watch it finish
        run = await run_store.latest_run(client.app.state.db, board["question"])
        if run.status != "running":
            break
        await asyncio.sleep(0.05)
    assert run.status == "done"
    polled = await member.client.get(
        url(board, f"/q/{board['question']}/progress?was=running"),
        headers={"hx-request": "true"},
    )
    assert polled.headers.get("hx-refresh") == "true"
    member.htmx = False
    # a second start while one runs is refused calmly
    await client.app.state.db.write(
        lambda conn: run_store.claim_run_in(conn, board["question"], "assign", "x")
    )
    again = await member.post(url(board, f"/q/{board['question']}/run"))
    assert again.status_code == 409 and "already running" in again.text


async def test_rename_merge_move_survive_a_rerun(client, board) -> None:
    await analysed(board)
    db = client.app.state.db
    q = board["question"]
    themes = await theme_store.themes_for(db, q)
    member = await signed_in(client, "board")
    r = await member.post(url(board, f"/themes/{themes[0].id}/rename"), {"label": "Evening times"})
    assert r.status_code == 303
    bad = await member.post(url(board, f"/themes/{themes[0].id}/rename"), {"label": "  "})
    assert bad.status_code == 422 and "There is a problem" in bad.text
    r = await member.post(
        url(board, f"/themes/{themes[2].id}/merge"), {"target": str(themes[1].id)}
    )
    assert r.status_code == 200 and "Yes, merge the themes" in r.text  # asked first
    r = await member.post(
        url(board, f"/themes/{themes[2].id}/merge"),
        {"target": str(themes[1].id), "confirm": "yes"},
    )
    assert r.status_code == 303
    answer = (await answer_store.theme_answers(db, q, themes[1].id))[0]
    r = await member.post(
        url(board, f"/answers/{answer.id}/move"),
        {"target": "other", "back": str(themes[1].id), "confirm": "yes"},
    )
    assert r.status_code == 303
    from codesign.demo.answers import fill_round, generate

    await fill_round(
        db, board["round"], generate(20, seed=9), question_id=q, agreement_id=board["agreement"]
    )
    await analysed(board)
    assert (await theme_store.theme_by_id(db, themes[0].id)).label == "Evening times"
    assert await theme_store.theme_by_id(db, themes[2].id) is None
    moved = await answer_store.answer_by_id(db, answer.id)
    assert moved[0].theme_id is None and moved[0].assigned_by == "person"
    total, placed = await theme_store.counts(db, q)
    assert total == placed == 80


async def test_exports_are_neutralised_and_audited(client, board) -> None:
    await analysed(board)
    member = await signed_in(client, "board")
    response = await member.get(url(board, "/export.csv"))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    texts = [row[6] for row in rows[1:]]
    assert any(t.startswith("'=HYPERLINK") for t in texts)
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows[1:] for cell in row)
    data = json.loads((await member.get(url(board, "/export.json"))).text)
    assert data["themes"] and data["answers"]
    actions = [e.action for e in await audit.recent(client.app.state.db)]
    assert actions.count("themes_exported") == 2
    report = await member.get(url(board, "/report"))
    assert report.status_code == 200 and "<svg" in report.text


async def test_response_sign_off_publish_and_outcomes_in_arabic(client, board) -> None:
    await analysed(board)
    db = client.app.state.db
    theme = (await theme_store.themes_for(db, board["question"]))[0]
    member = await signed_in(client, "board")
    outcomes = await client.get("/r/demo/outcomes?lang=ar")
    assert outcomes.status_code == 200 and "<blockquote" not in outcomes.text
    r = await member.post(
        url(board, f"/themes/{theme.id}/response"),
        {
            "title_en": "Evening times",
            "text_en": "We will open late on Thursdays.",
            "title_ar": "مواعيد المساء",
            "text_ar": "سنفتح متأخرا يوم الخميس.",
        },
    )
    assert r.status_code == 303
    await round_store.set_status(db, "demo", "closed")
    refused = await member.post(url(board, "/publish"), {"confirm": "yes"})
    assert refused.status_code == 409 and "Signed off by 0 of the 1" in refused.text
    assert (await member.post(url(board, "/sign-off"))).status_code == 303
    # every theme going public needs a name from the board
    for t in await theme_store.themes_for(db, board["question"]):
        if t.id != theme.id:
            await edit_store.rename(db, t.id, f"Theme {t.id}", "board@example.org")
    published = await member.post(url(board, "/publish"), {"confirm": "yes"})
    assert published.status_code == 303, published.text
    # quotes only once the board approves them
    assert "<blockquote" not in (await client.get("/r/demo/outcomes?lang=en")).text
    for t in await theme_store.themes_for(db, board["question"]):
        quotes = await answer_store.quotes(db, board["question"], 2, quotable_only=True)
        for a in quotes.get(t.id, []):
            await member.post(url(board, f"/quotes/{a.id}"), {"action": "approve"})
    page = await client.get("/r/demo/outcomes?lang=ar")
    assert page.status_code == 200
    assert 'lang="ar"' in page.text and "سنفتح متأخرا يوم الخميس." in page.text
    assert "مواعيد المساء" in page.text
    english = await client.get("/r/demo/outcomes?lang=en")
    assert "We will open late on Thursdays." in english.text
    # quotes only from people who allowed quoting
    quoted = [
        html.unescape(q) for q in re.findall(r"<blockquote[^>]*>([^<]*)</blockquote>", english.text)
    ]
    allowed = {
        a.redacted
        for t in await theme_store.themes_for(db, board["question"])
        for a in await answer_store.theme_answers(db, board["question"], t.id)
        if a.may_quote
    }
    assert quoted and set(quoted) <= allowed
    # with quotes switched off, none
    await settings_store.save_settings(
        db,
        board["round"].id,
        anonymity_threshold=5,
        quotes_allowed=False,
        safeguarding_user_id=None,
    )
    assert "<blockquote" not in (await client.get("/r/demo/outcomes?lang=en")).text
