"""Staff accounts, round memberships, sessions and sign-in attempts."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import msgspec

from codesign.models import StaffUser
from codesign.store import audit
from codesign.store.db import Database, WriteConnection, from_db_time, to_db_time, utcnow


def _user(row: sqlite3.Row) -> StaffUser:
    return StaffUser(
        id=row["id"],
        email=row["email"],
        role=row["role"],
        active=bool(row["active"]),
        two_factor=row["totp_secret"] is not None,
        invited=row["password_hash"] == "",
        demo=bool(row["demo"]),
    )


async def create_user(db: Database, email: str, role: str, password_hash: str) -> StaffUser | None:
    """A new account; None when the email is already taken."""

    async def work(conn: WriteConnection) -> StaffUser | None:
        now = to_db_time(utcnow())
        cursor = await conn.execute(
            "INSERT INTO users (email, role, password_hash, created_at, password_changed_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING RETURNING id",
            (email, role, password_hash, now, now),
        )
        made = await cursor.fetchone()
        if made is None:  # the email is taken
            return None
        return StaffUser(id=int(made["id"]), email=email, role=role)

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
    return await db.write(lambda conn: add_member_in(conn, round_id, user_id))


async def add_member_in(conn: WriteConnection, round_id: int, user_id: int) -> bool:
    cursor = await conn.execute(
        "INSERT INTO round_members (round_id, user_id, added_at) VALUES (?, ?, ?)"
        " ON CONFLICT (round_id, user_id) DO NOTHING",
        (round_id, user_id, to_db_time(utcnow())),
    )
    return cursor.rowcount == 1


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


async def create_session(
    db: Database, token_hash: str, user_id: int, expires_at: datetime, stage: str = "full"
) -> None:
    async def work(conn: WriteConnection) -> None:
        await create_session_in(conn, token_hash, user_id, expires_at, stage)

    await db.write(work)


async def create_session_in(
    conn: WriteConnection, token_hash: str, user_id: int, expires_at: datetime, stage: str
) -> None:
    now = to_db_time(utcnow())
    # Sweep expired sessions now and then, so the table stays small.
    await conn.execute("DELETE FROM staff_sessions WHERE expires_at < ?", (now,))
    await conn.execute(
        "INSERT INTO staff_sessions (token_hash, user_id, created_at, last_seen_at,"
        " expires_at, stage) VALUES (?, ?, ?, ?, ?, ?)",
        (token_hash, user_id, now, now, to_db_time(expires_at), stage),
    )


class SessionRow(msgspec.Struct, frozen=True):
    user: StaffUser
    last_seen: datetime
    expires: datetime
    stage: str  # full | code | enrol
    pending_secret: str | None


async def session(db: Database, token_hash: str) -> SessionRow | None:
    """A live session of an active account."""
    row = await db.fetch_one(
        "SELECT u.*, s.last_seen_at, s.expires_at, s.stage, s.pending_secret"
        " FROM staff_sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.token_hash = ? AND u.active = 1",
        (token_hash,),
    )
    if row is None:
        return None
    return SessionRow(
        _user(row),
        from_db_time(row["last_seen_at"]),
        from_db_time(row["expires_at"]),
        row["stage"],
        row["pending_secret"],
    )


async def set_pending_secret(db: Database, token_hash: str, secret: str) -> None:
    async def work(conn: WriteConnection) -> None:
        await conn.execute(
            "UPDATE staff_sessions SET pending_secret = ? WHERE token_hash = ?",
            (secret, token_hash),
        )

    await db.write(work)


async def finish_code_step(db: Database, token_hash: str, actor: StaffUser) -> bool:
    """The code step passed: the session becomes a full one (with its audit entry)."""

    async def work(conn: WriteConnection) -> bool:
        cursor = await conn.execute(
            "UPDATE staff_sessions SET stage = 'full' WHERE token_hash = ? AND stage = 'code'",
            (token_hash,),
        )
        if cursor.rowcount != 1:
            return False
        await audit.add_in(conn, actor.email, "sign_in", user_id=actor.id)
        return True

    return await db.write(work)


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
            " COALESCE(SUM(CASE WHEN account_key = ? AND client_key = ? THEN 1 ELSE 0 END), 0)"
            " AS pair,"
            " COALESCE(SUM(CASE WHEN client_key = ? THEN 1 ELSE 0 END), 0) AS client,"
            " COALESCE(SUM(CASE WHEN account_key = ? THEN 1 ELSE 0 END), 0) AS account"
            " FROM sign_in_attempts WHERE ok = 0 AND at >= ?"
            " AND (account_key = ? OR client_key = ?)",
            (account_key, client_key, client_key, account_key, at, account_key, client_key),
        )
        pair, client, account = counts[0]["pair"], counts[0]["client"], counts[0]["account"]
        if pair >= pair_limit or client >= client_limit or account >= account_limit:
            return Reservation(None, account)
        now = utcnow()
        cursor = await conn.execute(
            "INSERT INTO sign_in_attempts (account_key, client_key, ok, at) VALUES (?, ?, 0, ?)"
            " RETURNING id",
            (account_key, client_key, to_db_time(now)),
        )
        attempt_id = int((await cursor.fetchone())["id"])
        # Attempts older than a day no longer count for anything.
        await conn.execute(
            "DELETE FROM sign_in_attempts WHERE at < ?", (to_db_time(now - timedelta(days=1)),)
        )
        return Reservation(attempt_id, account + 1)

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


# Accounts from the web (issue 13) ------------------------------------------


class Actor(msgspec.Struct, frozen=True):
    """Who made a change, for its audit entry."""

    email: str
    id: int | None


async def all_users(db: Database) -> list[StaffUser]:
    rows = await db.fetch_all("SELECT * FROM users ORDER BY active DESC, role, email")
    return [_user(r) for r in rows]


async def create_invited(
    db: Database,
    email: str,
    role: str,
    token_hash: str,
    expires_at: datetime,
    actor: Actor,
) -> StaffUser | None:
    """A new account without a password and its invitation link; None if the email is taken."""

    async def work(conn: WriteConnection) -> StaffUser | None:
        now = to_db_time(utcnow())
        cursor = await conn.execute(
            "INSERT INTO users (email, role, password_hash, created_at, password_changed_at)"
            " VALUES (?, ?, '', ?, ?) ON CONFLICT (email) DO NOTHING RETURNING id",
            (email, role, now, now),
        )
        made = await cursor.fetchone()
        if made is None:  # the email is taken
            return None
        user_id = int(made["id"])
        await _add_link(conn, token_hash, user_id, "invite", expires_at)
        await audit.add_in(conn, actor.email, "user_invited", f"{email} ({role})", user_id=actor.id)
        return StaffUser(id=user_id, email=email, role=role, invited=True)

    return await db.write(work)


async def _add_link(
    conn: WriteConnection, token_hash: str, user_id: int, kind: str, expires_at: datetime
) -> None:
    # A new link replaces any unused one: only the latest link works.
    await conn.execute("DELETE FROM account_links WHERE user_id = ?", (user_id,))
    await conn.execute(
        "INSERT INTO account_links (token_hash, user_id, kind, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (token_hash, user_id, kind, to_db_time(utcnow()), to_db_time(expires_at)),
    )


async def create_link(
    db: Database,
    user_id: int,
    token_hash: str,
    invite_expires: datetime,
    reset_expires: datetime,
    actor: Actor,
) -> StaffUser | None:
    """A password-reset link (or a fresh invitation for an account that has no password yet)
    for an active account; None when there is no such account."""

    async def work(conn: WriteConnection) -> StaffUser | None:
        rows = await conn.execute_fetchall(
            "SELECT * FROM users WHERE id = ? AND active = 1", (user_id,)
        )
        if not rows:
            return None
        user = _user(rows[0])
        kind = "invite" if user.invited else "reset"
        expires_at = invite_expires if user.invited else reset_expires
        await _add_link(conn, token_hash, user.id, kind, expires_at)
        action = "invitation_sent_again" if user.invited else "password_reset_sent"
        await audit.add_in(conn, actor.email, action, user.email, user_id=actor.id)
        return user

    return await db.write(work)


class AccountLink(msgspec.Struct, frozen=True):
    user: StaffUser
    kind: str  # invite | reset
    expires_at: datetime
    used: bool


async def link(db: Database, token_hash: str) -> AccountLink | None:
    row = await db.fetch_one(
        "SELECT u.*, l.kind, l.expires_at, l.used_at FROM account_links l"
        " JOIN users u ON u.id = l.user_id WHERE l.token_hash = ? AND u.active = 1",
        (token_hash,),
    )
    if row is None:
        return None
    return AccountLink(
        _user(row), row["kind"], from_db_time(row["expires_at"]), row["used_at"] is not None
    )


async def use_link(
    db: Database,
    token_hash: str,
    password_hash: str,
    session_hash: str,
    session_expires: datetime,
    stage_for: StageRule,
) -> tuple[StaffUser, str] | None:
    """Spend a one-time link: set the password, end every other session, start one.

    Conditional on the link being unused and in time, in one transaction with its audit
    entry; None when it isn't (used, expired, replaced or the account deactivated).
    """

    async def work(conn: WriteConnection) -> tuple[StaffUser, str] | None:
        now = to_db_time(utcnow())
        rows = await conn.execute_fetchall(
            "UPDATE account_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL"
            " AND expires_at > ? AND user_id IN (SELECT id FROM users WHERE active = 1)"
            " RETURNING user_id, kind",
            (now, token_hash, now),
        )
        if not rows:
            return None
        user_id, kind = rows[0]["user_id"], rows[0]["kind"]
        await conn.execute(
            "UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?",
            (password_hash, now, user_id),
        )
        await conn.execute("DELETE FROM staff_sessions WHERE user_id = ?", (user_id,))
        found = await conn.execute_fetchall("SELECT * FROM users WHERE id = ?", (user_id,))
        user = _user(found[0])
        stage = await stage_for.stage_in(conn, user)
        await create_session_in(conn, session_hash, user.id, session_expires, stage)
        action = "invitation_accepted" if kind == "invite" else "password_reset_used"
        await audit.add_in(conn, user.email, action, user_id=user.id)
        return user, stage

    return await db.write(work)


async def set_active(db: Database, user_id: int, active: bool, actor: Actor) -> StaffUser | None:
    """Deactivate (every session ends at once) or reactivate an account; never one's own."""

    async def work(conn: WriteConnection) -> StaffUser | None:
        rows = await conn.execute_fetchall(
            "UPDATE users SET active = ? WHERE id = ? AND id IS DISTINCT FROM ? AND active != ?"
            " RETURNING *",
            (int(active), user_id, actor.id, int(active)),
        )
        if not rows:
            return None
        user = _user(rows[0])
        if not active:
            await conn.execute("DELETE FROM staff_sessions WHERE user_id = ?", (user_id,))
            await conn.execute("DELETE FROM account_links WHERE user_id = ?", (user_id,))
        action = "user_reactivated" if active else "user_deactivated"
        await audit.add_in(conn, actor.email, action, user.email, user_id=actor.id)
        return user

    return await db.write(work)


