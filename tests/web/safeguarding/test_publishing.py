"""What a flag changes elsewhere: no quotes, nothing in the minutes, themes held back."""

from __future__ import annotations

from codesign.services import publishing
from codesign.services.board import export as board_export
from codesign.store.board import answers as answer_store
from codesign.store.board import reading as theme_store
from codesign.store.board import settings as settings_store
from tests.web.board.conftest import analysed
from tests.web.board.conftest import board as board  # noqa: F401 - the fixture
from tests.web.board.conftest import vectoriser as vectoriser  # noqa: F401
from tests.web.board.test_board_pages import url
from tests.web.staff.conftest import signed_in


async def _risky_theme(client, board):  # noqa: F811
    """Make one theme mostly of flagged answers (as the screening would have marked them)."""
    db = client.app.state.db
    await analysed(board)
    theme = (await theme_store.themes_for(db, board["question"]))[0]
    members = await answer_store.theme_answers(db, board["question"], theme.id)
    ids = [a.id for a in members[: len(members) // 2 + 1]]
    marks = ",".join("?" * len(ids))
    await db.write(
        lambda conn: conn.execute(
            f"UPDATE answers SET risk = 1, flags = 'abuse' WHERE id IN ({marks})", ids
        )
    )
    return theme, ids


async def test_flagged_answers_are_never_quotes_nor_in_the_minutes(client, board) -> None:
    theme, ids = await _risky_theme(client, board)
    db = client.app.state.db
    quotes = await answer_store.quotes(db, board["question"], 50)
    assert not {a.id for qs in quotes.values() for a in qs} & set(ids)
    member = await signed_in(client, "board")
    export = await member.get(url(board, "/export.csv"))
    # Every text cell is quoted in an export.
    rows = [line for line in export.text.splitlines() if line.startswith('"answer",')]
    withheld = [r for r in rows if board_export.WITHHELD in r]
    risky = await db.fetch_one("SELECT COUNT(*) AS n FROM answers WHERE risk = 1")
    assert len(withheld) == risky["n"] >= len(ids)
    assert "partner hits me" not in export.text  # the demo's flagged answer


async def test_a_theme_mostly_of_flagged_answers_is_held_back(client, board) -> None:  # noqa: F811
    theme, _ = await _risky_theme(client, board)
    db = client.app.state.db
    round_ = board["round"]
    member = await signed_in(client, "board")
    home = await member.get(url(board, ""))
    assert "kept off the outcomes page" in home.text and theme.label in home.text
    await settings_store.set_signed_off(db, round_.id, "board@example.org")
    await settings_store.set_published(db, round_.id, "board@example.org")
    public = await publishing.outcomes_view(board["service"], round_, "en")
    titles = [t.id for s in public.sections for q in s.questions for t in q.themes]
    assert theme.id not in titles
    page = await client.get("/r/demo/outcomes")
    assert theme.label not in page.text


async def test_the_start_page_says_who_reads_risky_answers_before_anyone_writes(client) -> None:
    page = " ".join((await client.get("/r/demo")).text.split())
    assert "Nothing you write reaches anyone until you choose to send it." in page
    assert "read by our safeguarding lead" in page
    assert "Nobody can contact you unless you choose to leave a way." in page
    assert "Nobody watches this page while you write." in page
    assert page.index("read by our safeguarding lead") < page.index('id="consent-form"')


async def test_a_theme_mostly_of_answers_flagged_by_hand_is_held_back(client, board) -> None:  # noqa: F811
    """The detector missed them; people on the round flagged them for the lead by hand."""
    db = client.app.state.db
    await analysed(board)
    theme = (await theme_store.themes_for(db, board["question"]))[0]
    members = await answer_store.theme_answers(db, board["question"], theme.id)
    organizer = await signed_in(client, "organizer")
    for answer in members[: len(members) // 2 + 1]:
        flagged = await organizer.post(
            url(board, f"/answers/{answer.id}/flag"), {"kind": "abuse", "note": ""}
        )
        assert flagged.status_code == 303
    member = await signed_in(client, "board")
    home = await member.get(url(board, ""))
    assert "kept off the outcomes page" in home.text and theme.label in home.text
    round_ = board["round"]
    await settings_store.set_signed_off(db, round_.id, "board@example.org")
    await settings_store.set_published(db, round_.id, "board@example.org")
    public = await publishing.outcomes_view(board["service"], round_, "en")
    assert theme.id not in [t.id for s in public.sections for q in s.questions for t in q.themes]
