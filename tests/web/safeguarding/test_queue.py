"""The lead's queue: statuses with notes, history, audit, contacts, hand flags, counts."""

from __future__ import annotations

import re

from codesign.store import audit
from codesign.store import safeguarding as store
from codesign.store.board import settings as settings_store
from tests.conftest import Journey
from tests.web.safeguarding.conftest import CALM, RISKY, screen_all, write
from tests.web.staff.conftest import signed_in

QUEUE = "/staff/rounds/1/board/safeguarding"


async def _sent(client, sg, text=RISKY, contact: str | None = None) -> int:
    client.cookies.clear()  # a new participant's phone
    journey = Journey(client)
    position, _ = await write(journey, text)
    await screen_all(sg)
    if contact is not None:
        saved = await journey.post(
            "/support-contact", {"contact": contact, "back": str(position)}
        )
        assert saved.status_code == 303
    await journey.get("/review")
    await journey.post("/review", {"may_quote": "no", "action": "submit"})
    await screen_all(sg)
    items = await store.items(client.app.state.db, 1)
    return items[-1].id if items else 0


async def test_lead_reads_marks_and_notes_with_history_and_audit(client, sg) -> None:
    db = client.app.state.db
    item_id = await _sent(client, sg)
    lead = await signed_in(client, "board")
    queue = await lead.get(QUEUE)
    assert queue.status_code == 200
    assert "New" in queue.text and "may be about ending their life" in queue.text
    # The list never shows what anyone wrote; the item page does, and says why it is there.
    assert "kill myself" not in queue.text
    page = await lead.get(f"{QUEUE}/{item_id}")
    assert "kill myself" in page.text
    assert "This answer may mean someone is at risk. Please read it." in page.text
    assert "Words matched" in page.text
    item = await store.item(db, 1, item_id)
    assert item.status == "seen"  # opened: no longer new
    # "Action taken" needs a note; the refusal keeps what was chosen.
    refused = await lead.post(f"{QUEUE}/{item_id}/status", {"status": "action_taken"})
    assert refused.status_code == 422 and "Write a short note on what was done." in refused.text
    done = await lead.post(
        f"{QUEUE}/{item_id}/status",
        {"status": "action_taken", "note": "Called the crisis team\nand recorded it."},
    )
    assert done.status_code == 303
    noted = await lead.post(f"{QUEUE}/{item_id}/note", {"only_note": "Followed up on Monday."})
    assert noted.status_code == 303
    page = await lead.get(f"{QUEUE}/{item_id}?saved=note")
    assert "Called the crisis team\nand recorded it." in page.text
    assert "Followed up on Monday." in page.text and "board@example.org" in page.text
    actions = [e.action for e in await audit.recent(db)]
    for action in ("safeguarding_flagged", "safeguarding_opened", "safeguarding_status",
                   "safeguarding_note"):
        assert action in actions
    # Filter by status; the counts follow.
    taken = await lead.get(f"{QUEUE}?status=action_taken")
    assert f"{QUEUE}/{item_id}" in taken.text
    new = await lead.get(f"{QUEUE}?status=new")
    assert f"{QUEUE}/{item_id}" not in new.text


async def test_oldest_new_first(client, sg) -> None:
    first = await _sent(client, sg)
    second = await _sent(client, sg, RISKY + " Really.")
    lead = await signed_in(client, "board")
    await lead.get(f"{QUEUE}/{second}")  # seen now: goes after the new one
    queue = await lead.get(QUEUE)
    assert queue.text.index(f"{QUEUE}/{first}\"") < queue.text.index(f"{QUEUE}/{second}\"")


async def test_only_lead_deputy_and_admin_see_the_queue_and_contacts(client, sg, accounts) -> None:
    db = client.app.state.db
    item_id = await _sent(client, sg, contact="07700 900123, after 6pm")
    # A board member who is not the lead or deputy is refused, on the round or not.
    await settings_store.save_settings(
        db, 1, anonymity_threshold=5, quotes_allowed=True,
        safeguarding_user_id=accounts["organizer"].id, safeguarding_deputy_id=None,
    )
    board = await signed_in(client, "board")
    assert (await board.get(QUEUE)).status_code == 403
    assert (await board.get(f"{QUEUE}/{item_id}")).status_code == 403
    assert (await board.post(f"{QUEUE}/{item_id}/contact")).status_code == 403
    # An admin not on the round is told how to read them, but can't yet.
    outside = await signed_in(client, "admin")
    refused = await outside.get(f"{QUEUE}/{item_id}")
    assert refused.status_code == 403 and "add yourself on the round" in refused.text
    from codesign.store import users as user_store

    await user_store.add_member(db, 1, accounts["admin"].id)
    for role in ("organizer", "admin"):  # the lead, and an admin on the round
        staff = await signed_in(client, role)
        page = await staff.get(f"{QUEUE}/{item_id}")
        assert page.status_code == 200
        assert "07700 900123" not in page.text  # shown only on request
        shown = await staff.post(f"{QUEUE}/{item_id}/contact")
        assert "07700 900123, after 6pm" in shown.text
    viewed = [e for e in await audit.recent(db) if e.action == "safeguarding_contact_viewed"]
    assert len(viewed) == 2
    # Never in an export.
    export = await (await signed_in(client, "admin")).get("/staff/rounds/1/board/export.csv")
    assert "07700" not in export.text


