"""A use case is one transaction: its changes and its audit entry commit together or not
at all. Each test makes the last step of a use case fail inside its write, and checks
that the first step left nothing behind."""

from __future__ import annotations

import pytest

from codesign.models import StaffUser
from codesign.services.rounds.admin import RoundsAdmin
from codesign.services.rounds.forms import parse_round_form
from codesign.store import audit
from codesign.store import publishing as pub_store
from codesign.store import rounds as round_store
from codesign.store.board import answers as answer_store
from codesign.store.board import reading as theme_store
from codesign.store.board import settings as settings_store
from codesign.store.staff_rounds import settings as round_settings
from tests.web.board.conftest import analysed

BOARD = StaffUser(id=0, email="board@example.org", role="board")
ADMIN = StaffUser(id=0, email="admin@example.org", role="admin")


class Crash(Exception):
    """The process dies between two statements of one use case."""


@pytest.fixture
def audit_fails(monkeypatch):
    """Call it to make writing audit entries (a use case's last statement) fail."""

    async def crash(*args, **kwargs):
        raise Crash

    return lambda: monkeypatch.setattr(audit, "add_in", crash)


async def _entries(db, action: str) -> int:
    return sum(e.action == action for e in await audit.recent(db, 500))


async def test_rename_and_its_audit_entry_are_one_transaction(client, board, monkeypatch):
    await analysed(board)
    db = client.app.state.db
    theme = (await theme_store.themes_for(db, board["question"]))[0]

    async def crash(*args, **kwargs):
        raise Crash

    monkeypatch.setattr(audit, "add_in", crash)
    with pytest.raises(Crash):
        await board["service"].rename(BOARD, board["round"], theme, "A new name")
    assert (await theme_store.theme_by_id(db, theme.id)).label == theme.label
    monkeypatch.undo()
    await board["service"].rename(BOARD, board["round"], theme, "A new name")
    assert (await theme_store.theme_by_id(db, theme.id)).label == "A new name"
    assert await _entries(db, "theme_renamed") == 1


async def test_merge_is_undone_with_its_audit_entry(client, board, audit_fails) -> None:
    await analysed(board)
    db = client.app.state.db
    first, second = (await theme_store.themes_for(db, board["question"]))[:2]
    audit_fails()
    with pytest.raises(Crash):
        await board["service"].merge(BOARD, board["round"], first, second.id)
    assert await theme_store.theme_by_id(db, first.id) is not None
    assert (await theme_store.theme_by_id(db, second.id)).size == second.size
    assert await _entries(db, "themes_merged") == 0


async def test_move_is_undone_with_its_audit_entry(client, board, audit_fails) -> None:
    await analysed(board)
    db = client.app.state.db
    first, second = (await theme_store.themes_for(db, board["question"]))[:2]
    answer = (await answer_store.theme_answers(db, board["question"], first.id))[0]
    audit_fails()
    with pytest.raises(Crash):
        await board["service"].move(BOARD, board["round"], answer.id, second.id)
    found = await answer_store.answer_by_id(db, answer.id)
    assert found[0].theme_id == first.id


async def test_split_is_undone_with_its_audit_entry(client, board, audit_fails) -> None:
    await analysed(board)
    db = client.app.state.db
    themes = await theme_store.themes_for(db, board["question"])
    biggest = themes[0]
    audit_fails()
    with pytest.raises(Crash):
        await board["service"].split(BOARD, board["round"], biggest)
    after = await theme_store.themes_for(db, board["question"])
    assert [(t.id, t.label, t.size) for t in after] == [(t.id, t.label, t.size) for t in themes]


async def test_board_settings_and_sign_offs_needed_are_one_transaction(
    client, board, monkeypatch
) -> None:
    db = client.app.state.db
    round_ = board["round"]
    before = await settings_store.settings_for(db, round_.id)

    async def crash(*args, **kwargs):
        raise Crash

    monkeypatch.setattr(pub_store, "set_sign_offs_needed_in", crash)
    with pytest.raises(Crash):
        await board["service"].save_settings(ADMIN, round_, 7, False, None, None, 2)
    assert (await settings_store.settings_for(db, round_.id)).anonymity_threshold == (
        before.anonymity_threshold
    )
    assert await _entries(db, "board_settings_saved") == 0
    monkeypatch.undo()
    await board["service"].save_settings(ADMIN, round_, 7, False, None, None, 2)
    assert (await settings_store.settings_for(db, round_.id)).anonymity_threshold == 7
    assert await pub_store.sign_offs_needed(db, round_.id) == 2
    assert await _entries(db, "board_settings_saved") == 1
    assert await _entries(db, "sign_offs_needed_changed") == 1


async def test_a_status_change_and_its_audit_entry_are_one_transaction(
    client, accounts, audit_fails
) -> None:
    db = client.app.state.db
    round_ = await round_store.load_round(db, "demo")
    settings = await round_settings.settings_for(db, round_.id)
    admin = RoundsAdmin(db)
    audit_fails()
    with pytest.raises(Crash):
        await admin.change_status(accounts["admin"], round_, settings, "closed")
    assert (await round_store.load_round(db, "demo")).status == round_.status


ROUND_FORM = {
    "title": "Housing rules",
    "organisation": "Org",
    "purpose": "Why",
    "readers": "Board",
    "next_steps": "Next",
    "data_use": "Kept a year",
    "default_locale": "en",
    "timezone": "UTC",
    "closes_at": "2099-01-01T10:00",
}


async def test_a_new_round_and_its_audit_entry_are_one_transaction(
    client, accounts, audit_fails
) -> None:
    db = client.app.state.db
    data, errors = parse_round_form(ROUND_FORM)
    assert not errors
    before = len(await RoundsAdmin(db).rounds_for(accounts["admin"]))
    audit_fails()
    with pytest.raises(Crash):
        await RoundsAdmin(db).create(accounts["organizer"], data)
    assert len(await RoundsAdmin(db).rounds_for(accounts["admin"])) == before


async def test_adding_someone_to_a_round_and_its_audit_entry_are_one_transaction(
    client, accounts, audit_fails
) -> None:
    db = client.app.state.db
    round_ = await round_store.load_round(db, "demo")
    admin = RoundsAdmin(db)
    audit_fails()
    with pytest.raises(Crash):
        await admin.add_member(accounts["organizer"], round_, "admin@example.org")
    assert accounts["admin"].id not in {m.id for m in await admin.members(round_.id)}
