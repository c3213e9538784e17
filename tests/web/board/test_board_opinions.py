"""The opinion overview as a board member reads it: distributions and groups."""

from __future__ import annotations

import pytest

from codesign.demo.answers import fill_round, generate
from codesign.services.board_opinions import opinion_overview
from codesign.store import rounds as round_store
from tests.web.staff.conftest import signed_in


@pytest.fixture
async def camps(client, accounts):
    """80 submitted participations answering every section's agreement question, in two camps."""
    db = client.app.state.db
    round_ = await round_store.load_round(db, "demo")
    question = round_.sections[0].questions[1].id
    await fill_round(db, round_, generate(80, seed=5), question_id=question, opinions=True)
    return round_


async def test_overview_finds_the_two_camps(client, camps) -> None:
    from codesign.services.board.service import BoardService

    overview = await opinion_overview(BoardService(client.app.state.db), camps)
    assert len(overview.sections) == 5
    first = overview.sections[0].distribution
    assert first.answered >= 70 and first.counts["prefer_not"] >= 0
    groups = overview.groups
    assert groups.k == 2
    assert [c.section for c in groups.consensus] == [2]  # the middle section
    assert {c.section for c in groups.differ} == {0, 1, 3, 4}


async def test_opinions_page_shows_bars_with_text_and_groups(client, camps) -> None:
    member = await signed_in(client, "board")
    home = await member.get(f"/staff/rounds/{camps.id}/board")
    assert f'href="/staff/rounds/{camps.id}/board/opinions"' in home.text
    page = await member.get(f"/staff/rounds/{camps.id}/board/opinions")
    assert page.status_code == 200
    text = page.text
    assert "Opinion overview" in text
    assert text.count('class="bar-chart"') >= 5
    assert 'aria-hidden="true"' in text  # the charts; the numbers are in the tables
    assert "Strongly agree" in text and "Prefer not to say" in text
    assert "Group 1" in text and "Group 2" in text and "Group 3" not in text
    assert "Where the groups agree" in text and "Where the groups differ most" in text
    assert "<bdi>Keeping you safe</bdi> – most people in every group agree" in text
    assert "style=" not in text and "<script>" not in text


async def test_too_few_people_say_so(client, accounts) -> None:
    member = await signed_in(client, "board")
    round_ = await round_store.load_round(client.app.state.db, "demo")
    page = await member.get(f"/staff/rounds/{round_.id}/board/opinions")
    assert page.status_code == 200
    assert "Too few people have answered yet" in page.text
    assert page.text.count("0 people answered.") == 5


async def test_each_group_says_what_marks_it_out(client, camps) -> None:
    member = await signed_in(client, "board")
    page = await member.get(f"/staff/rounds/{camps.id}/board/opinions")
    text = page.text
    assert text.count("What marks this group out:") == 2
    # Each camp is set apart by sections it agrees with more than the other camp …
    assert text.count("agrees more than the others") >= 2
    assert text.count("disagrees more than the others") >= 2
    # … and never by the middle section, where everyone agrees.
    for block in text.split('class="opinion-group"')[1:]:
        marks = block.split("</section>")[0]
        assert "Keeping you safe" not in marks


async def test_the_overview_goes_into_both_exports_without_anyone_s_row(client, camps) -> None:
    import csv
    import io
    import json

    member = await signed_in(client, "board")
    base = f"/staff/rounds/{camps.id}/board"
    data = json.loads((await member.get(base + "/export.json")).text)
    opinions = data["opinions"]
    assert [s["section"] for s in opinions["sections"]] == [1, 2, 3, 4, 5]
    assert opinions["sections"][0]["answered"] >= 70
    assert len(opinions["groups"]) == 2 and all(g["marks"] for g in opinions["groups"])
    assert "labels" not in json.dumps(opinions)  # no person's group membership leaves
    body = (await member.get(base + "/export.csv")).text.lstrip("\ufeff")  # BOM for Excel
    rows = list(csv.DictReader(io.StringIO(body)))
    everyone = [r for r in rows if r["row_type"] == "section_agreement"]
    grouped = [r for r in rows if r["row_type"] == "opinion_group"]
    assert len(everyone) == 5 and len(grouped) == 10
    middle = [r for r in grouped if r["section"] == "3"]
    assert {r["marks_group_out"] for r in middle} == {"no"}
    for group in ("group 1", "group 2"):  # its three furthest sections of the four that differ
        assert [r["marks_group_out"] for r in grouped if r["group"] == group].count("yes") == 3


async def test_the_printable_report_carries_the_groups_and_what_marks_them_out(
    client, camps
) -> None:
    member = await signed_in(client, "board")
    page = await member.get(f"/staff/rounds/{camps.id}/board/report")
    assert page.status_code == 200
    report = page.text.split('<article class="report">')[1]
    assert "Groups of people who answered alike" in report
    assert "Group 1" in report and "Group 2" in report
    assert report.count("What marks this group out:") == 2
