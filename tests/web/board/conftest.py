"""Board fixtures: staff accounts (from the staff tests), a round full of answers, a fast model."""

from __future__ import annotations

import pytest

from codesign.demo.answers import fill_round, generate
from codesign.services.board.service import BoardService
from codesign.store import rounds as round_store
from codesign.store import users as user_store
from tests.web.board.helpers import TopicVectoriser
from tests.web.staff.conftest import accounts, quick_hashing, signed_in  # noqa: F401

__all__ = ["accounts", "quick_hashing", "signed_in"]


@pytest.fixture
def vectoriser() -> TopicVectoriser:
    return TopicVectoriser()


@pytest.fixture
async def board(client, accounts, vectoriser):  # noqa: F811
    """The demo round with 60 submitted answers to section 1's written question."""
    app = client.app
    db = app.state.db
    service = BoardService(db, lambda: vectoriser)
    app.state.board = service
    round_ = await round_store.load_round(db, "demo")
    section = round_.sections[0]
    agreement, question = section.questions[0].id, section.questions[1].id
    answers = generate(60, seed=3, flagged_every=13)
    answers[0] = ("times", "en", '=HYPERLINK("http://x") evening appointments please')
    await fill_round(db, round_, answers, question_id=question, agreement_id=agreement)
    # Screened as the running site would within seconds (phrases only with this model).
    while await app.state.safeguarding.screen_step(100):
        pass
    await user_store.add_member(db, round_.id, accounts["admin"].id)
    return {"round": round_, "question": question, "agreement": agreement, "service": service}


async def analysed(board) -> None:
    from codesign.models import StaffUser

    user = StaffUser(id=0, email="board@example.org", role="board")
    await board["service"].run_analysis(user, board["round"], board["question"])
