"""Every written answer is screened; a draft's flag serves only its writer, a sent one the lead."""

from __future__ import annotations

from codesign.store import safeguarding as store
from tests.conftest import CODE, Journey
from tests.web.safeguarding.conftest import CALM, RISKY, screen_all, write, written_question
from tests.web.staff.conftest import signed_in


async def _items(db):
    return await store.items(db, 1)


async def test_a_risky_draft_offers_support_but_reaches_nobody(client, sg) -> None:
    journey = Journey(client)
    position, field = await write(journey, RISKY)
    assert await screen_all(sg) == 1
    # The writer sees the calm support panel on the section page...
    page = await journey.get(f"/s/{position}?note=read")
    assert "If you are not safe right now" in page.text
    assert 'name="support_shown" value="1" form="section-form"' in page.text
    # ... the support lines are in it, and nothing is red or blocking
    panel = page.text[page.text.index('id="support-panel"') : page.text.index('id="section-form"')]
    assert 'href="tel:' in panel and "role=\"alert\"" not in panel
    # ...but the unsent draft is on nobody's list: the review page promise holds.
    assert await _items(client.app.state.db) == []
    lead = await signed_in(client, "board")
    queue = await lead.get("/staff/rounds/1/board/safeguarding")
    assert queue.status_code == 200 and "No answers here." in queue.text


async def test_sending_puts_the_flagged_answer_on_the_leads_list(client, sg) -> None:
    journey = Journey(client)
    await write(journey, RISKY)
    await screen_all(sg)
    await journey.get("/review")
    sent = await journey.post("/review", {"may_quote": "no", "action": "submit"})
    assert sent.status_code == 303
    items = await _items(client.app.state.db)
    assert len(items) == 1 and items[0].status == "new" and "suicide" in items[0].kinds
    assert items[0].source == "detector" and items[0].reasons


async def test_an_answer_sent_before_screening_is_queued_when_screened(client, sg) -> None:
    journey = Journey(client)
    await write(journey, RISKY, submit=True)
    assert await _items(client.app.state.db) == []
    await screen_all(sg)
    assert len(await _items(client.app.state.db)) == 1


async def test_calm_answers_are_screened_and_not_flagged(client, sg) -> None:
    journey = Journey(client)
    position, _ = await write(journey, CALM, submit=True)
    assert await screen_all(sg) == 1
    assert await _items(client.app.state.db) == []
    row = await client.app.state.db.fetch_one(
        "SELECT screened, risk FROM answers WHERE text = ?", (CALM,)
    )
    assert (row["screened"], row["risk"]) == (1, 0)


async def test_changed_words_are_screened_again_and_a_stale_screening_is_not_kept(
    client, sg
) -> None:
    db = client.app.state.db
    journey = Journey(client)
    position, field = await write(journey, CALM)
    pending = await store.answers_to_screen(db, 10)
    assert [p.text for p in pending] == [CALM]
    # The participant changes their words while the old text is being screened.
    journey.htmx = True
    await journey.post(f"/s/{position}", {field: RISKY, "save_key": "m" * 24})
    stale = store.Screened(pending[0].id, CALM, False, False, [], 0.0, [], "test")
    await store.save_screenings(db, [stale])
    row = await db.fetch_one("SELECT screened FROM answers WHERE id = ?", (pending[0].id,))
    assert row["screened"] == 0  # the new words still wait for their screening
    await screen_all(sg)
    row = await db.fetch_one("SELECT screened, risk FROM answers WHERE id = ?", (pending[0].id,))
    assert (row["screened"], row["risk"]) == (1, 1)
    # Saving the same words again does not queue them for screening a second time.
    await journey.post(f"/s/{position}", {field: RISKY, "save_key": "n" * 24})
    assert await store.answers_to_screen(db, 10) == []


async def test_autosave_brings_the_panel_once_out_of_band(client, sg) -> None:
    journey = Journey(client)
    position, field = await write(journey, RISKY)
    await screen_all(sg)
    journey.htmx = True
    first = await journey.post(f"/s/{position}", {field: RISKY + " ", "save_key": "p" * 24})
    assert 'hx-swap-oob="innerHTML"' in first.text and "If you are not safe right now" in first.text
    # The panel carries support_shown=1 into the form: later saves don't announce it again.
    again = await journey.post(
        f"/s/{position}", {field: RISKY, "save_key": "q" * 24, "support_shown": "1"}
    )
    assert "If you are not safe right now" not in again.text


