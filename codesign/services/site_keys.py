"""This installation's keys (CSRF, resume codes, staff), made once and kept in the database."""

from __future__ import annotations

from codesign.store import secrets as secret_store
from codesign.store.db import Database


async def site_key(db: Database, name: str) -> str:
    """The key called `name`, made on first use; the same on every replica."""
    return await secret_store.get_or_create(db, name)
