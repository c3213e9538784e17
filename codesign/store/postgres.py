"""The PostgreSQL database: an asyncpg pool with the face the store uses on SQLite.

Selected by `CODESIGN_DATABASE_URL=postgresql://…` (see `open_database` in db.py).
Store functions run unchanged: they write `?` placeholders and `await
conn.execute(sql, params)`, read rows by name or position, and check `rowcount`;
this module turns `?` into `$n` (once per statement text), sends booleans as
integers (and NUL in text as U+FFFD), and hands back asyncpg's records, which
behave as `sqlite3.Row` does for `row["name"]`, `row[0]`, `dict(row)` and
`row.keys()`.

What SQLite needed and PostgreSQL does not:
- No group commit: PostgreSQL commits concurrent transactions itself, so a write
  is one transaction on one pooled connection.
- Each write runs SERIALIZABLE and is run again when PostgreSQL refuses it for a
  conflict (a serialization failure or a deadlock). On SQLite one writer made every
  write serial; SERIALIZABLE keeps that promise for a write that reads before it
  writes, on any number of replicas. A write is a function of its connection with
  no other effects, so running it again is safe (SQLite's writer does the same when
  a batch fails). A write whose checks are all conditional statements on the rows
  it writes (an autosave) may ask for READ COMMITTED instead: SERIALIZABLE refused
  some of those for conflicts they did not have.
- No WAL checkpoint, no page cache to read from on the event loop's own thread.
"""

from __future__ import annotations

import asyncio
import random
import re
import threading
from collections.abc import Awaitable, Callable, Generator, Iterable, Sequence
from typing import Any, TypeVar

from codesign.store.db import (
    READ_COMMITTED,
    SERIALIZABLE,
    migration_files,
    to_db_time,
    utcnow,
)
from codesign.store.job_schema import apply_job_schema

try:
    import asyncpg
except ImportError:  # the optional extra is not installed; PostgresDatabase says so
    asyncpg = None

T = TypeVar("T")

#: The advisory lock key every replica takes to migrate ("codesign" as a number):
#: replicas starting together migrate one after the other, each migration once.
MIGRATION_LOCK = 0x636F64657369676E

#: How often a write refused for a conflict is tried again before the error stands.
WRITE_ATTEMPTS = 8

#: A write's isolation (`write(..., isolation=...)`, names from db.py; ignored on
#: SQLite, whose one writer runs every write alone). SERIALIZABLE by default; READ_COMMITTED
#: for a write whose checks are all conditional statements on the rows it writes, so
#: that PostgreSQL never refuses it for a conflict it does not have: SERIALIZABLE's
#: predicate locks cover index pages, and autosaves of different participants whose
#: rows share a page were refused (27 of 2,000 first attempts from 50 clients; behind
#: two replicas a save now and then used up all 8 attempts: a server error).
_ISOLATIONS = (SERIALIZABLE, READ_COMMITTED)

#: SQLSTATEs that mean "run the transaction again": serialization_failure,
#: deadlock_detected.
_RETRY_STATES = frozenset({"40001", "40P01"})

#: How long a synchronous lookup (`quick_one`, for error pages) may hold up the event
#: loop before it gives up.
QUICK_TIMEOUT_S = 0.25

_MISSING = (
    "CODESIGN_DATABASE_URL names a PostgreSQL database, which needs the asyncpg"
    " driver: install codesign[postgresql] (pip install 'codesign[postgresql]')"
)


def require_asyncpg() -> None:
    if asyncpg is None:
        raise RuntimeError(_MISSING)


# Placeholders ---------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z_]+")
_ROWLESS_WITH = {"INSERT", "UPDATE", "DELETE"}
_ROWS_FIRST = {"SELECT", "WITH", "VALUES", "TABLE", "SHOW", "EXPLAIN"}


class Statement:
    """A statement's text for PostgreSQL, and whether it hands back rows."""

    __slots__ = ("sql", "returns_rows")

    def __init__(self, sql: str, returns_rows: bool) -> None:
        self.sql = sql
        self.returns_rows = returns_rows