async def set_role(db: Database, user_id: int, role: str, actor: Actor) -> StaffUser | None:
    """A new role (never one's own: an admin can't lock the site out of its admins)."""

    async def work(conn: WriteConnection) -> StaffUser | None:
        rows = await conn.execute_fetchall(
            "UPDATE users SET role = ? WHERE id = ? AND id IS DISTINCT FROM ? AND role != ?"
            " RETURNING *",
            (role, user_id, actor.id, role),
        )
        if not rows:
            return None
        user = _user(rows[0])
        if role == "admin" and not user.two_factor and not user.demo:
            # Admins need two-step sign-in: a session signed in with a password only
            # sets it up before it goes anywhere else (as a new admin's sign-in would).
            await conn.execute(
                "UPDATE staff_sessions SET stage = 'enrol' WHERE user_id = ? AND stage = 'full'",
                (user_id,),
            )
        await audit.add_in(conn, actor.email, "role_changed", f"{user.email} ({role})",
                           user_id=actor.id)
        return user

    return await db.write(work)


async def remove_member_checked(
    db: Database, round_id: int, user_id: int, actor: Actor
) -> str:
    """Take someone off a round: 'removed', 'lead' (they are its safeguarding lead or deputy:
    choose another first) or 'absent'. The check is part of the delete."""

    async def work(conn: WriteConnection) -> str:
        cursor = await conn.execute(
            "DELETE FROM round_members WHERE round_id = ? AND user_id = ? AND NOT EXISTS ("
            " SELECT 1 FROM board_settings b WHERE b.round_id = ?"
            " AND (b.safeguarding_user_id = ? OR b.safeguarding_deputy_id = ?))",
            (round_id, user_id, round_id, user_id, user_id),
        )
        if cursor.rowcount == 1:
            email = await conn.execute_fetchall("SELECT email FROM users WHERE id = ?", (user_id,))
            await audit.add_in(conn, actor.email, "member_removed", email[0]["email"],
                               user_id=actor.id, round_id=round_id)
            return "removed"
        still = await conn.execute_fetchall(
            "SELECT 1 FROM round_members WHERE round_id = ? AND user_id = ?", (round_id, user_id)
        )
        return "lead" if still else "absent"

    return await db.write(work)


