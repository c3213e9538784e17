"""The printable report (A4, SVG charts with text alternatives) and the way in from the round."""

from __future__ import annotations

from pathlib import Path

from tests.web.board.conftest import analysed
from tests.web.staff.conftest import signed_in

CSS = Path(__file__).resolve().parents[3] / "static" / "css" / "staff.css"


async def test_report_charts_have_text_alternatives_and_print_on_a4(client, board) -> None:
    await analysed(board)
    member = await signed_in(client, "board")
    page = await member.get(f"/staff/rounds/{board['round'].id}/board/report")
    assert page.status_code == 200
    text = page.text
    assert text.count('class="bar-chart"') >= 3
    assert 'aria-hidden="true" focusable="false"' in text  # the picture; numbers in the table
    assert text.count("<caption") >= 3 and "answered the agreement question" in text
    assert "Strongly agree" in text or "Agree" in text
    assert "print menu" in text and 'class="hint no-print"' in text
    css = CSS.read_text()
    assert "@page{size:A4" in css.replace(" ", "")
    assert ".report-theme" in css and "break-inside:avoid" in css


async def test_round_page_links_to_the_review_board(client, board) -> None:
    member = await signed_in(client, "board")
    page = await member.get(f"/staff/rounds/{board['round'].id}")
    assert page.status_code == 200
    assert f'href="/staff/rounds/{board["round"].id}/board"' in page.text
