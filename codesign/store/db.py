"""The SQLite database: connections, pragmas, migrations.

SQLite specifics live here and nowhere else: WAL, foreign keys and durable
commits are connection settings, and all writes go through one connection so
that only one writer ever holds SQLite's write lock.
"""

from __future__ import annotations

import asyncio
import os
import queue
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Generator, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from importlib import resources
from typing import Any, TypeVar

import aiosqlite

T = TypeVar("T")

_PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA foreign_keys = ON",
    # "Saved" means on disk: FULL syncs the WAL at every commit.
    "PRAGMA synchronous = FULL",
    "PRAGMA busy_timeout = 5000",
    # Deleted rows are overwritten with zeros, not left in free pages: a withdrawal
    # leaves nothing a copy of the file could recover.
    "PRAGMA secure_delete = ON",
)


def create_private(path: str) -> None:
    """Make sure a database file exists readable by its owner only (0600).

    SQLite gives the -wal and -shm files the main file's mode, so they follow. An
    existing file that others can read is tightened too: it holds people's answers.
    """
    if path == ":memory:" or path.startswith("file:"):
        return
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        for name in (path, path + "-wal", path + "-shm"):
            if os.path.exists(name) and os.stat(name).st_mode & 0o077:
                os.chmod(name, 0o600)
    else:
        os.close(fd)


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_db_time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat(timespec="microseconds")


def from_db_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def migration_files(dialect: str = "sqlite") -> list[tuple[int, str, str]]:
    """(version, name, sql) for every numbered migration, in order: SQLite's in
    `migrations/`, PostgreSQL's (same numbers and names) in `migrations/postgresql/`."""
    found = []
    folder = resources.files("codesign.store") / "migrations"
    if dialect != "sqlite":
        folder = folder / dialect
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


class _Cursor:
    """A finished statement's cursor, with aiosqlite's awaitable fetches."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _Statement:
    """What `execute` returns: awaited, or used with `async with`, as in aiosqlite."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: _Cursor) -> None:
        self._cursor = cursor

    def __await__(self) -> Generator[Any, None, _Cursor]:
        return self._done().__await__()

    async def _done(self) -> _Cursor:
        return self._cursor

    async def __aenter__(self) -> _Cursor:
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        await self._cursor.close()


class WriteConnection:
    """The writer's plain sqlite3 connection, with the async face of aiosqlite's.

    Store functions write with `await conn.execute(...)` as before, but every call
    finishes at once on the writer thread, so a whole batch of writes runs in one
    hand-over to that thread instead of one per statement (each of which waited
    for a turn of a busy event loop).
    """

    __slots__ = ("_conn",)

    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    def execute(self, sql: str, params: Iterable[Any] = ()) -> _Statement:
        return _Statement(_Cursor(self._conn.execute(sql, tuple(params))))

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> _Cursor:
        return _Cursor(self._conn.executemany(sql, rows))

    async def execute_fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        return self._conn.execute(sql, tuple(params)).fetchall()

    async def executescript(self, script: str) -> None:
        self._conn.executescript(script)


def _finish_now(work: Awaitable[T]) -> T:
    """Run a write coroutine that only awaits the WriteConnection to its end, here."""
    coroutine = work.__await__()
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("a write awaited something other than its connection")


class _Job:
    """A write waiting for the writer thread, or (`alone`) a call it runs between batches."""

    __slots__ = ("work", "future", "alone")

    def __init__(self, work: Callable[..., Any], alone: bool = False) -> None:
        self.work = work
        self.alone = alone
        self.future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()


def _settle(jobs: list[_Job], outcomes: list[tuple[bool, Any]]) -> None:
    """On the event loop: tell each waiting write how its batch ended."""
    for job, (ok, value) in zip(jobs, outcomes, strict=True):
        if job.future.done():  # failed already (the writer was stopped) or given up
            continue
        if ok:
            job.future.set_result(value)
        else:
            job.future.set_exception(value)


