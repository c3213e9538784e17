"""A round's board settings: anonymity threshold, quotes, safeguarding lead, sign-off."""

from __future__ import annotations

from codesign.models import BoardSettings
from codesign.store.db import Database, WriteConnection, from_db_time, to_db_time, utcnow


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
