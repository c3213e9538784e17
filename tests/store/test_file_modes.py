"""The database, its WAL and SHM files and its backups are readable by their owner only."""

from __future__ import annotations

import os
import stat

import pytest

from codesign.store import audit
from codesign.store.db import Database
from codesign.store.maintenance import backup

pytestmark = pytest.mark.sqlite_only("the SQLite file's permissions")


@pytest.fixture(autouse=True)
def usual_umask():
    # The common default: files others can read, unless the code says otherwise.
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


async def test_database_wal_shm_and_backup_are_0600(tmp_path):
    path = tmp_path / "private.db"
    db = Database(str(path))
    await db.connect()
    try:
        await audit.add(db, "test", "something")  # the WAL now has a frame
        for name in ("private.db", "private.db-wal", "private.db-shm"):
            assert (tmp_path / name).exists(), name
            assert _mode(tmp_path / name) == 0o600, name
        copy = tmp_path / "backup.db"
        backup(str(path), str(copy))
        assert _mode(copy) == 0o600
    finally:
        await db.close()


async def test_an_existing_readable_database_is_tightened(tmp_path):
    path = tmp_path / "old.db"
    first = Database(str(path))
    await first.connect()
    await first.close()
    os.chmod(path, 0o644)
    again = Database(str(path))
    await again.connect()
    try:
        assert _mode(path) == 0o600
    finally:
        await again.close()
