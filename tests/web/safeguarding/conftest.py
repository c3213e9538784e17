"""Safeguarding fixtures: staff (from the staff tests), a lead and deputy on the demo round,
and screening with the phrase lexicon (a fast stand-in model; the real one is in
test_screening_model.py)."""

from __future__ import annotations

import re
import secrets

import pytest

from codesign.services.board.service import BoardService
from codesign.store import users as user_store
from codesign.store.board import settings as settings_store
from tests.conftest import Journey
from tests.web.board.helpers import TopicVectoriser
from tests.web.staff.conftest import accounts, quick_hashing, signed_in  # noqa: F401

__all__ = ["accounts", "quick_hashing", "signed_in"]

RISKY = "Honestly I want to kill myself, nobody would notice."
CALM = "Evening appointments would help me a lot."


@pytest.fixture(autouse=True)
def drafts_settle_at_once(monkeypatch):
    """Screen drafts as soon as they are saved (the site waits for the words to rest;
    test_screening checks that wait)."""
    from datetime import timedelta

    from codesign.services import safeguarding as module

    monkeypatch.setattr(module, "DRAFT_SETTLE", timedelta(0))


@pytest.fixture
async def sg(client, accounts):  # noqa: F811
    """The demo round with the board member as lead and the organizer as deputy."""
    app = client.app
    db = app.state.db
    app.state.board = BoardService(db, TopicVectoriser)
    await settings_store.save_settings(
        db,
        1,
        anonymity_threshold=5,
        quotes_allowed=True,
        safeguarding_user_id=accounts["board"].id,
        safeguarding_deputy_id=accounts["organizer"].id,
    )
    return app.state.safeguarding


async def screen_all(service) -> int:
    done = 0
    while n := await service.screen_step(100):
        done += n
    return done


async def written_question(journey: Journey) -> tuple[int, str]:
    """The first section with a written answer: (position, field name)."""
    for position in range(1, 6):
        page = await journey.get(f"/s/{position}?note=read")
        match = re.search(r'<textarea id="(q\d+)"', page.text)
        if match:
            return position, match.group(1)
    raise AssertionError("no written question in the demo round")


async def write(journey: Journey, text: str, *, submit: bool = False) -> tuple[int, str]:
    await journey.start()
    position, field = await written_question(journey)
    journey.htmx = True
    saved = await journey.post(f"/s/{position}", {field: text, "save_key": secrets.token_hex(12)})
    assert saved.status_code == 200
    journey.htmx = False
    if submit:
        await journey.get("/review")
        sent = await journey.post("/review", {"may_quote": "no", "action": "submit"})
        assert sent.status_code == 303, sent.text[:500]
    return position, field


async def user_id(db, email: str) -> int:
    return (await user_store.by_email(db, email))[0].id
