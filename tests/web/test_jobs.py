"""Background work as jobs in PostgreSQL (codesign.jobs): two replicas of the app on
one database share it — a periodic tick runs on one of them, an analysis run whose
replica dies is finished by the other, and a failing run is retried, then reported.

Replicas are two apps in this process on the same database; a replica's death is
simulated by cutting its job queue off the database and cancelling its worker, so
the job it held stays "doing" under a worker whose heartbeat has stopped (what
SIGKILL leaves behind; benchmarks/replicas.py kills a real process).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from codesign import jobs as jobs_module
from codesign.demo.answers import fill_round, generate
from codesign.models import StaffUser
from codesign.services.board.service import BoardService
from codesign.store import rounds as round_store
from codesign.store.board import preparing as preparing_store
from codesign.store.board import reading as theme_store
from codesign.store.board import runs as run_store
from codesign.web.app import create_app
from tests.backends import ON_POSTGRES
from tests.web.board.helpers import TopicVectoriser

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="jobs run on PostgreSQL only (set CODESIGN_TEST_DATABASE_URL); on SQLite"
    " background work stays in the process",
)

USER = StaffUser(id=0, email="board@example.org", role="board")


@pytest.fixture(autouse=True)
def _collect_dead_replicas():
    """A dead replica's job tasks end on its ConnectionError, never read: collect them
    here, not in a later test's collection at a random moment (where Python 3.11 can
    trip over finalizers run in the middle of building an AST)."""
    yield
    gc.collect()


@pytest.fixture
def replica_settings(settings):
    """Short heartbeats and stall window, retries at once: seconds, not minutes."""
    return msgspec.structs.replace(
        settings, job_heartbeat_seconds=0.2, job_stalled_seconds=1.0, job_retry_seconds=0
    )


class HeldBoard(BoardService):
    """A board service whose runs stop at their first step until released (or killed)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def prepare(self, question_id, run_id=None):
        self.entered.set()
        await self.release.wait()
        await super().prepare(question_id, run_id)


class BrokenBoard(BoardService):
    """A board service whose every run fails."""

    attempts = 0

    async def prepare(self, question_id, run_id=None):
        type(self).attempts += 1
        raise RuntimeError("the analysis broke")


async def _fill(app) -> tuple[object, int]:
    db = app.state.db
    vectoriser = TopicVectoriser()
    app.state.board = BoardService(db, lambda: vectoriser)
    round_ = await round_store.load_round(db, "demo")
    section = round_.sections[0]
    question = section.questions[1].id
    await fill_round(
        db, round_, generate(40, seed=3), question_id=question, agreement_id=section.questions[0].id
    )
    while await app.state.safeguarding.screen_step(100):  # as the site does within seconds
        pass
    return round_, question


def _use_board(app, service: BoardService) -> BoardService:
    """The replica's board service, with runs deferred to the replica's job queue."""
    service.jobs = app.state.jobs
    app.state.board = service
    return service


async def _die(app) -> None:
    """The replica stops as a killed process does: nothing more reaches the database
    from its job queue (no heartbeat, no "failed" or "retry" for the job it held)."""
    queue = app.state.jobs

    async def gone(*args, **kwargs):
        raise ConnectionError("this replica is gone")

    for name in ("execute_query_async", "execute_query_one_async", "execute_query_all_async"):
        setattr(queue.app.connector, name, gone)
    worker, queue._worker = queue._worker, None
    worker.cancel()
    with contextlib.suppress(BaseException):
        await worker


async def _job_rows(db, task: str) -> list:
    return await db.fetch_all(
        "SELECT id, status, attempts FROM procrastinate_jobs WHERE task_name = ? ORDER BY id",
        (task,),
    )


async def test_a_periodic_tick_runs_on_one_replica_not_on_both(replica_settings) -> None:
    settings = msgspec.structs.replace(
        replica_settings, background_screening=True, screening_interval=1.0
    )
    a, b = create_app(settings, demo=True), create_app(settings, demo=True)
    async with AsyncTestClient(app=a), AsyncTestClient(app=b):
        assert a.state.db.dialect == "postgresql"
        assert a.state.board.jobs is a.state.jobs  # runs are jobs here
        started = time.monotonic()
        while time.monotonic() - started < 15:
            ticks = [t for t in a.state.jobs.ticks + b.state.jobs.ticks if t[0] == "screen"]
            if len({stamp for _, stamp in ticks}) >= 4:
                break
            await asyncio.sleep(0.2)
        seen = [stamp for _, stamp in ticks]
        assert len(set(seen)) >= 4, ticks
        assert len(seen) == len(set(seen)), f"a tick ran on both replicas: {ticks}"
        # the purge each replica asks for at start is one job at a time, never two at once
        purges = [t for t in a.state.jobs.ticks + b.state.jobs.ticks if t[0] == "purge"]
        assert purges


