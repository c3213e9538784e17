"""Building a round while someone else changes it: the checks are part of the write.

Sections and questions change only in a draft; that check, and the positions new
sections and questions take, are read inside the write that changes them, so two
organizers at once never get a duplicate position or a change to an opened round.
"""

from __future__ import annotations

import asyncio

import pytest

from codesign.services.errors import Refused
from codesign.services.rounds.admin import RoundsAdmin
from codesign.store import rounds as round_store
from codesign.store.staff_rounds import settings as round_settings

SECTION = {"title": "Another part", "body_md": "What we plan to do."}


async def draft(client, accounts):
    db = client.app.state.db
    admin = RoundsAdmin(db)
    demo = await round_store.load_round(db, "demo")
    new_id = await admin.duplicate(accounts["organizer"], demo, " (copy)")
    round_, settings = await admin.round_for(accounts["organizer"], new_id)
    return admin, round_, settings


async def test_two_sections_added_at_once_get_the_next_two_positions(client, accounts) -> None:
    admin, round_, _ = await draft(client, accounts)
    before = len(round_.sections)
    organizer = accounts["organizer"]
    results = await asyncio.gather(
        admin.add_section(organizer, round_, SECTION),
        admin.add_section(organizer, round_, {**SECTION, "title": "Yet another part"}),
    )
    assert all(errors == [] for _, errors in results)
    now, _ = await admin.round_for(organizer, round_.id)
    assert [s.position for s in now.sections] == list(range(1, before + 3))


async def test_two_questions_added_at_once_get_the_next_two_positions(client, accounts) -> None:
    admin, round_, _ = await draft(client, accounts)
    organizer = accounts["organizer"]
    section = round_.sections[0]
    form = {"kind": "open_text", "prompt": "What would help?"}
    results = await asyncio.gather(
        admin.add_question(organizer, round_, section.id, form),
        admin.add_question(organizer, round_, section.id, {**form, "prompt": "And what else?"}),
    )
    assert results == [[], []]
    now, _ = await admin.round_for(organizer, round_.id)
    positions = [q.position for q in now.sections[0].questions]
    assert positions == list(range(1, len(section.questions) + 3))


async def test_opening_and_adding_a_section_at_once(client, accounts) -> None:
    """Whichever comes first, a section never joins an open round: adding it either
    happens while the round is a draft or is refused calmly."""
    admin, round_, settings = await draft(client, accounts)
    db = client.app.state.db
    organizer = accounts["organizer"]
    results = await asyncio.gather(
        round_settings.set_status(db, round_.id, "open", "draft"),
        admin.add_section(organizer, round_, SECTION),
        return_exceptions=True,
    )
    opened, added = results
    assert opened is True
    now, _ = await admin.round_for(organizer, round_.id)
    if isinstance(added, Refused):
        assert "no longer a draft" in added.message
        assert len(now.sections) == len(round_.sections)
    else:
        assert added[1] == [] and len(now.sections) == len(round_.sections) + 1


async def test_a_section_added_from_a_stale_page_is_refused_once_the_round_opened(
    client, accounts
) -> None:
    admin, round_, _ = await draft(client, accounts)
    db = client.app.state.db
    organizer = accounts["organizer"]
    assert await round_settings.set_status(db, round_.id, "open", "draft")
    # `round_` still says draft, as the page the organizer loaded a moment ago did
    with pytest.raises(Refused, match="no longer a draft"):
        await admin.add_section(organizer, round_, SECTION)
    with pytest.raises(Refused, match="no longer a draft"):
        await admin.add_question(
            organizer, round_, round_.sections[0].id, {"kind": "open_text", "prompt": "Why?"}
        )
    with pytest.raises(Refused, match="no longer a draft"):
        await admin.move_section(organizer, round_, round_.sections[0].id, 1)
    # deleting from a stale page would delete the answers given since: refused too
    with pytest.raises(Refused, match="no longer a draft"):
        await admin.delete_section(organizer, round_, round_.sections[0].id)
    with pytest.raises(Refused, match="no longer a draft"):
        await admin.delete_question(organizer, round_, round_.sections[0].questions[0].id)
    now, _ = await admin.round_for(organizer, round_.id)
    assert [(s.id, s.position, len(s.questions)) for s in now.sections] == [
        (s.id, s.position, len(s.questions)) for s in round_.sections
    ]


async def test_deleting_in_a_draft_removes_and_audits_in_one_write(client, accounts) -> None:
    admin, round_, _ = await draft(client, accounts)
    organizer = accounts["organizer"]
    db = client.app.state.db
    first = round_.sections[0]
    await admin.delete_question(organizer, round_, first.questions[0].id)
    await admin.delete_section(organizer, round_, round_.sections[-1].id)
    now, _ = await admin.round_for(organizer, round_.id)
    assert len(now.sections) == len(round_.sections) - 1
    assert len(now.sections[0].questions) == len(first.questions) - 1
    assert [s.position for s in now.sections] == list(range(1, len(now.sections) + 1))
    actions = [
        r["action"]
        for r in await db.fetch_all(
            "SELECT action FROM audit_log WHERE round_id = ? ORDER BY id", (round_.id,)
        )
    ]
    assert actions[-2:] == ["question_removed", "section_removed"]
