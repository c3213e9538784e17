"""Answer saves: idempotent, one row per question, refused once sent."""

from __future__ import annotations

import asyncio

from codesign.models import AnswerInput
from codesign.store import erasure, participations, postgres
from codesign.store import rounds as round_store
from codesign.store.db import Database


async def _questions(db: Database) -> list[int]:
    round_ = await round_store.load_round(db, "demo")
    return [q.id for s in round_.sections for q in s.questions]


async def test_same_save_many_times_keeps_one_row(db) -> None:
    q = (await _questions(db))[1]
    p = await participations.start(db, 1, "key-one-xyz", "pub-1", "en", False)
    for _ in range(5):
        assert await participations.save_answers(db, p.id, [AnswerInput(q, text="hello")], "en")
    answers = await participations.answers_for(db, p.id)
    assert list(answers) == [q] and answers[q].text == "hello"
    assert (await db.fetch_one("SELECT COUNT(*) FROM answers"))[0] == 1


async def test_concurrent_saves_of_one_answer_never_duplicate(db) -> None:
    q = (await _questions(db))[1]
    p = await participations.start(db, 1, "key-two-xyz", "pub-2", "en", False)
    await asyncio.gather(
        *(participations.save_answers(db, p.id, [AnswerInput(q, text=f"v{i}")], "en")
          for i in range(20))
    )
    assert (await db.fetch_one("SELECT COUNT(*) FROM answers"))[0] == 1


async def test_saves_of_many_participants_at_once_are_never_refused(db, monkeypatch) -> None:
    # On PostgreSQL, SERIALIZABLE refused some autosaves of different participants
    # because their rows shared an index page; with one attempt each, every save of
    # 50 participants at once must still land. (SQLite's one writer runs them in turn.)
    monkeypatch.setattr(postgres, "WRITE_ATTEMPTS", 1)
    q = (await _questions(db))[1]
    people = [
        await participations.start(db, 1, f"key-many-{n:03d}", f"pub-many-{n}", "en", False)
        for n in range(50)
    ]

    async def autosave(p, n: int) -> bool:
        saved = True
        for i in range(8):
            saved &= await participations.save_answers(
                db, p.id, [AnswerInput(q, text=f"words {n} {i}")], "en", save_key=f"k{n:03d}-{i}"
            )
        return saved

    assert all(await asyncio.gather(*(autosave(p, n) for n, p in enumerate(people))))
    assert getattr(db, "retried_writes", 0) == 0
    rows = await db.fetch_all("SELECT participation_id, text FROM answers")
    assert sorted(r["text"] for r in rows) == sorted(f"words {n} 7" for n in range(50))
    assert (await db.fetch_one("SELECT COUNT(*) FROM answer_saves"))[0] == 50 * 8


async def test_start_key_makes_starting_idempotent(db) -> None:
    first = await participations.start(db, 1, "same-start-key", "pub-a", "en", False)
    second = await participations.start(db, 1, "same-start-key", "pub-b", "es", True)
    assert first.id == second.id and second.public_id == "pub-a"


async def test_saves_after_submit_are_refused(db) -> None:
    q = (await _questions(db))[1]
    p = await participations.start(db, 1, "key-three-x", "pub-3", "en", False)
    await participations.save_answers(db, p.id, [AnswerInput(q, text="before")], "en")
    assert await participations.submit(db, p.id, may_quote=True)
    assert not await participations.save_answers(db, p.id, [AnswerInput(q, text="after")], "en")
    assert (await participations.answers_for(db, p.id))[q].text == "before"


async def test_withdraw_deletes_answers_and_the_code(db) -> None:
    qs = await _questions(db)
    p = await participations.start(db, 1, "key-four-xy", "pub-4", "en", False)
    assert await participations.issue_first_code(db, p.id, "hash")
    await participations.save_answers(
        db, p.id, [AnswerInput(qs[0], value="2"), AnswerInput(qs[1], text="x")], "en"
    )
    assert await erasure.withdraw(db, p.id) == 2
    assert await participations.answers_for(db, p.id) == {}
    assert await participations.by_code_hash(db, 1, "hash") is None
