"""CSV exports quote every text cell: a spreadsheet that splits on ";" sees no formula."""

from __future__ import annotations

import csv
import io

from tests.web.staff.conftest import signed_in
from tests.web.staff.test_watch import answer

SNEAKY = "thanks;=SUM(1+1)*cmd;@SUM(A1);+1"


def _split_like_a_spreadsheet(line: str, delimiter: str) -> list[str]:
    """Cells as a spreadsheet set to `delimiter` reads them: a quote opens or closes
    quoted text, and only a delimiter outside quotes starts a new cell."""
    cells, current, quoted = [], [], False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            cells.append("".join(current))
            current = []
            continue
        current.append(ch)
    cells.append("".join(current))
    return cells


def _assert_safe(text: str) -> None:
    # As French, Spanish and German spreadsheets read it by default…
    for line in text.lstrip("\ufeff").splitlines():
        for cell in _split_like_a_spreadsheet(line, ";"):
            assert not cell.lstrip().startswith(("=", "+", "@", "-")), cell
    # …and every text cell is quoted (numbers may stand bare).
    for line in text.lstrip("\ufeff").splitlines():
        for cell in _split_like_a_spreadsheet(line, ","):
            assert cell.startswith('"') or cell.replace(".", "", 1).lstrip("-").isdigit(), cell


async def test_organizer_export_survives_a_semicolon_spreadsheet(client, accounts):
    await answer(client, SNEAKY)
    staff = await signed_in(client, "organizer")
    response = await staff.get("/staff/rounds/1/export.csv")
    assert response.status_code == 200
    _assert_safe(response.text)
    # Read as the comma file it is, the text is intact.
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert any(r["answer_text"] == SNEAKY for r in rows)


async def test_board_export_survives_a_semicolon_spreadsheet(client, accounts):
    await answer(client, SNEAKY)
    organizer = await signed_in(client, "organizer")  # on the round
    response = await organizer.get("/staff/rounds/1/board/export.csv")
    assert response.status_code == 200
    _assert_safe(response.text)
