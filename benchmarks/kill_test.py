"""Kill the server mid-load and check that no acknowledged answer was lost.

    python benchmarks/kill_test.py [--kills 5] [--clients 20]

Concurrent clients save answers (each save with its own idempotency key) to
the real app; the server is killed with SIGKILL while they do, then
restarted on the same database, several times. Every save the server
acknowledged (a 2xx answer) must be in the database afterwards, and
`PRAGMA integrity_check` must say ok. Ends with

    acknowledged=N stored=M lost=K integrity=ok

(stored counts every save on disk, including ones whose answer never reached
the client because the kill came first.) Loopback only; bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import signal
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._load import APP_ENV, app_command, free_port, participant, start_server  # noqa: E402


async def load_until_killed(port: int, sessions: list, acknowledged: set[str],
                            kill_after: float, server) -> int:
    """Clients save until the server dies; returns the number of saves attempted."""
    attempts = 0
    stop_at = time.monotonic() + kill_after + 5

    async def client(conn, headers, prefix) -> None:
        nonlocal attempts
        while time.monotonic() < stop_at:
            key = secrets.token_urlsafe(18)
            attempts += 1
            try:
                status, _, _ = await conn.request(
                    "POST", "/r/demo/s/1", headers, f"{prefix}words+{key}&save_key={key}".encode()
                )
            except (OSError, asyncio.IncompleteReadError, ValueError):
                return  # the server is gone: this save is unacknowledged
            if 200 <= status < 300:
                acknowledged.add(key)

    async def killer() -> None:
        await asyncio.sleep(kill_after)
        server.send_signal(signal.SIGKILL)

    await asyncio.gather(killer(), *(client(*session) for session in sessions))
    server.wait(10)
    for conn, _, _ in sessions:
        await conn.close()
    return attempts


async def run(kills: int, clients: int, seed: int, db: str) -> tuple[set[str], set[str], str]:
    """Everything in one event loop: the clients' connections belong to it."""
    rng = random.Random(seed)
    acknowledged: set[str] = set()
    port = free_port()
    server = start_server(app_command(db, port), port, APP_ENV)
    sessions = [await participant(port) for _ in range(clients)]
    for kill in range(1, kills + 1):
        kill_after = rng.uniform(0.5, 2.0)
        attempts = await load_until_killed(port, sessions, acknowledged, kill_after, server)
        print(f"kill {kill}: SIGKILL after {kill_after:.2f} s, {attempts} saves tried, "
              f"{len(acknowledged)} acknowledged so far", flush=True)
        server = start_server(app_command(db, port), port, APP_ENV)
        for conn, _, _ in sessions:
            conn.reader = conn.writer = None  # reconnect on the next request
    server.terminate()
    server.wait(10)
    conn = sqlite3.connect(db)
    stored_keys = {row[0] for row in conn.execute("SELECT idempotency_key FROM answer_saves")}
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    conn.close()
    return acknowledged, stored_keys, integrity


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="SIGKILL under load; count lost saves")
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        acknowledged, stored_keys, integrity = asyncio.run(
            run(args.kills, args.clients, args.seed, str(Path(tmp) / "kill.db"))
        )
    lost = len(acknowledged - stored_keys)
    print(f"acknowledged={len(acknowledged)} stored={len(stored_keys)} lost={lost} "
          f"integrity={integrity}")
    return 0 if lost == 0 and integrity == "ok" else 1


if __name__ == "__main__":
    raise SystemExit(main())
