"""SQLite and PostgreSQL hold the same schema and find the same answers.

Both engines in one test: a SQLite file and a PostgreSQL database migrated with
migrations/postgresql. Runs only when `CODESIGN_TEST_DATABASE_URL` names a
throwaway PostgreSQL cluster (as `.ci/run` sets it); skipped otherwise.
"""

from __future__ import annotations

import re
import sqlite3

import pytest

from codesign.demo.round import build_demo_round
from codesign.models import AnswerInput
from codesign.store import db as sqlite_db
from codesign.store import erasure, participations, search
from codesign.store import rounds as round_store
from codesign.store.board import preparing as preparing_store
from codesign.store.search import Filters
from tests.backends import ON_POSTGRES, url_of

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="compares SQLite with PostgreSQL: set CODESIGN_TEST_DATABASE_URL to a throwaway"
    " PostgreSQL 15 cluster (postgresql://postgres@127.0.0.1:PORT/postgres)",
)

#: What differs on purpose: FTS5 keys its rows by rowid, the PostgreSQL table by a
#: column (the same answer id); its trigram index has no SQLite twin.
PG_ONLY_COLUMNS = {("answers_search", "answer_id")}
PG_ONLY_INDEXES = {"answers_search_body"}


# The schema ------------------------------------------------------------------------


def _sqlite_schema(path: str) -> dict:
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'answers_search_%'"
                " ORDER BY name"
            )
        ]
        columns, not_null, defaults, keys, uniques, foreign = {}, set(), {}, {}, set(), set()
        for t in tables:
            info = conn.execute(f"PRAGMA table_info('{t}')").fetchall()
            columns[t] = [r[1] for r in info]
            for _cid, name, _type, notnull, default, pk in info:
                if notnull or pk:  # a primary key can't be NULL on PostgreSQL
                    not_null.add((t, name))
                if default is not None:
                    defaults[(t, name)] = _default(default)
            pk = sorted((r[5], r[1]) for r in info if r[5])
            if pk:
                keys[t] = tuple(name for _, name in pk)
            for index in conn.execute(f"PRAGMA index_list('{t}')").fetchall():
                if index[3] == "u":  # a UNIQUE constraint
                    cols = [r[2] for r in conn.execute(f"PRAGMA index_info('{index[1]}')")]
                    uniques.add((t, tuple(cols)))
            for fk in conn.execute(f"PRAGMA foreign_key_list('{t}')").fetchall():
                foreign.add((t, fk[3], fk[2], fk[4], fk[6].upper()))
        indexes = {
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        }
    finally:
        conn.close()
    return {
        "tables": tables,
        "columns": columns,
        "not_null": not_null,
        "defaults": defaults,
        "keys": keys,
        "uniques": uniques,
        "foreign": foreign,
        "indexes": indexes,
    }


def _default(value: str) -> str:
    """A column default as text, without PostgreSQL's cast (`'UTC'::text` → `'UTC'`)."""
    return re.sub(r"::[a-z ]+$", "", value.strip())


_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def _job_queue(tables) -> set[str]:
    """Tables of the job queue's library (codesign.jobs), on PostgreSQL only."""
    return {t for t in tables if t.startswith("procrastinate_") or t == "job_schema"}


