"""Staff accounts, round memberships, sessions and sign-in attempts."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import msgspec

from codesign.models import StaffUser
from codesign.store.db import Database, WriteConnection, from_db_time, to_db_time, utcnow


def _user(row: sqlite3.Row) -> StaffUser:
    return StaffUser(id=row["id"], email=row["email"], role=row["role"], active=bool(row["active"]))


async def create_user(db: Database, email: str, role: str, password_hash: str) -> StaffUser | None:
    """A new account; None when the email is already taken."""

    async def work(conn: WriteConnection) -> StaffUser | None:
        now = to_db_time(utcnow())
        cursor = await conn.execute(
            "INSERT INTO users (email, role, password_hash, created_at, password_changed_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING",
            (email, role, password_hash, now, now),
        )
        if cursor.rowcount != 1:
            return None
        return StaffUser(id=int(cursor.lastrowid), email=email, role=role)

    return await db.write(work)


async def by_email(db: Database, email: str) -> tuple[StaffUser, str] | None:
    """The account and its password hash."""
    row = await db.fetch_one("SELECT * FROM users WHERE email = ?", (email,))
    return (_user(row), row["password_hash"]) if row else None


async def by_id(db: Database, user_id: int) -> StaffUser | None:
    row = await db.fetch_one("SELECT * FROM users WHERE id = ?", (user_id,))
    return _user(row) if row else None


async def set_password_hash(db: Database, user_id: int, password_hash: str) -> None:
    """A new password ends every session of the account."""

    async def work(conn: WriteConnection) -> None:
        await conn.execute(
            "UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?",
            (password_hash, to_db_time(utcnow()), user_id),
        )
        await conn.execute("DELETE FROM staff_sessions WHERE user_id = ?", (user_id,))

    await db.write(work)


async def add_member(db: Database, round_id: int, user_id: int) -> bool:
    async def work(conn: WriteConnection) -> bool:
        cursor = await conn.execute(
            "INSERT INTO round_members (round_id, user_id, added_at) VALUES (?, ?, ?)"
            " ON CONFLICT (round_id, user_id) DO NOTHING",
            (round_id, user_id, to_db_time(utcnow())),
        )
        return cursor.rowcount == 1

    return await db.write(work)


async def remove_member(db: Database, round_id: int, user_id: int) -> bool:
    async def work(conn: WriteConnection) -> bool:
        cursor = await conn.execute(
            "DELETE FROM round_members WHERE round_id = ? AND user_id = ?", (round_id, user_id)
        )
        return cursor.rowcount == 1

    return await db.write(work)


async def is_member(db: Database, round_id: int, user_id: int) -> bool:
    row = await db.fetch_one(
        "SELECT 1 FROM round_members WHERE round_id = ? AND user_id = ?", (round_id, user_id)
    )
    return row is not None


async def members(db: Database, round_id: int) -> list[StaffUser]:
    rows = await db.fetch_all(
        "SELECT u.* FROM users u JOIN round_members m ON m.user_id = u.id"
        " WHERE m.round_id = ? ORDER BY u.role, u.email",
        (round_id,),
    )
    return [_user(r) for r in rows]


# Sessions ---------------------------------------------------------------


async def create_session(db: Database, token_hash: str, user_id: int, expires_at: datetime) -> None:
    async def work(conn: WriteConnection) -> None:
        now = to_db_time(utcnow())
        # Sweep expired sessions now and then, so the table stays small.
        await conn.execute("DELETE FROM staff_sessions WHERE expires_at < ?", (now,))
        await conn.execute(
            "INSERT INTO staff_sessions (token_hash, user_id, created_at, last_seen_at,"
            " expires_at) VALUES (?, ?, ?, ?, ?)",
            (token_hash, user_id, now, now, to_db_time(expires_at)),
        )

    await db.write(work)


async def session(db: Database, token_hash: str) -> tuple[StaffUser, datetime, datetime] | None:
    """(user, last seen, expires) for a live session of an active account."""
    row = await db.fetch_one(
        "SELECT u.*, s.last_seen_at, s.expires_at FROM staff_sessions s"
        " JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND u.active = 1",
        (token_hash,),
    )
    if row is None:
        return None
    return _user(row), from_db_time(row["last_seen_at"]), from_db_time(row["expires_at"])


async def touch_session(db: Database, token_hash: str) -> None:
    async def work(conn: WriteConnection) -> None:
        await conn.execute(
            "UPDATE staff_sessions SET last_seen_at = ? WHERE token_hash = ?",
            (to_db_time(utcnow()), token_hash),
        )

    await db.write(work)


async def delete_session(db: Database, token_hash: str) -> None:
    async def work(conn: WriteConnection) -> None:
        await conn.execute("DELETE FROM staff_sessions WHERE token_hash = ?", (token_hash,))

    await db.write(work)


# Sign-in attempts -------------------------------------------------------


class Reservation(msgspec.Struct, frozen=True):
    """A sign-in attempt counted before its password is checked."""

    attempt_id: int | None  # None: over a limit, nothing reserved
    account_failures: int  # failures for this account from anywhere, this one included


async def reserve_attempt(
    db: Database,
    account_key: str,
    client_key: str,
    since: datetime,
    *,
    pair_limit: int,
    client_limit: int,
    account_limit: int,
) -> Reservation:
    """Count an attempt as failed before the slow hash runs, in the writer's one transaction.

    Concurrent guesses each reserve in turn, so no burst gets more than the limits through
    to the hash; a good password turns its reservation into a success (`settle_attempt`).
    """

    async def work(conn: WriteConnection) -> Reservation:
        at = to_db_time(since)
        counts = await conn.execute_fetchall(
            "SELECT"
            " COALESCE(SUM(account_key = ? AND client_key = ?), 0) AS pair,"
            " COALESCE(SUM(client_key = ?), 0) AS client,"
            " COALESCE(SUM(account_key = ?), 0) AS account"
            " FROM sign_in_attempts WHERE ok = 0 AND at >= ?"
            " AND (account_key = ? OR client_key = ?)",
            (account_key, client_key, client_key, account_key, at, account_key, client_key),
        )
        pair, client, account = counts[0]["pair"], counts[0]["client"], counts[0]["account"]
        if pair >= pair_limit or client >= client_limit or account >= account_limit:
            return Reservation(None, account)
        now = utcnow()
        cursor = await conn.execute(
            "INSERT INTO sign_in_attempts (account_key, client_key, ok, at) VALUES (?, ?, 0, ?)",
            (account_key, client_key, to_db_time(now)),
        )
        # Attempts older than a day no longer count for anything.
        await conn.execute(
            "DELETE FROM sign_in_attempts WHERE at < ?", (to_db_time(now - timedelta(days=1)),)
        )
        return Reservation(int(cursor.lastrowid), account + 1)

    return await db.write(work)


async def settle_success(db: Database, attempt_id: int, account_key: str, client_key: str) -> None:
    """A good password: its reservation counts as a success and clears this client's failures
    for the account (other clients' failures still count: they may be an attacker's)."""

    async def work(conn: WriteConnection) -> None:
        await conn.execute("UPDATE sign_in_attempts SET ok = 1 WHERE id = ?", (attempt_id,))
        await conn.execute(
            "DELETE FROM sign_in_attempts WHERE account_key = ? AND client_key = ? AND ok = 0",
            (account_key, client_key),
        )

    await db.write(work)


async def forget_attempts_before(db: Database, before: datetime) -> None:
    async def work(conn: WriteConnection) -> None:
        await conn.execute("DELETE FROM sign_in_attempts WHERE at < ?", (to_db_time(before),))

    await db.write(work)
