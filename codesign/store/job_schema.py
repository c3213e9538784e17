"""procrastinate's tables in the app's PostgreSQL database (see codesign.jobs).

Applied by the PostgreSQL backend's migrations, under their advisory lock, so replicas
starting together take turns here too.
"""

from __future__ import annotations

import importlib.util
import logging
from importlib import resources
from typing import Any

log = logging.getLogger("codesign.jobs")


def _version(name: str) -> tuple[int, ...]:
    """The version of a migration file: "03.04.00_01_pre_x.sql" → (3, 4, 0, 1)."""
    head, _, rest = name.partition("_")
    step = rest.split("_", 1)[0]
    return (*(int(p) for p in head.split(".")), int(step) if step.isdigit() else 0)


def _migration_files() -> list[tuple[tuple[int, ...], str]]:
    folder = resources.files("procrastinate.sql") / "migrations"
    found = [
        (_version(entry.name), entry.name)
        for entry in folder.iterdir()
        if entry.name.endswith(".sql") and entry.name[:1].isdigit()
    ]
    return sorted(found)


async def apply_job_schema(conn: Any) -> str | None:
    """Create (or bring up to date) procrastinate's tables, on an asyncpg connection
    that already holds the migrations' advisory lock; returns what was done.

    A fresh database gets the installed library's schema.sql; one made by an older
    version gets the library's migration files newer than the one recorded, in order.
    The newest migration applied is kept in `job_schema`.
    """
    if importlib.util.find_spec("procrastinate") is None:
        log.warning(
            "background jobs on PostgreSQL need procrastinate: install codesign[postgresql];"
            " analysis runs and periodic work stay in this process"
        )
        return None
    files = _migration_files()
    newest = files[-1][1] if files else ""
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS job_schema (library TEXT PRIMARY KEY, migration TEXT NOT NULL)"
    )
    recorded = await conn.fetchval(
        "SELECT migration FROM job_schema WHERE library = 'procrastinate'"
    )
    if recorded == newest:
        return None
    async with conn.transaction():
        if recorded is None:
            exists = await conn.fetchval("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")
            if exists:
                raise RuntimeError(
                    "procrastinate's tables exist but job_schema does not say which"
                    " version made them: apply its migrations by hand, then record the"
                    " newest in job_schema"
                )
            schema = (resources.files("procrastinate.sql") / "schema.sql").read_text("utf-8")
            await conn.execute(schema)
            done = "schema"
        else:
            after = _version(recorded)
            todo = [name for version, name in files if version > after]
            folder = resources.files("procrastinate.sql") / "migrations"
            for name in todo:
                await conn.execute((folder / name).read_text("utf-8"))
            done = f"migrations {', '.join(todo)}"
        await conn.execute(
            "INSERT INTO job_schema (library, migration) VALUES ('procrastinate', $1)"
            " ON CONFLICT (library) DO UPDATE SET migration = excluded.migration",
            newest,
        )
    return done
