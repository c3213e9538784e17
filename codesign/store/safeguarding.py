# ruff: noqa: S608 - only constants and "?" placeholders are put into SQL text
"""Safeguarding: screening results, the lead's queue, contacts left for the lead.

An item points at its answer and never copies its text: withdrawing or purging
the answer removes the item (ON DELETE CASCADE). Only sent answers (the
participation is 'submitted', which paper responses are from the start) ever
become items; a draft's screening only offers its writer support.
"""

from __future__ import annotations

import json
from datetime import datetime

import msgspec

from codesign.store import audit
from codesign.store.db import Database, WriteConnection, from_db_time, to_db_time, utcnow

STATUSES = ("new", "seen", "action_taken", "no_action")
OPEN_STATUSES = ("new", "seen")


class ScreenInput(msgspec.Struct, frozen=True):
    """A written answer not screened since its text last changed."""

    id: int
    text: str
    locale: str
    submitted: bool


class Screened(msgspec.Struct, frozen=True):
    """What the detector said about one answer's text (`text` as it was screened)."""

    id: int
    text: str
    risk: bool
    distressing: bool
    kinds: list[str]
    score: float
    reasons: list[dict[str, str]]
    detector: str


class Item(msgspec.Struct, frozen=True):
    id: int
    round_id: int
    answer_id: int
    participation_id: int
    question_id: int
    source: str
    kinds: list[str]
    reasons: list[dict[str, str]]
    detector_flagged: bool
    status: str
    false_alarm: bool
    flagged_by: str | None
    received_at: datetime
    updated_at: datetime
    escalated_at: datetime | None
    language: str
    locale: str
    paper: bool
    has_contact: bool


class ItemText(msgspec.Struct, frozen=True):
    text: str
    redacted: str | None
    language: str
    locale: str


class Event(msgspec.Struct, frozen=True):
    at: datetime
    actor: str
    action: str
    status: str | None
    note: str


class QueueCounts(msgspec.Struct, frozen=True):
    by_status: dict[str, int]
    detector_flags: int
    false_alarms: int
    misses: int  # flagged by a person where the detector did not


class RoundAttention(msgspec.Struct, frozen=True):
    """For a staff home: a round with items waiting."""

    round_id: int
    new: int
    escalated: int


def _kinds(value: str | None) -> list[str]:
    """Risk kinds from a comma list (an answer's flags also name 'distressing')."""
    return [k for k in (value or "").split(",") if k and k != "distressing"]


# Screening -----------------------------------------------------------------------


async def answers_to_screen(
    db: Database,
    limit: int,
    participation_id: int | None = None,
    drafts_saved_before: datetime | None = None,
) -> list[ScreenInput]:
    """Oldest first; or only one participation's (screened as they move on).

    `drafts_saved_before`: a draft still being typed waits until its words settle, so
    someone typing is screened once, not at every autosave.
    """
    where = "a.screened = 0 AND a.text IS NOT NULL"
    params: tuple = ()
    if participation_id is not None:
        where += " AND a.participation_id = ?"
        params += (participation_id,)
    if drafts_saved_before is not None:
        where += " AND (p.status != 'started' OR a.saved_at < ?)"
        params += (to_db_time(drafts_saved_before),)
    rows = await db.fetch_all(
        "SELECT a.id, a.text, a.locale, p.status FROM answers a"
        " JOIN participations p ON p.id = a.participation_id"
        f" WHERE {where} ORDER BY a.id LIMIT ?",
        (*params, limit),
    )
    return [
        ScreenInput(r["id"], r["text"] or "", r["locale"], r["status"] == "submitted") for r in rows
    ]


_QUEUE_ANSWER = (
    "INSERT INTO safeguarding_items (round_id, answer_id, participation_id, source, kinds,"
    " reasons, detector_flagged, received_at, updated_at)"
    " SELECT p.round_id, a.id, p.id, 'detector', a.flags, a.risk_reasons, 1, ?, ?"
    " FROM answers a JOIN participations p ON p.id = a.participation_id"
    " WHERE p.status = 'submitted' AND a.screened = 1 AND a.risk = 1 AND a.{column} = ?"
    " ON CONFLICT (answer_id) DO UPDATE SET detector_flagged = 1"
    " WHERE safeguarding_items.detector_flagged = 0"
    " RETURNING id, round_id"
)