def translate(sql: str) -> Statement:
    """`?` → `$1, $2 …` outside quoted text, identifiers and comments; and whether the
    statement returns rows (a query, or a change with RETURNING), which decides how it
    is sent: rows are fetched, a change's status gives its row count."""
    out: list[str] = []
    words: list[str] = []
    n = 0
    i = 0
    length = len(sql)
    while i < length:
        ch = sql[i]
        if ch == "'" or ch == '"':
            end = i + 1
            while end < length:
                if sql[end] == ch:
                    if end + 1 < length and sql[end + 1] == ch:  # '' or "" inside
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i : end + 1])
            i = end + 1
        elif ch == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            end = length if end < 0 else end
            out.append(sql[i:end])
            i = end
        elif ch == "/" and sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = length if end < 0 else end + 2
            out.append(sql[i:end])
            i = end
        elif ch == "?":
            n += 1
            out.append(f"${n}")
            i += 1
        else:
            match = _WORD.match(sql, i)
            if match:
                words.append(match.group().upper())
                out.append(match.group())
                i = match.end()
            else:
                out.append(ch)
                i += 1
    first = words[0] if words else ""
    seen = set(words)
    if "RETURNING" in seen:
        returns_rows = True
    elif first == "WITH":
        returns_rows = not (seen & _ROWLESS_WITH)
    else:
        returns_rows = first in _ROWS_FIRST
    return Statement("".join(out), returns_rows)


_TRANSLATED: dict[str, Statement] = {}


def statement(sql: str) -> Statement:
    """`translate`, once per distinct statement text (the store's are constants)."""
    found = _TRANSLATED.get(sql)
    if found is None:
        found = translate(sql)
        if len(_TRANSLATED) < 4096:  # built SQL (IN lists) must not grow it for ever
            _TRANSLATED[sql] = found
    return found


def arguments(params: Iterable[Any]) -> list[Any]:
    """Parameters as asyncpg sends them: booleans as the integers SQLite stored, and
    text without NUL (U+0000), which PostgreSQL's text can't hold (it refused the
    whole write: a participant who pasted one lost the page's answers). It becomes
    U+FFFD, what a browser shows for it, so no two texts become equal."""
    return [
        int(p)
        if isinstance(p, bool)
        else p.replace("\x00", "\ufffd")
        if isinstance(p, str) and "\x00" in p
        else p
        for p in params
    ]


def _rowcount(status: str) -> int:
    """"UPDATE 3" → 3, "INSERT 0 1" → 1; -1 for statements that count nothing."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


# The connection's face -----------------------------------------------------------


class PgCursor:
    """A finished statement: its rows (if any) and how many rows it touched."""

    __slots__ = ("_rows", "_next", "rowcount")

    lastrowid = None  # PostgreSQL has none: the store asks with RETURNING id

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount

    async def fetchone(self) -> Any:
        if self._next >= len(self._rows):
            return None
        row = self._rows[self._next]
        self._next += 1
        return row

    async def fetchall(self) -> list[Any]:
        rows = self._rows[self._next :]
        self._next = len(self._rows)
        return rows

    async def close(self) -> None:
        self._rows = []


class _Pending:
    """What `execute` returns: awaited, or used with `async with`, as in aiosqlite."""

    __slots__ = ("_run", "_cursor")

    def __init__(self, run: Awaitable[PgCursor]) -> None:
        self._run = run
        self._cursor: PgCursor | None = None

    def __await__(self) -> Generator[Any, None, PgCursor]:
        return self._result().__await__()

    async def _result(self) -> PgCursor:
        if self._cursor is None:
            self._cursor = await self._run
        return self._cursor

    async def __aenter__(self) -> PgCursor:
        return await self._result()

    async def __aexit__(self, *exc: object) -> None:
        if self._cursor is not None:
            await self._cursor.close()


async def _run(conn: Any, sql: str, params: Iterable[Any]) -> PgCursor:
    st = statement(sql)
    args = arguments(params)
    if st.returns_rows:
        rows = await conn.fetch(st.sql, *args)
        return PgCursor(rows, len(rows))
    if args:
        status = await conn.execute(st.sql, *args)
    else:
        # Without arguments asyncpg uses the simple protocol; one statement still.
        status = await conn.execute(st.sql)
    return PgCursor([], _rowcount(status))


class PgConnection:
    """One pooled asyncpg connection with the store's connection API (as on SQLite)."""

    __slots__ = ("_conn",)

    dialect = "postgresql"

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    @property
    def in_transaction(self) -> bool:
        return self._conn.is_in_transaction()

    def execute(self, sql: str, params: Iterable[Any] = ()) -> _Pending:
        return _Pending(_run(self._conn, sql, params))

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> PgCursor:
        batch = [arguments(row) for row in rows]
        if batch:
            await self._conn.executemany(statement(sql).sql, batch)
        return PgCursor([], -1)

    async def execute_fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        return await self._conn.fetch(statement(sql).sql, *arguments(params))

    async def executescript(self, script: str) -> None:
        await self._conn.execute(script)