async def _postgres_schema(url: str) -> dict:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        tables = [
            r["table_name"]
            for r in await conn.fetch(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
            )
        ]
        columns, not_null, defaults = {}, set(), {}
        for r in await conn.fetch(
            "SELECT table_name, column_name, is_nullable, column_default"
            " FROM information_schema.columns WHERE table_schema = 'public'"
            " ORDER BY table_name, ordinal_position"
        ):
            t, name = r["table_name"], r["column_name"]
            columns.setdefault(t, []).append(name)
            if r["is_nullable"] == "NO":
                not_null.add((t, name))
            if r["column_default"] is not None:
                defaults[(t, name)] = _default(r["column_default"])
        keys, uniques, foreign = {}, set(), set()
        for r in await conn.fetch(
            "SELECT c.contype::text AS contype, t.relname AS table_name, f.relname AS other,"
            " c.confdeltype::text AS confdeltype,"
            " ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)"
            "  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n"
            "  ORDER BY k.i) AS cols,"
            " ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i)"
            "  JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n"
            "  ORDER BY k.i) AS other_cols"
            " FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid"
            " JOIN pg_namespace s ON s.oid = t.relnamespace"
            " LEFT JOIN pg_class f ON f.oid = c.confrelid"
            " WHERE s.nspname = 'public' AND c.contype IN ('p', 'u', 'f')"
        ):
            t, cols = r["table_name"], tuple(r["cols"])
            if r["contype"] == "p":
                keys[t] = cols
            elif r["contype"] == "u":
                uniques.add((t, cols))
            else:
                for col, other_col in zip(cols, r["other_cols"], strict=True):
                    foreign.add((t, col, r["other"], other_col, _ACTIONS[r["confdeltype"]]))
        # The job queue's own tables (codesign.jobs, PostgreSQL only) are the library's.
        indexes = {
            r["indexname"]
            for r in await conn.fetch(
                "SELECT i.indexname FROM pg_indexes i WHERE i.schemaname = 'public'"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
                " AND NOT (i.tablename LIKE 'procrastinate%' OR i.tablename = 'job_schema')"
            )
        }
    finally:
        await conn.close()
    tables = [t for t in tables if t not in _job_queue(tables)]
    jobs = _job_queue([*columns, *keys])
    columns = {t: c for t, c in columns.items() if t not in jobs}
    keys = {t: c for t, c in keys.items() if t not in jobs}
    not_null = {c for c in not_null if c[0] not in jobs}
    defaults = {c: d for c, d in defaults.items() if c[0] not in jobs}
    uniques = {u for u in uniques if u[0] not in jobs}
    foreign = {f for f in foreign if f[0] not in jobs}
    return {
        "tables": tables,
        "columns": columns,
        "not_null": not_null,
        "defaults": defaults,
        "keys": keys,
        "uniques": uniques,
        "foreign": foreign,
        "indexes": indexes,
    }


async def test_both_engines_have_the_same_tables_columns_keys_and_indexes(
    tmp_path, database_backend
) -> None:
    path = str(tmp_path / "schema.db")
    db = sqlite_db.Database(path)
    await db.connect()
    await db.close()
    lite = _sqlite_schema(path)
    pg = await _postgres_schema(url_of(database_backend.fresh()))

    assert pg["tables"] == lite["tables"]
    for table in lite["tables"]:
        wanted = [c for c in pg["columns"][table] if (table, c) not in PG_ONLY_COLUMNS]
        assert wanted == lite["columns"][table], table
    # (an FTS5 table's columns take no constraints)
    assert {c for c in pg["not_null"] if c[0] != "answers_search"} == lite["not_null"]
    # SQLite keeps a column's default as written; an identity (PostgreSQL's id) has none
    assert pg["defaults"] == lite["defaults"]
    keys = dict(pg["keys"])
    keys.pop("answers_search")  # FTS5's rowid on SQLite
    assert keys == lite["keys"]
    assert pg["uniques"] == lite["uniques"]
    # the search rows go with their answer: by a trigger on SQLite, a foreign key here
    assert {f for f in pg["foreign"] if f[0] != "answers_search"} == lite["foreign"]
    assert pg["indexes"] - PG_ONLY_INDEXES == lite["indexes"]


# Search -------------------------------------------------------------------------------

#: Answers (locale, text) in the scripts people write in; the search folds case,
#: accents and Arabic vowel marks, and finds a word inside a longer one.
ANSWERS = [
    ("en", "The BUS is late every morning and the driver is rude"),
    ("es", "El autobús llega tarde; el billete es caro"),
    ("es", "Necesito un intérprete en la cita del médico"),
    ("fr", "Le bus de nuit est trop cher pour nous"),
    ("ar", "الحافلة تتأخر كل صباح"),
    ("ar", "وبالحافلة نصل إلى المدرسة"),
    ("en", "I go by bus, it is OK"),
    ("en", "100% of my money goes on rent_and bills"),
    ("en", "No answer about transport at all"),
    ("fr", "Un interprète m'a aidé à la mairie"),
]

