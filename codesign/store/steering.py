# ruff: noqa: S608 - only constants, column names read from the schema and "?" go into SQL
"""Steering themes by hand: themes made from chosen answers, moving many answers,
merges that can be undone, new themes found in "other", fresh starts, parent
themes and second themes. Each change writes its audit entry in the same
transaction (`Entry`).
"""

from __future__ import annotations

import json
from datetime import datetime

import msgspec

from codesign.models import AnswerRow, NewTheme
from codesign.store import audit
from codesign.store.board.answers import ANSWER_COLUMNS, answer_row
from codesign.store.board.edits import insert_person_theme
from codesign.store.board.runs import finish_run_in
from codesign.store.board.theming import insert_model_theme
from codesign.store.db import Database, WriteConnection, from_db_time, to_db_time, utcnow


class Entry(msgspec.Struct, frozen=True):
    """The audit entry a change writes with itself."""

    actor: str
    action: str
    detail: str
    user_id: int | None = None
    round_id: int | None = None


async def _audit(conn: WriteConnection, entry: Entry | None) -> None:
    if entry is not None:
        await audit.add_in(
            conn,
            entry.actor,
            entry.action,
            entry.detail,
            user_id=entry.user_id,
            round_id=entry.round_id,
        )


async def _rows(conn: WriteConnection, sql: str, params: tuple | list = ()) -> list:
    return await (await conn.execute(sql, params)).fetchall()


async def _columns(conn: WriteConnection, table: str) -> list[str]:
    """The table's columns, in order, on either engine: a join that matches nothing
    still names every column of the table (the one row it gives is all NULL)."""
    rows = await _rows(conn, f"SELECT t.* FROM (SELECT 1 AS one) x LEFT JOIN {table} t ON 1 = 0")
    return list(rows[0].keys())


# Placing answers by hand -------------------------------------------------------------


async def _place_in(
    conn: WriteConnection,
    question_id: int,
    members: list[tuple[int, float]],
    theme_id: int | None,
    who: str,
    now: str | None,
) -> int:
    """Put answers (of this question) in a theme or in "other" (None), as a person."""
    moved = 0
    for answer_id, score in members:
        cursor = await conn.execute(
            "INSERT INTO theme_members (answer_id, question_id, theme_id, score, assigned_by,"
            " assigned_by_user, assigned_at) SELECT id, question_id, ?, ?, 'person', ?, ?"
            " FROM answers WHERE id = ? AND question_id = ?"
            " ON CONFLICT (answer_id) DO UPDATE SET theme_id = excluded.theme_id,"
            " score = excluded.score, assigned_by = 'person',"
            " assigned_by_user = excluded.assigned_by_user, assigned_at = excluded.assigned_at,"
            " also_theme_id = NULL",
            (theme_id, round(score, 4), who, now, answer_id, question_id),
        )
        moved += cursor.rowcount
    return moved


async def place_answers(
    db: Database,
    question_id: int,
    answer_ids: list[int],
    theme_id: int | None,
    who: str,
    entry: Entry,
) -> int:
    """Move answers to a theme of their question or to "other"; returns how many."""
    now = to_db_time(utcnow())

    async def work(conn: WriteConnection) -> int:
        if theme_id is not None:
            found = await _rows(
                conn,
                "SELECT 1 FROM themes WHERE id = ? AND question_id = ?",
                (theme_id, question_id),
            )
            if not found:
                return 0
        moved = await _place_in(
            conn, question_id, [(a, 0.0) for a in answer_ids], theme_id, who, now
        )
        await _audit(conn, entry)
        return moved

    return await db.write(work)


async def make_theme(
    db: Database, question_id: int, theme: NewTheme, who: str, entry: Entry
) -> int:
    """A theme a person made from chosen answers (they move into it); returns its id."""
    now = to_db_time(utcnow())

    async def work(conn: WriteConnection) -> int:
        theme_id = await insert_person_theme(
            conn, question_id, theme.label, theme.terms, theme.centroids, who, now
        )
        await _place_in(conn, question_id, theme.members, theme_id, who, now)
        await _audit(
            conn, msgspec.structs.replace(entry, detail=f"{entry.detail} → theme {theme_id}")
        )
        return theme_id

    return await db.write(work)