# Rows and numbers -----------------------------------------------------------------


if asyncpg is not None:

    class Row(asyncpg.Record):
        """asyncpg's record, with `keys()` a list as sqlite3.Row's is."""

        def keys(self) -> list[str]:  # type: ignore[override]
            return list(super().keys())

else:  # pragma: no cover - PostgresDatabase refuses to start without asyncpg
    Row = tuple  # type: ignore[misc,assignment]



def _numeric(text: str) -> int | float:
    """NUMERIC (what SUM and AVG give) as SQLite gives it: an int when whole."""
    try:
        return int(text)
    except ValueError:
        return float(text)


async def _setup(conn: Any) -> None:
    await conn.set_type_codec(
        "numeric", schema="pg_catalog", encoder=str, decoder=_numeric, format="text"
    )


# The database ---------------------------------------------------------------------


#: Longest wait for a free pooled connection, and for one statement: writes stuck behind
#: a lock must not hold every connection for ever, or the health check would hang with
#: them instead of failing and taking the replica out of the proxy's rotation.
ACQUIRE_TIMEOUT_S = 10.0
COMMAND_TIMEOUT_S = 30.0
#: Migrations may wait for another replica's and may rewrite large tables.
MIGRATION_TIMEOUT_S = 3600.0


_QUOTED_ARGUMENT = re.compile(r"(invalid input for query argument \$\d+): .*", re.S)


def scrubbed(exc: BaseException) -> BaseException:
    """The error without the values PostgreSQL and asyncpg quote from a row.

    "DETAIL: Key (email)=(…) already exists" and "invalid input for query argument
    $1: '…'" would carry a person's email or answer into the logs of an unhandled
    error; the constraint's name and the statement's position stay, enough to debug.
    """
    if isinstance(exc, asyncpg.PostgresError):
        try:
            exc.detail = None
        except AttributeError:  # pragma: no cover - a message without the field
            pass
        if exc.args and isinstance(exc.args[0], str):
            exc.args = (_QUOTED_ARGUMENT.sub(r"\1: (value not shown)", exc.args[0]),)
        exc.__cause__ = None
        exc.__suppress_context__ = True
    return exc