QUERIES = [
    "bus",
    "BUS",
    "autobus",
    "billete caro",
    "حافلة",
    "الحافلة",
    "interprete",
    "ok",
    "is",
    "100%",
    "rent_and",
    "t_and",
    "%",
    "zzzqqq",
    "de",
    "la cita",
]


async def _fill(db) -> tuple[int, list[int]]:
    round_id = await round_store.create_round(db, build_demo_round())
    loaded = await round_store.load_round(db, "demo")
    question = next(q for s in loaded.sections for q in s.questions if q.kind == "open_text")
    answer_ids = []
    for i, (locale, text) in enumerate(ANSWERS):
        key = f"key-{i}"
        p = await participations.start(db, round_id, key, key, locale, False)
        assert await participations.save_answers(
            db, p.id, [AnswerInput(question.id, text=text)], locale
        )
        assert await participations.submit(db, p.id, False)
        row = await db.fetch_one(
            "SELECT id FROM answers WHERE participation_id = ? AND question_id = ?",
            (p.id, question.id),
        )
        answer_ids.append(int(row["id"]))
    await preparing_store.save_prepared(
        db,
        [
            preparing_store.Prepared(aid, text, locale, f"h{aid}")
            for aid, (locale, text) in zip(answer_ids, ANSWERS, strict=True)
        ],
    )
    return question.id, answer_ids


async def _results(db, question_id: int, answer_ids: list[int]) -> dict[str, tuple]:
    """Per query: (positions of the answers found, in order; total)."""
    position = {aid: i for i, aid in enumerate(answer_ids)}
    out = {}
    for q in QUERIES:
        rows, total = await search.search(db, question_id, Filters(text=q), None, limit=50)
        ids = await search.matching_ids(db, question_id, Filters(text=q), None, 50)
        assert ids == [r.id for r in rows]
        out[q] = (tuple(position[r.id] for r in rows), total)
    page, _ = await search.search(db, question_id, Filters(text="bus"), None, limit=2, offset=1)
    out["page"] = (tuple(position[r.id] for r in page),)
    return out


async def test_search_finds_the_same_answers_in_the_same_order_on_both(
    tmp_path, database_backend
) -> None:
    from codesign.store.postgres import PostgresDatabase

    found = {}
    terms = {}
    for name, db in (
        ("sqlite", sqlite_db.Database(str(tmp_path / "search.db"))),
        ("postgresql", PostgresDatabase(url_of(database_backend.fresh()))),
    ):
        await db.connect()
        try:
            question_id, answer_ids = await _fill(db)
            found[name] = await _results(db, question_id, answer_ids)
            before = await search.indexed_terms(db)
            # an answer withdrawn leaves the index, and none of its words stay behind
            p = await db.fetch_one(
                "SELECT participation_id FROM answers WHERE id = ?", (answer_ids[2],)
            )
            await erasure.withdraw(db, int(p["participation_id"]))
            after = await search.indexed_terms(db)
            terms[name] = (before, after)
            again, total = await search.search(
                db, question_id, Filters(text="intérprete"), None, limit=50
            )
            only_french = tuple(r.id for r in again) == (answer_ids[9],)
            found[name]["after withdrawal"] = (only_french, total)
            # every redacted answer left is in the index
            assert await search.index_missing(db, question_id) == 0
        finally:
            await db.close()

    assert found["postgresql"] == found["sqlite"]
    assert terms["postgresql"] == terms["sqlite"]
    lite = found["sqlite"]
    # and what both find is what a person expects
    assert lite["bus"][0] == (0, 1, 3, 6) and lite["BUS"] == lite["bus"]
    assert lite["billete caro"][0] == (1,)
    assert lite["حافلة"][0] == (4, 5) and lite["الحافلة"] == lite["حافلة"]
    assert lite["interprete"][0] == (2, 9)
    assert lite["100%"][0] == (7,) and lite["%"][0] == (7,) and lite["t_and"][0] == (7,)
    assert lite["zzzqqq"] == ((), 0)
    assert lite["page"] == ((1, 3),)
    assert lite["after withdrawal"] == (True, 1)
    assert {"nec", "ces", "esi"} <= terms["sqlite"][0]
    assert not {"nec", "ces", "esi"} & terms["sqlite"][1]
