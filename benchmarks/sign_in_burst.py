"""Participant pages while someone hammers the staff sign-in.

Run from the repo root: ``python benchmarks/sign_in_burst.py [--burst 150] [--pages 200]``.

Starts the demo server, then times participant section pages (GET /r/demo/s/1,
one phone, one request after another) twice in the same run: while the server is
otherwise idle, and while BURST wrong-password sign-ins for the demo board member
arrive at once from one address (and, in a second burst, from BURST addresses).
Sign-in reserves an attempt before it hashes, so only the limit's worth of
Argon2 work may run; the participant's median should stay close to idle.
Prints the medians and p95s, their ratio, and what the sign-in POSTs answered.
Compare figures within one run: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._load import (  # noqa: E402
    APP_ENV,
    Connection,
    app_command,
    client_address,
    cookie_values,
    free_port,
    participant,
    percentile,
    start_server,
)

EMAIL = "board@demo.codesign.invalid"


async def pages(conn: Connection, headers: dict[str, str], count: int) -> list[float]:
    get_headers = {"Cookie": headers["Cookie"]}
    took = []
    for _ in range(count):
        start = time.perf_counter()
        status, _h, _b = await conn.request("GET", "/r/demo/s/1", get_headers)
        took.append((time.perf_counter() - start) * 1000)
        if status != 200:
            raise RuntimeError(f"participant page answered {status}")
    return took


async def guess(port: int, source: str | None, n: int) -> int:
    conn = Connection(port, source)
    try:
        status, headers, body = await conn.request("GET", "/staff/sign-in", {})
        token = re.search(rb'name="_csrf_token" value="([^"]+)"', body).group(1).decode()
        cookies = cookie_values(headers["_cookies"])
        jar = "; ".join(f"{k}={v}" for k, v in cookies.items())
        form = f"_csrf_token={token}&email={EMAIL}&password=wrong-guess-{n}".encode()
        status, _h, _b = await conn.request(
            "POST", "/staff/sign-in",
            {"Cookie": jar, "Content-Type": "application/x-www-form-urlencoded"}, form,
        )
        return status
    finally:
        await conn.close()


async def during_burst(port: int, conn, headers, count: int, burst: int, spread: bool):
    statuses: collections.Counter[int] = collections.Counter()

    async def attack() -> None:
        sources = [client_address(1000 + i) if spread else "127.0.9.9" for i in range(burst)]
        for status in await asyncio.gather(*(guess(port, s, i) for i, s in enumerate(sources))):
            statuses[status] += 1

    attacker = asyncio.create_task(attack())
    await asyncio.sleep(0.05)  # the guesses are in flight
    took = await pages(conn, headers, count)
    await attacker
    return took, statuses


def line(name: str, took: list[float], idle: float) -> str:
    median = percentile(took, 0.5)
    return (f"{name:<34}{median:>9.1f}{percentile(took, 0.95):>9.1f}"
            f"{median / idle:>10.2f}")


async def main(burst: int, count: int) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(app_command(str(Path(tmp) / "bench.db"), port), port, APP_ENV)
        try:
            conn, headers, _field = await participant(port, client_address(1))
            await pages(conn, headers, 20)  # warm up
            idle = await pages(conn, headers, count)
            one, one_status = await during_burst(port, conn, headers, count, burst, False)
            many, many_status = await during_burst(port, conn, headers, count, burst, True)
            await conn.close()
        finally:
            server.terminate()
            server.wait(10)
    idle_median = percentile(idle, 0.5)
    print(f"participant section page, {count} requests each (ms)")
    print(f"{'':<34}{'median':>9}{'p95':>9}{'vs idle':>10}")
    print(line("idle", idle, idle_median))
    print(line(f"{burst} guesses from one address", one, idle_median))
    print(line(f"{burst} guesses from {burst} addresses", many, idle_median))
    print(f"sign-in answers, one address:   {dict(sorted(one_status.items()))}")
    print(f"sign-in answers, many addresses: {dict(sorted(many_status.items()))}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=150)
    parser.add_argument("--pages", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.burst, args.pages))
