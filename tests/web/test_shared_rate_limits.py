"""Rate limits counted in the database: replicas that share nothing else share the limit.

Run on SQLite with the database store forced (`rate_limits="database"`): two app
instances on one database file stand for two replicas behind a load balancer.
"""

from __future__ import annotations

import re
import time
from contextlib import AsyncExitStack
from datetime import UTC, datetime

import pytest
from litestar.testing import AsyncTestClient

from codesign.services import retention
from codesign.settings import Settings, from_env
from codesign.store import counters
from codesign.store.db import Database
from codesign.web import ratelimit
from codesign.web.app import create_app
from tests.conftest import Journey

#: A whole clock minute (a multiple of 60 s since the epoch): the window starts here.
MINUTE = 1_700_000_040.0  # in November 2023: long ended
#: A whole clock minute an hour from now: the replicas' windows while they count. Each
#: app's start-up purge sweeps windows that have ended by the real clock; a window in
#: 2023 could be swept between two requests (it was, under load) and its count lost.
SOON = float((int(time.time()) // 60 + 60) * 60)
WRONG = {"code": "AAAA-BBBB-CCCC"}


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    now = [SOON]
    monkeypatch.setattr(ratelimit, "_now", lambda: now[0])
    return now


def _shared(tmp_path, **extra) -> Settings:
    return Settings(
        db_path=str(tmp_path / "shared.db"),
        background_embedding=False,
        background_screening=False,
        rate_limits="database",
        **extra,
    )


async def _two_replicas(stack: AsyncExitStack, settings: Settings) -> list[AsyncTestClient]:
    clients = []
    for _ in range(2):
        app = create_app(settings, demo=True)
        client = AsyncTestClient(app=app, base_url="http://testserver.local")
        clients.append(await stack.enter_async_context(client))
    return clients


async def test_two_replicas_share_the_code_guess_limit(tmp_path, clock) -> None:
    async with AsyncExitStack() as stack:
        first, second = [Journey(c) for c in await _two_replicas(stack, _shared(tmp_path))]
        for journey in (first, second):
            assert (await journey.get("/resume")).status_code == 200
        # Ten wrong codes a minute in all, whichever replica the balancer picks.
        statuses = []
        for n in range(10):
            statuses.append((await (first if n % 2 else second).post("/resume", WRONG)).status_code)
        assert statuses == [422] * 10
        for journey in (first, second):
            refused = await journey.post("/resume", WRONG)
            assert refused.status_code == 429
            assert "Please wait a moment" in refused.text
            assert "Wait a minute, then try again. Nothing you saved is lost." in refused.text
            assert refused.headers["retry-after"] == "60"
        # Pages stay open, and other POSTs count apart.
        assert (await second.get("/resume")).status_code == 200
        assert (await second.start()).status_code == 303
        # The next minute is a new window, on either replica.
        clock[0] = SOON + 60
        assert (await first.post("/resume", WRONG)).status_code == 422
        assert (await second.post("/resume", WRONG)).status_code == 422


async def test_two_replicas_share_the_sign_in_limit(tmp_path, clock) -> None:
    from tests.web.staff.conftest import Staff

    settings = _shared(tmp_path, sign_in_posts_per_minute=3)
    async with AsyncExitStack() as stack:
        first, second = [Staff(c) for c in await _two_replicas(stack, settings)]
        # Different unknown emails: the per-account pause never comes into it.
        codes = []
        for n, staff in enumerate((first, second, first, second)):
            response = await staff.sign_in(f"nobody{n}@example.org", "not a password at all")
            codes.append(response.status_code)
        assert codes == [422, 422, 422, 429]
        clock[0] = SOON + 60
        assert (await first.sign_in("nobody9@example.org", "still not it")).status_code == 422


async def test_counters_hold_no_address_and_are_swept(tmp_path, clock) -> None:
    async with AsyncExitStack() as stack:
        client = (await _two_replicas(stack, _shared(tmp_path)))[0]
        clock[0] = MINUTE  # a window that has ended, for the purge to drop
        journey = Journey(client)
        assert (await journey.start()).status_code == 303  # an autosave-path POST
        await journey.get("/resume")
        await journey.post("/resume", WRONG)
        db: Database = client.app.state.db
        rows = await db.fetch_all("SELECT key, window_start, count FROM rate_counters")
        assert len(rows) == 1  # the code guess; public posts still count in memory
        key, window_start, count = rows[0]
        # Litestar names the limit, then our key: a keyed hash, never the address.
        assert "testclient" not in key
        assert re.fullmatch(r"CodesLimitMiddleware::code:[0-9a-f]{32}", key)
        assert window_start == datetime.fromtimestamp(MINUTE, UTC).isoformat(
            timespec="microseconds"
        )
        assert count == 1
        # The daily purge drops windows that have ended, and nothing else.
        await counters.hit(db, "live", datetime.now(UTC).timestamp(), 60, 10)
        await retention.purge(db)
        rows = await db.fetch_all("SELECT key FROM rate_counters")
        assert [row[0] for row in rows] == ["live"]


async def test_a_full_window_refuses_without_counting(tmp_path) -> None:
    db = Database(str(tmp_path / "counters.db"))
    await db.connect()
    try:
        assert [await counters.hit(db, "k", MINUTE + 5, 60, 3) for _ in range(5)] == [
            1, 2, 3, None, None,
        ]
        assert await counters.hit(db, "other", MINUTE + 5, 60, 3) == 1
        rows = await db.fetch_all("SELECT count FROM rate_counters WHERE key = ?", ("k",))
        assert [row[0] for row in rows] == [3]
        assert await counters.hit(db, "k", MINUTE + 60, 60, 3) == 1  # a new window
        swept = await counters.sweep(db, datetime.fromtimestamp(MINUTE + 60, UTC))
        assert swept == 2  # both keys' first window ended; the new one stays
        rows = await db.fetch_all("SELECT key, count FROM rate_counters")
        assert [tuple(row) for row in rows] == [("k", 1)]
    finally:
        await db.close()


async def test_memory_counts_stay_the_default_on_sqlite(client) -> None:
    journey = Journey(client)
    await journey.get("/resume")
    for _ in range(11):
        await journey.post("/resume", WRONG)
    assert await client.app.state.db.fetch_all("SELECT key FROM rate_counters") == []


def test_a_postgresql_url_chooses_database_counts() -> None:
    assert from_env({}).rate_limits == "memory"
    assert from_env({"CODESIGN_DATABASE_URL": "postgresql://app@db/codesign"}).rate_limits == (
        "database"
    )
    assert from_env({"CODESIGN_DATABASE_URL": "postgres://db/codesign"}).rate_limits == "database"
    forced = {"CODESIGN_DATABASE_URL": "postgresql://db/x", "CODESIGN_RATE_LIMITS": "memory"}
    assert from_env(forced).rate_limits == "memory"
    assert from_env({"CODESIGN_RATE_LIMITS": "database"}).rate_limits == "database"
    with pytest.raises(ValueError, match="memory or database"):
        from_env({"CODESIGN_RATE_LIMITS": "redis"})