async def _queue(conn: WriteConnection, column: str, value: int, now: str) -> int:
    """Queue the risky screened answers of sent participations, by answer or participation."""
    assert column in ("id", "participation_id")
    rows = await conn.execute_fetchall(_QUEUE_ANSWER.format(column=column), (now, now, value))
    for r in rows:
        await _event(conn, r["id"], "detector", "flagged", "new", "", now)
        await audit.add_in(
            conn, "detector", "safeguarding_flagged", f"item {r['id']}", round_id=r["round_id"]
        )
    return len(rows)


async def save_screenings(db: Database, results: list[Screened]) -> int:
    """Store the screenings of unchanged texts; queue the risky sent ones. Returns items made.

    One transaction: an answer whose text changed since it was read keeps
    `screened = 0` (the condition on its text) and is screened again.
    """

    async def work(conn: WriteConnection) -> int:
        now = to_db_time(utcnow())
        made = 0
        for s in results:
            flags = ",".join(s.kinds + (["distressing"] if s.distressing else []))
            cursor = await conn.execute(
                "UPDATE answers SET screened = 1, risk = ?, distressing = ?, flags = ?,"
                " risk_score = ?, risk_reasons = ?, screened_by = ? WHERE id = ? AND text = ?",
                (
                    int(s.risk),
                    int(s.distressing),
                    flags,
                    s.score,
                    json.dumps(s.reasons, ensure_ascii=False),
                    s.detector,
                    s.id,
                    s.text,
                ),
            )
            if cursor.rowcount != 1 or not s.risk:
                continue
            await conn.execute(
                "UPDATE participations SET support_offered = 1 WHERE id ="
                " (SELECT participation_id FROM answers WHERE id = ?)",
                (s.id,),
            )
            made += await _queue(conn, "id", s.id, now)
        return made

    return await db.write(work)


async def support_offered(db: Database, participation_id: int) -> bool:
    row = await db.fetch_one(
        "SELECT support_offered FROM participations WHERE id = ?", (participation_id,)
    )
    return bool(row and row["support_offered"])


async def queue_sent_answers(conn: WriteConnection, participation_id: int) -> int:
    """Inside the transaction that sends a participation: its risky answers join the queue.

    Answers not screened yet join when they are (the participation is then sent).
    """
    return await _queue(conn, "participation_id", participation_id, to_db_time(utcnow()))


# The queue -----------------------------------------------------------------------

_ITEM_COLUMNS = (
    "i.id, i.round_id, i.answer_id, i.participation_id, a.question_id, i.source, i.kinds,"
    " i.reasons, i.detector_flagged, i.status, i.false_alarm, i.flagged_by, i.received_at,"
    " i.updated_at, i.escalated_at, COALESCE(a.language, '') AS language, a.locale,"
    " p.start_key LIKE 'paper:%' AS paper,"
    " EXISTS (SELECT 1 FROM safeguarding_contacts c"
    "   WHERE c.participation_id = i.participation_id) AS has_contact"
)
_ITEM_FROM = (
    " FROM safeguarding_items i JOIN answers a ON a.id = i.answer_id"
    " JOIN participations p ON p.id = i.participation_id"
)


def _item(r) -> Item:
    return Item(
        id=r["id"],
        round_id=r["round_id"],
        answer_id=r["answer_id"],
        participation_id=r["participation_id"],
        question_id=r["question_id"],
        source=r["source"],
        kinds=_kinds(r["kinds"]),
        reasons=json.loads(r["reasons"] or "[]"),
        detector_flagged=bool(r["detector_flagged"]),
        status=r["status"],
        false_alarm=bool(r["false_alarm"]),
        flagged_by=r["flagged_by"],
        received_at=from_db_time(r["received_at"]),  # type: ignore[arg-type]
        updated_at=from_db_time(r["updated_at"]),  # type: ignore[arg-type]
        escalated_at=from_db_time(r["escalated_at"]),
        language=r["language"],
        locale=r["locale"],
        paper=bool(r["paper"]),
        has_contact=bool(r["has_contact"]),
    )


async def items(db: Database, round_id: int, status: str | None = None) -> list[Item]:
    """The round's queue: new items first, oldest first (the ones waiting longest)."""
    where = " WHERE i.round_id = ?"
    params: tuple = (round_id,)
    if status is not None:
        where += " AND i.status = ?"
        params += (status,)
    rows = await db.fetch_all(
        f"SELECT {_ITEM_COLUMNS}{_ITEM_FROM}{where}"
        " ORDER BY i.status != 'new', i.status != 'seen', i.received_at, i.id",
        params,
    )
    return [_item(r) for r in rows]


