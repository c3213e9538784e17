"""Store fixtures: a migrated database, empty or with the demo round.

On PostgreSQL (CODESIGN_TEST_DATABASE_URL), tests/conftest.py swaps this module's
`Database` for a fresh PostgreSQL database per path, as it does in every test
module, so the same fixtures serve both backends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from codesign.demo.round import build_demo_round
from codesign.models import Round
from codesign.store import rounds as round_store
from codesign.store.db import Database


@pytest.fixture
async def empty_db(tmp_path) -> AsyncIterator[Database]:
    """A migrated database with no rounds (closed after the test)."""
    database = Database(str(tmp_path / "store.db"))
    await database.connect()
    yield database
    await database.close()


@pytest.fixture
async def db(empty_db: Database) -> Database:
    """A migrated database holding the demo round (slug "demo")."""
    await round_store.create_round(empty_db, build_demo_round())
    return empty_db


@pytest.fixture
async def demo_round(db: Database) -> Round:
    """The demo round as the store loads it (ids included)."""
    return await round_store.load_round(db, "demo")