async def test_without_javascript_the_next_page_offers_support_at_once(client, sg) -> None:
    journey = Journey(client)
    await journey.start()
    position, field = await written_question(journey)
    # A plain form post ("Save and continue"): screened before the next page loads.
    moved = await journey.post(f"/s/{position}", {field: RISKY, "action": "next"})
    assert moved.status_code == 303
    following = await journey.get(moved.headers["location"].replace("/r/demo", "") or "/")
    if following.status_code == 303:  # the resume code page comes first
        following = await journey.get(following.headers["location"].replace("/r/demo", ""))
    page = await journey.get(f"/s/{position}?note=read")
    assert "If you are not safe right now" in page.text


async def test_paper_answers_join_the_queue_when_screened(client, sg) -> None:
    from tests.web.staff.test_paper import upload  # the paper tests' own helper

    organizer = await signed_in(client, "organizer")
    content = f"language,may_quote,1.1,1.2,2.1\r\nen,no,2,\"{RISKY}\",\r\n".encode()
    imported = await upload(organizer, content)
    assert imported.status_code == 200, imported.text[-1500:]
    await screen_all(sg)
    items = await _items(client.app.state.db)
    assert len(items) == 1 and items[0].paper


async def test_withdrawing_removes_the_item_and_the_contact(client, sg) -> None:
    db = client.app.state.db
    journey = Journey(client)
    position, field = await write(journey, RISKY)
    await screen_all(sg)
    saved = await journey.post(
        "/support-contact", {"contact": "07700 900123 after 6pm", "back": str(position)}
    )
    assert saved.status_code == 303
    code_page = await journey.get("/code")
    code = CODE.search(code_page.text).group(1)
    await journey.get("/review")
    await journey.post("/review", {"may_quote": "no", "action": "submit"})
    assert len(await _items(db)) == 1
    await journey.get("/withdraw")
    await journey.post("/withdraw", {"code": code, "confirm": "yes"})
    assert await _items(db) == []
    left = await db.fetch_one("SELECT COUNT(*) AS n FROM safeguarding_contacts")
    assert left["n"] == 0


async def test_a_draft_being_typed_waits_for_its_words_to_rest(client, sg, monkeypatch) -> None:
    from datetime import timedelta

    from codesign.services import safeguarding as module

    monkeypatch.setattr(module, "DRAFT_SETTLE", timedelta(minutes=5))
    journey = Journey(client)
    position, field = await write(journey, RISKY)
    assert await sg.screen_step(100) == 0  # still being typed: not screened at every save
    # Moving on screens it at once, whatever the wait.
    moved = await journey.post(f"/s/{position}", {field: RISKY, "action": "next"})
    assert moved.status_code == 303
    row = await client.app.state.db.fetch_one("SELECT screened, risk FROM answers")
    assert (row["screened"], row["risk"]) == (1, 1)


async def test_a_board_run_screens_what_is_waiting_first(client, sg) -> None:
    """Unscreened answers can be neither names nor quotes: a run right after an
    import screens them first, so its themes get readable names."""
    from codesign.demo.answers import fill_round, generate
    from codesign.models import StaffUser
    from codesign.store import rounds as round_store
    from codesign.store.board import reading as theme_store

    db = client.app.state.db
    board = client.app.state.board
    board.screen_first = sg.screen_waiting
    round_ = await round_store.load_round(db, "demo")
    section = round_.sections[0]
    await fill_round(
        db, round_, generate(60, seed=3), question_id=section.questions[1].id,
        agreement_id=section.questions[0].id,
    )  # fmt: skip
    waiting = await db.fetch_one("SELECT COUNT(*) AS n FROM answers WHERE screened = 0")
    assert waiting["n"] > 0
    user = StaffUser(id=0, email="board@example.org", role="board")
    run = await board.run_analysis(user, round_, section.questions[1].id)
    assert run.status == "done"
    waiting = await db.fetch_one(
        "SELECT COUNT(*) AS n FROM answers WHERE screened = 0 AND text IS NOT NULL"
    )
    assert waiting["n"] == 0
    labels = [t.label for t in await theme_store.themes_for(db, section.questions[1].id)]
    assert labels and all(" / " not in label for label in labels), labels
