"""An answer that raises two topics, themed by the real model, shows under both themes.

The stand-in model of the other board tests puts topics at right angles, where no answer
lies between two; this runs the multilingual model the site uses (skipped where it
cannot load), on the demo answers plus two that ask for two things.
"""

from __future__ import annotations

import html

import pytest

from codesign.analysis.vectorise import default_vectoriser, e5_unavailable_reason
from codesign.demo.answers import fill_round
from codesign.store.board import answers as answer_store
from codesign.store.board import reading as theme_store
from tests.web.board.conftest import analysed
from tests.web.staff.conftest import signed_in

REASON = e5_unavailable_reason()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"the model cannot load: {REASON}")

BOTH = [
    "The bus ticket costs too much, and I need an interpreter at every appointment",
    "El autobús cuesta mucho y necesito un intérprete en cada cita",
]


@pytest.fixture
def vectoriser():
    return default_vectoriser()


def url(board, path: str = "") -> str:
    return f"/staff/rounds/{board['round'].id}/board{path}"


async def test_the_real_model_shows_a_two_topic_answer_under_both_themes(client, board) -> None:
    db = client.app.state.db
    q = board["question"]
    late = [("transport", loc, text) for loc, text in zip(("en", "es"), BOTH, strict=True)]
    await fill_round(db, board["round"], late, question_id=q, agreement_id=board["agreement"])
    await analysed(board)

    themes = {t.id: t for t in await theme_store.themes_for(db, q)}
    by_text = {a.redacted: a for t in themes for a in await answer_store.theme_answers(db, q, t)}
    terms = {t.id: " ".join(t.terms).lower() for t in themes.values()}
    member = await signed_in(client, "board")
    for text in BOTH:
        answer = by_text[text]
        rows = await db.fetch_all(
            "SELECT also_theme_id FROM theme_members WHERE answer_id = ?", (answer.id,)
        )
        also = rows[0]["also_theme_id"]
        assert also is not None, text
        # its two places are the interpreters' theme and the bus fares' theme
        places = {answer.theme_id, also}
        assert any("interpr" in terms[t] for t in places)
        assert any("bus" in terms[t] or "autob" in terms[t] for t in places)
        page = html.unescape((await member.get(url(board, f"/themes/{also}"))).text)
        assert "Answers in other themes that raise this too" in page and text in page

    # answers asking for one thing stay in one place, even in two related themes
    marked = await db.fetch_all(
        "SELECT a.redacted FROM theme_members m JOIN answers a ON a.id = m.answer_id"
        " WHERE m.also_theme_id IS NOT NULL"
    )
    assert {r["redacted"] for r in marked} == set(BOTH)
