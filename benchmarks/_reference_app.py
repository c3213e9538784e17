"""The reference for answer_saves.py: a bare ASGI app writing the same rows.

No framework: it parses the form, then writes the same answer and idempotency
rows through the same group-commit writer with the same durability
(WAL, synchronous=FULL) as codesign. Run by the benchmark, not by hand:

    python -m uvicorn benchmarks._reference_app:app --port P   (CODESIGN_DB=...)
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs

from codesign.demo.round import build_demo_round
from codesign.models import AnswerInput
from codesign.store import participations
from codesign.store import rounds as round_store
from codesign.store.db import Database

DB = Database(os.environ.get("CODESIGN_DB", "reference.db"))
CLIENTS = 200
QUESTION_ID = 2  # the demo round's first written question


async def _startup() -> None:
    await DB.connect()
    if not await round_store.round_exists(DB, "demo"):
        await round_store.create_round(DB, build_demo_round())
    for n in range(1, CLIENTS + 1):
        await participations.start(DB, 1, f"reference-{n:04d}", f"pub-{n:04d}", "en", False)


async def app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await _startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await DB.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["method"] == "POST":
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        await participations.save_answers(
            DB, int(form["participation"]), [AnswerInput(QUESTION_ID, text=form["text"])],
            "en", save_key=form["save_key"],
        )
        payload = b"saved"
    else:
        payload = b"ok"
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"),
                            (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
