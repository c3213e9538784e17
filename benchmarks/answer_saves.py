"""Answer-save throughput: codesign against a bare ASGI app writing the same rows.

    python benchmarks/answer_saves.py [--clients 50] [--rounds 3] [--seconds 10] [--requests 20000]
                                      [--postgres | --database-url URL]

Starts the real app (one worker, demo round; on SQLite, or with --postgres on a
throwaway PostgreSQL cluster of its own on loopback, or on the empty PostgreSQL
database of --database-url or CODESIGN_DATABASE_URL), the reference app
(benchmarks/_reference_app.py: no framework, same SQLite rows, same group
commit, synchronous=FULL) and, unless --no-floor, the framework floor
(benchmarks/_floor_app.py: Litestar with the app's middleware and a handler
that does nothing), drives each in turn with the same concurrent load
from this machine (loopback only, bounded in requests and time), and prints
saves/s, p50/p99 latency and non-2xx responses for each, ending with

    app_saves_per_s=A reference_saves_per_s=R ratio=X floor_saves_per_s=F
    app_to_floor=Y app_p99_ms=P non2xx=N database=sqlite|postgresql

The bar (issue 14): app_to_floor >= 0.5, p99 < 100 ms at 50 clients, 0 non-2xx, on
both databases. The reference app always writes SQLite (it is the no-framework
bound for SQLite); the floor touches no database. An autosave counts as failed
(non2xx) unless the app said x-save-result: saved.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._load import (  # noqa: E402
    Connection,
    app_command,
    app_env,
    client_address,
    cookie_values,
    free_port,
    participant,
    percentile,
    postgres_cluster,
    start_server,
)


async def _floor_session(port: int, n: int) -> tuple[Connection, dict[str, str], str]:
    conn = Connection(port, client_address(n))
    _, headers, _ = await conn.request("GET", "/r/demo", {})
    token = cookie_values(headers["_cookies"])["csrftoken"]
    return conn, {
        "Cookie": f"csrftoken={token}",
        "Content-Type": "application/x-www-form-urlencoded",
        "x-csrftoken": token,
        "hx-request": "true",
    }, "q2="


def saved(headers: dict[str, str]) -> bool:
    """Whether the app stored this autosave. htmx is answered 200 even for an error (the
    real status is in x-error-status), so the status alone can't say; the page's script
    shows "Saved" only for x-save-result: saved, and so the benchmark counts."""
    return headers.get("x-save-result") == "saved" and "x-error-status" not in headers


async def drive(port: int, clients: int, total: int, seconds: float, target: str) -> dict:
    sessions = []
    for n in range(clients):
        if target == "reference":
            conn = Connection(port, client_address(n))
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            prefix = f"participation={n + 1}&text="
        elif target == "floor":
            conn, headers, prefix = await _floor_session(port, n)
        else:
            conn, headers, prefix = await participant(port, client_address(n))
        sessions.append((conn, headers, prefix))
    path = "/r/demo/s/1" if target == "app" else "/save"
    latencies: list[float] = []
    failures = 0
    sent = 0
    deadline = time.monotonic() + seconds

    async def client(conn: Connection, headers: dict[str, str], prefix: str) -> None:
        nonlocal sent, failures
        while sent < total and time.monotonic() < deadline:
            sent += 1
            body = f"{prefix}answer+{sent}&save_key={secrets.token_urlsafe(18)}".encode()
            began = time.perf_counter()
            status, answer, _ = await conn.request("POST", path, headers, body)
            latencies.append(time.perf_counter() - began)
            if not 200 <= status < 300 or (target == "app" and not saved(answer)):
                failures += 1

    began = time.perf_counter()
    await asyncio.gather(*(client(*session) for session in sessions))
    elapsed = time.perf_counter() - began
    for conn, _, _ in sessions:
        await conn.close()
    return {"latencies": latencies, "elapsed": elapsed, "non2xx": failures}


def start(target: str, folder: Path, database_url: str | None = None
          ) -> tuple[subprocess.Popen, int]:
    port = free_port()
    db = str(folder / f"{target}.db")
    if target == "app":
        return start_server(app_command(db, port), port, app_env(database_url)), port
    module = f"benchmarks._{target}_app:app"
    return start_server(
        ["-m", "uvicorn", module, "--port", str(port), "--log-level", "warning",
         "--no-access-log"],
        port, {"CODESIGN_DB": db, "CODESIGN_DATABASE_URL": ""}, health="/",
    ), port


def report(target: str, rounds: list[dict], clients: int) -> dict:
    """Totals over every round of one target: saves/s over all the time it was driven."""
    latencies = [x for r in rounds for x in r["latencies"]]
    result = {
        "saves_per_s": len(latencies) / sum(r["elapsed"] for r in rounds),
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "non2xx": sum(r["non2xx"] for r in rounds),
        "requests": len(latencies),
    }
    each = " ".join(f"{len(r['latencies']) / r['elapsed']:.0f}" for r in rounds)
    print(f"{target:9} saves/s={result['saves_per_s']:8.0f}  p50={result['p50_ms']:6.1f} ms  "
          f"p99={result['p99_ms']:6.1f} ms  non2xx={result['non2xx']}  "
          f"requests={result['requests']}  clients={clients}  rounds: {each}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="answer-save throughput, app vs reference")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20000, help="per round and target")
    parser.add_argument("--seconds", type=float, default=10.0, help="per round and target")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-floor", action="store_true",
                        help="skip the framework floor (Litestar, same middleware, no work)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--postgres", action="store_true",
                       help="the app on a throwaway PostgreSQL cluster (Debian's postgresql)")
    where.add_argument("--database-url", default=os.environ.get("CODESIGN_DATABASE_URL", ""),
                       help="the app on this empty PostgreSQL database")
    args = parser.parse_args(argv)
    results: dict[str, list[dict]] = {"reference": [], "app": []}
    if not args.no_floor:
        results["floor"] = []
    with contextlib.ExitStack() as stack:
        database_url = args.database_url or None
        if args.postgres:
            database_url = stack.enter_context(postgres_cluster()).create_database("saves")
        run(args, results, database_url)
    return 0


def run(args: argparse.Namespace, results: dict[str, list[dict]],
        database_url: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        servers: dict[str, tuple[subprocess.Popen, int]] = {}
        try:
            for target in results:
                servers[target] = start(target, Path(tmp), database_url)
            for target, (_, port) in servers.items():  # warm-up, not counted
                asyncio.run(drive(port, args.clients, 200, 5, target))
            # Alternate them in short rounds, so a shared machine's slow spells
            # fall on all rather than on whichever ran last.
            for _ in range(args.rounds):
                for target, (_, port) in servers.items():
                    results[target].append(asyncio.run(
                        drive(port, args.clients, args.requests, args.seconds, target)
                    ))
        finally:
            for server, _ in servers.values():
                server.terminate()
                server.wait(10)
    reference = report("reference", results["reference"], args.clients)
    if "floor" in results:
        floor = report("floor", results["floor"], args.clients)
        print(f"floor/reference={floor['saves_per_s'] / reference['saves_per_s']:.2f}  "
              "(the most a Litestar handler behind codesign's middleware can reach)")
    app = report("app", results["app"], args.clients)
    ratio = app["saves_per_s"] / reference["saves_per_s"]
    floor_figures = ""
    if "floor" in results:
        floor_figures = (f"floor_saves_per_s={floor['saves_per_s']:.0f} "
                         f"app_to_floor={app['saves_per_s'] / floor['saves_per_s']:.2f} ")
    print(f"app_saves_per_s={app['saves_per_s']:.0f} "
          f"reference_saves_per_s={reference['saves_per_s']:.0f} ratio={ratio:.2f} "
          f"{floor_figures}app_p99_ms={app['p99_ms']:.1f} non2xx={app['non2xx']} "
          f"database={'postgresql' if database_url else 'sqlite'}")


if __name__ == "__main__":
    raise SystemExit(main())
