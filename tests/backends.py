"""The tests' database backend: SQLite files as always, or PostgreSQL when asked.

With `CODESIGN_TEST_DATABASE_URL` set (a superuser URL to a throwaway cluster,
postgresql://postgres@127.0.0.1:PORT/postgres), every database a test opens — the
app's, or one it builds with `Database(path)` — is a fresh PostgreSQL database
instead of the temporary SQLite file at `path`: the migrations run once per session
into a template, and each new path gets `CREATE DATABASE … TEMPLATE` of it (the same
path in one test, as when a test restarts the app, is the same database). Each is
dropped after the test that made it.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

#: A superuser URL to a throwaway PostgreSQL cluster, or "" for SQLite.
TEST_DATABASE_URL = os.environ.get("CODESIGN_TEST_DATABASE_URL", "").strip()
ON_POSTGRES = bool(TEST_DATABASE_URL)

#: Names unique to this test process, so two runs can share a cluster.
_PREFIX = f"t{os.getpid()}"
TEMPLATE = f"{_PREFIX}_template"


def url_of(name: str) -> str:
    """The test cluster's URL for the database called `name`."""
    parts = urlsplit(TEST_DATABASE_URL)
    return urlunsplit(parts._replace(path="/" + name))


class _Admin:
    """One admin connection on a thread of its own, callable from anywhere (inside a
    running test's event loop, or from none): CREATE and DROP DATABASE."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._conn: Any = None

    def run(self, sql: str) -> None:
        asyncio.run_coroutine_threadsafe(self._run(sql), self._loop).result(120)

    async def _run(self, sql: str) -> None:
        import asyncpg

        if self._conn is None:
            self._conn = await asyncpg.connect(TEST_DATABASE_URL)
        await self._conn.execute(sql)

    def call(self, coroutine_function: Any, *args: Any) -> Any:
        """Run an async function on the admin thread's loop (the template's migration)."""
        return asyncio.run_coroutine_threadsafe(coroutine_function(*args), self._loop).result(300)

    def close(self) -> None:
        async def shut() -> None:
            if self._conn is not None:
                await self._conn.close()

        asyncio.run_coroutine_threadsafe(shut(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


class PostgresBackend:
    """Makes, hands out and drops the tests' PostgreSQL databases."""

    def __init__(self) -> None:
        self._admin = _Admin()
        self._numbers = itertools.count(1)
        self._by_path: dict[str, str] = {}
        self._made: list[str] = []
        self._template_ready = False

    def _template(self) -> None:
        if self._template_ready:
            return
        from codesign.store.postgres import PostgresDatabase

        self._admin.run(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
        self._admin.run(f"CREATE DATABASE {TEMPLATE}")

        async def migrate() -> None:
            db = PostgresDatabase(url_of(TEMPLATE))
            await db.connect()  # migrates
            await db.close()

        self._admin.call(migrate)
        self._template_ready = True

    def name_for(self, path: str) -> str:
        """The database standing in for the SQLite file at `path` (made on first use)."""
        key = os.path.abspath(path) if path not in (":memory:", "") else path
        name = self._by_path.get(key)
        if name is None:
            name = self.fresh()
            self._by_path[key] = name
        return name

    def fresh(self, *, empty: bool = False) -> str:
        """A new database: a migrated copy of the template, or `empty`."""
        name = f"{_PREFIX}_{next(self._numbers)}"
        if empty:
            self._admin.run(f"CREATE DATABASE {name}")
        else:
            self._template()
            # FILE_COPY: half the time of WAL_LOG for a small template.
            self._admin.run(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY")
        self._made.append(name)
        return name

    def database(self, path: str) -> Any:
        """What `Database(path)` means on PostgreSQL."""
        from codesign.store.postgres import PostgresDatabase

        return PostgresDatabase(url_of(self.name_for(path)), path=path)

    def open_database(self, path: str, url: str = "") -> Any:
        """What the app's `open_database(settings.db_path, …)` means on PostgreSQL."""
        return self.database(path)

    def mark(self) -> int:
        return len(self._made)

    def drop_since(self, mark: int) -> None:
        """Drop the databases made since `mark` (those of the test that just ended)."""
        made, self._made = self._made[mark:], self._made[:mark]
        gone = set(made)
        self._by_path = {k: v for k, v in self._by_path.items() if v not in gone}
        for name in made:
            self._admin.run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close(self) -> None:
        self.drop_since(0)
        if self._template_ready:
            self._admin.run(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
        self._admin.close()


def _integrity_errors() -> tuple[type[BaseException], ...]:
    import sqlite3

    errors: list[type[BaseException]] = [sqlite3.IntegrityError]
    try:
        import asyncpg
    except ImportError:
        pass
    else:
        errors.append(asyncpg.IntegrityConstraintViolationError)
    return tuple(errors)


#: What a broken constraint raises, on either backend.
INTEGRITY_ERRORS = _integrity_errors()


def rows_of(client: Any, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows read through a running sync TestClient's app database (`db.fetch_all`), as
    tuples: what tests read without opening the SQLite file themselves."""

    async def fetch() -> list[tuple[Any, ...]]:
        return [tuple(row) for row in await client.app.state.db.fetch_all(sql, params)]

    return client.blocking_portal.call(fetch)


async def columns_of(db: Any, table: str) -> set[str]:
    """The column names of `table`, asked the way the database's dialect is asked."""
    if db.dialect == "sqlite":
        return {row["name"] for row in await db.fetch_all(f"PRAGMA table_info({table})")}
    rows = await db.fetch_all(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = ?",
        (table,),
    )
    return {row["column_name"] for row in rows}


async def stored_text(db: Any) -> bytes:
    """On PostgreSQL, every row of every table as text: what "the database file holds
    nothing of it" looks at there (on SQLite, tests read the file and its log)."""
    tables = await db.fetch_all(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
    )
    chunks = []
    for table in tables:
        name = table["table_name"].replace('"', '""')
        rows = await db.fetch_all(f'SELECT t::text AS row FROM "{name}" t')  # noqa: S608
        chunks += [row["row"] for row in rows]
    return "\n".join(chunks).encode()


#: The session's backend while tests run on PostgreSQL (set by tests/conftest.py).
current: PostgresBackend | None = None


def server_env(path: str) -> dict[str, str]:
    """Environment for a `codesign` command a test starts with `--db path`: on
    PostgreSQL, CODESIGN_DATABASE_URL naming the database that stands in for `path`."""
    if current is None:
        return {}
    return {"CODESIGN_DATABASE_URL": url_of(current.name_for(path))}