#: How long a read on the event loop's own connection (`quick_one`) may wait for a lock:
#: every request waits with it, so briefly, never the others' 5 s.
QUICK_BUSY_TIMEOUT_MS = 100

#: Reader connections, used in turn.
READERS = 3

#: Most writes one commit may carry; bounds the latency of the first one.
MAX_BATCH = 256

#: What a write needs of PostgreSQL (`write(work, isolation=...)`, see
#: codesign.store.postgres); SQLite's one writer runs every write alone.
SERIALIZABLE, READ_COMMITTED = "serializable", "read_committed"


class Database:
    """One writer task that commits concurrent writes together, and a few readers.

    Group commit: every `write()` waits in a queue; the writer takes all that
    are waiting, runs them in one transaction and commits once (a failing write
    makes the others run again alone, so it is rolled back alone). With
    `synchronous=FULL` one fsync makes a whole batch durable, so "saved" can
    mean "on disk" without losing throughput. A write is acknowledged only
    after its batch committed. The writer's own thread takes the batches from a
    thread-safe queue itself, so it starts the next commit while the event loop is
    still busy with requests, and hands each batch's outcomes back in one call
    (see WriteConnection); reads go to the reader connections.
    """

    dialect = "sqlite"
    #: `quick_one` reads SQLite's page cache on the calling thread (see there).
    supports_quick = True

    def __init__(self, path: str) -> None:
        self.path = path
        self._writer: WriteConnection | None = None
        self._writer_conn: sqlite3.Connection | None = None
        # One thread owns the write connection; a batch is one hand-over to it.
        self._writer_thread: ThreadPoolExecutor | None = None
        self._readers: list[aiosqlite.Connection] = []
        self._next_reader = 0
        self._quick: sqlite3.Connection | None = None
        self._quick_lock = threading.Lock()
        # Waiting writes, taken by the writer thread; None tells it to stop.
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._stopping = False
        # The event loop's view of the writer thread: done when the thread has stopped.
        self._writer_task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._in_flight: list[_Job] = []  # the batch the writer thread is committing
        self.batches = 0  # commits made; lets tests and benchmarks see batching
        self.batched_writes = 0

    async def connect(self) -> None:
        create_private(self.path)
        self._writer_thread = ThreadPoolExecutor(1, thread_name_prefix="codesign-writer")
        self._writer_conn = await self._in_writer(self._open_writer)
        self._writer = WriteConnection(self._writer_conn)
        await self.migrate()
        # A few readers: WAL lets them read while the writer commits.
        self._readers = [await self._open() for _ in range(READERS)]
        self._quick = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._quick.row_factory = sqlite3.Row
        for pragma in _PRAGMAS:
            self._quick.execute(pragma)
        self._quick.execute(f"PRAGMA busy_timeout = {QUICK_BUSY_TIMEOUT_MS}")
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        self._writer_task = asyncio.create_task(self._write_loop(), name="codesign-writer")

    def _open_writer(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        for pragma in _PRAGMAS:
            conn.execute(pragma)
        return conn

    async def _in_writer(self, call: Callable[..., T], *args: Any) -> T:
        """Run `call` on the writer's thread: between batches while the writer runs."""
        assert self._writer_thread is not None
        if self._writer_running():
            return await self._queued(lambda: call(*args), alone=True)
        return await asyncio.get_running_loop().run_in_executor(self._writer_thread, call, *args)

    async def _queued(self, work: Callable[..., Any], *, alone: bool = False) -> Any:
        """Queue `work` for the writer thread and wait for its outcome."""
        if asyncio.get_running_loop() is not self._loop:
            # Called from another event loop (a test harness, a CLI thread): hand over, so
            # the outcome reaches the loop whose future it settles.
            assert self._loop is not None
            return await asyncio.wrap_future(
                asyncio.run_coroutine_threadsafe(self._queued(work, alone=alone), self._loop)
            )
        job = _Job(work, alone)
        self._jobs.put(job)
        return await job.future

    def _writer_running(self) -> bool:
        return self._writer_task is not None and not self._writer_task.done() and not self._stopping

    async def _open(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        for pragma in _PRAGMAS:
            await conn.execute(pragma)
        return conn

    async def close(self) -> None:
        if self._writer_task is not None:
            if not self._writer_task.done():
                self._stopping = True
                self._jobs.put(None)
            # Waits without raising what the writer ended with (a cancelled writer
            # has already failed its waiting writes).
            await asyncio.wait([self._writer_task])
            self._writer_task = None
        for conn in self._readers:
            await conn.close()
        if self._writer_conn is not None:
            await self._in_writer(self._writer_conn.close)
        if self._writer_thread is not None:
            self._writer_thread.shutdown(wait=True)
        self._readers = []
        self._writer = None
        self._writer_conn = None
        self._writer_thread = None
        if self._quick is not None:
            self._quick.close()
            self._quick = None

    async def migrate(self) -> list[int]:
        """Apply numbered migrations that have not run yet; returns those applied."""
        return await self._in_writer(lambda: _finish_now(self._migrate()))

    async def _migrate(self) -> list[int]:
        conn = self._writer
        assert conn is not None
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        async with conn.execute("SELECT version FROM schema_migrations") as cursor:
            done = {row[0] for row in await cursor.fetchall()}
        applied = []
        for version, name, sql in migration_files():
            if version in done:
                continue
            # executescript commits first; BEGIN inside the script keeps the migration
            # and its record in one transaction, so a failure leaves nothing half-done.
            try:
                await conn.executescript("BEGIN;\n" + sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, to_db_time(utcnow())),
                )
                await conn.execute("COMMIT")
            except Exception:
                if conn.in_transaction:
                    await conn.execute("ROLLBACK")
                raise
            applied.append(version)
        return applied

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        assert self._readers, "the database is not connected"
        self._next_reader = (self._next_reader + 1) % len(self._readers)
        # One hop to the connection's thread instead of three (execute, fetch, close).
        rows = await self._readers[self._next_reader].execute_fetchall(sql, tuple(params))
        return list(rows)

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    def quick_one(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        """A point lookup by key, run right here on the calling thread.

        For the busiest path only (every autosave): an indexed read of one row from
        SQLite's page cache takes tens of microseconds, less than the hand-over to a
        reader thread and back. Never for scans: they would stall the event loop.
        Waits at most QUICK_BUSY_TIMEOUT_MS for a lock, then raises
        sqlite3.OperationalError (callers that can await then ask a reader).
        """
        assert self._quick is not None, "the database is not connected"
        with self._quick_lock:
            return self._quick.execute(sql, tuple(params)).fetchone()

    async def fetch_one_quick(self, sql: str, params: Iterable[Any] = ()) -> Any:
        """The busiest path's point lookup: `quick_one` here on the event loop's thread,
        or a reader when SQLite is locked for longer than the loop may wait."""
        try:
            return self.quick_one(sql, params)
        except sqlite3.OperationalError:
            return await self.fetch_one(sql, params)

    def quick_all(self, sql: str, params: Iterable[Any] = (), limit: int = 50) -> list[sqlite3.Row]:
        """A few rows by key, here on the calling thread (see `quick_one`); at most `limit`.

        For code that can't await (error pages): small indexed lookups only.
        """
        assert self._quick is not None, "the database is not connected"
        with self._quick_lock:
            return self._quick.execute(sql, tuple(params)).fetchmany(limit)

    async def checkpoint(self) -> None:
        """Copy the write-ahead log into the database file and empty it.

        After a deletion the WAL still holds the old pages until a checkpoint; TRUNCATE
        leaves a zero-length log, so the deleted text is gone from the log as well.
        Runs on the writer's thread, between batches.
        """
        conn = self._writer_conn
        if conn is None:
            return
        await self._in_writer(lambda: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone())

    async def write(
        self, work: Callable[[WriteConnection], Awaitable[T]], *, isolation: str = SERIALIZABLE
    ) -> T:
        """Run `work` in a write transaction; returns once it is committed to disk.

        `isolation` is for PostgreSQL (codesign.store.postgres); here the one writer
        runs each write alone, which no isolation level can improve on."""
        if not self._writer_running():
            raise RuntimeError("the database is not connected")
        return await self._queued(work)

    async def _write_loop(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._writer_thread, self._write_batches, loop)
        except BaseException:
            # Cancelled (or the loop is going away): the thread stops after the batch in
            # hand, nobody waits for ever for a write that will not be confirmed, and
            # the cancellation carries on.
            self._stopping = True
            self._fail_waiting()
            self._jobs.put(None)  # after the others are failed: it must stay to stop the thread
            raise

    def _write_batches(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the writer thread, until told to stop: take every write waiting, commit
        them together, hand the outcomes to the event loop; again."""
        jobs = self._jobs
        while True:
            try:
                # Wakes now and then: a loop that closed without closing the database
                # must not keep this thread, and so the process, alive.
                first = jobs.get(timeout=1.0)
            except queue.Empty:
                if loop.is_closed():
                    return
                continue
            if first is None:
                break
            if self._stopping:  # cancelled: this one fails with the rest, below
                self._in_flight = [first]
                break
            batch: list[_Job] = []
            alone = first if first.alone else None
            if alone is None:
                batch.append(first)
            stop = False
            while alone is None and len(batch) < MAX_BATCH:
                try:
                    job = jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                if job.alone:
                    alone = job  # runs after this batch, outside its transaction
                else:
                    batch.append(job)
            if batch:
                self._in_flight = batch
                outcomes = self._commit_batch([job.work for job in batch])
                self._in_flight = []
                _call_soon(loop, _settle, batch, outcomes)
            if alone is not None:
                try:
                    outcome = (True, alone.work())
                except Exception as exc:
                    outcome = (False, exc)
                _call_soon(loop, _settle, [alone], [outcome])
            if stop:
                break
        # Whatever came after the stop is never run: its writers must not wait for ever.
        _call_soon(loop, self._fail_waiting)

    def _fail_waiting(self) -> None:
        """The writer stopped: every write still waiting fails (its batch may or may not
        have been committed; it was never confirmed)."""
        waiting = list(self._in_flight)
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                waiting.append(job)
        for job in waiting:
            if not job.future.done():
                job.future.set_exception(
                    RuntimeError("the database writer stopped before this write was confirmed")
                )

    def _commit_batch(
        self, works: list[Callable[[WriteConnection], Awaitable[Any]]]
    ) -> list[tuple[bool, Any]]:
        """On the writer thread: commit the batch at once; if any write in it fails, undo
        the batch and give each write its own transaction, so one failure never takes
        others with it. Returns (committed, value or exception) per write.

        (Savepoints per write did the same but cost more statements for every write;
        failures are rare, so retrying is cheaper.)
        """
        conn = self._writer_conn
        face = self._writer
        assert conn is not None and face is not None
        try:
            conn.execute("BEGIN IMMEDIATE")
            values = [_finish_now(work(face)) for work in works]
            conn.execute("COMMIT")
        except Exception as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if len(works) > 1:
                return [outcome for work in works for outcome in self._commit_batch([work])]
            return [(False, exc)]
        self.batches += 1
        self.batched_writes += len(works)
        return [(True, value) for value in values]


def _call_soon(loop: asyncio.AbstractEventLoop, call: Callable[..., Any], *args: Any) -> None:
    """From the writer thread: run `call` on the event loop (unless it has closed)."""
    try:
        loop.call_soon_threadsafe(call, *args)
    except RuntimeError:  # the loop closed: nobody is waiting any more
        pass


def open_database(path: str, url: str = "") -> Any:
    """The database the settings name: PostgreSQL for a `postgresql://` (or
    `postgres://`) URL, else SQLite at `path`. Both have the same interface; code
    that must differ asks `db.dialect`."""
    if url:
        from codesign.store.postgres import PostgresDatabase

        return PostgresDatabase(url, path=path)
    return Database(path)
