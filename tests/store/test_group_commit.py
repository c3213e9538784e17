"""The group-commit writer: many writes, one commit; one failure spoils nothing else."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest

from codesign.store.db import Database
from tests.backends import INTEGRITY_ERRORS


@pytest.fixture
async def db(tmp_path):
    database = Database(str(tmp_path / "gc.db"))
    await database.connect()
    await database.write(lambda conn: conn.execute("CREATE TABLE t (v INTEGER UNIQUE)"))
    yield database
    await database.close()


async def _insert(db: Database, value: int) -> int:
    async def work(conn):
        await conn.execute("INSERT INTO t (v) VALUES (?)", (value,))
        return value

    return await db.write(work)


async def _held_write(db: Database, value: int) -> tuple[asyncio.Future, threading.Event]:
    """A write of `value` that holds the writer thread, mid-batch, until the event is set."""
    inside = threading.Event()
    release = threading.Event()

    async def slow(conn):
        inside.set()
        release.wait()
        await conn.execute("INSERT INTO t (v) VALUES (?)", (value,))
        return value

    held = asyncio.ensure_future(db.write(slow))
    await asyncio.to_thread(inside.wait)  # its batch is on the writer thread
    return held, release


@pytest.mark.sqlite_only("group commit: PostgreSQL commits concurrent writes itself")
async def test_concurrent_writes_share_commits(db) -> None:
    before = db.batches
    results = await asyncio.gather(*(_insert(db, n) for n in range(200)))
    assert results == list(range(200))
    assert (await db.fetch_one("SELECT COUNT(*) FROM t"))[0] == 200
    assert db.batches - before < 200  # batched, not one commit per write


async def test_a_failing_write_is_undone_alone(db) -> None:
    await _insert(db, 1)
    outcomes = await asyncio.gather(
        _insert(db, 2), _insert(db, 1), _insert(db, 3), return_exceptions=True
    )
    assert outcomes[0] == 2 and outcomes[2] == 3
    assert isinstance(outcomes[1], INTEGRITY_ERRORS)
    values = [r[0] for r in await db.fetch_all("SELECT v FROM t ORDER BY v")]
    assert values == [1, 2, 3]


@pytest.mark.sqlite_only("SQLite's writer thread runs a write in one hand-over")
async def test_a_write_that_waits_on_something_else_fails_clearly(db) -> None:
    # Writes run to their end on the writer thread; one that awaits anything but its
    # connection is refused (and rolled back) instead of hanging the writer.
    async def waits(conn):
        await conn.execute("INSERT INTO t (v) VALUES (40)")
        await asyncio.sleep(0)

    outcomes = await asyncio.gather(
        _insert(db, 41), db.write(waits), _insert(db, 42), return_exceptions=True
    )
    assert outcomes[0] == 41 and outcomes[2] == 42
    assert isinstance(outcomes[1], RuntimeError)
    values = [r[0] for r in await db.fetch_all("SELECT v FROM t ORDER BY v")]
    assert values == [41, 42]
    assert await _insert(db, 43) == 43  # the writer carries on


async def test_writes_see_their_own_reads_and_return_rows(db) -> None:
    async def work(conn):
        await conn.executemany("INSERT INTO t (v) VALUES (?)", [(7,), (8,)])
        async with conn.execute("SELECT v FROM t ORDER BY v") as cursor:
            first = await cursor.fetchone()
        rows = await conn.execute_fetchall("SELECT COUNT(*) AS n FROM t")
        cursor = await conn.execute("DELETE FROM t WHERE v = 8")
        return first["v"], rows[0]["n"], cursor.rowcount

    assert await db.write(work) == (7, 2, 1)


@pytest.mark.sqlite_only("SQLite's writer task")
async def test_cancelling_the_writer_stops_it_and_fails_waiting_writes(db) -> None:
    # The writer must not swallow its cancellation (shutting down cancels tasks): it
    # stops, and a write waiting on it fails instead of waiting for ever.
    waiting, release = await _held_write(db, 50)
    queued = asyncio.ensure_future(_insert(db, 51))
    task = db._writer_task
    task.cancel()
    outcomes = await asyncio.gather(waiting, queued, return_exceptions=True)
    release.set()
    assert all(isinstance(o, RuntimeError) for o in outcomes)
    await asyncio.wait([task])
    assert task.cancelled()
    with pytest.raises(RuntimeError, match="not connected"):
        await _insert(db, 52)


@pytest.mark.sqlite_only("SQLite's busy timeouts")
async def test_reads_on_the_event_loop_wait_only_briefly_for_a_lock(db) -> None:
    from codesign.store.db import QUICK_BUSY_TIMEOUT_MS

    assert QUICK_BUSY_TIMEOUT_MS <= 250
    assert db._quick.execute("PRAGMA busy_timeout").fetchone()[0] == QUICK_BUSY_TIMEOUT_MS
    # The writer and the readers run off the loop and keep waiting as long as before.
    reader = await db.fetch_one("PRAGMA busy_timeout")
    assert reader[0] == 5000


@pytest.mark.sqlite_only("SQLite's lock on the event loop's own connection")
async def test_a_locked_quick_read_is_asked_of_a_reader(tmp_path, monkeypatch) -> None:
    from codesign.store import participations

    database = Database(str(tmp_path / "q.db"))
    await database.connect()
    try:
        def locked(sql, params=()):
            raise sqlite3.OperationalError("database is locked")

        monkeypatch.setattr(database, "quick_one", locked)
        state, found = await participations.round_state_with_participation(
            database, "nowhere", None
        )
        assert (state, found) == (None, None)
    finally:
        await database.close()


@pytest.mark.sqlite_only("SQLite's writer thread")
async def test_writes_arriving_during_a_commit_go_in_the_next_one(db) -> None:
    # The writer thread takes the next batch itself, as soon as a commit is done: the
    # writes that queued meanwhile share one commit, none is lost or run twice.
    first, release = await _held_write(db, 0)
    before = db.batches
    queued = [asyncio.ensure_future(_insert(db, v)) for v in range(1, 21)]
    await asyncio.sleep(0)  # all twenty are waiting behind the slow one
    release.set()
    assert await first == 0
    assert await asyncio.gather(*queued) == list(range(1, 21))
    assert db.batches - before == 2  # the slow one's commit, then the twenty's
    rows = await db.fetch_all("SELECT v FROM t ORDER BY v")
    assert [r["v"] for r in rows] == list(range(21))


@pytest.mark.sqlite_only("SQLite's writer thread")
async def test_a_checkpoint_runs_between_batches_while_writes_go_on(db) -> None:
    writes = [asyncio.ensure_future(_insert(db, v)) for v in range(30)]
    await asyncio.gather(db.checkpoint(), *writes)
    await asyncio.gather(*(_insert(db, v) for v in range(30, 40)))
    rows = await db.fetch_all("SELECT COUNT(*) AS n FROM t")
    assert rows[0]["n"] == 40


@pytest.mark.sqlite_only("SQLite's writer thread")
async def test_writes_and_checkpoints_from_another_thread_reach_the_writer(db) -> None:
    # A CLI command or a test harness runs its own event loop in another thread.
    def elsewhere() -> int:
        async def there() -> int:
            await db.checkpoint()
            return await _insert(db, 7)

        return asyncio.run(there())

    assert await asyncio.to_thread(elsewhere) == 7
    rows = await db.fetch_all("SELECT v FROM t")
    assert [r["v"] for r in rows] == [7]


@pytest.mark.sqlite_only("SQLite's writer thread")
async def test_closing_confirms_what_was_committed_and_refuses_what_comes_after(db) -> None:
    done = await asyncio.gather(*(_insert(db, v) for v in range(5)))
    assert done == list(range(5))
    await db.close()
    with pytest.raises(RuntimeError, match="not connected"):
        await _insert(db, 99)
    await db.connect()  # the fixture closes it again
    rows = await db.fetch_all("SELECT COUNT(*) AS n FROM t")
    assert rows[0]["n"] == 5
