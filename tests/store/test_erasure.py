"""Withdrawal and the purge delete every trace of an answer, and a restore can't bring it back.

A round is themed with a fast stand-in model; then one person's answer is deleted
and everything the product held of it is looked for: the answer row, where the
theming put it, its vector, its flags, the theme terms and labels made from it,
the bytes in the database file and its write-ahead log.
"""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from litestar.testing import AsyncTestClient

from codesign.demo.answers import FLAGGED, TOPICS, fill_round, generate
from codesign.models import AnswerInput, StaffUser
from codesign.services import erasure
from codesign.services.board.service import BoardService
from codesign.settings import Settings
from codesign.store import erasure as erasure_store
from codesign.store import maintenance, participations
from codesign.store import rounds as round_store
from codesign.store.board import edits as edit_store
from codesign.store.board import vectors as vector_store
from codesign.store.db import Database, to_db_time, utcnow
from codesign.web.app import create_app
from tests.web.board.helpers import TopicVectoriser

USER = StaffUser(id=0, email="board@example.org", role="board")
#: A word nobody else writes, three times so that it is one of its theme's key terms.
RARE = "quorblesnatch"
WITHDRAWN = f"{TOPICS['transport']['en'][0]}, {RARE} {RARE} {RARE}"


@pytest.fixture
async def themed(db, demo_round):
    """A themed round: 40 generated answers, one with a rare word, one risk-flagged."""
    round_ = demo_round
    question = round_.sections[0].questions[1].id
    answers = generate(40, seed=5, flagged_every=0)
    answers += [("transport", "en", WITHDRAWN), ("flagged", "en", FLAGGED["en"])]
    answers += [("times", "en", "same words twice")] * 2  # two people, one vector
    made = await fill_round(db, round_, answers, question_id=question)
    service = BoardService(db, TopicVectoriser)
    while await service.background_step(16):
        pass
    run = await service.run_analysis(USER, round_, question)
    assert run.status == "done"
    yield {
        "db": db,
        "round": round_,
        "question": question,
        "service": service,
        "withdrawing": made[40],
        "flagged": made[41],
        "same": made[42:],
    }


async def _answer_ids(db, participation_id: int) -> list[int]:
    rows = await db.fetch_all(
        "SELECT id FROM answers WHERE participation_id = ?", (participation_id,)
    )
    return [r["id"] for r in rows]


async def _digests(db, participation_id: int) -> list[str]:
    rows = await db.fetch_all(
        "SELECT vector_digest FROM answers WHERE participation_id = ?", (participation_id,)
    )
    return [r["vector_digest"] for r in rows]


async def _vector_digests(db) -> set[str]:
    return {r["digest"] for r in await db.fetch_all("SELECT digest FROM answer_vectors")}


async def _all_terms(db, question: int) -> list[tuple[str, list[str]]]:
    rows = await db.fetch_all("SELECT label, terms FROM themes WHERE question_id = ?", (question,))
    return [(r["label"], json.loads(r["terms"])) for r in rows]


def _file_bytes(db: Database) -> bytes:
    """The SQLite file and its log as bytes (PostgreSQL keeps no file here: none)."""
    data = b""
    if db.dialect != "sqlite":
        return data
    for suffix in ("", "-wal"):
        path = Path(db.path + suffix)
        if path.exists():
            data += path.read_bytes()
    return data


async def _holds_nothing_of(themed, participation_id: int, answer_ids: list[int], digest: str):
    db = themed["db"]
    assert await _answer_ids(db, participation_id) == []
    marks = ",".join("?" * len(answer_ids))
    members = await db.fetch_all(
        f"SELECT answer_id FROM theme_members WHERE answer_id IN ({marks})",  # noqa: S608
        answer_ids,
    )
    assert members == []
    assert digest not in await _vector_digests(db)
    for label, terms in await _all_terms(db, themed["question"]):
        assert RARE not in label and RARE not in " ".join(terms), (label, terms)
    assert await db.fetch_one("SELECT 1 FROM themes WHERE stale > 0") is None