# Merges that can be undone -------------------------------------------------------------


class MergeRow(msgspec.Struct, frozen=True):
    id: int
    question_id: int
    target_id: int
    source_id: int
    source_label: str
    merged_by: str
    merged_at: datetime | None
    undone_at: datetime | None


def _merge(r) -> MergeRow:
    source = json.loads(r["source"])
    return MergeRow(
        id=r["id"],
        question_id=r["question_id"],
        target_id=r["target_id"],
        source_id=int(source["id"]),
        source_label=str(source["label"]),
        merged_by=r["merged_by"],
        merged_at=from_db_time(r["merged_at"]),
        undone_at=from_db_time(r["undone_at"]),
    )


async def merge(db: Database, source_id: int, target_id: int, who: str, entry: Entry) -> int:
    """Source's answers join target (as placed by a person), keeping what undoes it.

    Returns the merge's id (0 when either theme is gone)."""
    now = to_db_time(utcnow())

    async def work(conn: WriteConnection) -> int:
        cols = await _columns(conn, "themes")
        rows = await _rows(conn, "SELECT * FROM themes WHERE id IN (?, ?)", (source_id, target_id))
        by_id = {r["id"]: {c: r[c] for c in cols} for r in rows}
        if source_id not in by_id or target_id not in by_id:
            return 0
        source, target = by_id[source_id], by_id[target_id]
        members = [
            list(r)
            for r in await _rows(
                conn,
                "SELECT answer_id, score, assigned_by, assigned_by_user, assigned_at, run_id,"
                " also_theme_id FROM theme_members WHERE theme_id = ? ORDER BY answer_id",
                (source_id,),
            )
        ]
        ocols = await _columns(conn, "outcomes")
        outcomes = [
            {c: r[c] for c in ocols}
            for r in await _rows(conn, "SELECT * FROM outcomes WHERE theme_id = ?", (source_id,))
        ]
        cursor = await conn.execute(
            "INSERT INTO theme_merges (question_id, target_id, source, members, outcomes,"
            " target_before, merged_by, merged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                source["question_id"],
                target_id,
                json.dumps(source, ensure_ascii=False),
                json.dumps(members),
                json.dumps(outcomes, ensure_ascii=False),
                json.dumps(
                    {
                        "centroids": target["centroids"],
                        "edited_by": target["edited_by"],
                        "edited_at": target["edited_at"],
                    }
                ),
                who,
                now,
            ),
        )
        merge_id = int((await cursor.fetchone())["id"])
        await conn.execute(
            "UPDATE theme_members SET theme_id = ?, assigned_by = 'person',"
            " assigned_by_user = ?, assigned_at = ? WHERE theme_id = ?",
            (target_id, who, now, source_id),
        )
        await conn.execute(
            "UPDATE theme_members SET also_theme_id = NULL WHERE also_theme_id = ?"
            " AND theme_id = ?",
            (source_id, target_id),
        )
        await conn.execute(
            "UPDATE theme_members SET also_theme_id = ? WHERE also_theme_id = ?",
            (target_id, source_id),
        )
        await conn.execute(
            "UPDATE themes SET centroids = ?, edited_by = ?, edited_at = ? WHERE id = ?",
            (
                json.dumps(json.loads(target["centroids"]) + json.loads(source["centroids"])),
                who,
                now,
                target_id,
            ),
        )
        await conn.execute("DELETE FROM outcomes WHERE theme_id = ?", (source_id,))
        await conn.execute("DELETE FROM themes WHERE id = ?", (source_id,))
        await _audit(
            conn, msgspec.structs.replace(entry, detail=f"{entry.detail}, merge {merge_id}")
        )
        return merge_id

    return await db.write(work)