async def item(db: Database, round_id: int, item_id: int) -> Item | None:
    row = await db.fetch_one(
        f"SELECT {_ITEM_COLUMNS}{_ITEM_FROM} WHERE i.id = ? AND i.round_id = ?",
        (item_id, round_id),
    )
    return _item(row) if row else None


async def item_text(db: Database, item_id: int) -> ItemText | None:
    row = await db.fetch_one(
        "SELECT a.text, a.redacted, COALESCE(a.language, '') AS language, a.locale"
        " FROM safeguarding_items i JOIN answers a ON a.id = i.answer_id WHERE i.id = ?",
        (item_id,),
    )
    if row is None:
        return None
    return ItemText(row["text"] or "", row["redacted"], row["language"], row["locale"])


async def events(db: Database, item_id: int) -> list[Event]:
    rows = await db.fetch_all(
        "SELECT at, actor, action, status, note FROM safeguarding_events"
        " WHERE item_id = ? ORDER BY id",
        (item_id,),
    )
    return [
        Event(from_db_time(r["at"]), r["actor"], r["action"], r["status"], r["note"])  # type: ignore[arg-type]
        for r in rows
    ]


async def _event(
    conn: WriteConnection,
    item_id: int,
    actor: str,
    action: str,
    status: str | None,
    note: str,
    now: str | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO safeguarding_events (item_id, at, actor, action, status, note)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (item_id, now or to_db_time(utcnow()), actor, action, status, note),
    )


async def set_status(
    db: Database,
    round_id: int,
    item_id: int,
    status: str,
    note: str,
    actor: str,
    *,
    user_id: int,
    false_alarm: bool = False,
) -> bool:
    """Move an item on, with a note; closing it deletes a contact nobody needs any more."""
    if status not in STATUSES:
        raise ValueError(status)

    async def work(conn: WriteConnection) -> bool:
        now = to_db_time(utcnow())
        rows = await conn.execute_fetchall(
            "UPDATE safeguarding_items SET status = ?, false_alarm = ?, updated_at = ?"
            " WHERE id = ? AND round_id = ? RETURNING participation_id",
            (status, int(false_alarm and status == "no_action"), now, item_id, round_id),
        )
        if not rows:
            return False
        await _event(conn, item_id, actor, "status", status, note, now)
        if status not in OPEN_STATUSES:
            await _drop_unneeded_contact(conn, rows[0]["participation_id"])
        detail = f"item {item_id} -> {status}" + (" (false alarm)" if false_alarm else "")
        await audit.add_in(
            conn, actor, "safeguarding_status", detail, user_id=user_id, round_id=round_id
        )
        return True

    return await db.write(work)


async def _drop_unneeded_contact(conn: WriteConnection, participation_id: int) -> None:
    await conn.execute(
        "DELETE FROM safeguarding_contacts WHERE participation_id = ? AND NOT EXISTS"
        " (SELECT 1 FROM safeguarding_items WHERE participation_id = ?"
        "  AND status IN ('new', 'seen'))",
        (participation_id, participation_id),
    )


async def add_note(
    db: Database, round_id: int, item_id: int, note: str, actor: str, *, user_id: int
) -> bool:
    async def work(conn: WriteConnection) -> bool:
        rows = await conn.execute_fetchall(
            "UPDATE safeguarding_items SET updated_at = ? WHERE id = ? AND round_id = ?"
            " RETURNING id",
            (to_db_time(utcnow()), item_id, round_id),
        )
        if not rows:
            return False
        await _event(conn, item_id, actor, "note", None, note)
        await audit.add_in(
            conn, actor, "safeguarding_note", f"item {item_id}", user_id=user_id, round_id=round_id
        )
        return True

    return await db.write(work)


async def record_opened(
    db: Database, round_id: int, item_id: int, actor: str, *, user_id: int
) -> None:
    """Reading an item's text is an event and an audit entry, in one commit."""

    async def work(conn: WriteConnection) -> None:
        await _event(conn, item_id, actor, "opened", None, "")
        await audit.add_in(
            conn,
            actor,
            "safeguarding_opened",
            f"item {item_id}",
            user_id=user_id,
            round_id=round_id,
        )

    await db.write(work)


