# ruff: noqa: S608 - only constants and "?" placeholders are put into SQL text
"""The board's responses to its themes, per locale."""

from __future__ import annotations

from codesign.models import ThemeResponse
from codesign.store import audit
from codesign.store.db import Database, WriteConnection, to_db_time, utcnow
from codesign.store.publishing import clear_sign_offs_in


async def responses_for(
    db: Database, question_ids: list[int]
) -> dict[int, dict[str, ThemeResponse]]:
    """Per theme, per locale: the theme's name and the board's response."""
    if not question_ids:
        return {}
    marks = ",".join("?" * len(question_ids))
    rows = await db.fetch_all(
        "SELECT o.theme_id, o.locale, o.title, o.response FROM outcomes o"
        f" JOIN themes t ON t.id = o.theme_id WHERE t.question_id IN ({marks})",
        question_ids,
    )
    out: dict[int, dict[str, ThemeResponse]] = {}
    for r in rows:
        out.setdefault(r["theme_id"], {})[r["locale"]] = ThemeResponse(r["title"], r["response"])
    return out


async def save_responses(
    db: Database,
    theme_id: int,
    responses: dict[str, ThemeResponse],
    who: str,
    *,
    round_id: int | None = None,
    user_id: int | None = None,
) -> None:
    """Save the board's response per locale. With `round_id`, the round's sign-offs are
    cleared and the change audited in the same transaction (a change needs signing off
    again)."""
    now = to_db_time(utcnow())

    async def work(conn: WriteConnection) -> None:
        if round_id is not None:
            await clear_sign_offs_in(conn, round_id)
            await audit.add_in(
                conn,
                who,
                "response_saved",
                f"theme {theme_id}",
                user_id=user_id,
                round_id=round_id,
            )
        for locale, given in responses.items():
            if given.text.strip() or given.title.strip():
                await conn.execute(
                    "INSERT INTO outcomes (theme_id, locale, title, response, updated_by,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (theme_id, locale)"
                    " DO UPDATE SET title = excluded.title, response = excluded.response,"
                    " updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                    (theme_id, locale, given.title, given.text, who, now),
                )
            else:
                await conn.execute(
                    "DELETE FROM outcomes WHERE theme_id = ? AND locale = ?", (theme_id, locale)
                )

    await db.write(work)
