"""Background work on PostgreSQL as jobs that any replica's worker can claim.

On SQLite (one process) background work stays what it was: asyncio tasks of the
app (codesign.web.app), analysis runs as tasks of the board service. With several
replicas on one PostgreSQL database that breaks twice over: every replica would
embed, screen, notify and purge at once, and an analysis run dies with the replica
that started it. Here each of them is a job in the same database, claimed by one
replica's worker (`FOR UPDATE SKIP LOCKED`), so:

- periodic work (embedding new answers, risk screening, safeguarding notices, the
  daily purge) is deferred once per tick by whichever replica's periodic deferrer
  gets there first (a unique row per task and tick), and runs on one replica; a
  `queueing_lock` keeps at most one tick waiting and a `lock` at most one running;
- an analysis run is a job deferred when the board starts a run, run by whichever
  worker claims it. Workers write a heartbeat; a job held by a worker whose
  heartbeat stopped (its replica died) is put back in the queue by the
  stalled-job sweep (itself a periodic job) and run again by another replica. A run
  is safe to run again: its row stays "running" until the one write that saves its
  themes also marks it done, so a second attempt starts over cleanly, and an
  attempt that finds the run done or failed does nothing. A periodic tick held by a
  dead worker is ended as aborted instead (the next tick does its work; its lock
  would otherwise hold every later tick back);
- a job that fails is retried (`RUN_RETRIES` times) and then kept as failed in
  `procrastinate_jobs`, logged at ERROR, and its run shown as failed on the page.

The library is procrastinate (3.10): a job queue built on PostgreSQL alone (no
broker to run beside it), with periodic tasks deferred through a unique row per
task and tick, locks and queueing locks, retries, worker heartbeats with a query
for the jobs of stalled workers, LISTEN/NOTIFY wake-ups, and an asyncio worker
that runs inside our own event loop (the Litestar lifespan starts and stops it).
SAQ was the other candidate; its PostgreSQL broker is the newer of its two (Redis
was first), and procrastinate's heartbeat-based stalled-job query and per-tick
deferral are exactly the two things several replicas need here.

procrastinate talks to PostgreSQL through psycopg 3, a second driver beside the
store's asyncpg. That is acceptable: it opens its own small pool (a few
connections per replica, plus one that LISTENs), touches only its own tables, and
never shares a transaction with the store, so the two drivers never meet. The cost
is one more dependency in the `postgresql` extra, not a second code path in the
store. Its tables are created in the same database, by `codesign.store.job_schema` under
the advisory lock the app's migrations take (codesign.store.postgres).

Timing (`CODESIGN_JOB_HEARTBEAT_SECONDS`, `CODESIGN_JOB_STALLED_SECONDS`): workers
beat every 10 s and a job is taken back 60 s after its worker's last beat. A
shorter window picks a dead replica's run up sooner but risks taking a run from a
replica that is only slow (an event loop held up longer than the window); running
it twice is harmless but wasteful. Tests use 0.2 s and 1 s.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from codesign.services.board.service import BoardService
    from codesign.services.mail import Mailer
    from codesign.services.safeguarding import SafeguardingService
    from codesign.store.db import Database

try:
    import procrastinate
    from procrastinate import exceptions as job_errors
    from procrastinate.job_context import JobContext
except ImportError:  # the postgresql extra is not installed
    procrastinate = None  # type: ignore[assignment]

log = logging.getLogger("codesign.jobs")
# procrastinate logs every job start and end at INFO: with ticks every few seconds on
# each replica that buries the app's own log. Warnings and errors still show.
logging.getLogger("procrastinate").setLevel(logging.WARNING)

#: How many times a failing analysis run is tried again before it is failed for good.
RUN_RETRIES = 2
#: Jobs one replica's worker runs at once (the CPU work is in threads, one model).
CONCURRENCY = 4
#: Seconds a stopping replica waits for its jobs before handing them back to the queue.
SHUTDOWN_GRACE = 5.0
#: A periodic step gives the worker back after this long even with a backlog left
#: (the next tick goes on); a backlog never holds a slot for ever.
STEP_BUDGET = 20.0
#: The daily purge's tick (UTC), besides the one each replica asks for at start.
PURGE_CRON = "17 3 * * *"
NOTIFY_EVERY = 30
EMBED_EVERY = 5
#: Runs still "running" are looked at this often by `wait_for_run`.
WAIT_POLL = 0.1

_MISSING = (
    "background jobs on PostgreSQL need procrastinate: install codesign[postgresql]"
    " (pip install 'codesign[postgresql]')"
)


def available() -> bool:
    return procrastinate is not None


# The queue -----------------------------------------------------------------------


def _every(seconds: float) -> str:
    """A cron (seconds first-class, as procrastinate reads six fields) for "every
    `seconds`", rounded to a divisor of 60 so the ticks stay evenly spaced."""
    whole = max(1, int(round(seconds)))
    if whole >= 60:
        return f"*/{min(59, whole // 60)} * * * *"
    step = next(d for d in (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30) if d >= whole)
    return f"* * * * * */{step}"


