"""Two people doing the same thing at the same moment: one succeeds, the other gets the
calm message; the check is the write itself, not a read before it."""

from __future__ import annotations

import asyncio

from codesign.models import StaffUser
from codesign.services.errors import BoardError
from codesign.services.steering import SteeringService
from codesign.store.board import runs as run_store
from tests.web.board.conftest import analysed

BOARD = StaffUser(id=0, email="board@example.org", role="board")
ALREADY = "The analysis is already running for this question."


def one_and_one(results: list) -> int:
    started = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, BoardError)]
    assert len(started) == 1 and len(refused) == 1, results
    assert refused[0].message == ALREADY
    return started[0]


async def test_two_analyses_started_together_make_one_run(client, board) -> None:
    service, round_, q = board["service"], board["round"], board["question"]
    results = await asyncio.gather(
        service.start_analysis(BOARD, round_, q),
        service.start_analysis(BOARD, round_, q),
        return_exceptions=True,
    )
    run_id = one_and_one(results)
    await service.wait()
    run = await run_store.run_by_id(client.app.state.db, run_id)
    assert run is not None and run.status == "done"


async def test_new_themes_in_other_and_a_restart_together_make_one_run(client, board) -> None:
    await analysed(board)
    steer = SteeringService(board["service"])
    round_, q = board["round"], board["question"]
    results = await asyncio.gather(
        steer.start_other_run(BOARD, round_, q),
        steer.start_restart(BOARD, round_, q),
        return_exceptions=True,
    )
    one_and_one(results)
    await board["service"].wait()


async def test_a_second_run_in_the_same_commit_inserts_nothing(client, board) -> None:
    """Group commit puts both writes in one transaction: the index still decides."""
    db, q = client.app.state.db, board["question"]
    first, second = await asyncio.gather(
        db.write(lambda conn: run_store.claim_run_in(conn, q, "theme", "a@example.org")),
        db.write(lambda conn: run_store.claim_run_in(conn, q, "theme", "b@example.org")),
    )
    # on PostgreSQL either may commit first: one claims the run, the other nothing
    claimed = [run for run in (first, second) if run is not None]
    assert len(claimed) == 1 and isinstance(claimed[0], int)
