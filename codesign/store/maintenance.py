"""Backups and retention: SQLite specifics of keeping data safe, and not too long."""

from __future__ import annotations

import sqlite3
from pathlib import Path

# The purge deletes every trace of an answer, as a withdrawal does: one place for both.
from codesign.store.db import create_private
from codesign.store.erasure import purge_expired_answers, purge_unsent_drafts

__all__ = ["backup", "purge_expired_answers", "purge_unsent_drafts"]


def backup(db_path: str, destination: str) -> int:
    """Copy the database with SQLite's online backup: safe while the site is serving.

    Returns the number of pages copied. The copy is a complete database file.
    """
    target = Path(destination)
    if target.exists():
        raise FileExistsError(f"{destination} exists; choose a new file name")
    source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    create_private(str(target))  # a backup holds everything the database does
    copy = sqlite3.connect(str(target))
    try:
        source.backup(copy, pages=1024)
        pages = copy.execute("PRAGMA page_count").fetchone()[0]
        ok = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise RuntimeError(f"the backup failed its integrity check: {ok}")
        return int(pages)
    finally:
        copy.close()
        source.close()