async def open_merges(db: Database, target_id: int) -> list[MergeRow]:
    """Merges into this theme that can still be undone, latest first."""
    rows = await db.fetch_all(
        "SELECT * FROM theme_merges WHERE target_id = ? AND undone_at IS NULL ORDER BY id DESC",
        (target_id,),
    )
    return [_merge(r) for r in rows]


async def merge_by_id(db: Database, merge_id: int) -> MergeRow | None:
    row = await db.fetch_one("SELECT * FROM theme_merges WHERE id = ?", (merge_id,))
    return _merge(row) if row else None


async def undo_merge(db: Database, merge_id: int, who: str, entry: Entry) -> int | None:
    """Restore the merged theme as it was (name, terms, responses) with the answers that
    are still where the merge put them; the target gets its own prototypes back.
    Returns the restored theme's id; None if the merge was undone already or its
    target is gone."""
    now = to_db_time(utcnow())

    async def work(conn: WriteConnection) -> int | None:
        found = await _rows(
            conn, "SELECT * FROM theme_merges WHERE id = ? AND undone_at IS NULL", (merge_id,)
        )
        if not found:
            return None
        m = found[0]
        target_id = m["target_id"]
        target = await _rows(conn, "SELECT edited_at FROM themes WHERE id = ?", (target_id,))
        if not target:
            return None
        source = json.loads(m["source"])
        cols = set(await _columns(conn, "themes"))
        values = {c: v for c, v in source.items() if c in cols}
        taken = await _rows(conn, "SELECT 1 FROM themes WHERE id = ?", (source["id"],))
        if taken:
            values.pop("id")
        names = list(values)
        cursor = await conn.execute(
            f"INSERT INTO themes ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
            " RETURNING id",
            [values[c] for c in names],
        )
        restored = int((await cursor.fetchone())["id"])
        for answer_id, score, by, user, at, run_id, also in json.loads(m["members"]):
            # only answers still where the merge put them: a later move by a person stays
            await conn.execute(
                "UPDATE theme_members SET theme_id = ?, score = ?, assigned_by = ?,"
                " assigned_by_user = ?, assigned_at = ?, run_id = ?, also_theme_id = ?"
                " WHERE answer_id = ? AND theme_id = ? AND assigned_at = ?"
                " AND assigned_by_user = ?",
                (
                    restored,
                    score,
                    by,
                    user,
                    at,
                    run_id,
                    also if also != source["id"] else None,
                    answer_id,
                    target_id,
                    m["merged_at"],
                    m["merged_by"],
                ),
            )
        ocols = set(await _columns(conn, "outcomes"))
        for outcome in json.loads(m["outcomes"]):
            kept = {c: v for c, v in outcome.items() if c in ocols}
            kept["theme_id"] = restored
            names = list(kept)
            await conn.execute(
                f"INSERT INTO outcomes ({', '.join(names)}) VALUES"
                f" ({', '.join('?' * len(names))}) ON CONFLICT DO NOTHING",
                [kept[c] for c in names],
            )
        before = json.loads(m["target_before"])
        if target[0]["edited_at"] == m["merged_at"]:  # nobody edited it since
            await conn.execute(
                "UPDATE themes SET centroids = ?, edited_by = ?, edited_at = ? WHERE id = ?",
                (before["centroids"], before["edited_by"], before["edited_at"], target_id),
            )
        else:
            await conn.execute(
                "UPDATE themes SET centroids = ? WHERE id = ?", (before["centroids"], target_id)
            )
        await conn.execute(
            "UPDATE theme_merges SET undone_by = ?, undone_at = ? WHERE id = ?",
            (who, now, merge_id),
        )
        # merges recorded against the restored theme's old id follow it
        if restored != source["id"]:
            await conn.execute(
                "UPDATE theme_merges SET target_id = ? WHERE target_id = ? AND undone_at IS NULL",
                (restored, source["id"]),
            )
        await _audit(
            conn, msgspec.structs.replace(entry, detail=f"{entry.detail} → theme {restored}")
        )
        return restored

    return await db.write(work)


