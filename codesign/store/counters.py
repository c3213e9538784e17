"""Rate-limit counters in the database: one count per key and fixed window.

Several replicas of the app share nothing but the database, so a limit such as "10
code guesses a minute" is counted here, where every replica sees the same count
(codesign.web.ratelimit chooses this store when the database is shared). Keys are
keyed hashes made by the caller: nothing personal is stored. Portable SQL: the same
statements run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from codesign.store.db import Database, WriteConnection, to_db_time

_HIT = (
    "INSERT INTO rate_counters (key, window_start, count, expires_at) VALUES (?, ?, 1, ?)"
    " ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counters.count + 1"
    " WHERE rate_counters.count < ?"
    " RETURNING count"
)


def window_of(now: float, seconds: int) -> tuple[datetime, datetime]:
    """The fixed window holding `now` (seconds since the epoch): its start and end.

    Windows start at whole multiples of their length (every clock minute), so every
    replica puts the same request in the same window whatever its own start time.
    """
    start = int(now // seconds) * seconds
    begins = datetime.fromtimestamp(start, UTC)
    return begins, begins + timedelta(seconds=seconds)


async def hit(db: Database, key: str, now: float, seconds: int, limit: int) -> int | None:
    """Count one request for `key` in the window holding `now`, if the window has room.

    One conditional upsert: the first request of a window inserts its row, later ones
    add one while the count is below `limit`. Returns the count with this request, or
    None when the window was already full (the request is refused and not counted, so
    a full window's count never grows). Atomic on both engines: two replicas racing
    for the last place can't both get it.
    """
    begins, ends = window_of(now, seconds)

    async def work(conn: WriteConnection) -> int | None:
        async with conn.execute(_HIT, (key, to_db_time(begins), to_db_time(ends), limit)) as cur:
            row = await cur.fetchone()
        return None if row is None else int(row[0])

    return await db.write(work)


async def sweep(db: Database, now: datetime) -> int:
    """Delete every counter whose window ended by `now`; returns how many went.

    Run by the daily purge. One indexed DELETE of the expired rows only (the live ones
    are not touched or copied).
    """

    async def work(conn: WriteConnection) -> int:
        async with conn.execute(
            "DELETE FROM rate_counters WHERE expires_at <= ? RETURNING key", (to_db_time(now),)
        ) as cur:
            return len(await cur.fetchall())

    return await db.write(work)