async def hand_flag(
    db: Database, round_id: int, answer_id: int, kind: str, note: str, actor: str, *, user_id: int
) -> int | None:
    """Flag a sent answer of the round by hand; joins (or reopens) the same queue item."""

    async def work(conn: WriteConnection) -> int | None:
        now = to_db_time(utcnow())
        rows = await conn.execute_fetchall(
            "INSERT INTO safeguarding_items (round_id, answer_id, participation_id, source,"
            " kinds, reasons, detector_flagged, flagged_by, received_at, updated_at)"
            " SELECT p.round_id, a.id, p.id, 'person', ?, '[]', 0, ?, ?, ?"
            " FROM answers a JOIN participations p ON p.id = a.participation_id"
            " WHERE a.id = ? AND p.round_id = ? AND p.status = 'submitted'"
            " ON CONFLICT (answer_id) DO UPDATE SET status = 'new',"
            " updated_at = excluded.updated_at,"
            " kinds = CASE WHEN ',' || safeguarding_items.kinds || ','"
            "  LIKE '%,' || excluded.kinds || ',%' THEN safeguarding_items.kinds"
            "  ELSE safeguarding_items.kinds || ',' || excluded.kinds END"
            " RETURNING id",
            (kind, actor, now, now, answer_id, round_id),
        )
        if not rows:
            return None
        item_id = int(rows[0]["id"])
        await _event(conn, item_id, actor, "flagged", "new", note, now)
        await audit.add_in(
            conn,
            actor,
            "safeguarding_hand_flag",
            f"item {item_id} ({kind})",
            user_id=user_id,
            round_id=round_id,
        )
        return item_id

    return await db.write(work)


async def counts(db: Database, round_id: int) -> QueueCounts:
    rows = await db.fetch_all(
        "SELECT status, COUNT(*) AS n, SUM(detector_flagged) AS by_detector,"
        " SUM(false_alarm) AS false_alarms,"
        " SUM(CASE WHEN source = 'person' AND detector_flagged = 0 THEN 1 ELSE 0 END) AS misses"
        " FROM safeguarding_items WHERE round_id = ? GROUP BY status",
        (round_id,),
    )
    by_status = {s: 0 for s in STATUSES}
    detector = false_alarms = misses = 0
    for r in rows:
        by_status[r["status"]] = int(r["n"])
        detector += int(r["by_detector"] or 0)
        false_alarms += int(r["false_alarms"] or 0)
        misses += int(r["misses"] or 0)
    return QueueCounts(by_status, detector, false_alarms, misses)


async def attention(
    db: Database, user_id: int | None, escalate_before: datetime
) -> list[RoundAttention]:
    """Rounds with open items: those where `user_id` is lead or deputy (None: every round)."""
    where = ""
    params: tuple = (to_db_time(escalate_before),)
    if user_id is not None:
        where = (
            " AND i.round_id IN (SELECT round_id FROM board_settings"
            " WHERE safeguarding_user_id = ? OR safeguarding_deputy_id = ?)"
        )
        params += (user_id, user_id)
    rows = await db.fetch_all(
        "SELECT i.round_id, SUM(CASE WHEN i.status = 'new' THEN 1 ELSE 0 END) AS new,"
        " SUM(CASE WHEN i.received_at < ? THEN 1 ELSE 0 END) AS escalated"
        " FROM safeguarding_items i"
        f" WHERE i.status IN ('new', 'seen'){where} GROUP BY i.round_id ORDER BY i.round_id",
        params,
    )
    return [RoundAttention(r["round_id"], int(r["new"]), int(r["escalated"])) for r in rows]


# Contacts left by participants -------------------------------------------------------


async def save_contact(db: Database, participation_id: int, contact: str) -> bool:
    """Only while the participation is theirs to change (not withdrawn)."""

    async def work(conn: WriteConnection) -> bool:
        cursor = await conn.execute(
            "INSERT INTO safeguarding_contacts (participation_id, contact, created_at)"
            " SELECT id, ?, ? FROM participations WHERE id = ? AND status != 'withdrawn'"
            " ON CONFLICT (participation_id) DO UPDATE SET contact = excluded.contact,"
            " created_at = excluded.created_at",
            (contact, to_db_time(utcnow()), participation_id),
        )
        return cursor.rowcount == 1

    return await db.write(work)