# Runs that steer -----------------------------------------------------------------------


async def start_run(db: Database, question_id: int, kind: str, mode: str, who: str) -> int | None:
    """A new running run of this mode; None when one is already running for this question."""

    async def work(conn: WriteConnection) -> int | None:
        if await _rows(
            conn,
            "SELECT id FROM analysis_runs WHERE question_id = ? AND status = 'running'",
            (question_id,),
        ):
            return None
        cursor = await conn.execute(
            "INSERT INTO analysis_runs (question_id, kind, mode, status, started_by, started_at)"
            " VALUES (?, ?, ?, 'running', ?, ?) RETURNING id",
            (question_id, kind, mode, who, to_db_time(utcnow())),
        )
        return int((await cursor.fetchone())["id"])

    return await db.write(work)


async def run_mode(db: Database, run_id: int) -> str:
    row = await db.fetch_one("SELECT mode FROM analysis_runs WHERE id = ?", (run_id,))
    return str(row["mode"]) if row else ""


async def save_new_themes(
    db: Database,
    run_id: int,
    question_id: int,
    themes: list[NewTheme],
    *,
    vectoriser: str,
    n: int,
    language_means: dict[str, list[float]],
    other_threshold: float | None,
) -> list[int]:
    """New themes found in "other": only answers still in "other" as the model left them
    join them (nothing a person placed moves); existing themes are not touched."""
    now = to_db_time(utcnow())

    async def work(conn: WriteConnection) -> list[int]:
        made = []
        for theme in themes:
            theme_id = await insert_model_theme(conn, question_id, run_id, theme, now)
            await conn.executemany(
                "UPDATE theme_members SET theme_id = ?, score = ?, assigned_at = ?, run_id = ?"
                " WHERE answer_id = ? AND question_id = ? AND theme_id IS NULL"
                " AND assigned_by = 'model'",
                [(theme_id, round(s, 4), now, run_id, a, question_id) for a, s in theme.members],
            )
            made.append(theme_id)
        await finish_run_in(
            conn, run_id, vectoriser, n, len(themes), None, language_means, other_threshold, now
        )
        return made

    return await db.write(work)


# Starting again ------------------------------------------------------------------------


class PersonWork(msgspec.Struct, frozen=True):
    """What people did to a question's themes: what a fresh start may carry over."""

    named: int  # themes a person named or made
    placed: int  # answers a person placed


async def person_work(db: Database, question_id: int) -> PersonWork:
    named = await db.fetch_one(
        "SELECT COUNT(*) AS n FROM themes WHERE question_id = ?"
        " AND (created_by != 'model' OR edited_by IS NOT NULL)",
        (question_id,),
    )
    placed = await db.fetch_one(
        "SELECT COUNT(*) AS n FROM theme_members WHERE question_id = ? AND assigned_by = 'person'",
        (question_id,),
    )
    return PersonWork(int(named["n"]) if named else 0, int(placed["n"]) if placed else 0)


class OldTheme(msgspec.Struct, frozen=True):
    id: int
    label: str
    touched: bool
    edited_by: str | None


async def old_themes(db: Database, question_id: int) -> list[OldTheme]:
    rows = await db.fetch_all(
        "SELECT id, label, created_by, edited_by FROM themes WHERE question_id = ? ORDER BY id",
        (question_id,),
    )
    return [
        OldTheme(
            id=r["id"],
            label=r["label"],
            touched=r["created_by"] != "model" or r["edited_by"] is not None,
            edited_by=r["edited_by"] or (r["created_by"] if r["created_by"] != "model" else None),
        )
        for r in rows
    ]


class FreshTheme(msgspec.Struct, frozen=True):
    theme: NewTheme
    carried_from: int | None  # the old theme whose name and responses it takes
    edited_by: str | None


