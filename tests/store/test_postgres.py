"""The PostgreSQL backend: placeholders, rows, writes that read first, migrations under a lock.

The pure parts run everywhere; the rest needs CODESIGN_TEST_DATABASE_URL (a throwaway
cluster, as .ci/run starts) and is skipped without it.
"""

from __future__ import annotations

import asyncio

import pytest

from codesign.settings import Settings, from_env
from codesign.store import db as db_module
from codesign.store import postgres
from codesign.store.db import migration_files, open_database
from codesign.store.postgres import PostgresDatabase, translate
from tests.backends import ON_POSTGRES, url_of

needs_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="CODESIGN_TEST_DATABASE_URL not set")


def test_placeholders_become_numbered_outside_quotes_and_comments() -> None:
    sql = (
        "SELECT '?', 'it''s ?', \"odd?name\", ? -- what? \n"
        "FROM t /* ? */ WHERE a = ? AND b IS NOT DISTINCT FROM ?"
    )
    assert translate(sql).sql == (
        "SELECT '?', 'it''s ?', \"odd?name\", $1 -- what? \n"
        "FROM t /* ? */ WHERE a = $2 AND b IS NOT DISTINCT FROM $3"
    )


def test_statements_that_return_rows_are_told_apart_from_changes() -> None:
    assert translate("SELECT 1").returns_rows
    assert translate("with x as (select 1) select * from x").returns_rows
    assert translate("INSERT INTO t (a) VALUES (?) RETURNING id").returns_rows
    assert translate("UPDATE t SET a = 'RETURNING' WHERE id = ? RETURNING id").returns_rows
    assert not translate("UPDATE t SET a = ? WHERE id = ?").returns_rows
    assert not translate("DELETE FROM t WHERE note = 'SELECT'").returns_rows
    assert not translate("WITH old AS (SELECT id FROM t) DELETE FROM u").returns_rows
    assert not translate("CREATE TABLE t (id BIGINT)").returns_rows


def test_each_statement_text_is_translated_once() -> None:
    sql = "SELECT * FROM rounds WHERE slug = ? -- test_each_statement_text_is_translated_once"
    assert postgres.statement(sql) is postgres.statement(sql)


def test_the_database_url_chooses_the_backend(monkeypatch) -> None:
    # (db_module's: on PostgreSQL the tests' own `Database` names are PostgreSQL's.)
    assert isinstance(open_database("x.db"), db_module.Database)
    assert open_database("x.db").dialect == "sqlite"
    assert from_env({"CODESIGN_DATABASE_URL": "postgres://u@db/c"}).database_url == (
        "postgres://u@db/c"
    )
    with pytest.raises(ValueError, match="PostgreSQL URL"):
        Settings(database_url="mysql://u@db/c")
    monkeypatch.setattr(postgres, "asyncpg", None)
    with pytest.raises(RuntimeError, match=r"codesign\[postgresql\]"):
        open_database("x.db", "postgresql://u@db/c")


@pytest.fixture
def empty_url(database_backend) -> str:
    return url_of(database_backend.fresh(empty=True))