# Two-step sign-in ------------------------------------------------------------


class StageRule:
    """Decides, inside a write, which stage a new session starts at (`AccountService`)."""

    async def stage_in(self, conn: WriteConnection, user: StaffUser) -> str:  # pragma: no cover
        raise NotImplementedError


async def is_safeguarding_person_in(conn: WriteConnection, user_id: int) -> bool:
    rows = await conn.execute_fetchall(
        "SELECT 1 FROM board_settings WHERE safeguarding_user_id = ?"
        " OR safeguarding_deputy_id = ? LIMIT 1",
        (user_id, user_id),
    )
    return bool(rows)


async def is_safeguarding_person(db: Database, user_id: int) -> bool:
    row = await db.fetch_one(
        "SELECT 1 FROM board_settings WHERE safeguarding_user_id = ?"
        " OR safeguarding_deputy_id = ? LIMIT 1",
        (user_id, user_id),
    )
    return row is not None


async def site_setting_in(conn: WriteConnection, name: str) -> str | None:
    rows = await conn.execute_fetchall("SELECT value FROM site_settings WHERE name = ?", (name,))
    return rows[0]["value"] if rows else None


async def site_setting(db: Database, name: str) -> str | None:
    row = await db.fetch_one("SELECT value FROM site_settings WHERE name = ?", (name,))
    return row["value"] if row else None


