# ruff: noqa: S608 - only constants and "?" placeholders are put into SQL text
"""Stored answer vectors, keyed "<model>|<digest>" (the digest: services.board.pure)."""

from __future__ import annotations

import numpy as np

from codesign.store.db import Database, WriteConnection, to_db_time, utcnow


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
