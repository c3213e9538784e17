"""Migrations: an empty file, an existing one, and a failed migration leaving nothing behind."""

from __future__ import annotations

import sqlite3

import pytest

from codesign.demo.round import build_demo_round
from codesign.store import rounds as round_store
from codesign.store.db import Database, migration_files


@pytest.mark.sqlite_only("reads sqlite_master and SQLite's pragmas")
async def test_migrations_create_the_schema_on_an_empty_file(tmp_path) -> None:
    db = Database(str(tmp_path / "new.db"))
    await db.connect()
    tables = {r["name"] for r in await db.fetch_all("SELECT name FROM sqlite_master")}
    assert {"rounds", "sections", "questions", "participations", "answers"} <= tables
    versions = [r["version"] for r in await db.fetch_all("SELECT version FROM schema_migrations")]
    assert versions == [v for v, _, _ in migration_files()]
    mode = await db.fetch_one("PRAGMA journal_mode")
    assert mode[0] == "wal"
    assert (await db.fetch_one("PRAGMA foreign_keys"))[0] == 1
    await db.close()


async def test_reopening_an_existing_file_keeps_data_and_applies_nothing_twice(tmp_path) -> None:
    path = str(tmp_path / "existing.db")
    db = Database(path)
    await db.connect()
    await round_store.create_round(db, build_demo_round())
    await db.close()

    again = Database(path)
    await again.connect()
    assert await again.migrate() == []
    loaded = await round_store.load_round(again, "demo")
    assert loaded is not None and len(loaded.sections) == 5
    await again.close()


@pytest.mark.sqlite_only("SQLite's migration runner and file; tests/store/test_postgres.py")
async def test_a_failing_migration_is_rolled_back(tmp_path, monkeypatch) -> None:
    from codesign.store import db as db_module

    path = str(tmp_path / "fail.db")
    good = db_module.migration_files()
    broken = (9999, "9999_broken.sql", "CREATE TABLE half_done (id INTEGER);\nNOT VALID SQL;")
    monkeypatch.setattr(db_module, "migration_files", lambda: [*good, broken])
    db = Database(path)
    with pytest.raises(sqlite3.OperationalError):
        await db.connect()
    await db.close()
    plain = sqlite3.connect(path)
    names = {r[0] for r in plain.execute("SELECT name FROM sqlite_master")}
    assert "half_done" not in names and "rounds" in names
    assert 9999 not in {r[0] for r in plain.execute("SELECT version FROM schema_migrations")}
    plain.close()


@pytest.mark.sqlite_only("seeds a pre-0008 SQLite file with raw sqlite3")
async def test_0008_takes_paper_responses_and_plain_text_hashes_out_of_reach(
    tmp_path, monkeypatch
) -> None:
    """Paper rows imported before 0008 had session ids computed from the file; vectors
    were keyed by a plain hash of the text. After it: random ids, no such keys."""
    from codesign.store import db as db_module

    every = db_module.migration_files()
    monkeypatch.setattr(
        db_module, "migration_files", lambda: [m for m in every if m[0] < 8]
    )
    path = str(tmp_path / "before.db")
    db = Database(path)
    await db.connect()
    await db.close()
    plain = sqlite3.connect(path)
    plain.execute(
        "INSERT INTO rounds (id, slug, status, default_locale, locales, created_at)"
        " VALUES (1, 'old', 'open', 'en', 'en', '2026-01-01')"
    )
    plain.execute(
        "INSERT INTO participations (round_id, public_id, start_key, code_shown, locale, status,"
        " may_quote, created_at, updated_at) VALUES (1, 'paper-0123456789abcdef-1',"
        " 'paper:0123456789abcdef:1', 1, 'en', 'submitted', 0, '2026-01-01', '2026-01-01')"
    )
    plain.execute(
        "INSERT INTO answer_vectors (cache_key, vector, created_at) VALUES ('m|' || ?, x'00', '')",
        ("a" * 64,),
    )
    plain.commit()
    plain.close()

    monkeypatch.setattr(db_module, "migration_files", lambda: every)
    db = Database(path)
    await db.connect()
    row = await db.fetch_one("SELECT * FROM participations")
    assert row["source"] == "paper" and row["paper_row"] == 1
    assert "0123456789abcdef" not in row["public_id"] + row["start_key"]
    assert len(row["ref"]) == 32
    batch = await db.fetch_one("SELECT * FROM paper_batches")
    assert batch["digest"] == "0123456789abcdef" and batch["id"] == row["paper_batch_id"]
    assert await db.fetch_all("SELECT * FROM answer_vectors") == []
    await db.close()