async def test_withdrawal_leaves_no_trace(themed) -> None:
    db, pid = themed["db"], themed["withdrawing"]
    ids = await _answer_ids(db, pid)
    (digest,) = await _digests(db, pid)
    # Before: the answer is themed, embedded, and its rare word names its theme.
    assert digest in await _vector_digests(db)
    assert any(RARE in terms for _, terms in await _all_terms(db, themed["question"]))
    assert RARE.encode() in _file_bytes(db) or db.dialect != "sqlite"
    vectors_before = len(await _vector_digests(db))

    assert await erasure.withdraw(db, pid) == 1

    await _holds_nothing_of(themed, pid, ids, digest)
    assert len(await _vector_digests(db)) == vectors_before - 1  # only its own vector
    # Themes still describe what remains: every theme keeps terms from its answers.
    remaining = await _all_terms(db, themed["question"])
    assert remaining and all(terms for _, terms in remaining)
    # secure_delete and the checkpoint: not even the file or its log holds the words.
    assert RARE.encode() not in _file_bytes(db)
    row = await db.fetch_one(
        "SELECT status, code_hash, may_quote FROM participations WHERE id = ?", (pid,)
    )
    assert (row["status"], row["code_hash"], row["may_quote"]) == ("withdrawn", None, 0)


async def test_withdrawing_a_flagged_answer_removes_the_flag(themed) -> None:
    """Its flag, the lead's queue item (and its history) and a contact left for the lead."""
    from codesign.services.safeguarding import SafeguardingService
    from codesign.store import safeguarding as sg_store

    db, round_, service = themed["db"], themed["round"], themed["service"]
    screening = SafeguardingService(
        db, lambda: service.vectoriser, service.embed, service.stored_vectors,
        service.save_vectors,
    )  # fmt: skip
    while await screening.screen_step(50):
        pass
    items = await sg_store.items(db, round_.id)
    assert [i.participation_id for i in items] == [themed["flagged"]]
    assert await sg_store.save_contact(db, themed["flagged"], "07700 900123")
    await erasure.withdraw(db, themed["flagged"])
    assert await sg_store.items(db, round_.id) == []
    for table in ("safeguarding_items", "safeguarding_events", "safeguarding_contacts"):
        row = await db.fetch_one(f"SELECT COUNT(*) AS n FROM {table}")
        assert row["n"] == 0, table
    row = await db.fetch_one("SELECT COUNT(*) AS n FROM answers WHERE risk = 1")
    assert row["n"] == 0


async def test_a_vector_another_answer_uses_stays(themed) -> None:
    db = themed["db"]
    first, second = themed["same"]
    (digest,) = await _digests(db, first)
    assert await _digests(db, second) == [digest]
    await erasure.withdraw(db, first)
    assert digest in await _vector_digests(db)  # the other person's answer still needs it
    await erasure.withdraw(db, second)
    assert digest not in await _vector_digests(db)


async def test_a_label_a_person_wrote_is_kept_and_terms_are_rebuilt(themed) -> None:
    db, pid = themed["db"], themed["withdrawing"]
    (answer_id,) = await _answer_ids(db, pid)
    theme_id = (
        await db.fetch_one("SELECT theme_id FROM theme_members WHERE answer_id = ?", (answer_id,))
    )["theme_id"]
    await edit_store.rename(db, theme_id, "Bus fares", "board@example.org")
    await erasure.withdraw(db, pid)
    row = await db.fetch_one("SELECT label, terms FROM themes WHERE id = ?", (theme_id,))
    assert row["label"] == "Bus fares"
    assert RARE not in row["terms"] and json.loads(row["terms"])


async def test_the_purge_leaves_no_trace_either(themed) -> None:
    db, pid = themed["db"], themed["withdrawing"]
    ids = await _answer_ids(db, pid)
    (digest,) = await _digests(db, pid)
    long_ago = to_db_time(utcnow() - timedelta(days=400))

    async def age(conn):
        await conn.execute(
            "UPDATE answers SET saved_at = ? WHERE participation_id = ?", (long_ago, pid)
        )

    await db.write(age)
    assert await erasure.purge(db, "test") == 1
    await _holds_nothing_of(themed, pid, ids, digest)
    assert RARE.encode() not in _file_bytes(db)