async def test_closing_the_item_deletes_the_contact(client, sg) -> None:
    db = client.app.state.db
    item_id = await _sent(client, sg, contact="call me at the library")
    lead = await signed_in(client, "board")
    await lead.post(f"{QUEUE}/{item_id}/status", {"status": "no_action", "false_alarm": "yes"})
    row = await db.fetch_one("SELECT COUNT(*) AS n FROM safeguarding_contacts")
    assert row["n"] == 0
    counts = await store.counts(db, 1)
    assert (counts.detector_flags, counts.false_alarms, counts.misses) == (1, 1, 0)


async def test_anyone_on_the_round_can_flag_by_hand_and_misses_are_counted(
    client, sg
) -> None:
    db = client.app.state.db
    journey = Journey(client)
    await write(journey, CALM + " He reads all my messages.", submit=True)
    await screen_all(sg)
    assert await store.items(db, 1) == []
    answer = await db.fetch_one("SELECT id FROM answers WHERE text LIKE ?", (CALM + "%",))
    organizer = await signed_in(client, "organizer")
    refused = await organizer.post(
        f"/staff/rounds/1/board/answers/{answer['id']}/flag", {"kind": "nonsense"}
    )
    assert refused.status_code == 422
    flagged = await organizer.post(
        f"/staff/rounds/1/board/answers/{answer['id']}/flag",
        {"kind": "abuse", "note": "Sounds like control.", "back": "q/2/other"},
    )
    assert flagged.status_code == 303 and "done=flagged" in flagged.headers["location"]
    items = await store.items(db, 1)
    assert len(items) == 1 and items[0].kinds == ["abuse"] and items[0].source == "person"
    assert (await store.counts(db, 1)).misses == 1
    lead = await signed_in(client, "board")
    page = await lead.get(f"{QUEUE}/{items[0].id}")
    assert "Flagged by organizer@example.org" in page.text and "Sounds like control." in page.text


async def test_staff_home_counts_for_lead_and_escalations_for_admins(client, sg) -> None:
    db = client.app.state.db
    await _sent(client, sg)
    lead = await signed_in(client, "board")
    home = " ".join((await lead.get("/staff/")).text.split())
    assert "Answers waiting for the safeguarding lead" in home and "1 new answer to read" in home
    assert "Email notices are not set up on this server" in home
    admin = await signed_in(client, "admin")
    assert "Answers waiting" not in (await admin.get("/staff/")).text  # not escalated yet
    await db.write(
        lambda conn: conn.execute(
            "UPDATE safeguarding_items SET received_at = '2000-01-01T00:00:00+00:00'"
        )
    )
    home = " ".join((await admin.get("/staff/")).text.split())
    assert "1 answer has waited too long for the lead and deputy" in home


async def test_reading_many_closed_answers_suggests_a_break(client, sg) -> None:
    import msgspec

    client.app.state.settings = msgspec.structs.replace(
        client.app.state.settings, reading_break_after=2, staff_support="Staff support 0800 123"
    )
    item_id = await _sent(client, sg)
    lead = await signed_in(client, "board")
    first = await lead.get(f"{QUEUE}/{item_id}")
    assert "good moment for a break" not in first.text
    second = await lead.get(f"{QUEUE}/{item_id}")
    assert "good moment for a break" in second.text and "Staff support 0800 123" in second.text
    # nothing is blocked
    assert "kill myself" in second.text


async def test_round_cannot_open_without_a_lead(client, accounts) -> None:
    from tests.web.staff.test_build import create_round

    organizer = await signed_in(client, "organizer")
    round_id = await create_round(organizer)
    refused = await organizer.post(f"/staff/rounds/{round_id}/status", {"status": "open"})
    assert refused.status_code == 422
    assert "Choose a safeguarding lead in the board settings first" in refused.text
    assert re.search(r'id="lead"', refused.text)


async def test_pages_say_plainly_when_only_phrases_are_checked(client, sg) -> None:
    # The stand-in model here is not the embedding model: screening uses phrases only.
    lead = await signed_in(client, "board")
    for path in ("/staff/rounds/1/board", QUEUE):
        page = " ".join((await lead.get(path)).text.split())
        assert "Answers are checked for known phrases only" in page
