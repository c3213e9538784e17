"""The in-memory counter store behind the rate limits: expiry and sweeping."""

from __future__ import annotations

import time

import pytest

from codesign.web import ratelimit
from codesign.web.ratelimit import CounterStore


async def test_values_expire_and_can_be_renewed(monkeypatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    store = CounterStore()
    await store.set("a", "history", expires_in=60)
    await store.set("forever", b"kept")
    assert await store.get("a") == b"history"
    assert await store.expires_in("a") == 60
    now[0] += 59
    assert await store.get("a", renew_for=60) == b"history"
    now[0] += 59
    assert await store.exists("a")  # renewed a minute from the last read
    now[0] += 2
    assert await store.get("a") is None
    assert not await store.exists("a")
    assert await store.get("forever") == b"kept"
    assert await store.expires_in("forever") is None
    await store.delete("forever")
    assert await store.get("forever") is None


async def test_many_addresses_do_not_pile_up(monkeypatch) -> None:
    now = [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    monkeypatch.setattr(ratelimit, "SWEEP_AT", 100)
    store = CounterStore()
    for n in range(100):
        await store.set(f"old-{n}", b"1", expires_in=60)
    now[0] += 61
    await store.set("new", b"1", expires_in=60)
    assert len(store._values) == 1
    assert await store.get("new") == b"1"


async def test_the_sweep_drops_expired_keys_in_place(monkeypatch) -> None:
    # Only expired keys go, from the oldest end; the rest stay where they are, and the
    # store is never rebuilt (a copy of every key per new address was quadratic).
    now = [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    monkeypatch.setattr(ratelimit, "SWEEP_AT", 4)
    store = CounterStore()
    values = store._values
    await store.set("forever", b"kept")
    for n in range(3):
        await store.set(f"old-{n}", b"1", expires_in=60)
    now[0] += 30
    await store.set("old-1", b"2", expires_in=60)  # set again: lives a minute from now
    await store.set("young", b"1", expires_in=60)
    assert set(values) == {"forever", "old-0", "old-1", "old-2", "young"}  # nothing expired
    now[0] += 31
    await store.set("new", b"1", expires_in=60)
    assert store._values is values
    assert list(values) == ["old-1", "young", "forever", "new"]
    assert await store.get("old-1") == b"2" and await store.get("forever") == b"kept"


async def test_a_window_is_a_count_and_ends_on_time(monkeypatch) -> None:
    from litestar.exceptions import TooManyRequestsException
    from litestar.middleware.rate_limit import RateLimitConfig

    clock = [1000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    config = RateLimitConfig(rate_limit=("minute", 2), set_rate_limit_headers=False)
    middleware = ratelimit._middleware("posts")(None, config)
    store = CounterStore()
    await middleware._count("k", store)
    await middleware._count("k", store)
    assert await store.get("k") == b"2 1060"
    with pytest.raises(TooManyRequestsException):
        await middleware._count("k", store)
    await middleware._count("other", store)  # another address has its own window
    clock[0] = 1060.0
    await middleware._count("k", store)  # a new minute
    assert await store.get("k") == b"1 1120"