@needs_postgres
async def test_replicas_starting_together_apply_each_migration_once(empty_url) -> None:
    first, second = PostgresDatabase(empty_url), PostgresDatabase(empty_url)
    await asyncio.gather(first.connect(), second.connect())
    try:
        rows = await first.fetch_all("SELECT version FROM schema_migrations ORDER BY version")
        every = [version for version, _, _ in migration_files("postgresql")]
        assert [r["version"] for r in rows] == every
        assert [v for v, _, _ in migration_files()] == every  # the same numbers as SQLite's
        assert await first.migrate() == [] and await second.migrate() == []
        tables = await first.fetch_all(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        assert {"rounds", "participations", "answers"} <= {r["table_name"] for r in tables}
    finally:
        await first.close()
        await second.close()


@needs_postgres
async def test_a_failing_migration_leaves_nothing_behind(empty_url, monkeypatch) -> None:
    good = migration_files("postgresql")
    broken = (9999, "9999_broken.sql", "CREATE TABLE half_done (id INTEGER);\nNOT VALID SQL;")
    monkeypatch.setattr(postgres, "migration_files", lambda dialect: [*good, broken])
    db = PostgresDatabase(empty_url)
    with pytest.raises(postgres.asyncpg.PostgresSyntaxError):
        await db.connect()
    await db.close()
    monkeypatch.setattr(postgres, "migration_files", lambda dialect: good)
    again = PostgresDatabase(empty_url)
    await again.connect()
    try:
        assert await again.fetch_one("SELECT to_regclass('half_done') AS t") == (None,)
        versions = {r[0] for r in await again.fetch_all("SELECT version FROM schema_migrations")}
        assert 9999 not in versions and versions == {v for v, _, _ in good}
    finally:
        await again.close()


@pytest.fixture
async def pg(empty_url):
    db = PostgresDatabase(empty_url)
    await db.connect()
    await db.write(
        lambda conn: conn.execute(
            "CREATE TABLE t (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
            " v INTEGER UNIQUE, flag INTEGER, note TEXT)"
        )
    )
    yield db
    await db.close()


@needs_postgres
async def test_the_connection_face_is_the_one_the_store_uses_on_sqlite(pg) -> None:
    async def work(conn):
        assert conn.in_transaction and conn.dialect == "postgresql"
        cursor = await conn.execute(
            "INSERT INTO t (v, flag, note) VALUES (?, ?, ?) RETURNING id", (1, True, "a?")
        )
        assert cursor.lastrowid is None
        new_id = (await cursor.fetchone())["id"]
        await conn.executemany("INSERT INTO t (v, flag) VALUES (?, ?)", [(2, False), (3, True)])
        changed = await conn.execute("UPDATE t SET note = ? WHERE flag = ?", ("on", True))
        async with conn.execute("SELECT v, flag, note FROM t ORDER BY v") as rows:
            first = await rows.fetchone()
            rest = await rows.fetchall()
        counted = await conn.execute_fetchall("SELECT COUNT(*) AS n, SUM(v), AVG(v) FROM t")
        return new_id, changed.rowcount, first, rest, counted[0]

    new_id, changed, first, rest, counted = await pg.write(work)
    assert new_id == 1 and changed == 2
    assert first["v"] == 1 and first[1] == 1 and dict(first) == {"v": 1, "flag": 1, "note": "on"}
    assert first.keys() == ["v", "flag", "note"]
    assert [tuple(r) for r in rest] == [(2, 0, None), (3, 1, "on")]
    assert tuple(counted) == (3, 6, 2) and isinstance(counted[1], int)  # as SQLite gives them
    assert (await pg.fetch_one("SELECT note FROM t WHERE v = ?", (1,)))["note"] == "on"
    assert await pg.fetch_one("SELECT note FROM t WHERE v = ?", (99,)) is None


@needs_postgres
async def test_a_failed_write_is_rolled_back_and_raised(pg) -> None:
    async def twice(conn):
        await conn.execute("INSERT INTO t (v) VALUES (10)")
        await conn.execute("INSERT INTO t (v) VALUES (10)")

    with pytest.raises(postgres.asyncpg.UniqueViolationError):
        await pg.write(twice)
    assert await pg.fetch_all("SELECT v FROM t") == []


@needs_postgres
async def test_writes_that_read_first_behave_as_if_one_at_a_time(pg) -> None:
    """SQLite's one writer made a read-then-write safe; SERIALIZABLE and running the
    write again on a conflict keep it safe when writes run at the same time."""

    async def next_number(conn):
        row = await (await conn.execute("SELECT COALESCE(MAX(v), 0) AS top FROM t")).fetchone()
        await asyncio.sleep(0.001)  # let the others read the same maximum
        await conn.execute("INSERT INTO t (v) VALUES (?)", (row["top"] + 1,))
        return row["top"] + 1

    got = await asyncio.gather(*(pg.write(next_number) for _ in range(12)))
    assert sorted(got) == list(range(1, 13))
    assert pg.retried_writes > 0


@needs_postgres
async def test_lookups_for_code_that_cannot_await(pg) -> None:
    await pg.write(lambda conn: conn.execute("INSERT INTO t (v, note) VALUES (5, 'five')"))
    assert pg.supports_quick is False
    assert pg.quick_one("SELECT note FROM t WHERE v = ?", (5,))["note"] == "five"
    assert pg.quick_one("SELECT note FROM t WHERE v = ?", (6,)) is None
    assert [r["v"] for r in pg.quick_all("SELECT v FROM t", (), limit=5)] == [5]
    assert (await pg.fetch_one_quick("SELECT v FROM t WHERE note = ?", ("five",)))[0] == 5
