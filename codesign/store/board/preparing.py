# ruff: noqa: S608 - only constants and "?" placeholders are put into SQL text
"""Preparing answers for the board: redacted text, language, the digest naming its vector.

Preparing happens in a run, and in the background as answers arrive (see
services.board.background): the model only ever sees redacted text.
"""

from __future__ import annotations

import msgspec

from codesign.store import search
from codesign.store.board.answers import THEMED
from codesign.store.db import Database, WriteConnection


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


async def prepared_hashes(db: Database, question_id: int) -> dict[int, str | None]:
    rows = await db.fetch_all(
        "SELECT a.id, a.prepared_hash FROM answers a"
        " JOIN participations p ON p.id = a.participation_id"
        f" WHERE a.question_id = ? AND {THEMED}",
        (question_id,),
    )
    return {r["id"]: r["prepared_hash"] for r in rows}


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
        await search.index_in(conn, [(p.id, p.redacted) for p in prepared])

    await db.write(work)


# Background work: answers that arrived since a run (services.board.background) -----


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
