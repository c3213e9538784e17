"""An answer saved at the moment its participation is sent or withdrawn: the save
comes wholly before or wholly after, never half across (the check is the save's
own first statement, a conditional update)."""

from __future__ import annotations

import asyncio

import pytest

from codesign.demo.round import build_demo_round
from codesign.models import AnswerInput
from codesign.store import participations
from codesign.store import rounds as round_store
from codesign.store.db import Database


@pytest.fixture
async def db(tmp_path):
    database = Database(str(tmp_path / "races.db"))
    await database.connect()
    await round_store.create_round(database, build_demo_round())
    yield database
    await database.close()


async def _open_question(db: Database) -> int:
    round_ = await round_store.load_round(db, "demo")
    return next(q.id for s in round_.sections for q in s.questions if q.kind == "open_text")


@pytest.mark.parametrize("save_first", [True, False])
async def test_a_save_and_a_send_at_once(db, save_first: bool) -> None:
    q = await _open_question(db)
    p = await participations.start(db, 1, "key-race-one", "pub-race", "en", False)
    save = participations.save_answers(db, p.id, [AnswerInput(q, text="late words")], "en")
    send = participations.submit(db, p.id, False)
    results = await asyncio.gather(*((save, send) if save_first else (send, save)))
    saved, sent = results if save_first else results[::-1]
    assert sent is True
    answers = await participations.answers_for(db, p.id)
    if saved:
        assert answers[q].text == "late words"  # saved before it was sent
    else:
        assert q not in answers  # refused after it was sent: nothing changed


async def test_a_save_after_sending_is_refused_and_changes_nothing(db) -> None:
    q = await _open_question(db)
    p = await participations.start(db, 1, "key-race-two", "pub-race-2", "en", False)
    assert await participations.save_answers(db, p.id, [AnswerInput(q, text="first")], "en")
    assert await participations.submit(db, p.id, False)
    before = await db.fetch_one("SELECT updated_at FROM participations WHERE id = ?", (p.id,))
    assert not await participations.save_answers(db, p.id, [AnswerInput(q, text="x")], "en")
    after = await db.fetch_one("SELECT updated_at FROM participations WHERE id = ?", (p.id,))
    assert (await participations.answers_for(db, p.id))[q].text == "first"
    assert after["updated_at"] == before["updated_at"]