async def test_a_run_whose_replica_dies_is_finished_by_the_other(replica_settings) -> None:
    a = create_app(replica_settings, demo=True)
    b = create_app(replica_settings, demo=True)
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(AsyncTestClient(app=a))
        round_, question = await _fill(a)
        vectoriser = TopicVectoriser()
        held = _use_board(a, HeldBoard(a.state.db, lambda: vectoriser))
        run_id = await held.start_analysis(USER, round_, question)
        await asyncio.wait_for(held.entered.wait(), 20)  # replica A's worker took the run
        [job] = await _job_rows(a.state.db, "analysis_run")
        assert job["status"] == "doing"
        assert (await run_store.run_by_id(a.state.db, run_id)).status == "running"

        await stack.enter_async_context(AsyncTestClient(app=b))
        other = TopicVectoriser()
        _use_board(b, BoardService(b.state.db, lambda: other))
        await _die(a)

        await b.state.jobs.wait_for_run(run_id, timeout=40)
        run = await run_store.run_by_id(b.state.db, run_id)
        assert run.status == "done", run
        assert await theme_store.themes_for(b.state.db, question)
        assert other.embedded, "replica B did the work"
        assert not held.release.is_set()  # replica A never went on
        # the job finished on B (a job that succeeds is deleted)
        assert await _job_rows(b.state.db, "analysis_run") == []
        held.release.set()


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_a_failing_run_is_retried_then_reported(replica_settings) -> None:
    app = create_app(replica_settings, demo=True)
    async with AsyncTestClient(app=app):
        round_, question = await _fill(app)
        BrokenBoard.attempts = 0
        broken = _use_board(app, BrokenBoard(app.state.db, TopicVectoriser))
        said = _Records()
        logging.getLogger("codesign.jobs").addHandler(said)
        try:
            run = await asyncio.wait_for(broken.run_analysis(USER, round_, question), 40)
        finally:
            logging.getLogger("codesign.jobs").removeHandler(said)
        assert run.status == "failed"
        assert run.error == "RuntimeError"
        assert BrokenBoard.attempts == jobs_module.RUN_RETRIES + 1
        # kept as failed in the queue after its three attempts: not lost silently
        deadline = time.monotonic() + 10
        while True:
            rows = await _job_rows(app.state.db, "analysis_run")
            if rows and rows[0]["status"] == "failed" or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        assert [(r["status"], r["attempts"]) for r in rows] == [
            ("failed", jobs_module.RUN_RETRIES + 1)
        ]
        assert any(
            r.levelno == logging.ERROR
            and f"analysis run {run.id} failed for good" in r.getMessage()
            for r in said.records
        )


async def test_the_embed_job_prepares_and_embeds_new_answers(replica_settings, monkeypatch) -> None:
    monkeypatch.setattr(jobs_module, "EMBED_EVERY", 1)
    settings = msgspec.structs.replace(replica_settings, background_embedding=True)
    app = create_app(settings, demo=True)
    async with AsyncTestClient(app=app):
        assert getattr(app.state, "embed_task", None) is None  # not a task of this process
        vectoriser = TopicVectoriser()
        app.state.board = BoardService(app.state.db, lambda: vectoriser)
        round_ = await round_store.load_round(app.state.db, "demo")
        question = round_.sections[0].questions[1].id
        await fill_round(app.state.db, round_, generate(12, seed=3), question_id=question)
        for _ in range(150):
            pending = await preparing_store.unembedded_answers(app.state.db, vectoriser.name, 100)
            if not pending and len(vectoriser.embedded) >= 5:
                break
            await asyncio.sleep(0.1)
        assert not await preparing_store.unembedded_answers(app.state.db, vectoriser.name, 100)
        assert any(name == "embed" for name, _ in app.state.jobs.ticks)


async def test_notices_are_a_job_only_when_smtp_is_configured(replica_settings) -> None:
    configured = msgspec.structs.replace(
        replica_settings, smtp_host="127.0.0.1", smtp_port=2525, smtp_security="none"
    )
    async with AsyncTestClient(app=create_app(configured)) as running:
        assert "notify" in running.app.state.jobs.app.tasks
        assert getattr(running.app.state, "notify_task", None) is None
    async with AsyncTestClient(app=create_app(replica_settings)) as running:
        tasks = running.app.state.jobs.app.tasks
        assert "notify" not in tasks and "embed" not in tasks and "screen" not in tasks
        assert {"purge", "analysis_run", "retry_stalled_jobs"} <= set(tasks)


async def test_a_tick_held_by_a_dead_replica_does_not_hold_back_later_ticks(
    replica_settings,
) -> None:
    settings = msgspec.structs.replace(
        replica_settings, background_screening=True, screening_interval=1.0
    )
    a, b = create_app(settings, demo=True), create_app(settings, demo=True)
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(AsyncTestClient(app=a))
        holding = asyncio.Event()

        async def held_step(batch):  # replica A's screening never comes back
            holding.set()
            await asyncio.Event().wait()

        a.state.safeguarding.screen_step = held_step
        await asyncio.wait_for(holding.wait(), 20)
        await stack.enter_async_context(AsyncTestClient(app=b))
        await _die(a)
        died = int(time.time())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            later = [t for name, t in b.state.jobs.ticks if name == "screen" and t > died]
            if len(later) >= 2:
                break
            await asyncio.sleep(0.2)
        assert len(later) >= 2, b.state.jobs.ticks
        [held] = await a.state.db.fetch_all(
            "SELECT status FROM procrastinate_jobs WHERE task_name = 'screen'"
            " AND status NOT IN ('todo', 'doing')"
        )
        assert held["status"] == "aborted"