class PostgresDatabase:
    """The same interface the app uses on `Database`, over an asyncpg pool."""

    dialect = "postgresql"
    #: No synchronous lookups on the busy path: callers await `fetch_one_quick`.
    supports_quick = False

    def __init__(self, url: str, *, path: str = "codesign.db", max_size: int = 10) -> None:
        require_asyncpg()
        self.url = url
        #: Where files beside the database go (the withdrawals log); PostgreSQL keeps no
        #: file of its own here.
        self.path = path
        self._max_size = max_size
        self._pool: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._quick: _QuickLookups | None = None
        self._retry_lock = asyncio.Lock()
        self.batches = 0  # commits made (one per write here: no batching)
        self.batched_writes = 0
        self.retried_writes = 0  # writes run again after a conflict

    async def connect(self) -> None:
        try:
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=1,
                max_size=self._max_size,
                init=_setup,
                record_class=Row,
                command_timeout=COMMAND_TIMEOUT_S,
            )
        except ValueError:
            # asyncpg's own message quotes the part of the URL it could not read,
            # which can be part of the password: say what is wrong, not what it read.
            from codesign.settings import UNREADABLE_DATABASE_URL

            raise ValueError(UNREADABLE_DATABASE_URL) from None
        self._loop = asyncio.get_running_loop()
        await self.migrate()

    async def close(self) -> None:
        if self._quick is not None:
            await asyncio.to_thread(self._quick.close)
            self._quick = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def _need_pool(self) -> Any:
        if self._pool is None:
            raise RuntimeError("the database is not connected")
        return self._pool

    async def _on_own_loop(self, coroutine: Awaitable[T]) -> T:
        """asyncpg's pool belongs to the loop that opened it: calls from another loop (a
        test harness, a CLI thread) are handed over to it, as SQLite's writer does."""
        assert self._loop is not None
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self._loop))

    def _elsewhere(self) -> bool:
        return self._loop is not None and asyncio.get_running_loop() is not self._loop

    # Migrations ---------------------------------------------------------------

    async def migrate(self) -> list[int]:
        """Apply the PostgreSQL migrations not run yet; returns those applied.

        Under an advisory lock, so replicas starting together take turns: the second
        finds the first one's migrations recorded and applies nothing. Each migration
        commits with its `schema_migrations` row, or not at all.
        """
        if self._elsewhere():
            return await self._on_own_loop(self.migrate())
        async with self._need_pool().acquire() as conn:
            await conn.execute(
                "SELECT pg_advisory_lock($1)", MIGRATION_LOCK, timeout=MIGRATION_TIMEOUT_S
            )
            try:
                applied = await _migrate(conn)
                # The job queue's tables (codesign.jobs), under the same lock.
                await apply_job_schema(conn)
                return applied
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)

    # Reads --------------------------------------------------------------------

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        if self._elsewhere():
            return await self._on_own_loop(self.fetch_all(sql, params))
        async with self._need_pool().acquire(timeout=ACQUIRE_TIMEOUT_S) as conn:
            try:
                return await conn.fetch(statement(sql).sql, *arguments(params))
            except asyncpg.PostgresError as exc:
                raise scrubbed(exc) from None

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> Any:
        if self._elsewhere():
            return await self._on_own_loop(self.fetch_one(sql, params))
        async with self._need_pool().acquire(timeout=ACQUIRE_TIMEOUT_S) as conn:
            try:
                return await conn.fetchrow(statement(sql).sql, *arguments(params))
            except asyncpg.PostgresError as exc:
                raise scrubbed(exc) from None

    async def fetch_one_quick(self, sql: str, params: Iterable[Any] = ()) -> Any:
        """The busy path's point lookup: on PostgreSQL an ordinary awaited read."""
        return await self.fetch_one(sql, params)

    def quick_one(self, sql: str, params: Iterable[Any] = ()) -> Any:
        """A point lookup for code that can't await (error pages).

        Runs on a helper thread's own connection while the caller waits at most
        QUICK_TIMEOUT_S (then TimeoutError): a loopback round trip, not a scan.
        """
        rows = self._quick_lookups().run(sql, params, 1)
        return rows[0] if rows else None

    def quick_all(self, sql: str, params: Iterable[Any] = (), limit: int = 50) -> list[Any]:
        """A few rows by key for code that can't await (see `quick_one`); at most `limit`."""
        return self._quick_lookups().run(sql, params, limit)

    def _quick_lookups(self) -> _QuickLookups:
        if self._pool is None:
            raise RuntimeError("the database is not connected")
        if self._quick is None:
            self._quick = _QuickLookups(self.url)
        return self._quick

    # Writes -------------------------------------------------------------------

    async def write(
        self, work: Callable[[PgConnection], Awaitable[T]], *, isolation: str = SERIALIZABLE
    ) -> T:
        """Run `work` in one transaction; returns once it is committed.

        SERIALIZABLE unless the caller says its write needs less (`READ_COMMITTED`: every
        check is a conditional statement on rows the write then holds, so it can't be
        refused for a conflict): a write that read something another transaction
        changed before it committed is refused by PostgreSQL and run again here, up to
        WRITE_ATTEMPTS. Writes run again one at a time (per replica): a burst on one row
        (150 sign-in failures folding into one audit entry) would otherwise collide
        again and again.
        """
        if isolation not in _ISOLATIONS:
            raise ValueError(f"isolation is one of {', '.join(_ISOLATIONS)}, not {isolation!r}")
        if self._elsewhere():
            return await self._on_own_loop(self.write(work, isolation=isolation))
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                if attempt == 1:
                    value = await self._transaction(work, isolation)
                else:
                    async with self._retry_lock:
                        value = await self._transaction(work, isolation)
            except asyncpg.PostgresError as exc:
                if exc.sqlstate not in _RETRY_STATES or attempt == WRITE_ATTEMPTS:
                    raise scrubbed(exc) from None
                self.retried_writes += 1
                # Apart a little, so the same two writes don't collide again at once.
                await asyncio.sleep(random.uniform(0, 0.002 * attempt))  # noqa: S311
                continue
            self.batches += 1
            self.batched_writes += 1
            return value
        raise AssertionError("unreachable")  # pragma: no cover

    async def _transaction(self, work: Callable[[PgConnection], Awaitable[T]], isolation: str) -> T:
        async with self._need_pool().acquire(timeout=ACQUIRE_TIMEOUT_S) as conn:
            async with conn.transaction(isolation=isolation):
                return await work(PgConnection(conn))

    async def checkpoint(self) -> None:
        """Nothing to do: SQLite's checkpoint empties its write-ahead log after a
        deletion; PostgreSQL recycles its own WAL and vacuums dead rows by itself."""


