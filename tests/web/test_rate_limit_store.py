"""The in-memory counter store behind the rate limits: expiry and sweeping."""

from __future__ import annotations

import time

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
