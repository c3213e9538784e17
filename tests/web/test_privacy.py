"""Privacy promises kept end to end (issue 11, part 3), as a participant or staff meets them.

A second phone is a second cookie jar on the same running app; requests that must
really overlap go through httpx's ASGI transport, which runs them concurrently
(the test client sends one at a time).
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from codesign.store import rounds as round_store
from codesign.store.board import theming as theming_store
from tests.conftest import CODE, Journey
from tests.web.staff.conftest import accounts, quick_hashing, signed_in  # noqa: F401

SECRET = "my sister lives in the blue house by the canal now"


@pytest.fixture
async def phone(client) -> AsyncIterator[httpx.AsyncClient]:
    """Another device: its own cookies, the same site."""
    transport = httpx.ASGITransport(app=client.app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as c:
        yield c


FIELDS: list[str] = []  # section 1's fields (agreement, written), as the page names them


async def _answered(journey: Journey, text: str = SECRET) -> str:
    """Start, write `text` in section 1 and return the private code."""
    await journey.start()
    q = await journey.questions(1)
    FIELDS[:] = q
    saved = await journey.post("/s/1", {q[0]: "2", q[1]: text, "action": "next"})
    assert saved.headers["location"] == "/r/demo/code?then=2"
    found = CODE.search((await journey.get("/code?then=2")).text)
    assert found is not None
    return found.group(1)


async def _send(journey: Journey) -> None:
    await journey.get("/review")
    sent = await journey.post("/review", {"may_quote": "no", "action": "submit"})
    assert sent.headers["location"] == "/r/demo/thanks"


async def _shows_nothing_written(journey: Journey, text: str = SECRET) -> None:
    """Every page a participant could open shows none of the answers."""
    for path in ("/s/1", "/review", "/thanks", "/code"):
        page = await journey.get(path)
        assert text not in page.text, path
        assert page.status_code in (302, 303), (path, page.status_code)
    # An autosave from the old phone is not saved either.
    journey.htmx = True
    autosave = await journey.post("/s/1", {FIELDS[1]: "an edit from the old phone"})
    journey.htmx = False
    assert "Saved at" not in autosave.text and "couldn't find your answers" in autosave.text


# Resuming elsewhere ends the old session ------------------------------------------------


async def test_resuming_on_another_phone_ends_the_session_on_the_first(client, phone) -> None:
    first = Journey(client)
    code = await _answered(first)
    assert SECRET in (await first.get("/s/1")).text

    second = Journey(phone)
    await second.get("/resume")
    resumed = await second.post("/resume", {"code": code})
    assert resumed.status_code == 303 and resumed.headers["location"] == "/r/demo/s/2"
    assert SECRET in (await second.get("/s/1")).text

    # The first phone (maybe shared, maybe lost) now shows nothing written.
    await _shows_nothing_written(first)
    # Sending the old start form again (Back, then Start) does not bring it back either.
    again = await first.start()
    assert again.status_code == 303
    assert SECRET not in (await first.get("/s/1")).text
    # The phone that resumed carries on as before.
    assert SECRET in (await second.get("/review")).text


async def test_asking_for_a_new_code_ends_every_other_session(client, phone) -> None:
    first = Journey(client)
    old_code = await _answered(first)
    # Someone copied the session (the same cookie on another device).
    phone.cookies.set("cs_1", client.cookies.get("cs_1"), domain="testserver.local", path="/r/demo")
    copied = Journey(phone)
    assert SECRET in (await copied.get("/s/1")).text

    await first.get("/code")
    replaced = await first.post("/code", {})
    new_code = CODE.search(replaced.text).group(1)
    assert new_code != old_code
    assert SECRET in (await first.get("/s/1")).text  # the asker carries on
    await _shows_nothing_written(copied)
    # Only the new code works.
    client.cookies.clear()
    other = Journey(client)
    await other.get("/resume")
    assert (await other.post("/resume", {"code": old_code})).status_code == 422
    assert (await other.post("/resume", {"code": new_code})).status_code == 303


# One working code ---------------------------------------------------------------------


async def test_many_loads_of_the_code_page_at_once_give_one_working_code(client, phone) -> None:
    journey = Journey(phone)
    await journey.start()
    q = await journey.questions(1)
    await journey.post("/s/1", {q[1]: SECRET, "action": "next"})

    pages = await asyncio.gather(*(phone.get("/r/demo/code?then=2") for _ in range(8)))
    assert all(p.status_code == 200 for p in pages)
    codes = [m.group(1) for m in (CODE.search(p.text) for p in pages) if m]
    assert len(codes) == 1, codes
    # Every other page says a code was shown and offers a new one; none shows a dead code.
    others = [p for p in pages if CODE.search(p.text) is None]
    assert len(others) == 7
    assert all("We showed your code once already" in p.text for p in others)
    assert all("Get a new code" in p.text for p in others)

    client.cookies.clear()
    fresh = Journey(client)
    await fresh.get("/resume")
    resumed = await fresh.post("/resume", {"code": codes[0]})
    assert resumed.status_code == 303, resumed.text[-500:]
    assert SECRET in (await fresh.get("/s/1")).text


# Codes typed with other digits; the code box -----------------------------------------

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


@pytest.mark.parametrize("digits", [ARABIC_INDIC, PERSIAN], ids=["arabic-indic", "persian"])
async def test_a_code_typed_with_arabic_or_persian_digits_works(client, digits) -> None:
    first = Journey(client)
    code = await _answered(first)
    while not any(ch.isdigit() for ch in code):  # a code with no digit proves nothing
        await first.get("/code")
        code = CODE.search((await first.post("/code", {})).text).group(1)
    client.cookies.clear()
    other = Journey(client)
    await other.get("/resume")
    typed = code.translate(digits)
    assert typed != code
    resumed = await other.post("/resume", {"code": typed})
    assert resumed.status_code == 303, resumed.text[-500:]
    assert SECRET in (await other.get("/s/1")).text


async def test_the_code_box_and_the_code_as_shown(client) -> None:
    journey = Journey(client)
    await journey.start()
    q = await journey.questions(1)
    await journey.post("/s/1", {q[1]: "x", "action": "next"})
    page = await journey.get("/code")
    # Each group of four is one unbreakable piece; a line may break only after a dash.
    assert re.search(
        r'id="resume-code"[^>]*>(<span class="code-group">[0-9A-Z]{4}</span>-<wbr>){2}'
        r'<span class="code-group">[0-9A-Z]{4}</span></p>',
        page.text,
    )
    box = re.search(r"<input[^>]*id=\"code\"[^>]*>", (await journey.get("/resume")).text).group(0)
    for attribute in (
        'inputmode="text"',
        'autocomplete="off"',
        'autocapitalize="characters"',
        'spellcheck="false"',
        'dir="ltr"',
    ):
        assert attribute in box, attribute


# Withdrawal after the round closes ------------------------------------------------------


@pytest.mark.parametrize("status", ["closed", "published"])
async def test_withdrawal_works_after_the_round_closes(client, status) -> None:
    journey = Journey(client)
    code = await _answered(journey)
    await _send(journey)
    db = client.app.state.db
    await round_store.set_status(db, "demo", status)
    client.cookies.clear()  # a new day, a new browser

    # Where people find the way: the footer, the outcomes page, the closed round's page.
    outcomes = await journey.get("/outcomes")
    assert outcomes.status_code == 200 and 'href="/r/demo/withdraw"' in outcomes.text
    closed = await journey.get("")
    assert closed.status_code == 200 and 'href="/r/demo/withdraw"' in closed.text
    # Resuming to change answers stays closed, and the footer no longer offers it.
    assert 'href="/r/demo/resume"' not in closed.text

    page = await journey.get("/withdraw")
    assert page.status_code == 200
    assert "This consultation has closed. You can still delete your answers." in page.text
    assert "backup copies" in page.text
    shown = await journey.post("/withdraw", {"code": code})
    assert shown.status_code == 200 and SECRET in shown.text
    done = await journey.post("/withdraw", {"code": code, "confirm": "yes"})
    assert done.headers["location"] == "/r/demo/withdraw/done"
    assert (await journey.get("/withdraw/done")).status_code == 200
    assert (await db.fetch_one("SELECT COUNT(*) AS n FROM answers"))["n"] == 0
    # The code no longer works.
    again = await journey.post("/withdraw", {"code": code})
    assert again.status_code == 422


async def test_a_draft_round_still_has_no_withdraw_page(client) -> None:
    await round_store.set_status(client.app.state.db, "demo", "draft")
    page = await client.get("/r/demo/withdraw")
    assert page.status_code == 404


# Unsent drafts stay private ------------------------------------------------------------


async def test_unsent_answers_never_reach_staff(client, accounts) -> None:  # noqa: F811
    sent = Journey(client)
    await _answered(sent, "evening appointments would help")
    await _send(sent)
    client.cookies.clear()
    draft = Journey(client)
    await _answered(draft, SECRET)  # typed, saved, never sent

    staff = await signed_in(client, "organizer")  # on the round: raw answers are for its staff
    exported = (await staff.get("/staff/rounds/1/export.csv")).text
    assert "evening appointments would help" in exported and SECRET not in exported
    rows = list(csv.DictReader(io.StringIO(exported.lstrip("\ufeff"))))
    assert {r["status"] for r in rows} == {"submitted"}
    document = json.loads((await staff.get("/staff/rounds/1/export.json")).text)
    assert all(SECRET != a["answer_text"] for a in document["answers"])

    page = " ".join((await staff.get("/staff/rounds/1/dashboard")).text.split())
    assert "<dt>Still answering</dt><dd>1</dd>" in page  # counted apart, never read
    assert "<dt>Sent their answers</dt><dd>1</dd>" in page
    prompt = "<bdi>What would you change, add or take out?</bdi>"
    assert f"<strong>1.2</strong> {prompt} – 1 answer<" in page

    board = (await staff.get("/staff/rounds/1/board")).text
    assert SECRET not in board
    # What the board's analysis would theme: the sent answer only.
    db = client.app.state.db
    question = (await round_store.load_round(db, "demo")).sections[0].questions[1].id
    texts = [a.text for a in await theming_store.theme_inputs(db, question)]
    assert texts == ["evening appointments would help"]


async def test_the_start_page_says_when_unsent_answers_are_deleted(client) -> None:
    page = " ".join((await client.get("/r/demo")).text.split())
    assert "Nobody reads your answers until you send them." in page
    assert "If you don't send them, we delete them 30 days after the consultation closes." in (
        page.replace("&#39;", "'")
    )


# Paper responses --------------------------------------------------------------------------

PAPER = b"language,may_quote,1.1,1.2\r\nen,no,4,paper words about evening times\r\n"


async def _upload(staff, content: bytes = PAPER):
    from tests.web.staff.test_paper import upload  # checked, then confirmed

    await staff.get("/staff/rounds/1/paper")
    return await upload(staff, content)


async def test_paper_responses_have_random_ids_and_no_web_session(client, accounts) -> None:  # noqa: F811
    staff = await signed_in(client, "organizer")
    assert (await _upload(staff)).status_code == 200
    db = client.app.state.db
    row = await db.fetch_one("SELECT public_id, start_key FROM participations")
    batch = hashlib.sha256(PAPER).hexdigest()[:16]
    # Nothing about the file names it: holding the CSV leads nowhere.
    assert batch not in row["public_id"] and batch not in row["start_key"]

    client.cookies.clear()
    for session in (f"paper-{batch}-1", row["public_id"]):  # the old formula, and the real id
        client.cookies.set("cs_1", session, domain="testserver.local", path="/r/demo")
        someone = Journey(client)
        for path in ("/thanks", "/review", "/s/1"):
            page = await someone.get(path)
            assert "paper words" not in page.text and page.status_code in (302, 303), path
        await someone.get("/resume")
        asked = await someone.post("/code", {})  # would give a code to withdraw with
        assert asked.status_code == 303 and asked.headers["location"].endswith("/resume")
        client.cookies.clear()
    # The file's start key no longer opens it either.
    someone = Journey(client)
    await someone.get("")
    started = await someone.post(
        "/start", {"start_key": f"paper:{batch}:1", "consent": "yes", "may_quote": "no"}
    )
    assert started.status_code == 303
    assert "paper words" not in (await someone.get("/s/1")).text
    kept = await db.fetch_one(
        "SELECT COUNT(*) AS n, MIN(code_hash) AS code FROM participations WHERE source = 'paper'"
    )
    assert kept["n"] == 1 and kept["code"] is None


async def test_staff_delete_a_paper_response_and_it_is_audited(client, accounts) -> None:  # noqa: F811
    staff = await signed_in(client, "organizer")
    await _upload(staff)
    db = client.app.state.db
    batch_id = (await db.fetch_one("SELECT id FROM paper_batches"))["id"]

    page = await staff.get("/staff/rounds/1/paper")
    assert "Delete a paper response" in page.text and "paper.csv" in page.text
    missing = await staff.post("/staff/rounds/1/paper/delete", {"batch": batch_id, "row": "3"})
    assert missing.status_code == 422 and "There is no paper response in that row" in missing.text
    found = await staff.post("/staff/rounds/1/paper/delete", {"batch": batch_id, "row": "2"})
    assert found.status_code == 200
    assert "Row 2 of paper.csv: 2 answers, in English." in found.text
    assert (await db.fetch_one("SELECT COUNT(*) AS n FROM answers"))["n"] == 2  # not yet

    # A board member can't delete responses.
    client.cookies.clear()
    board = await signed_in(client, "board")
    refused = await board.post(
        "/staff/rounds/1/paper/delete", {"batch": batch_id, "row": "2", "confirm": "yes"}
    )
    assert refused.status_code == 403
    assert (await db.fetch_one("SELECT COUNT(*) AS n FROM answers"))["n"] == 2

    client.cookies.clear()
    staff = await signed_in(client, "organizer")
    await staff.get("/staff/rounds/1/paper")
    deleted = await staff.post(
        "/staff/rounds/1/paper/delete", {"batch": batch_id, "row": "2", "confirm": "yes"}
    )
    assert deleted.status_code == 303
    assert (await db.fetch_one("SELECT COUNT(*) AS n FROM answers"))["n"] == 0
    entry = await db.fetch_one(
        "SELECT actor, detail FROM audit_log WHERE action = 'paper_response_deleted'"
    )
    assert entry["actor"] == "organizer@example.org"
    assert entry["detail"] == "file paper.csv, row 2; answers deleted: 2"
    assert "evening" not in entry["detail"]
    done = await staff.get(deleted.headers["location"])
    assert "The paper response is deleted for good." in done.text
    # Deleting it again finds nothing, and changes nothing.
    again = await staff.post(
        "/staff/rounds/1/paper/delete", {"batch": batch_id, "row": "2", "confirm": "yes"}
    )
    assert again.status_code == 422