class Jobs:
    """One replica's part of the job queue: the tasks it can run, its worker, and the
    way the board defers runs to it. Built by the app on PostgreSQL only."""

    def __init__(
        self,
        db: Database,
        *,
        board: Callable[[], BoardService],
        safeguarding: Callable[[], SafeguardingService],
        embedding: bool = True,
        screening: bool = True,
        screening_interval: float = 2.0,
        notify: tuple[Mailer, Callable[[int], str], timedelta] | None = None,
        heartbeat: float = 10.0,
        stalled_after: float = 60.0,
        retry_wait: int = 5,
        name: str = "codesign",
    ) -> None:
        if procrastinate is None:
            raise RuntimeError(_MISSING)
        self.db = db
        self._board = board
        self._safeguarding = safeguarding
        self.heartbeat = heartbeat
        self.stalled_after = stalled_after
        self.name = name
        #: Which process this is, in the log lines that say where a run's attempt ran.
        self.replica = f"{socket.gethostname()}:{os.getpid()}"
        #: (task, tick) of every periodic step this replica ran: what it did, for tests
        #: and for anyone watching which replica took a tick.
        self.ticks: list[tuple[str, int]] = []
        self._worker: asyncio.Task[None] | None = None
        self._embedding_broken = False
        self.app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(
                conninfo=db.url,
                min_size=1,
                max_size=CONCURRENCY + 2,
                kwargs={"application_name": f"{name}-jobs"},
            )
        )
        app = self.app

        @app.task(
            name="analysis_run",
            pass_context=True,
            retry=procrastinate.RetryStrategy(max_attempts=RUN_RETRIES, wait=retry_wait),
        )
        async def analysis_run(
            context: JobContext,
            run_id: int,
            kind: str,
            question_id: int,
            slug: str,
            entry: dict[str, Any] | None = None,
        ) -> str:
            final = context.job.attempts >= RUN_RETRIES
            log.info(
                "analysis run %s: job %s, attempt %s, on %s",
                run_id,
                context.job.id,
                context.job.attempts + 1,
                self.replica,
            )
            return await self._run(run_id, kind, question_id, slug, entry, final)

        self._analysis_run = analysis_run

        def periodic(name: str, cron: str, step: Callable[[], Awaitable[Any]]) -> None:
            async def tick(timestamp: int) -> None:
                self.ticks.append((name, timestamp))
                await step()

            tick.__name__ = name
            task = app.task(name=name, queueing_lock=name, lock=name)(tick)
            app.periodic(cron=cron, periodic_id=name)(task)

        self._purge_task = None
        periodic("purge", PURGE_CRON, self._purge)
        self._purge_task = app.tasks["purge"]
        if embedding:
            periodic("embed", _every(EMBED_EVERY), self._embed)
        if screening:
            periodic("screen", _every(screening_interval), self._screen)
        if notify is not None:
            mailer, link, escalate_after = notify

            async def notify_step() -> None:
                await self._safeguarding().notify_step(mailer, link, escalate_after)

            periodic("notify", _every(NOTIFY_EVERY), notify_step)

        # The sweep that hands a dead replica's jobs to the living: no `lock` (a sweep
        # held by a dead worker must not block the next one), a queueing lock only.
        @app.periodic(cron=_every(max(1.0, stalled_after / 2)), periodic_id="stalled")
        @app.task(name="retry_stalled_jobs", queueing_lock="retry_stalled_jobs")
        async def retry_stalled_jobs(timestamp: int) -> int:
            return await self.retry_stalled()

    # Lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        """Open the queue's connections and start this replica's worker; ask for a
        purge now (the queueing lock folds replicas starting together into one)."""
        await self.app.open_async()
        try:
            await self._purge_task.defer_async(timestamp=int(time.time()))
        except job_errors.AlreadyEnqueued:
            pass
        self._worker = asyncio.create_task(
            self.app.run_worker_async(
                name=self.name,
                concurrency=CONCURRENCY,
                install_signal_handlers=False,
                update_heartbeat_interval=self.heartbeat,
                stalled_worker_timeout=self.stalled_after,
                shutdown_graceful_timeout=SHUTDOWN_GRACE,
                # New jobs wake the worker at once (LISTEN/NOTIFY); a job put back by the
                # stalled sweep or waiting for its retry is found by polling, this often.
                fetch_job_polling_interval=min(5.0, max(0.5, self.heartbeat)),
                delete_jobs="successful",
            ),
            name=f"{self.name}-worker",
        )

    async def stop(self) -> None:
        """Stop the worker cleanly: running jobs get SHUTDOWN_GRACE seconds, then are
        handed back to the queue for another replica; then close the connections."""
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.cancel()
            try:
                await worker
            except (asyncio.CancelledError, Exception):  # noqa: S110 - stopping anyway
                pass
        await self.app.close_async()

    # Analysis runs --------------------------------------------------------------

    async def defer_run(
        self,
        run_id: int,
        kind: str,
        question_id: int,
        slug: str,
        entry: dict[str, Any] | None = None,
    ) -> int:
        """Queue a run the board has claimed (its row is "running"); returns the job id."""
        return await self._analysis_run.defer_async(
            run_id=run_id, kind=kind, question_id=question_id, slug=slug, entry=entry
        )

    async def wait_for_run(self, run_id: int, timeout: float | None = None) -> None:
        """Until the run is no longer running, on whichever replica it ran."""
        from codesign.store.board import runs as run_store

        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            run = await run_store.run_by_id(self.db, run_id)
            if run is None or run.status != "running":
                return
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"run {run_id} still running")
            await asyncio.sleep(WAIT_POLL)

    async def _run(
        self,
        run_id: int,
        kind: str,
        question_id: int,
        slug: str,
        entry: dict[str, Any] | None,
        final: bool,
    ) -> str:
        from codesign.services.steering import SteeringService
        from codesign.store import rounds as round_store
        from codesign.store import steering as steering_store
        from codesign.store.board import runs as run_store

        board = self._board()
        run = await run_store.run_by_id(self.db, run_id)
        if run is None or run.status != "running":
            # done (an earlier attempt saved it) or failed: nothing left to do
            return f"run {run_id} already {run.status if run else 'gone'}"
        round_ = await round_store.load_round(self.db, slug)
        if round_ is None:
            await run_store.fail_run(self.db, run_id, "RoundGone")
            return f"run {run_id}: round gone"
        try:
            if kind in ("theme", "assign"):
                await board._analyse(run_id, question_id, kind, round_.default_locale)
                await board.after_run(question_id)
            elif kind == "other":
                await SteeringService(board)._theme_other(run_id, round_, question_id)
            elif kind == "restart":
                await SteeringService(board)._restart(
                    run_id, round_, question_id, steering_store.Entry(**(entry or {}))
                )
            else:
                raise ValueError(f"unknown run kind {kind!r}")
        except Exception as exc:
            if final:  # no attempt left: the page says so calmly, the job stays failed
                log.exception("analysis run %s failed for good", run_id)
                await run_store.fail_run(self.db, run_id, type(exc).__name__)
            else:
                log.warning("analysis run %s failed; trying again", run_id, exc_info=True)
            raise
        return f"run {run_id} done"

    # Periodic steps -------------------------------------------------------------

    async def _purge(self) -> None:
        from codesign.services.retention import purge

        await purge(self.db)

    async def _embed(self) -> None:
        from codesign.services.board.background import BACKGROUND_BATCH

        if self._embedding_broken:  # this replica's model can't load; runs embed for themselves
            return
        until = time.monotonic() + STEP_BUDGET
        try:
            while (
                await self._board().background_step(BACKGROUND_BATCH) >= BACKGROUND_BATCH
                and time.monotonic() < until
            ):
                await asyncio.sleep(0.05)
        except (ImportError, OSError, RuntimeError):
            log.warning("background embedding stopped: the model could not load", exc_info=True)
            self._embedding_broken = True

    async def _screen(self) -> None:
        from codesign.services.safeguarding import SCREEN_BATCH

        until = time.monotonic() + STEP_BUDGET
        while (
            await self._safeguarding().screen_step(SCREEN_BATCH) >= SCREEN_BATCH
            and time.monotonic() < until
        ):
            await asyncio.sleep(0.01)

    async def retry_stalled(self) -> int:
        """Hand on the jobs held by workers whose heartbeat stopped: an analysis run is
        queued again; a periodic tick is ended as aborted (the next tick does its work,
        and its lock must not hold every later tick back)."""
        manager = self.app.job_manager
        stalled = await manager.get_stalled_jobs(seconds_since_heartbeat=self.stalled_after)
        count = 0
        for job in stalled:
            try:
                if job.task_name == "analysis_run":
                    await manager.retry_job(job)
                    said = "queued again"
                else:
                    await manager.finish_job(
                        job, status=procrastinate.jobs.Status.ABORTED, delete_job=False
                    )
                    said = "ended; the next tick does its work"
            except Exception:  # another replica's sweep took it first
                log.debug("stalled job %s not handed on", job.id, exc_info=True)
                continue
            log.warning("job %s (%s) of a stopped worker %s", job.id, job.task_name, said)
            count += 1
        return count
