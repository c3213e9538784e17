# ruff: noqa: S608 - only constants and "?" placeholders are put into SQL text
"""A round's settings: listing and finding rounds, creating a draft, changing its
settings, the languages it offers, moving it through its life; and reading the round
inside a write."""

from __future__ import annotations

from typing import cast

from codesign.models import Round, RoundInput, RoundSettings, RoundSummary
from codesign.store.db import Database, WriteConnection, from_db_time, to_db_time, utcnow
from codesign.store.rounds import CLOSED_AT, load_round
from codesign.store.staff_rounds.texts import replace_contacts_in, upsert_round_text_in


def _locales(value: str) -> list[str]:
    return [loc for loc in (value or "").split(",") if loc]


async def list_rounds(db: Database, member_id: int | None) -> list[RoundSummary]:
    """Every round (member_id None), or the rounds one staff member sits on."""
    sql = (
        "SELECT r.*, COALESCE(t.title, '') AS title,"
        " (SELECT COUNT(*) FROM participations p WHERE p.round_id = r.id) AS n"
        " FROM rounds r LEFT JOIN round_texts t"
        " ON t.round_id = r.id AND t.locale = r.default_locale"
    )
    params: tuple = ()
    if member_id is not None:
        sql += " JOIN round_members m ON m.round_id = r.id AND m.user_id = ?"
        params = (member_id,)
    rows = await db.fetch_all(sql + " ORDER BY r.created_at DESC, r.id DESC", params)
    return [
        RoundSummary(
            id=r["id"],
            slug=r["slug"],
            status=r["status"],
            title=r["title"],
            default_locale=r["default_locale"],
            locales=_locales(r["locales"]),
            opens_at=from_db_time(r["opens_at"]),
            closes_at=from_db_time(r["closes_at"]),
            timezone=r["timezone"],
            participations=r["n"],
        )
        for r in rows
    ]


async def id_for_slug(db: Database, slug: str) -> int | None:
    row = await db.fetch_one("SELECT id FROM rounds WHERE slug = ?", (slug,))
    return int(row["id"]) if row else None


class _InWrite:
    """A write's connection with the read face of `Database` (fetch_one, fetch_all), so
    a use case can read the round as its own transaction sees it, with the same
    queries the pages use."""

    __slots__ = ("conn",)

    def __init__(self, conn: WriteConnection) -> None:
        self.conn = conn

    async def fetch_all(self, sql: str, params: tuple = ()) -> list:
        return list(await self.conn.execute_fetchall(sql, params))

    async def fetch_one(self, sql: str, params: tuple = ()):
        rows = await self.conn.execute_fetchall(sql, params)
        return rows[0] if rows else None


async def load_round_in(conn: WriteConnection, slug: str) -> Round | None:
    """Inside a write: the round with everything in it, as this transaction sees it."""
    return await load_round(cast(Database, _InWrite(conn)), slug)


async def settings_in(conn: WriteConnection, round_id: int) -> RoundSettings | None:
    """Inside a write: the round's settings, as this transaction sees them."""
    return await settings_for(cast(Database, _InWrite(conn)), round_id)


async def settings_for(db: Database, round_id: int) -> RoundSettings | None:
    row = await db.fetch_one(
        "SELECT id, wanted_locales, locales, default_locale, retention_days, draft_days,"
        " EXISTS (SELECT 1 FROM answers a JOIN participations p ON p.id = a.participation_id"
        "   WHERE p.round_id = rounds.id) AS has_answers,"
        " (SELECT safeguarding_user_id FROM board_settings b WHERE b.round_id = rounds.id)"
        "   AS lead_id"
        " FROM rounds WHERE id = ?",
        (round_id,),
    )
    if row is None:
        return None
    wanted = _locales(row["wanted_locales"]) or _locales(row["locales"])
    return RoundSettings(
        round_id=row["id"],
        wanted_locales=wanted,
        retention_days=row["retention_days"],
        has_answers=bool(row["has_answers"]),
        safeguarding_lead_id=row["lead_id"],
        draft_days=row["draft_days"],
    )


def _settings_values(data: RoundInput) -> tuple:
    """The round's own columns, in the order both statements below name them."""
    return (
        data.default_locale,
        ",".join(data.wanted_locales),
        data.timezone,
        to_db_time(data.opens_at),
        to_db_time(data.closes_at),
        data.response_due.isoformat() if data.response_due else None,
        data.minutes_estimate,
        data.retention_days,
        data.region,
        data.draft_days,
    )


_SETTINGS_COLUMNS = (
    "default_locale, wanted_locales, timezone, opens_at, closes_at, response_due,"
    " minutes_estimate, retention_days, region, draft_days"
)
_SETTINGS_ASSIGNED = ", ".join(f"{c.strip()} = ?" for c in _SETTINGS_COLUMNS.split(","))


async def create_draft_in(
    conn: WriteConnection, slug: str, data: RoundInput, member_id: int
) -> int | None:
    """A new draft and its first member; None (nothing written) if the slug is taken."""
    now = to_db_time(utcnow())
    cursor = await conn.execute(
        f"INSERT INTO rounds (slug, status, locales, created_at, updated_at, {_SETTINGS_COLUMNS})"
        " VALUES (?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (slug) DO NOTHING RETURNING id",
        (slug, data.default_locale, now, now, *_settings_values(data)),
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    round_id = int(row["id"])
    await upsert_round_text_in(conn, round_id, data.text)
    await replace_contacts_in(conn, round_id, data.default_locale, data.contacts)
    await conn.execute(
        "INSERT INTO round_members (round_id, user_id, added_at) VALUES (?, ?, ?)",
        (round_id, member_id, now),
    )
    return round_id


async def update_round_in(conn: WriteConnection, round_id: int, data: RoundInput) -> bool:
    """False (and nothing written) when the main language would change on a round
    that is no longer a draft: checked in the statement, as the round may have opened
    since the page was loaded."""
    async with conn.execute(
        f"UPDATE rounds SET updated_at = ?, {_SETTINGS_ASSIGNED}"
        " WHERE id = ? AND (status = 'draft' OR default_locale = ?) RETURNING id",
        (to_db_time(utcnow()), *_settings_values(data), round_id, data.default_locale),
    ) as cursor:
        if await cursor.fetchone() is None:
            return False
    await upsert_round_text_in(conn, round_id, data.text)
    await replace_contacts_in(conn, round_id, data.default_locale, data.contacts)
    return True


async def set_offered_in(conn: WriteConnection, round_id: int, offered: list[str]) -> None:
    await conn.execute("UPDATE rounds SET locales = ? WHERE id = ?", (",".join(offered), round_id))


async def set_status(db: Database, round_id: int, status: str, expected: str) -> bool:
    return await db.write(lambda conn: set_status_in(conn, round_id, status, expected))


async def set_status_in(conn: WriteConnection, round_id: int, status: str, expected: str) -> bool:
    """Move the round on; False if someone else moved it first."""

    now = to_db_time(utcnow())
    cursor = await conn.execute(
        f"UPDATE rounds SET status = ?, updated_at = ?, {CLOSED_AT}"  # noqa: S608
        " WHERE id = ? AND status = ?",
        (status, now, status, now, status, round_id, expected),
    )
    return cursor.rowcount == 1
