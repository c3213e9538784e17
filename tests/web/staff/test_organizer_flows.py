"""Organizer flows that used to lose or corrupt work (issue 13 part 4)."""

from __future__ import annotations

from tests.web.staff.conftest import signed_in
from tests.web.staff.test_build import ES, add_section, create_round


async def _stored_title(client, round_id: int, locale: str) -> str | None:
    row = await client.app.state.db.fetch_one(
        "SELECT title FROM round_texts WHERE round_id = ? AND locale = ?", (round_id, locale)
    )
    return row["title"] if row else None


async def test_translate_without_js_keeps_every_parts_text(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    round_id = await create_round(staff)
    section = await add_section(staff, round_id, "Weekday hours")
    item = f"section-{section}"
    # The whole page is sent (one form); the round part is saved, the section is not.
    page = await staff.post(
        f"/staff/rounds/{round_id}/translate/es",
        {"item": "round", **ES, f"{item}_title": "Horario entre semana", f"{item}_body_md": ""},
    )
    assert page.status_code == 200
    assert 'value="Horario entre semana"' in page.text
    assert "Not saved yet: save this part to keep what you typed." in page.text
    assert await _stored_title(client, round_id, "es") == ES["round_title"]
    sections = await client.app.state.db.fetch_all(
        "SELECT locale FROM section_texts WHERE section_id = ?", (section,)
    )
    assert [r["locale"] for r in sections] == ["en"]
    # Nothing typed elsewhere: the usual redirect back to the part.
    again = await staff.post(f"/staff/rounds/{round_id}/translate/es", {"item": "round", **ES})
    assert again.status_code == 303 and again.headers["location"].endswith("#round")


async def test_translate_htmx_error_returns_only_that_part_with_its_words(
    client, accounts
) -> None:
    staff = await signed_in(client, "organizer")
    round_id = await create_round(staff)
    section = await add_section(staff, round_id, "Weekday hours")
    staff.htmx = True
    too_long = "x" * 300
    reply = await staff.post(
        f"/staff/rounds/{round_id}/translate/es",
        {"item": "round", **ES, "round_title": too_long},
    )
    assert reply.status_code == 200
    assert reply.text.lstrip().startswith('<section id="round"')
    assert f'id="section-{section}"' not in reply.text
    assert "There is a problem" in reply.text and too_long in reply.text
    assert await _stored_title(client, round_id, "es") is None
