"""From "send my answers" to the safeguarding lead's list: how long it takes.

    python benchmarks/safeguarding_latency.py [--participants 40] [--calm 4]

Starts the real site (`codesign serve --demo`, background screening on, the
embedding model where it loads) on a fresh database. Participants each write
an answer and send it; some answers may show risk, the rest are calm (so the
screening has ordinary work too). Half the risky answers are sent right after
typing (screened after sending), half after a pause (screened as drafts, queued
by the send itself). For every risky answer it measures the time from the send's
response to the item being on the lead's list (the queue table the list reads),
and prints p50 / p95 / max. The target: every one within 60 s.
Loopback only; bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote_plus

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._load import (  # noqa: E402
    APP_ENV,
    app_command,
    client_address,
    free_port,
    participant,
    percentile,
    start_server,
)

RISKY = [
    "I don't think I'll be around by the summer, I've given my things away.",
    "He keeps my wages and checks where I go, I can't say anything at home.",
    "The man from my old place knows which refuge I'm at now.",
    "I've started hurting myself again since the cuts to the service.",
    "Honestly some nights I want to kill myself.",
    "No tengo dónde dormir esta noche con mis hijos.",
    "Il me prend mon téléphone et me dit que personne ne me croira.",
    "أخاف أن يجدني في المكان الجديد، لقد عرف عنواني.",
]
CALM = [
    "Evening appointments would help me a lot.",
    "The waiting room is too cold in winter.",
    "Por favor, más citas por la tarde.",
    "Les horaires du samedi seraient pratiques.",
]
TIMEOUT = 120.0


def _on_list(db: str) -> dict[str, float]:
    """Texts of answers on the lead's list, keyed to when the check first saw them."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        rows = conn.execute(
            "SELECT a.text FROM safeguarding_items i JOIN answers a ON a.id = i.answer_id"
        ).fetchall()
    return {r[0]: time.monotonic() for r in rows}


async def one(port: int, n: int, text: str, pause: float) -> float:
    """Write `text`, wait `pause` seconds, send; returns when the send was answered."""
    conn, headers, prefix = await participant(port, client_address(n))
    key = f"k{n:06d}{random.randrange(10**9):09d}"  # noqa: S311
    body = f"{prefix}{quote_plus(text)}&save_key={key}"
    status, _, _ = await conn.request("POST", "/r/demo/s/1", headers, body.encode("utf-8"))
    if status != 200:
        raise RuntimeError(f"save answered {status}")
    if pause:
        await asyncio.sleep(pause)
        await conn.close()  # the server lets idle keep-alive connections go after 5 s
        conn.writer = None
    token = prefix.split("&", 1)[0]
    form = f"{token}&may_quote=no&action=submit".encode()
    plain = {k: v for k, v in headers.items() if k != "hx-request"}
    status, _, _ = await conn.request("POST", "/r/demo/review", plain, form)
    if status != 303:
        raise RuntimeError(f"send answered {status}")
    return time.monotonic()


async def main(participants: int, calm_every: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "latency.db")
        port = free_port()
        server = start_server(app_command(db, port), port, env=APP_ENV)
        try:
            # Let the model load once, as it would on a running site.
            await one(port, 0, "A first answer to warm up.", 0)
            await asyncio.sleep(10)
            jobs, wanted = [], []
            for n in range(1, participants + 1):
                calm = n % calm_every == 0
                base = random.choice(CALM if calm else RISKY)  # noqa: S311
                text = f"{base} ({n})"
                jobs.append(one(port, n, text, 0.0 if n % 2 else 6.0))
                wanted.append((text, not calm))
            # Watch the list while people send, so a quick arrival is timed as quick.
            seen: dict[str, float] = {}
            done = asyncio.Event()

            async def watch() -> None:
                deadline = time.monotonic() + TIMEOUT
                while time.monotonic() < deadline and not done.is_set():
                    for text, at in _on_list(db).items():
                        seen.setdefault(text, at)
                    await asyncio.sleep(0.1)

            watcher = asyncio.create_task(watch())
            sent_at = await asyncio.gather(*jobs)
            sent = {t: at for (t, risky), at in zip(wanted, sent_at, strict=True) if risky}
            deadline = time.monotonic() + TIMEOUT
            while any(t not in seen for t in sent) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            done.set()
            await watcher
            waits = [seen[t] - sent[t] for t in sent if t in seen]
            missing = [t for t in sent if t not in seen]
            calm_listed = [t for t in _on_list(db) if t not in sent]
            print(
                f"risky_sent={len(sent)} on_list={len(waits)} missing={len(missing)} "
                f"calm_on_list={len(calm_listed)} "
                f"p50={percentile(waits, 0.5):.1f}s p95={percentile(waits, 0.95):.1f}s "
                f"max={max(waits) if waits else float('nan'):.1f}s"
            )
            for text in missing:
                print(f"  not on the list (the detector missed it): {text[:60]}")
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=40)
    parser.add_argument("--calm", type=int, default=4, help="every Nth participant is calm")
    args = parser.parse_args()
    asyncio.run(main(args.participants, args.calm))
