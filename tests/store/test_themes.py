"""Theming storage and the board service: first run, re-runs that keep people's edits."""

from __future__ import annotations

import pytest

from codesign.demo.answers import fill_round, generate
from codesign.models import StaffUser
from codesign.services.board.service import BoardService
from codesign.store import rounds as round_store
from codesign.store.board import answers as answer_store
from codesign.store.board import reading as theme_store
from codesign.store.board import runs as run_store
from tests.web.board.helpers import TopicVectoriser

BOARD = StaffUser(id=1, email="board@example.org", role="board")


@pytest.fixture
def vectoriser():
    return TopicVectoriser()


async def _answers(db, q):
    out = []
    for t in await theme_store.themes_for(db, q):
        out += await answer_store.theme_answers(db, q, t.id)
    return out


async def _setup(db, n=80, seed=0):
    round_ = await round_store.load_round(db, "demo")
    section = round_.sections[0]
    agreement, open_q = section.questions[0].id, section.questions[1].id
    await fill_round(
        db, round_, generate(n, seed, flagged_every=19), question_id=open_q, agreement_id=agreement
    )
    return round_, open_q, agreement


async def test_first_run_themes_every_answer_with_redaction(db, vectoriser) -> None:
    round_, q, _ = await _setup(db)
    service = BoardService(db, lambda: vectoriser)
    run = await service.run_analysis(BOARD, round_, q)
    assert run.status == "done" and run.kind == "theme" and run.n == 80
    total, placed = await theme_store.counts(db, q)
    assert total == placed == 80
    themes = await theme_store.themes_for(db, q)
    assert 3 <= len(themes) <= 8
    answers = await _answers(db, q)
    all_text = " ".join(a.redacted for a in answers)
    assert "@example" not in all_text and "07700" not in all_text
    languages = {a.language for a in answers}
    assert {"en", "es", "fr", "ar"} <= languages


async def test_rerun_keeps_edits_and_assigns_new_answers(db, vectoriser) -> None:
    round_, q, agreement = await _setup(db)
    service = BoardService(db, lambda: vectoriser)
    await service.run_analysis(BOARD, round_, q)
    themes = await theme_store.themes_for(db, q)
    a, b = themes[0], themes[1]
    await service.rename(BOARD, round_, a, "Evening and weekend times")
    moved = (await answer_store.theme_answers(db, q, b.id))[0]
    await service.move(BOARD, round_, moved.id, None)
    c = themes[2]
    await service.merge(BOARD, round_, c, b.id)
    before = {x.id: (x.theme_id, x.assigned_by) for x in await _answers(db, q)}
    embedded = len(vectoriser.embedded)

    await fill_round(db, round_, generate(40, seed=7), question_id=q, agreement_id=agreement)
    run = await service.run_analysis(BOARD, round_, q)
    assert run.status == "done" and run.kind == "assign" and run.n == 40
    # only the new texts were embedded; old vectors came from the cache
    assert len(vectoriser.embedded) - embedded <= 40
    after_themes = {t.id: t for t in await theme_store.themes_for(db, q)}
    assert after_themes[a.id].label == "Evening and weekend times"
    assert c.id not in after_themes
    after = {x.id: (x.theme_id, x.assigned_by) for x in await _answers(db, q)}
    for answer_id, placed in before.items():
        assert after[answer_id] == placed
    other = await answer_store.theme_answers(db, q, None)
    mine = [x for x in other if x.id == moved.id][0]
    assert mine.assigned_by == "person" and mine.assigned_by_user == BOARD.email
    total, placed = await theme_store.counts(db, q)
    assert total == placed == 120
    # new answers went to existing themes (not all to "other")
    assert sum(1 for x in after if x not in before) > 20


async def test_one_run_at_a_time(db, vectoriser) -> None:
    round_, q, _ = await _setup(db, n=20)
    service = BoardService(db, lambda: vectoriser)
    first = await db.write(lambda conn: run_store.claim_run_in(conn, q, "theme", "x"))
    assert first is not None
    assert await db.write(lambda conn: run_store.claim_run_in(conn, q, "theme", "y")) is None
    from codesign.services.errors import BoardError

    with pytest.raises(BoardError):
        await service.start_analysis(BOARD, round_, q)


async def test_split_makes_two_themes_by_a_person(db, vectoriser) -> None:
    round_, q, _ = await _setup(db, n=60)
    service = BoardService(db, lambda: vectoriser)
    await service.run_analysis(BOARD, round_, q)
    themes = await theme_store.themes_for(db, q)
    # merge two, then split them apart again
    await service.merge(BOARD, round_, themes[1], themes[0].id)
    merged = await theme_store.theme_by_id(db, themes[0].id)
    made = await service.split(BOARD, round_, merged)
    assert len(made) == 2
    sizes = [(await theme_store.theme_by_id(db, t)).size for t in made]
    assert sum(sizes) == merged.size and min(sizes) > 0
    answers = await answer_store.theme_answers(db, q, made[1])
    assert all(x.assigned_by == "person" for x in answers)


async def test_card_quotes_are_distinct_texts_said_by_many_never_formulas(db, vectoriser) -> None:
    round_ = await round_store.load_round(db, "demo")
    q = round_.sections[0].questions[1].id
    answers = generate(60, seed=3, flagged_every=0)
    answers += [("times", "en", '=HYPERLINK("http://x.example","evening opening")')] * 3
    answers += [("times", "en", "ok")] * 3
    await fill_round(db, round_, answers, question_id=q)
    service = BoardService(db, lambda: vectoriser)
    assert (await service.run_analysis(BOARD, round_, q)).status == "done"

    async def screened(conn) -> None:  # as the safeguarding screening leaves them
        await conn.execute("UPDATE answers SET screened = 1")

    await db.write(screened)
    quotes = await answer_store.quotes(db, q, 5)
    assert quotes
    texts = [a.redacted for theme in quotes.values() for a in theme]
    assert "ok" not in texts and not any("HYPERLINK" in t for t in texts)
    for theme_id, shown in quotes.items():
        # each text once per card, with how many answers in the theme say it
        assert len({a.redacted for a in shown}) == len(shown)
        members = await answer_store.theme_answers(db, q, theme_id)
        for a in shown:
            assert a.said_by == sum(m.redacted == a.redacted for m in members if not m.risk)
    # the generated round repeats its phrases: some quote stands for several people
    assert any(a.said_by > 1 for theme in quotes.values() for a in theme)
