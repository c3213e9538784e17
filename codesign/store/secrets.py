"""Per-installation secrets, generated once and kept in the database."""

from __future__ import annotations

import secrets

from codesign.store.db import Database


async def get_or_create(db: Database, name: str, nbytes: int = 32) -> str:
    row = await db.fetch_one("SELECT value FROM app_secrets WHERE name = ?", (name,))
    if row is not None:
        return row["value"]

    async def create(conn):
        await conn.execute(
            "INSERT INTO app_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            (name, secrets.token_hex(nbytes)),
        )
        async with conn.execute("SELECT value FROM app_secrets WHERE name = ?", (name,)) as cur:
            return (await cur.fetchone())["value"]

    return await db.write(create)
