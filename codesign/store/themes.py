# ruff: noqa: S608 - only constants and "?" placeholders are put into SQL text
"""Themes of open-text answers: analysis runs, themes, members, vectors, outcomes.

Only submitted participations' answers are themed (an answer being written may
still change). Members whose `assigned_by` is 'person' were placed by someone
on the board; nothing here ever moves an existing member on its own.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

import msgspec
import numpy as np

from codesign.analysis.label import is_quotable_text
from codesign.store import audit
from codesign.store.db import Database, WriteConnection, from_db_time, to_db_time, utcnow
from codesign.store.publishing import clear_sign_offs_in

QUOTE_SPARE = 5  # extra quote candidates fetched, as junk answers are dropped after the query
THEMED = "p.status = 'submitted' AND a.text IS NOT NULL AND a.text != ''"


class BoardSettings(msgspec.Struct, frozen=True):
    round_id: int
    anonymity_threshold: int = 5
    quotes_allowed: bool = True
    safeguarding_user_id: int | None = None
    safeguarding_deputy_id: int | None = None
    signed_off_at: datetime | None = None
    signed_off_by: str | None = None
    published_at: datetime | None = None
    published_by: str | None = None


class Run(msgspec.Struct, frozen=True):
    id: int
    question_id: int
    kind: str
    status: str
    progress: int
    stage: str
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    vectoriser: str
    n: int
    k: int
    quality: float | None
    language_means: dict[str, list[float]]
    other_threshold: float | None
    error: str


class PendingAnswer(msgspec.Struct, frozen=True):
    """An answer whose redacted text, language and flags are missing or stale."""

    id: int
    text: str
    locale: str


class Prepared(msgspec.Struct, frozen=True):
    """Redaction and language (risk flags are the screening's: store.safeguarding)."""

    id: int
    redacted: str
    language: str
    prepared_hash: str
    #: Keyed hash of the normalised redacted text: names this answer's vector (0008).
    vector_digest: str = ""


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


class ThemeRow(msgspec.Struct, frozen=True):
    id: int
    question_id: int
    label: str
    terms: list[str]
    size: int
    created_by: str
    edited_by: str | None
    edited_at: datetime | None


class AnswerRow(msgspec.Struct, frozen=True):
    id: int
    participation_id: int
    redacted: str
    language: str
    locale: str
    flags: list[str]
    risk: bool
    distressing: bool
    may_quote: bool
    theme_id: int | None
    score: float
    assigned_by: str
    assigned_by_user: str | None
    assigned_at: datetime | None
    said_by: int = 1  # quotes only: how many answers in the theme have this exact text


class NewTheme(msgspec.Struct, frozen=True):
    label: str
    terms: list[str]
    centroids: list[list[float]]
    members: list[tuple[int, float]]  # (answer id, score)


def _flags(value: str | None) -> list[str]:
    return [f for f in (value or "").split(",") if f]


# Settings ----------------------------------------------------------------


async def settings_for(db: Database, round_id: int) -> BoardSettings:
    row = await db.fetch_one("SELECT * FROM board_settings WHERE round_id = ?", (round_id,))
    if row is None:
        return BoardSettings(round_id)
    return BoardSettings(
        round_id=round_id,
        anonymity_threshold=row["anonymity_threshold"],
        quotes_allowed=bool(row["quotes_allowed"]),
        safeguarding_user_id=row["safeguarding_user_id"],
        safeguarding_deputy_id=row["safeguarding_deputy_id"],
        signed_off_at=from_db_time(row["signed_off_at"]),
        signed_off_by=row["signed_off_by"],
        published_at=from_db_time(row["published_at"]),
        published_by=row["published_by"],
    )


async def _ensure_settings(conn: WriteConnection, round_id: int) -> None:
    await conn.execute(
        "INSERT INTO board_settings (round_id) VALUES (?) ON CONFLICT (round_id) DO NOTHING",
        (round_id,),
    )


async def save_settings(
    db: Database,
    round_id: int,
    *,
    anonymity_threshold: int,
    quotes_allowed: bool,
    safeguarding_user_id: int | None,
    safeguarding_deputy_id: int | None = None,
) -> None:
    return await db.write(
        lambda conn: save_settings_in(
            conn,
            round_id,
            anonymity_threshold=anonymity_threshold,
            quotes_allowed=quotes_allowed,
            safeguarding_user_id=safeguarding_user_id,
            safeguarding_deputy_id=safeguarding_deputy_id,
        )
    )


async def save_settings_in(
    conn: WriteConnection,
    round_id: int,
    *,
    anonymity_threshold: int,
    quotes_allowed: bool,
    safeguarding_user_id: int | None,
    safeguarding_deputy_id: int | None = None,
) -> None:
    await _ensure_settings(conn, round_id)
    await conn.execute(
        "UPDATE board_settings SET anonymity_threshold = ?, quotes_allowed = ?,"
        " safeguarding_user_id = ?, safeguarding_deputy_id = ? WHERE round_id = ?",
        (
            anonymity_threshold,
            int(quotes_allowed),
            safeguarding_user_id,
            safeguarding_deputy_id,
            round_id,
        ),
    )
    # Safeguarding leads and deputies need two-step sign-in: one appointed while
    # signed in with a password only sets it up before going anywhere else.
    await conn.execute(
        "UPDATE staff_sessions SET stage = 'enrol' WHERE stage = 'full'"
        " AND user_id IN (SELECT id FROM users WHERE id IN (?, ?)"
        " AND totp_secret IS NULL AND demo = 0)",
        (safeguarding_user_id, safeguarding_deputy_id),
    )


async def set_signed_off(db: Database, round_id: int, who: str | None) -> None:
    """Sign the response off (who = email), or take the sign-off back (who = None)."""

    async def work(conn: WriteConnection) -> None:
        await _ensure_settings(conn, round_id)
        await conn.execute(
            "UPDATE board_settings SET signed_off_at = ?, signed_off_by = ? WHERE round_id = ?",
            (to_db_time(utcnow()) if who else None, who, round_id),
        )

    await db.write(work)


async def set_published(db: Database, round_id: int, who: str | None) -> None:
    async def work(conn: WriteConnection) -> None:
        await _ensure_settings(conn, round_id)
        await conn.execute(
            "UPDATE board_settings SET published_at = ?, published_by = ? WHERE round_id = ?",
            (to_db_time(utcnow()) if who else None, who, round_id),
        )

    await db.write(work)


# Preparing answers (redaction, language, flags) ------------------------------


async def prepared_hashes(db: Database, question_id: int) -> dict[int, str | None]:
    rows = await db.fetch_all(
        "SELECT a.id, a.prepared_hash FROM answers a"
        " JOIN participations p ON p.id = a.participation_id"
        f" WHERE a.question_id = ? AND {THEMED}",
        (question_id,),
    )
    return {r["id"]: r["prepared_hash"] for r in rows}


async def answers_by_id(db: Database, ids: list[int]) -> list[PendingAnswer]:
    out: list[PendingAnswer] = []
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        rows = await db.fetch_all(
            f"SELECT id, text, locale FROM answers WHERE id IN ({marks})", chunk
        )
        out += [PendingAnswer(r["id"], r["text"] or "", r["locale"]) for r in rows]
    return out


async def save_prepared(db: Database, prepared: list[Prepared]) -> None:
    async def work(conn: WriteConnection) -> None:
        await conn.executemany(
            "UPDATE answers SET redacted = ?, language = ?, prepared_hash = ?,"
            " vector_digest = ?, embedded_by = NULL WHERE id = ?",
            [
                (p.redacted, p.language, p.prepared_hash, p.vector_digest or None, p.id)
                for p in prepared
            ],
        )
        # the search index follows the redaction (store.search)
        from codesign.store import search

        await search.index_in(conn, [(p.id, p.redacted) for p in prepared])

    await db.write(work)


# Background work: answers that arrived since (see services.board.embed_in_background) ---


async def unprepared_answers(db: Database, limit: int) -> list[PendingAnswer]:
    """Submitted written answers never redacted, flagged or language-tagged, oldest first."""
    rows = await db.fetch_all(
        "SELECT a.id, a.text, a.locale FROM answers a"
        " JOIN participations p ON p.id = a.participation_id"
        f" WHERE a.prepared_hash IS NULL AND {THEMED} ORDER BY a.id LIMIT ?",
        (limit,),
    )
    return [PendingAnswer(r["id"], r["text"] or "", r["locale"]) for r in rows]


async def unembedded_answers(db: Database, model: str, limit: int) -> list[tuple[int, str]]:
    """(answer id, redacted text) of prepared answers with no vector from `model` yet."""
    rows = await db.fetch_all(
        "SELECT a.id, a.redacted FROM answers a"
        " JOIN participations p ON p.id = a.participation_id"
        " WHERE a.prepared_hash IS NOT NULL AND (a.embedded_by IS NULL OR a.embedded_by != ?)"
        f" AND {THEMED} ORDER BY a.id LIMIT ?",
        (model, limit),
    )
    return [(int(r["id"]), r["redacted"] or "") for r in rows]


async def mark_embedded(db: Database, ids: list[int], model: str) -> None:
    async def work(conn: WriteConnection) -> None:
        await conn.executemany(
            "UPDATE answers SET embedded_by = ? WHERE id = ?", [(model, i) for i in ids]
        )

    await db.write(work)


# Vectors -------------------------------------------------------------------


async def vectors_for(db: Database, keys: list[str]) -> dict[str, np.ndarray]:
    """Stored vectors by stored key ("<model>|<digest>", see services.board)."""
    found: dict[str, np.ndarray] = {}
    unique = sorted(set(keys))
    for i in range(0, len(unique), 500):
        chunk = unique[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for r in await db.fetch_all(
            f"SELECT cache_key, vector FROM answer_vectors WHERE cache_key IN ({marks})", chunk
        ):
            found[r["cache_key"]] = np.frombuffer(r["vector"], dtype="<f4").copy()
    return found


async def save_vectors(db: Database, vectors: dict[str, np.ndarray]) -> None:
    """Store vectors by stored key "<model>|<digest>". A vector is kept only while an
    answer records its digest (a withdrawal deletes the rest, see store.erasure)."""
    if not vectors:
        return
    now = to_db_time(utcnow())

    async def work(conn: WriteConnection) -> None:
        await conn.executemany(
            "INSERT INTO answer_vectors (cache_key, digest, vector, created_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (cache_key) DO NOTHING",
            [
                (key, key.rpartition("|")[2], np.asarray(v, dtype="<f4").tobytes(), now)
                for key, v in sorted(vectors.items())
            ],
        )

    await db.write(work)


# Runs ------------------------------------------------------------------------


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


async def start_run(db: Database, question_id: int, kind: str, who: str) -> int | None:
    """A new running run; None when one is already running for this question."""

    async def work(conn: WriteConnection) -> int | None:
        async with conn.execute(
            "SELECT id FROM analysis_runs WHERE question_id = ? AND status = 'running'",
            (question_id,),
        ) as cursor:
            if await cursor.fetchone() is not None:
                return None
        cursor = await conn.execute(
            "INSERT INTO analysis_runs (question_id, kind, status, started_by, started_at)"
            " VALUES (?, ?, 'running', ?, ?) RETURNING id",
            (question_id, kind, who, to_db_time(utcnow())),
        )
        return int((await cursor.fetchone())["id"])

    return await db.write(work)


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


async def fail_stale_runs(db: Database, question_id: int, before: datetime) -> None:
    return await db.write(lambda conn: fail_stale_runs_in(conn, question_id, before))


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


# Inputs and results ----------------------------------------------------------


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
        await _finish(
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


async def _finish(
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
    await conn.execute(
        "UPDATE analysis_runs SET status = 'done', progress = 100, stage = 'done',"
        " finished_at = ?, vectoriser = ?, n = ?, k = ?, quality = ?, language_means = ?,"
        " other_threshold = ? WHERE id = ?",
        (now, vectoriser, n, k, quality, json.dumps(language_means), other_threshold, run_id),
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
        await _finish(conn, run_id, vectoriser, n, k, None, language_means, other_threshold, now)

    await db.write(work)


# Reading themes ---------------------------------------------------------------


async def themes_for(db: Database, question_id: int) -> list[ThemeRow]:
    rows = await db.fetch_all(
        "SELECT t.*, (SELECT COUNT(*) FROM theme_members tm WHERE tm.theme_id = t.id) AS size"
        " FROM themes t WHERE t.question_id = ? ORDER BY size DESC, t.id",
        (question_id,),
    )
    return [_theme(r) for r in rows]


def _theme(r: sqlite3.Row) -> ThemeRow:
    return ThemeRow(
        id=r["id"],
        question_id=r["question_id"],
        label=r["label"],
        terms=json.loads(r["terms"]),
        size=r["size"],
        created_by=r["created_by"],
        edited_by=r["edited_by"],
        edited_at=from_db_time(r["edited_at"]),
    )


async def theme_by_id(db: Database, theme_id: int) -> ThemeRow | None:
    row = await db.fetch_one(
        "SELECT t.*, (SELECT COUNT(*) FROM theme_members tm WHERE tm.theme_id = t.id) AS size"
        " FROM themes t WHERE t.id = ?",
        (theme_id,),
    )
    return _theme(row) if row else None


async def question_round(db: Database, question_id: int) -> int | None:
    row = await db.fetch_one(
        "SELECT s.round_id FROM questions q JOIN sections s ON s.id = q.section_id WHERE q.id = ?",
        (question_id,),
    )
    return int(row["round_id"]) if row else None


async def theme_centroids(db: Database, question_id: int) -> dict[int, list[list[float]]]:
    rows = await db.fetch_all(
        "SELECT id, centroids FROM themes WHERE question_id = ?", (question_id,)
    )
    return {r["id"]: json.loads(r["centroids"]) for r in rows}


async def counts(db: Database, question_id: int) -> tuple[int, int]:
    """(answers to theme, answers placed)."""
    row = await db.fetch_one(
        "SELECT COUNT(*) AS n, COUNT(tm.answer_id) AS placed FROM answers a"
        " JOIN participations p ON p.id = a.participation_id"
        " LEFT JOIN theme_members tm ON tm.answer_id = a.id"
        f" WHERE a.question_id = ? AND {THEMED}",
        (question_id,),
    )
    return (int(row["n"]), int(row["placed"])) if row else (0, 0)


async def risky_members(db: Database, question_id: int) -> dict[int, int]:
    """Per theme: how many of its answers may show risk: flagged by the screening or by a
    person for the safeguarding lead (a hand flag leaves the detector's `risk` column as it
    was, and a theme mostly of such disclosures must stay off the public page all the same)."""
    rows = await db.fetch_all(
        "SELECT tm.theme_id, COUNT(*) AS n FROM theme_members tm"
        " JOIN answers a ON a.id = tm.answer_id"
        " WHERE tm.question_id = ? AND tm.theme_id IS NOT NULL AND (a.risk = 1 OR EXISTS"
        "  (SELECT 1 FROM safeguarding_items si WHERE si.answer_id = a.id))"
        " GROUP BY tm.theme_id",
        (question_id,),
    )
    return {int(r["theme_id"]): int(r["n"]) for r in rows}


async def other_count(db: Database, question_id: int) -> int:
    row = await db.fetch_one(
        "SELECT COUNT(*) AS n FROM theme_members WHERE question_id = ? AND theme_id IS NULL",
        (question_id,),
    )
    return int(row["n"]) if row else 0


async def agreement_split(
    db: Database, question_id: int, agreement_question_id: int
) -> dict[int | None, dict[str, int]]:
    """Per theme (None = other): how its writers answered the section's agreement question."""
    rows = await db.fetch_all(
        "SELECT tm.theme_id, a2.value, COUNT(*) AS n FROM theme_members tm"
        " JOIN answers a ON a.id = tm.answer_id"
        " JOIN answers a2 ON a2.participation_id = a.participation_id AND a2.question_id = ?"
        " WHERE tm.question_id = ? AND a2.value IS NOT NULL"
        " GROUP BY tm.theme_id, a2.value",
        (agreement_question_id, question_id),
    )
    out: dict[int | None, dict[str, int]] = {}
    for r in rows:
        out.setdefault(r["theme_id"], {})[r["value"]] = int(r["n"])
    return out


_ANSWER_COLUMNS = (
    "a.id, a.participation_id, a.redacted, a.language, a.locale, a.flags, a.risk,"
    " a.distressing, p.may_quote, tm.theme_id, tm.score, tm.assigned_by, tm.assigned_by_user,"
    " tm.assigned_at"
)


def _answer(r: sqlite3.Row) -> AnswerRow:
    return AnswerRow(
        id=r["id"],
        participation_id=r["participation_id"],
        redacted=r["redacted"] or "",
        language=r["language"] or "",
        locale=r["locale"],
        flags=_flags(r["flags"]),
        risk=bool(r["risk"]),
        distressing=bool(r["distressing"]),
        may_quote=bool(r["may_quote"]),
        theme_id=r["theme_id"],
        score=float(r["score"] or 0.0),
        assigned_by=r["assigned_by"] or "model",
        assigned_by_user=r["assigned_by_user"],
        assigned_at=from_db_time(r["assigned_at"]),
    )


async def quotes(
    db: Database, question_id: int, per_theme: int = 5, *, quotable_only: bool = False
) -> dict[int, list[AnswerRow]]:
    """The answers closest to each theme's centre, leaving out flagged and unscreened ones.

    Each text once (copies of an answer are one quote, ``said_by`` counts them);
    formula-like and near-empty answers are never quotes.
    `quotable_only`: only from participants who allowed quoting.
    """
    quotable = " AND p.may_quote = 1" if quotable_only else ""
    rows = await db.fetch_all(
        "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY theme_id"
        " ORDER BY score DESC, id) AS rank FROM ("
        f"SELECT {_ANSWER_COLUMNS},"
        " COUNT(*) OVER (PARTITION BY tm.theme_id, a.redacted) AS said_by,"
        " ROW_NUMBER() OVER (PARTITION BY tm.theme_id, a.redacted"
        " ORDER BY tm.score DESC, a.id) AS copy_rank"
        " FROM theme_members tm JOIN answers a ON a.id = tm.answer_id"
        " JOIN participations p ON p.id = a.participation_id"
        " WHERE tm.question_id = ? AND tm.theme_id IS NOT NULL AND a.risk = 0 AND a.screened = 1"
        f" AND a.distressing = 0 AND a.redacted IS NOT NULL{quotable}) copies"
        " WHERE copy_rank = 1) ranked"
        " WHERE rank <= ? ORDER BY theme_id, rank",
        # room for the junk left out below
        (question_id, per_theme + QUOTE_SPARE),
    )
    out: dict[int, list[AnswerRow]] = {}
    for r in rows:
        kept = out.setdefault(r["theme_id"], [])
        if len(kept) < per_theme and is_quotable_text(r["redacted"] or ""):
            kept.append(msgspec.structs.replace(_answer(r), said_by=int(r["said_by"])))
    return {t: kept for t, kept in out.items() if kept}


async def theme_answers(
    db: Database, question_id: int, theme_id: int | None, limit: int = 2000, offset: int = 0
) -> list[AnswerRow]:
    rows = await db.fetch_all(
        f"SELECT {_ANSWER_COLUMNS} FROM theme_members tm JOIN answers a ON a.id = tm.answer_id"
        " JOIN participations p ON p.id = a.participation_id"
        " WHERE tm.question_id = ? AND tm.theme_id IS NOT DISTINCT FROM ?"
        " ORDER BY tm.score DESC, a.id LIMIT ? OFFSET ?",
        (question_id, theme_id, limit, offset),
    )
    return [_answer(r) for r in rows]


async def answer_by_id(db: Database, answer_id: int) -> tuple[AnswerRow, int] | None:
    """The answer and its question id."""
    row = await db.fetch_one(
        f"SELECT {_ANSWER_COLUMNS}, a.question_id FROM answers a"
        " JOIN participations p ON p.id = a.participation_id"
        " LEFT JOIN theme_members tm ON tm.answer_id = a.id WHERE a.id = ?",
        (answer_id,),
    )
    return (_answer(row), int(row["question_id"])) if row else None


async def member_ids(db: Database, theme_id: int) -> list[int]:
    rows = await db.fetch_all(
        "SELECT answer_id FROM theme_members WHERE theme_id = ? ORDER BY answer_id", (theme_id,)
    )
    return [int(r["answer_id"]) for r in rows]


async def export_rows(db: Database, round_id: int) -> list[sqlite3.Row]:
    return await db.fetch_all(
        "SELECT a.id AS answer_id, a.question_id, a.redacted, a.language, a.flags, a.risk,"
        " tm.theme_id, t.label AS theme_label, tm.assigned_by, tm.assigned_by_user,"
        " tm.assigned_at FROM theme_members tm"
        " JOIN answers a ON a.id = tm.answer_id"
        " JOIN participations p ON p.id = a.participation_id"
        " LEFT JOIN themes t ON t.id = tm.theme_id"
        " JOIN questions q ON q.id = a.question_id JOIN sections s ON s.id = q.section_id"
        " WHERE s.round_id = ? AND p.status = 'submitted' ORDER BY a.question_id, a.id",
        (round_id,),
    )


# Rebuilding themes after answers left (withdrawn or purged) -----------------------


class ThemeHolding(msgspec.Struct, frozen=True):
    """A theme of a question that needs rebuilding, with what it holds now."""

    id: int
    label: str
    terms: list[str]
    stale: int  # the counter read; the rebuild is saved only if it has not moved
    touched: bool  # a person made, renamed, merged or split it
    has_outcome: bool  # the board wrote a response to it
    texts: list[str]  # redacted texts of the answers it holds now
    languages: list[str]


async def stale_questions(db: Database) -> list[int]:
    rows = await db.fetch_all("SELECT DISTINCT question_id FROM themes WHERE stale > 0")
    return [int(r["question_id"]) for r in rows]


async def holdings(db: Database, question_id: int) -> list[ThemeHolding]:
    """Every theme of the question (the terms of one are weighed against the others)."""
    themes = await db.fetch_all(
        "SELECT t.id, t.label, t.terms, t.stale, t.created_by, t.edited_by,"
        " EXISTS (SELECT 1 FROM outcomes o WHERE o.theme_id = t.id) AS has_outcome"
        " FROM themes t WHERE t.question_id = ? ORDER BY t.id",
        (question_id,),
    )
    texts: dict[int, list[tuple[str, str]]] = {}
    for r in await db.fetch_all(
        "SELECT tm.theme_id, a.redacted, a.language FROM theme_members tm"
        " JOIN answers a ON a.id = tm.answer_id"
        " WHERE tm.question_id = ? AND tm.theme_id IS NOT NULL AND a.redacted IS NOT NULL"
        " ORDER BY a.id",
        (question_id,),
    ):
        texts.setdefault(r["theme_id"], []).append((r["redacted"], r["language"] or ""))
    return [
        ThemeHolding(
            id=t["id"],
            label=t["label"],
            terms=json.loads(t["terms"]),
            stale=t["stale"],
            touched=t["created_by"] != "model" or t["edited_by"] is not None,
            has_outcome=bool(t["has_outcome"]),
            texts=[text for text, _ in texts.get(t["id"], [])],
            languages=[language for _, language in texts.get(t["id"], [])],
        )
        for t in themes
    ]


async def save_rebuilt(
    db: Database,
    updates: list[tuple[int, int, str, list[str], bool]],
    drops: list[tuple[int, int]],
) -> int:
    """Store rebuilt themes: (id, stale read, label, terms, empty) and drop (id, stale read)
    the empty ones nobody worked on. A theme whose counter moved since it was read (a
    later withdrawal) is left stale for the next rebuild. Returns themes changed."""

    async def work(conn: WriteConnection) -> int:
        changed = 0
        for theme_id, seen, label, terms, empty in updates:
            # A parent theme named after this one (and not renamed by a person) carries
            # the same name, which may come from an answer that left: it follows.
            await conn.execute(
                "UPDATE theme_groups SET label = ? WHERE edited_by IS NULL"
                " AND id = (SELECT group_id FROM themes WHERE id = ? AND stale = ?)"
                " AND label = (SELECT label FROM themes WHERE id = ?)",
                (label, theme_id, seen, theme_id),
            )
            cursor = await conn.execute(
                "UPDATE themes SET label = ?, terms = ?, stale = 0,"
                " centroids = CASE WHEN ? = 1 THEN '[]' ELSE centroids END"
                " WHERE id = ? AND stale = ?",
                (label, json.dumps(terms, ensure_ascii=False), int(empty), theme_id, seen),
            )
            changed += cursor.rowcount
        for theme_id, seen in drops:
            found = await conn.execute_fetchall(
                "DELETE FROM themes WHERE id = ? AND stale = ?"
                " AND NOT EXISTS (SELECT 1 FROM theme_members WHERE theme_id = ?)"
                " RETURNING label, group_id",
                (theme_id, seen, theme_id),
            )
            changed += len(found)
            if found and found[0]["group_id"] is not None:
                # its parent theme, if named after it: another of its themes' names, or
                # the parent goes when it has none left
                group_id, old = found[0]["group_id"], found[0]["label"]
                await conn.execute(
                    "UPDATE theme_groups SET label = (SELECT label FROM themes"
                    " WHERE group_id = ? ORDER BY id LIMIT 1)"
                    " WHERE id = ? AND edited_by IS NULL AND label = ?"
                    " AND EXISTS (SELECT 1 FROM themes WHERE group_id = ?)",
                    (group_id, group_id, old, group_id),
                )
                await conn.execute(
                    "DELETE FROM theme_groups WHERE id = ?"
                    " AND NOT EXISTS (SELECT 1 FROM themes WHERE group_id = ?)",
                    (group_id, group_id),
                )
        return changed

    return await db.write(work)


# Edits by a person --------------------------------------------------------------


async def rename(db: Database, theme_id: int, label: str, who: str) -> None:
    return await db.write(lambda conn: rename_in(conn, theme_id, label, who))


async def rename_in(conn: WriteConnection, theme_id: int, label: str, who: str) -> None:
    await conn.execute(
        "UPDATE themes SET label = ?, edited_by = ?, edited_at = ? WHERE id = ?",
        (label, who, to_db_time(utcnow()), theme_id),
    )


async def merge(db: Database, source_id: int, target_id: int, who: str) -> None:
    return await db.write(lambda conn: merge_in(conn, source_id, target_id, who))


async def merge_in(conn: WriteConnection, source_id: int, target_id: int, who: str) -> None:
    """Source's answers join target (as placed by a person); target keeps both prototypes."""
    now = to_db_time(utcnow())

    rows = await (
        await conn.execute(
            "SELECT id, centroids FROM themes WHERE id IN (?, ?)", (source_id, target_id)
        )
    ).fetchall()
    cents = {r[0]: json.loads(r[1]) for r in rows}
    await conn.execute(
        "UPDATE theme_members SET theme_id = ?, assigned_by = 'person',"
        " assigned_by_user = ?, assigned_at = ? WHERE theme_id = ?",
        (target_id, who, now, source_id),
    )
    await conn.execute(
        "UPDATE themes SET centroids = ?, edited_by = ?, edited_at = ? WHERE id = ?",
        (
            json.dumps(cents.get(target_id, []) + cents.get(source_id, [])),
            who,
            now,
            target_id,
        ),
    )
    await conn.execute("DELETE FROM outcomes WHERE theme_id = ?", (source_id,))
    await conn.execute("DELETE FROM themes WHERE id = ?", (source_id,))



async def insert_person_theme(
    conn: WriteConnection,
    question_id: int,
    label: str,
    terms: list[str],
    centroids: list,
    who: str,
    now: str,
) -> int:
    """Within a write: a theme a person made (split off, or from chosen answers); its id."""
    cursor = await conn.execute(
        "INSERT INTO themes (question_id, label, terms, centroids, created_by, created_at,"
        " edited_by, edited_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            question_id,
            label,
            json.dumps(terms, ensure_ascii=False),
            json.dumps(centroids),
            who,
            now,
            who,
            now,
        ),
    )
    return int((await cursor.fetchone())["id"])

async def split(
    db: Database, theme_id: int, question_id: int, parts: list[NewTheme], who: str
) -> list[int]:
    return await db.write(lambda conn: split_in(conn, theme_id, question_id, parts, who))


async def split_in(
    conn: WriteConnection, theme_id: int, question_id: int, parts: list[NewTheme], who: str
) -> list[int]:
    """Replace a theme's membership by new themes made by a person's split."""
    now = to_db_time(utcnow())

    made = []
    for i, part in enumerate(parts):
        if i == 0:
            target = theme_id
            await conn.execute(
                "UPDATE themes SET label = ?, terms = ?, centroids = ?, edited_by = ?,"
                " edited_at = ? WHERE id = ?",
                (
                    part.label,
                    json.dumps(part.terms, ensure_ascii=False),
                    json.dumps(part.centroids),
                    who,
                    now,
                    theme_id,
                ),
            )
        else:
            target = await insert_person_theme(
                conn, question_id, part.label, part.terms, part.centroids, who, now
            )
        made.append(target)
        await conn.executemany(
            "UPDATE theme_members SET theme_id = ?, score = ?, assigned_by = 'person',"
            " assigned_by_user = ?, assigned_at = ? WHERE answer_id = ?",
            [(target, round(score, 4), who, now, aid) for aid, score in part.members],
        )
    return made


async def move_answer(db: Database, answer_id: int, theme_id: int | None, who: str) -> None:
    return await db.write(lambda conn: move_answer_in(conn, answer_id, theme_id, who))


async def move_answer_in(
    conn: WriteConnection, answer_id: int, theme_id: int | None, who: str
) -> None:
    await conn.execute(
        "UPDATE theme_members SET theme_id = ?, assigned_by = 'person',"
        " assigned_by_user = ?, assigned_at = ? WHERE answer_id = ?",
        (theme_id, who, to_db_time(utcnow()), answer_id),
    )


# Outcomes ---------------------------------------------------------------------


class Response(msgspec.Struct, frozen=True):
    title: str
    text: str


async def responses_for(db: Database, question_ids: list[int]) -> dict[int, dict[str, Response]]:
    """Per theme, per locale: the theme's name and the board's response."""
    if not question_ids:
        return {}
    marks = ",".join("?" * len(question_ids))
    rows = await db.fetch_all(
        "SELECT o.theme_id, o.locale, o.title, o.response FROM outcomes o"
        f" JOIN themes t ON t.id = o.theme_id WHERE t.question_id IN ({marks})",
        question_ids,
    )
    out: dict[int, dict[str, Response]] = {}
    for r in rows:
        out.setdefault(r["theme_id"], {})[r["locale"]] = Response(r["title"], r["response"])
    return out


async def save_responses(
    db: Database,
    theme_id: int,
    responses: dict[str, Response],
    who: str,
    *,
    round_id: int | None = None,
    user_id: int | None = None,
) -> None:
    """Save the board's response per locale. With `round_id`, the round's sign-offs are
    cleared and the change audited in the same transaction (a change needs signing off
    again)."""
    now = to_db_time(utcnow())

    async def work(conn: WriteConnection) -> None:
        if round_id is not None:
            await clear_sign_offs_in(conn, round_id)
            await audit.add_in(
                conn,
                who,
                "response_saved",
                f"theme {theme_id}",
                user_id=user_id,
                round_id=round_id,
            )
        for locale, given in responses.items():
            if given.text.strip() or given.title.strip():
                await conn.execute(
                    "INSERT INTO outcomes (theme_id, locale, title, response, updated_by,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (theme_id, locale)"
                    " DO UPDATE SET title = excluded.title, response = excluded.response,"
                    " updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                    (theme_id, locale, given.title, given.text, who, now),
                )
            else:
                await conn.execute(
                    "DELETE FROM outcomes WHERE theme_id = ? AND locale = ?", (theme_id, locale)
                )

    await db.write(work)


# Opinion overview ----------------------------------------------------------------


async def agreement_matrix(db: Database, round_id: int) -> list[tuple[int, int, str]]:
    """(participation, question, value) for every agreement answer of submitted participations."""
    rows = await db.fetch_all(
        "SELECT a.participation_id, a.question_id, a.value FROM answers a"
        " JOIN participations p ON p.id = a.participation_id"
        " JOIN questions q ON q.id = a.question_id"
        " WHERE p.round_id = ? AND p.status = 'submitted' AND q.kind = 'agreement'"
        " AND a.value IS NOT NULL",
        (round_id,),
    )
    return [(int(r[0]), int(r[1]), str(r[2])) for r in rows]