async def test_unsent_answers_are_purged_draft_days_after_closing(db, demo_round) -> None:
    round_ = demo_round
    question = round_.sections[0].questions[1].id
    sent = await participations.start(db, round_.id, "sent-key-0001", "pub-s", "en", False)
    draft = await participations.start(db, round_.id, "draft-key-001", "pub-d", "en", False)
    for p, text in ((sent, "sent words"), (draft, "draft words")):
        await participations.save_answers(db, p.id, [AnswerInput(question, text=text)], "en")
    await participations.submit(db, sent.id, may_quote=False)
    await round_store.set_status(db, "demo", "closed")
    closed = await round_store.load_round(db, "demo")
    assert closed.closed_at is not None and closed.draft_days == 30

    assert await maintenance.purge_unsent_drafts(db, utcnow() + timedelta(days=29), "t") == {}
    later = utcnow() + timedelta(days=31)
    assert await maintenance.purge_unsent_drafts(db, later, "t") == {round_.id: 1}
    assert await participations.answers_for(db, draft.id) == {}
    assert [a.text for a in (await participations.answers_for(db, sent.id)).values()] == [
        "sent words"
    ]
    entry = await db.fetch_one("SELECT detail FROM audit_log WHERE action = 'purge'")
    assert entry["detail"] == "unsent answers deleted 30 days after closing: 1"


async def test_an_open_round_past_its_closing_date_counts_as_closed(db, demo_round) -> None:
    round_ = demo_round
    question = round_.sections[0].questions[1].id
    draft = await participations.start(db, round_.id, "draft-key-002", "pub-e", "en", False)
    await participations.save_answers(db, draft.id, [AnswerInput(question, text="x")], "en")
    # The demo closes in eight weeks and is never closed by hand.
    assert await maintenance.purge_unsent_drafts(db, utcnow() + timedelta(weeks=10), "t") == {}
    assert await maintenance.purge_unsent_drafts(
        db, utcnow() + timedelta(weeks=8, days=31), "t"
    ) == {round_.id: 1}


@pytest.mark.sqlite_only("copies the SQLite file as a backup and restores it")
async def test_a_restored_backup_forgets_withdrawals_again_at_start_up(tmp_path) -> None:
    path = tmp_path / "site.db"
    settings = Settings(db_path=str(path), background_embedding=False)
    app = create_app(settings, demo=True)
    async with AsyncTestClient(app=app, base_url="http://testserver.local"):
        db = app.state.db
        round_ = await round_store.load_round(db, "demo")
        question = round_.sections[0].questions[1].id
        made = await fill_round(
            db, round_, [("x", "en", "keep me"), ("x", "en", WITHDRAWN)], question_id=question
        )
        await db.checkpoint()
        assert maintenance.backup(str(path), str(tmp_path / "backup.db")) > 0
        await erasure.withdraw(db, made[1])
        log = erasure_store.withdrawals_log(db)
        # The log holds a random reference, nothing anyone wrote.
        assert RARE not in log.read_text() and len(log.read_text().split()) == 1

    # Restore as the README says: the site stopped, the backup copied over the database.
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    shutil.copy(tmp_path / "backup.db", path)
    restored = Database(str(path))
    await restored.connect()
    texts = [r["text"] for r in await restored.fetch_all("SELECT text FROM answers")]
    assert sorted(texts) == sorted(["keep me", WITHDRAWN])  # the backup brought it back
    await restored.close()

    app = create_app(settings, demo=True)
    async with AsyncTestClient(app=app, base_url="http://testserver.local"):
        db = app.state.db
        texts = [r["text"] for r in await db.fetch_all("SELECT text FROM answers")]
        assert texts == ["keep me"]
        entry = await db.fetch_one(
            "SELECT detail FROM audit_log WHERE action = 'withdrawals_reapplied'"
        )
        assert entry["detail"] == "participations withdrawn again after a restore: 1"


async def test_the_daily_purge_drops_vectors_no_answer_uses(themed) -> None:
    """An analysis still running when an answer was withdrawn may save its vector after."""
    db = themed["db"]
    await vector_store.save_vectors(db, {"model|" + "f" * 64: np.zeros(4, dtype=np.float32)})
    assert "f" * 64 in await _vector_digests(db)
    kept = await _vector_digests(db) - {"f" * 64}
    assert await erasure.purge(db, "test") == 0  # nothing past retention
    assert await _vector_digests(db) == kept