async def save_restart(
    db: Database,
    run_id: int,
    question_id: int,
    themes: list[FreshTheme],
    other: list[tuple[int, float]],
    kept: dict[int, int | None],
    *,
    vectoriser: str,
    n: int,
    quality: float | None,
    language_means: dict[str, list[float]],
    other_threshold: float | None,
    entry: Entry,
) -> list[int]:
    """Replace a question's themes by fresh ones, in one transaction.

    ``kept``: answers a person placed that keep a person's placement → the index
    of their fresh theme (None: "other"). A fresh theme carried over from an old
    one takes its name, its editor and the board's responses; merges of the old
    themes can no longer be undone.
    """
    now = to_db_time(utcnow())

    async def work(conn: WriteConnection) -> list[int]:
        placed_by = {
            r["answer_id"]: (r["assigned_by_user"], r["assigned_at"])
            for r in await _rows(
                conn,
                "SELECT answer_id, assigned_by_user, assigned_at FROM theme_members"
                " WHERE question_id = ? AND assigned_by = 'person'",
                (question_id,),
            )
        }
        made: list[int] = []
        for fresh in themes:
            theme_id = await insert_model_theme(
                conn, question_id, run_id, fresh.theme, now, fresh.edited_by
            )
            made.append(theme_id)
            if fresh.carried_from is not None:
                await conn.execute(
                    "UPDATE outcomes SET theme_id = ? WHERE theme_id = ?",
                    (theme_id, fresh.carried_from),
                )
        keep = set(made)
        old = [
            r[0]
            for r in await _rows(
                conn, "SELECT id FROM themes WHERE question_id = ?", (question_id,)
            )
            if r[0] not in keep
        ]
        await conn.execute("DELETE FROM theme_members WHERE question_id = ?", (question_id,))
        await conn.executemany("DELETE FROM themes WHERE id = ?", [(i,) for i in old])
        await conn.execute("DELETE FROM theme_merges WHERE question_id = ?", (question_id,))
        await conn.execute("DELETE FROM theme_groups WHERE question_id = ?", (question_id,))
        rows = []
        for index, fresh in enumerate(themes):
            rows += [(a, s, made[index]) for a, s in fresh.theme.members]
        rows += [(a, s, None) for a, s in other]
        for answer_id, score, theme_id in rows:
            if answer_id in kept:
                target = kept[answer_id]
                user, at = placed_by.get(answer_id, (None, now))
                await conn.execute(
                    "INSERT INTO theme_members (answer_id, question_id, theme_id, score,"
                    " assigned_by, assigned_by_user, assigned_at, run_id)"
                    " VALUES (?, ?, ?, ?, 'person', ?, ?, ?)",
                    (
                        answer_id,
                        question_id,
                        made[target] if target is not None else None,
                        round(score, 4),
                        user,
                        at,
                        run_id,
                    ),
                )
            else:
                await conn.execute(
                    "INSERT INTO theme_members (answer_id, question_id, theme_id, score,"
                    " assigned_by, assigned_at, run_id) VALUES (?, ?, ?, ?, 'model', ?, ?)",
                    (answer_id, question_id, theme_id, round(score, 4), now, run_id),
                )
        await finish_run_in(
            conn, run_id, vectoriser, n, len(themes), quality, language_means, other_threshold, now
        )
        await _audit(conn, entry)
        return made

    return await db.write(work)


# Parent themes ------------------------------------------------------------------------


class GroupRow(msgspec.Struct, frozen=True):
    id: int
    question_id: int
    label: str
    edited_by: str | None


async def groups_for(db: Database, question_id: int) -> list[GroupRow]:
    rows = await db.fetch_all(
        "SELECT id, question_id, label, edited_by FROM theme_groups WHERE question_id = ?"
        " ORDER BY id",
        (question_id,),
    )
    return [GroupRow(r["id"], r["question_id"], r["label"], r["edited_by"]) for r in rows]


