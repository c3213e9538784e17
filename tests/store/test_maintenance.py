"""Backups while serving, and the retention purge."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from codesign.cli import main as cli
from codesign.models import AnswerInput
from codesign.store import participations
from codesign.store import rounds as round_store
from codesign.store.db import utcnow
from codesign.store.maintenance import purge_expired_answers


@pytest.mark.sqlite_only("`codesign backup` copies the SQLite file (PostgreSQL: pg_dump)")
async def test_backup_while_open_copies_every_answer(db, tmp_path, capsys) -> None:
    round_ = await round_store.load_round(db, "demo")
    question = round_.sections[0].questions[1].id
    p = await participations.start(db, round_.id, "backup-key-1", "pub-b", "en", False)
    await participations.save_answers(db, p.id, [AnswerInput(question, text="kept")], "en")
    target = tmp_path / "copy.db"
    # The app's connections stay open: this is an online backup.
    assert cli(["backup", str(target), "--db", db.path]) == 0
    assert "integrity ok" in capsys.readouterr().out
    copy = sqlite3.connect(target)
    assert copy.execute("SELECT text FROM answers").fetchall() == [("kept",)]
    copy.close()
    # Never overwrite an earlier backup.
    assert cli(["backup", str(target), "--db", db.path]) == 2


async def test_purge_deletes_only_answers_past_retention_and_logs_it(db) -> None:
    round_ = await round_store.load_round(db, "demo")
    question = round_.sections[0].questions[1].id
    p = await participations.start(db, round_.id, "purge-key-01", "pub-p", "en", False)
    await participations.save_answers(db, p.id, [AnswerInput(question, text="recent")], "en")
    # Nothing is old enough yet.
    assert await purge_expired_answers(db, utcnow(), "test") == {}
    # 366 days later, the demo round's 365-day retention has passed.
    later = utcnow() + timedelta(days=366)
    assert await purge_expired_answers(db, later, "test") == {round_.id: 1}
    assert await participations.answers_for(db, p.id) == {}
    entry = await db.fetch_one("SELECT actor, action, detail FROM audit_log WHERE action = 'purge'")
    assert (
        entry["actor"] == "test"
        and entry["detail"] == "answers deleted past the retention period: 1"
    )