async def _migrate(conn: Any) -> list[int]:
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in await conn.fetch("SELECT version FROM schema_migrations")}
    applied = []
    for version, name, sql in migration_files("postgresql"):
        if version in done:
            continue
        async with conn.transaction():
            await conn.execute(sql, timeout=MIGRATION_TIMEOUT_S)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                version,
                name,
                to_db_time(utcnow()),
            )
        applied.append(version)
    return applied


class _QuickLookups:
    """A thread with its own event loop and connection, for lookups made from code that
    can't await: the caller blocks on a loopback round trip, as on SQLite's page cache."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._loop = asyncio.new_event_loop()
        self._conn: Any = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="codesign-quick", daemon=True
        )
        self._thread.start()

    async def _fetch(self, sql: str, args: Sequence[Any], limit: int) -> list[Any]:
        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(self._url, record_class=Row)
            await _setup(self._conn)
        rows = await self._conn.fetch(statement(sql).sql, *args)
        return rows[:limit]

    def run(self, sql: str, params: Iterable[Any], limit: int) -> list[Any]:
        with self._lock:
            future = asyncio.run_coroutine_threadsafe(
                self._fetch(sql, arguments(params), limit), self._loop
            )
            try:
                return future.result(QUICK_TIMEOUT_S)
            except TimeoutError:
                future.cancel()
                # The next lookup opens a fresh connection, not one left mid-query.
                self._loop.call_soon_threadsafe(self._drop)
                raise

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.terminate()
            self._conn = None

    def close(self) -> None:
        async def shut() -> None:
            if self._conn is not None:
                await self._conn.close()

        try:
            asyncio.run_coroutine_threadsafe(shut(), self._loop).result(5)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
            self._loop.close()
