"""Render time of the board's theme list and a theme page for a round with 10,000 answers.

    python benchmarks/board_pages.py [--answers 10000] [--repeat 30] [--model]

Fills a fresh round (temporary SQLite file) with generated answers in four
languages, themes them (by default with a fast stand-in vectoriser; `--model`
uses the real default model, which takes minutes for 10,000 new texts), then
requests the theme list and the largest theme's page as a signed-in board
member through the whole app (guards, session, database, templates, audit
log). Prints median and p95 in milliseconds; target p95 < 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from litestar.testing import AsyncTestClient  # noqa: E402

from codesign.analysis import default_vectoriser  # noqa: E402
from codesign.demo.answers import fill_round, generate  # noqa: E402
from codesign.models import StaffUser  # noqa: E402
from codesign.services.board.service import BoardService  # noqa: E402
from codesign.settings import Settings  # noqa: E402
from codesign.store import rounds as round_store  # noqa: E402
from codesign.store import users as user_store  # noqa: E402
from codesign.store.board import reading as theme_store  # noqa: E402
from codesign.web.app import create_app  # noqa: E402
from codesign.web.staff.common import service_for_app  # noqa: E402
from tests.web.board.helpers import TopicVectoriser  # noqa: E402

PASSWORD = "a calm long passphrase for the benchmark"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


async def main(n: int, repeat: int, model: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(db_path=str(Path(tmp) / "bench.db")), demo=True)
        async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
            db = app.state.db
            vectoriser = default_vectoriser() if model else TopicVectoriser()
            board = BoardService(db, lambda: vectoriser)
            app.state.board = board
            round_ = await round_store.load_round(db, "demo")
            section = round_.sections[0]
            agreement, question = section.questions[0].id, section.questions[1].id
            answers = generate(n, seed=1)
            t0 = time.perf_counter()
            chunks = [answers[i::50] for i in range(50)]
            await asyncio.gather(
                *[
                    fill_round(db, round_, c, question_id=question, agreement_id=agreement)
                    for c in chunks
                ]
            )
            print(f"filled {n} answers in {time.perf_counter() - t0:.1f} s")
            t0 = time.perf_counter()
            user = StaffUser(id=0, email="bench@example.org", role="board")
            run = await board.run_analysis(user, round_, question)
            themes = await theme_store.themes_for(db, question)
            print(
                f"themed in {time.perf_counter() - t0:.1f} s: {run.status}, {len(themes)} themes,"
                f" largest {themes[0].size} answers ({vectoriser.name})"
            )
            accounts = await service_for_app(app)
            member = await accounts.create_user("bench@example.org", "board", PASSWORD)
            await user_store.add_member(db, round_.id, member.id)
            await client.get("/staff/sign-in")
            token = client.cookies.get("csrftoken")
            signed = await client.post(
                "/staff/sign-in",
                data={"email": "bench@example.org", "password": PASSWORD, "_csrf_token": token},
                headers={"x-csrftoken": token},
            )
            assert signed.status_code in (200, 303), signed.status_code
            base = f"/staff/rounds/{round_.id}/board"
            for label, path in (
                ("theme list", f"{base}/q/{question}"),
                ("theme page (largest)", f"{base}/themes/{themes[0].id}"),
                ("theme page (median)", f"{base}/themes/{themes[len(themes) // 2].id}"),
            ):
                times = []
                for _ in range(repeat + 2):
                    t = time.perf_counter()
                    response = await client.get(path)
                    times.append((time.perf_counter() - t) * 1000)
                    assert response.status_code == 200, (path, response.status_code)
                times = times[2:]  # warm-up
                print(
                    f"{label}: median {statistics.median(times):.1f} ms,"
                    f" p95 {p95(times):.1f} ms ({len(response.content) // 1024} KB)"
                )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--model", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.answers, args.repeat, args.model))