async def group_by_id(db: Database, group_id: int) -> GroupRow | None:
    r = await db.fetch_one(
        "SELECT id, question_id, label, edited_by FROM theme_groups WHERE id = ?", (group_id,)
    )
    return GroupRow(r["id"], r["question_id"], r["label"], r["edited_by"]) if r else None


async def theme_groups(db: Database, question_id: int) -> dict[int, int | None]:
    """Theme id → its parent group (None: not grouped yet)."""
    rows = await db.fetch_all(
        "SELECT id, group_id FROM themes WHERE question_id = ?", (question_id,)
    )
    return {r["id"]: r["group_id"] for r in rows}


async def save_groups(
    db: Database,
    question_id: int,
    new_groups: list[tuple[str, list[int]]],
    joins: list[tuple[int, int]],
) -> None:
    """New parent groups (label, theme ids) and themes joining existing groups
    (theme id, group id); a theme already in a group stays there."""

    async def work(conn: WriteConnection) -> None:
        for label, theme_ids in new_groups:
            cursor = await conn.execute(
                "INSERT INTO theme_groups (question_id, label) VALUES (?, ?) RETURNING id",
                (question_id, label),
            )
            group_id = int((await cursor.fetchone())["id"])
            await conn.executemany(
                "UPDATE themes SET group_id = ? WHERE id = ? AND group_id IS NULL",
                [(group_id, t) for t in theme_ids],
            )
        await conn.executemany(
            "UPDATE themes SET group_id = ? WHERE id = ? AND group_id IS NULL",
            [(g, t) for t, g in joins],
        )
        # a group left with no theme goes
        await conn.execute(
            "DELETE FROM theme_groups WHERE question_id = ? AND id NOT IN"
            " (SELECT group_id FROM themes WHERE question_id = ? AND group_id IS NOT NULL)",
            (question_id, question_id),
        )

    await db.write(work)


async def rename_group(db: Database, group_id: int, label: str, who: str, entry: Entry) -> None:
    async def work(conn: WriteConnection) -> None:
        await conn.execute(
            "UPDATE theme_groups SET label = ?, edited_by = ?, edited_at = ? WHERE id = ?",
            (label, who, to_db_time(utcnow()), group_id),
        )
        await _audit(conn, entry)

    await db.write(work)


# Second themes ------------------------------------------------------------------------


async def save_second_themes(
    db: Database, question_id: int, seconds: dict[int, int | None]
) -> None:
    """Answer id → the second theme it clearly raises too (None: none)."""

    async def work(conn: WriteConnection) -> None:
        await conn.executemany(
            "UPDATE theme_members SET also_theme_id = ? WHERE answer_id = ? AND question_id = ?"
            " AND (theme_id IS NULL OR theme_id != ?)",
            [(t, a, question_id, t or 0) for a, t in seconds.items()],
        )

    await db.write(work)


async def also_counts(db: Database, question_id: int) -> dict[int, int]:
    """Per theme: answers in another theme that raise this one too."""
    rows = await db.fetch_all(
        "SELECT also_theme_id, COUNT(*) AS n FROM theme_members WHERE question_id = ?"
        " AND also_theme_id IS NOT NULL AND theme_id IS NOT NULL AND theme_id != also_theme_id"
        " GROUP BY also_theme_id",
        (question_id,),
    )
    return {int(r["also_theme_id"]): int(r["n"]) for r in rows}


async def also_answers(
    db: Database, question_id: int, theme_id: int, limit: int
) -> list[AnswerRow]:
    """Answers placed in another theme that raise this theme too."""
    rows = await db.fetch_all(
        f"SELECT {ANSWER_COLUMNS} FROM theme_members tm JOIN answers a ON a.id = tm.answer_id"
        " JOIN participations p ON p.id = a.participation_id"
        " WHERE tm.question_id = ? AND tm.also_theme_id = ? AND tm.theme_id IS NOT NULL"
        " AND tm.theme_id != ? ORDER BY a.id LIMIT ?",
        (question_id, theme_id, theme_id, limit),
    )
    return [answer_row(r) for r in rows]
