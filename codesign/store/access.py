"""A staff member's standing on one round, read in one statement (see services.access)."""

from __future__ import annotations

import msgspec

from codesign.store.db import Database


class Standing(msgspec.Struct, frozen=True):
    """What the access policy needs to know about one person and one round."""

    round_id: int
    slug: str
    #: The person sits on the round (is one of its staff).
    member: bool
    lead_id: int | None = None
    deputy_id: int | None = None


async def standing(db: Database, round_id: int, user_id: int) -> Standing | None:
    """The round's slug, whether the person sits on it, and its safeguarding lead and
    deputy; None when there is no such round."""
    row = await db.fetch_one(
        "SELECT r.id, r.slug,"
        " EXISTS (SELECT 1 FROM round_members m WHERE m.round_id = r.id AND m.user_id = ?)"
        "   AS member,"
        " b.safeguarding_user_id, b.safeguarding_deputy_id"
        " FROM rounds r LEFT JOIN board_settings b ON b.round_id = r.id"
        " WHERE r.id = ?",
        (user_id, round_id),
    )
    if row is None:
        return None
    return Standing(
        round_id=row["id"],
        slug=row["slug"],
        member=bool(row["member"]),
        lead_id=row["safeguarding_user_id"],
        deputy_id=row["safeguarding_deputy_id"],
    )