async def set_site_setting(db: Database, name: str, value: str, actor: Actor, action: str) -> None:
    async def work(conn: WriteConnection) -> None:
        await conn.execute(
            "INSERT INTO site_settings (name, value) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, value),
        )
        await audit.add_in(conn, actor.email, action, value, user_id=actor.id)

    await db.write(work)


async def totp_state(db: Database, user_id: int) -> tuple[str | None, int]:
    row = await db.fetch_one("SELECT totp_secret, totp_last_step FROM users WHERE id = ?",
                             (user_id,))
    return (row["totp_secret"], row["totp_last_step"]) if row else (None, 0)


async def spend_totp_step(db: Database, user_id: int, step: int) -> bool:
    """A code's 30-second step counts once: later codes only (no replay)."""

    async def work(conn: WriteConnection) -> bool:
        cursor = await conn.execute(
            "UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?",
            (step, user_id, step),
        )
        return cursor.rowcount == 1

    return await db.write(work)


async def spend_recovery_code(db: Database, user_id: int, code_hash: str) -> bool:
    async def work(conn: WriteConnection) -> bool:
        cursor = await conn.execute(
            "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ?"
            " AND used_at IS NULL",
            (to_db_time(utcnow()), user_id, code_hash),
        )
        if cursor.rowcount != 1:
            return False
        email = await conn.execute_fetchall("SELECT email FROM users WHERE id = ?", (user_id,))
        await audit.add_in(conn, email[0]["email"], "recovery_code_used", user_id=user_id)
        return True

    return await db.write(work)


async def recovery_codes_left(db: Database, user_id: int) -> int:
    row = await db.fetch_one(
        "SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = ? AND used_at IS NULL",
        (user_id,),
    )
    return int(row["n"]) if row else 0


async def enrol_two_factor(
    db: Database, token_hash: str, user: StaffUser, secret: str, step: int, code_hashes: list[str]
) -> bool:
    """Two-step sign-in set up: the secret, its first step spent, new recovery codes, and the
    session that did it becomes a full one — one transaction with the audit entry."""

    async def work(conn: WriteConnection) -> bool:
        cursor = await conn.execute(
            "UPDATE staff_sessions SET stage = 'full', pending_secret = NULL"
            " WHERE token_hash = ? AND user_id = ? AND pending_secret = ?",
            (token_hash, user.id, secret),
        )
        if cursor.rowcount != 1:
            return False
        await conn.execute(
            "UPDATE users SET totp_secret = ?, totp_last_step = ? WHERE id = ?",
            (secret, step, user.id),
        )
        await conn.execute("DELETE FROM recovery_codes WHERE user_id = ?", (user.id,))
        await conn.executemany(
            "INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)",
            [(user.id, h) for h in code_hashes],
        )
        # Any other session of the account ends: it was signed in without this step.
        await conn.execute(
            "DELETE FROM staff_sessions WHERE user_id = ? AND token_hash != ?",
            (user.id, token_hash),
        )
        await audit.add_in(conn, user.email, "two_factor_set_up", user_id=user.id)
        return True

    return await db.write(work)


async def mark_demo(db: Database, user_id: int) -> None:
    async def work(conn: WriteConnection) -> None:
        await conn.execute("UPDATE users SET demo = 1 WHERE id = ?", (user_id,))

    await db.write(work)


async def clear_two_factor(db: Database, user_id: int, actor: Actor) -> StaffUser | None:
    """Someone lost their phone and their recovery codes: their app codes and recovery codes
    stop working and their sessions end; where it is required, they set it up again at their
    next sign-in. Never one's own (another admin checks who is asking)."""

    async def work(conn: WriteConnection) -> StaffUser | None:
        rows = await conn.execute_fetchall(
            "UPDATE users SET totp_secret = NULL, totp_last_step = 0"
            " WHERE id = ? AND id IS DISTINCT FROM ? AND totp_secret IS NOT NULL RETURNING *",
            (user_id, actor.id),
        )
        if not rows:
            return None
        await conn.execute("DELETE FROM recovery_codes WHERE user_id = ?", (user_id,))
        await conn.execute("DELETE FROM staff_sessions WHERE user_id = ?", (user_id,))
        user = _user(rows[0])
        await audit.add_in(conn, actor.email, "two_factor_cleared", user.email, user_id=actor.id)
        return user

    return await db.write(work)
