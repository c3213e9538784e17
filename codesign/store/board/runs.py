"""Analysis runs: at most one running per question; progress kept for any replica to show."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from codesign.models import Run
from codesign.store.db import Database, WriteConnection, from_db_time, to_db_time, utcnow


def _run(row: sqlite3.Row) -> Run:
    return Run(
        id=row["id"],
        question_id=row["question_id"],
        kind=row["kind"],
        status=row["status"],
        progress=row["progress"],
        stage=row["stage"],
        started_by=row["started_by"],
        started_at=from_db_time(row["started_at"]),
        finished_at=from_db_time(row["finished_at"]),
        vectoriser=row["vectoriser"],
        n=row["n"],
        k=row["k"],
        quality=row["quality"],
        language_means=json.loads(row["language_means"] or "{}"),
        other_threshold=row["other_threshold"],
        error=row["error"],
    )


async def claim_run_in(
    conn: WriteConnection, question_id: int, kind: str, who: str, mode: str = ""
) -> int | None:
    """Inside a write: a new running run; None when one is already running for this
    question. The one-running-run index decides in the insert itself, so two replicas
    starting together get one run and one None, never an error or two runs."""
    async with conn.execute(
        "INSERT INTO analysis_runs (question_id, kind, mode, status, started_by, started_at)"
        " VALUES (?, ?, ?, 'running', ?, ?)"
        " ON CONFLICT (question_id) WHERE status = 'running' DO NOTHING RETURNING id",
        (question_id, kind, mode, who, to_db_time(utcnow())),
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else int(row[0])


async def update_run(db: Database, run_id: int, progress: int, stage: str) -> None:
    async def work(conn: WriteConnection) -> None:
        await conn.execute(
            "UPDATE analysis_runs SET progress = ?, stage = ? WHERE id = ? AND status = 'running'",
            (progress, stage, run_id),
        )

    await db.write(work)


async def fail_run(db: Database, run_id: int, error: str) -> None:
    async def work(conn: WriteConnection) -> None:
        await conn.execute(
            "UPDATE analysis_runs SET status = 'failed', error = ?, finished_at = ? WHERE id = ?",
            (error[:500], to_db_time(utcnow()), run_id),
        )

    await db.write(work)


async def fail_stale_runs_in(conn: WriteConnection, question_id: int, before: datetime) -> None:
    """Runs left 'running' by a process that stopped."""

    await conn.execute(
        "UPDATE analysis_runs SET status = 'failed', error = 'stopped', finished_at = ?"
        " WHERE question_id = ? AND status = 'running' AND started_at < ?",
        (to_db_time(utcnow()), question_id, to_db_time(before)),
    )


async def latest_run(db: Database, question_id: int) -> Run | None:
    row = await db.fetch_one(
        "SELECT * FROM analysis_runs WHERE question_id = ? ORDER BY id DESC LIMIT 1",
        (question_id,),
    )
    return _run(row) if row else None


async def last_done_theme_run(db: Database, question_id: int) -> Run | None:
    row = await db.fetch_one(
        "SELECT * FROM analysis_runs WHERE question_id = ? AND status = 'done' AND kind = 'theme'"
        " ORDER BY id DESC LIMIT 1",
        (question_id,),
    )
    return _run(row) if row else None


async def run_by_id(db: Database, run_id: int) -> Run | None:
    row = await db.fetch_one("SELECT * FROM analysis_runs WHERE id = ?", (run_id,))
    return _run(row) if row else None


async def finish_run_in(
    conn: WriteConnection,
    run_id: int,
    vectoriser: str,
    n: int,
    k: int,
    quality: float | None,
    language_means: dict[str, list[float]],
    other_threshold: float | None,
    now: str | None,
) -> None:
    """Within a write: the run is done, with what it found."""
    await conn.execute(
        "UPDATE analysis_runs SET status = 'done', progress = 100, stage = 'done',"
        " finished_at = ?, vectoriser = ?, n = ?, k = ?, quality = ?, language_means = ?,"
        " other_threshold = ? WHERE id = ?",
        (now, vectoriser, n, k, quality, json.dumps(language_means), other_threshold, run_id),
    )