async def delete_contact(db: Database, participation_id: int) -> None:
    async def work(conn: WriteConnection) -> None:
        await conn.execute(
            "DELETE FROM safeguarding_contacts WHERE participation_id = ?", (participation_id,)
        )

    await db.write(work)


async def has_contact(db: Database, participation_id: int) -> bool:
    row = await db.fetch_one(
        "SELECT 1 FROM safeguarding_contacts WHERE participation_id = ?", (participation_id,)
    )
    return row is not None


async def contact_for_item(
    db: Database, round_id: int, item_id: int, actor: str, *, user_id: int
) -> str | None:
    """The contact a participant left, read and audited in one step."""

    async def work(conn: WriteConnection) -> str | None:
        rows = await conn.execute_fetchall(
            "SELECT c.contact FROM safeguarding_items i JOIN safeguarding_contacts c"
            " ON c.participation_id = i.participation_id WHERE i.id = ? AND i.round_id = ?",
            (item_id, round_id),
        )
        if not rows:
            return None
        await audit.add_in(
            conn,
            actor,
            "safeguarding_contact_viewed",
            f"item {item_id}",
            user_id=user_id,
            round_id=round_id,
        )
        return str(rows[0]["contact"])

    return await db.write(work)


# Notifications and escalation ---------------------------------------------------------


class Notice(msgspec.Struct, frozen=True):
    round_id: int
    count: int
    last_id: int


async def unnotified(db: Database) -> list[Notice]:
    rows = await db.fetch_all(
        "SELECT round_id, COUNT(*) AS n, MAX(id) AS last_id FROM safeguarding_items"
        " WHERE notified_at IS NULL GROUP BY round_id ORDER BY round_id"
    )
    return [Notice(r["round_id"], int(r["n"]), int(r["last_id"])) for r in rows]


async def mark_notified(db: Database, round_id: int, last_id: int) -> None:
    async def work(conn: WriteConnection) -> None:
        await conn.execute(
            "UPDATE safeguarding_items SET notified_at = ? WHERE round_id = ? AND id <= ?"
            " AND notified_at IS NULL",
            (to_db_time(utcnow()), round_id, last_id),
        )

    await db.write(work)


async def to_escalate(db: Database, received_before: datetime) -> list[Notice]:
    rows = await db.fetch_all(
        "SELECT round_id, COUNT(*) AS n, MAX(id) AS last_id FROM safeguarding_items"
        " WHERE status IN ('new', 'seen') AND escalated_at IS NULL AND received_at < ?"
        " GROUP BY round_id ORDER BY round_id",
        (to_db_time(received_before),),
    )
    return [Notice(r["round_id"], int(r["n"]), int(r["last_id"])) for r in rows]


async def mark_escalated(db: Database, round_id: int, last_id: int, received_before: datetime):
    async def work(conn: WriteConnection) -> None:
        await conn.execute(
            "UPDATE safeguarding_items SET escalated_at = ? WHERE round_id = ? AND id <= ?"
            " AND escalated_at IS NULL AND status IN ('new', 'seen') AND received_at < ?",
            (to_db_time(utcnow()), round_id, last_id, to_db_time(received_before)),
        )
        await audit.add_in(conn, "system", "safeguarding_escalated", "", round_id=round_id)

    await db.write(work)


class Recipients(msgspec.Struct, frozen=True):
    lead: str | None
    deputy: str | None


async def recipients(db: Database, round_id: int) -> Recipients:
    row = await db.fetch_one(
        "SELECT l.email AS lead, d.email AS deputy FROM board_settings b"
        " LEFT JOIN users l ON l.id = b.safeguarding_user_id AND l.active = 1"
        " LEFT JOIN users d ON d.id = b.safeguarding_deputy_id AND d.active = 1"
        " WHERE b.round_id = ?",
        (round_id,),
    )
    if row is None:
        return Recipients(None, None)
    return Recipients(row["lead"], row["deputy"])


# Care for readers ----------------------------------------------------------------------


async def count_opened(db: Database, token_hash: str) -> int:
    """One more flagged answer opened in this sitting; returns how many so far."""

    async def work(conn: WriteConnection) -> int:
        rows = await conn.execute_fetchall(
            "UPDATE staff_sessions SET opened_flagged = opened_flagged + 1"
            " WHERE token_hash = ? RETURNING opened_flagged",
            (token_hash,),
        )
        return int(rows[0]["opened_flagged"]) if rows else 0

    return await db.write(work)
