# ruff: noqa: S608 - only constants and "?" placeholders are put into SQL text
"""What a run reads (the answers to theme) and what it stores (themes and placements)."""

from __future__ import annotations

import json

import msgspec

from codesign.models import NewTheme
from codesign.store.board.answers import THEMED
from codesign.store.board.runs import finish_run_in
from codesign.store.db import Database, WriteConnection, to_db_time, utcnow


class ThemeInput(msgspec.Struct, frozen=True):
    """What the analysis needs of one answer."""

    id: int
    text: str
    locale: str
    redacted: str
    language: str
    theme_id: int | None  # None: not placed yet, or in "other" (see `placed`)
    placed: bool
    assigned_by: str | None
    quotable: bool = False  # screened, not risk-flagged, not distressing: may be quoted or named


async def theme_inputs(db: Database, question_id: int) -> list[ThemeInput]:
    rows = await db.fetch_all(
        "SELECT a.id, a.text, a.locale, a.redacted, a.language, tm.answer_id AS placed,"
        " tm.theme_id, tm.assigned_by,"
        " (a.screened = 1 AND a.risk = 0 AND a.distressing = 0) AS quotable FROM answers a"
        " JOIN participations p ON p.id = a.participation_id"
        " LEFT JOIN theme_members tm ON tm.answer_id = a.id"
        f" WHERE a.question_id = ? AND {THEMED} ORDER BY a.id",
        (question_id,),
    )
    return [
        ThemeInput(
            id=r["id"],
            text=r["text"],
            locale=r["locale"],
            redacted=r["redacted"] or "",
            language=r["language"] or "",
            theme_id=r["theme_id"],
            placed=r["placed"] is not None,
            assigned_by=r["assigned_by"],
            quotable=bool(r["quotable"]),
        )
        for r in rows
    ]


async def has_themes(db: Database, question_id: int) -> bool:
    row = await db.fetch_one("SELECT 1 FROM themes WHERE question_id = ? LIMIT 1", (question_id,))
    return row is not None


async def insert_model_theme(
    conn: WriteConnection,
    question_id: int,
    run_id: int,
    theme: NewTheme,
    now: str,
    edited_by: str | None = None,
) -> int:
    """Within a write: a theme the model made in run `run_id`; its id. `edited_by`: the
    person whose name for it a fresh start carried over (then edited now)."""
    cursor = await conn.execute(
        "INSERT INTO themes (question_id, run_id, label, terms, centroids, created_by,"
        " created_at, edited_by, edited_at) VALUES (?, ?, ?, ?, ?, 'model', ?, ?, ?)"
        " RETURNING id",
        (
            question_id,
            run_id,
            theme.label,
            json.dumps(theme.terms, ensure_ascii=False),
            json.dumps(theme.centroids),
            now,
            edited_by,
            now if edited_by else None,
        ),
    )
    return int((await cursor.fetchone())["id"])


async def save_theming(
    db: Database,
    run_id: int,
    question_id: int,
    themes: list[NewTheme],
    other: list[tuple[int, float]],
    *,
    vectoriser: str,
    n: int,
    quality: float | None,
    language_means: dict[str, list[float]],
    other_threshold: float | None,
    replace: bool,
) -> None:
    """Store a first theming (replace=True drops model-made themes that no person touched)."""
    now = to_db_time(utcnow())

    async def work(conn: WriteConnection) -> None:
        if replace:
            await conn.execute("DELETE FROM theme_members WHERE question_id = ?", (question_id,))
            await conn.execute("DELETE FROM themes WHERE question_id = ?", (question_id,))
        for theme in themes:
            theme_id = await insert_model_theme(conn, question_id, run_id, theme, now)
            await _place(conn, question_id, theme_id, theme.members, run_id, now)
        await _place(conn, question_id, None, other, run_id, now)
        await finish_run_in(
            conn, run_id, vectoriser, n, len(themes), quality, language_means, other_threshold, now
        )

    await db.write(work)


async def _place(
    conn: WriteConnection,
    question_id: int,
    theme_id: int | None,
    members: list[tuple[int, float]],
    run_id: int,
    now: str | None,
) -> None:
    # Only answers not placed yet: a person's placement is never overwritten.
    await conn.executemany(
        "INSERT INTO theme_members (answer_id, question_id, theme_id, score, assigned_by,"
        " assigned_at, run_id) VALUES (?, ?, ?, ?, 'model', ?, ?)"
        " ON CONFLICT (answer_id) DO NOTHING",
        [(aid, question_id, theme_id, round(score, 4), now, run_id) for aid, score in members],
    )


async def save_assignment(
    db: Database,
    run_id: int,
    question_id: int,
    placements: list[tuple[int, int | None, float]],
    *,
    vectoriser: str,
    n: int,
    k: int,
    language_means: dict[str, list[float]],
    other_threshold: float | None,
) -> None:
    """New answers placed in existing themes (never moving anything already placed)."""
    now = to_db_time(utcnow())

    async def work(conn: WriteConnection) -> None:
        # The themes still there, held until the commit: a no-op update is the portable
        # SELECT ... FOR UPDATE (PostgreSQL locks the rows; SQLite has one writer), so a
        # merge at the same moment can't delete a theme between this and the placing.
        live = {
            r[0]
            for r in await (
                await conn.execute(
                    "UPDATE themes SET id = id WHERE question_id = ? RETURNING id", (question_id,)
                )
            ).fetchall()
        }
        by_theme: dict[int | None, list[tuple[int, float]]] = {}
        for aid, theme_id, score in placements:
            key = theme_id if theme_id in live else None
            by_theme.setdefault(key, []).append((aid, score))
        for theme_id, members in by_theme.items():
            await _place(conn, question_id, theme_id, members, run_id, now)
        await finish_run_in(
            conn, run_id, vectoriser, n, k, None, language_means, other_threshold, now
        )

    await db.write(work)
