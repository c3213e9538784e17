"""Kill the server mid-load and check that no acknowledged answer was lost.

    python benchmarks/kill_test.py [--kills 5] [--clients 20] [--postgres | --database-url URL]

Concurrent clients save answers (each save with its own idempotency key) to
the real app; the server is killed with SIGKILL while they do, then
restarted on the same database, several times. Every save the server
acknowledged (a 2xx answer saying x-save-result: saved: htmx gets errors as 200s)
must be in the database afterwards, and on SQLite `PRAGMA integrity_check` must say
ok. The database is a SQLite file; with --postgres a throwaway PostgreSQL cluster on
loopback; with --database-url (or CODESIGN_DATABASE_URL) that empty PostgreSQL
database, read directly afterwards. Ends with

    acknowledged=N stored=M lost=K integrity=ok|not-applicable database=sqlite|postgresql

(stored counts every save on disk, including ones whose answer never reached
the client because the kill came first.) Loopback only; bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import secrets
import signal
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._load import (  # noqa: E402
    app_command,
    app_env,
    free_port,
    participant,
    postgres_cluster,
    read_save_keys,
    start_server,
)
from benchmarks.answer_saves import saved  # noqa: E402


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
                status, answer, _ = await conn.request(
                    "POST", "/r/demo/s/1", headers, f"{prefix}words+{key}&save_key={key}".encode()
                )
            except (OSError, asyncio.IncompleteReadError, ValueError):
                return  # the server is gone: this save is unacknowledged
            if 200 <= status < 300 and saved(answer):
                acknowledged.add(key)

    async def killer() -> None:
        await asyncio.sleep(kill_after)
        server.send_signal(signal.SIGKILL)

    await asyncio.gather(killer(), *(client(*session) for session in sessions))
    server.wait(10)
    for conn, _, _ in sessions:
        await conn.close()
    return attempts


async def run(kills: int, clients: int, seed: int, db: str, database_url: str | None
              ) -> tuple[set[str], set[str], str]:
    """Everything in one event loop: the clients' connections belong to it."""
    rng = random.Random(seed)
    acknowledged: set[str] = set()
    port = free_port()
    env = app_env(database_url)
    server = start_server(app_command(db, port), port, env)
    sessions = [await participant(port) for _ in range(clients)]
    for kill in range(1, kills + 1):
        kill_after = rng.uniform(0.5, 2.0)
        attempts = await load_until_killed(port, sessions, acknowledged, kill_after, server)
        print(f"kill {kill}: SIGKILL after {kill_after:.2f} s, {attempts} saves tried, "
              f"{len(acknowledged)} acknowledged so far", flush=True)
        server = start_server(app_command(db, port), port, env)
        for conn, _, _ in sessions:
            conn.reader = conn.writer = None  # reconnect on the next request
    server.terminate()
    server.wait(10)
    stored_keys = set(await read_save_keys(database_url or db))
    if database_url:
        # The app's process died, not PostgreSQL's: its files are not at stake here.
        return acknowledged, stored_keys, "not-applicable"
    conn = sqlite3.connect(db)
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    conn.close()
    return acknowledged, stored_keys, integrity


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="SIGKILL under load; count lost saves")
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--postgres", action="store_true",
                       help="on a throwaway PostgreSQL cluster (Debian's postgresql)")
    where.add_argument("--database-url", default=os.environ.get("CODESIGN_DATABASE_URL", ""),
                       help="on this empty PostgreSQL database")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        database_url = args.database_url or None
        if args.postgres:
            database_url = stack.enter_context(postgres_cluster()).create_database("kill")
        acknowledged, stored_keys, integrity = asyncio.run(
            run(args.kills, args.clients, args.seed, str(Path(tmp) / "kill.db"), database_url)
        )
    lost = len(acknowledged - stored_keys)
    print(f"acknowledged={len(acknowledged)} stored={len(stored_keys)} lost={lost} "
          f"integrity={integrity} database={'postgresql' if database_url else 'sqlite'}")
    return 0 if lost == 0 and integrity in ("ok", "not-applicable") else 1


if __name__ == "__main__":
    raise SystemExit(main())
