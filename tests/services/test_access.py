"""The access policy as a table: role × action × standing on the round → allowed."""

from __future__ import annotations

import pytest

from codesign.models import StaffUser
from codesign.services.access import Action, Standing, can, needs_two_step

ME = 7
A = Action

#: Standings on a round, for the person with id ME.
STANDINGS = {
    "outside": Standing(round_id=1, slug="r", member=False),
    "member": Standing(round_id=1, slug="r", member=True),
    "lead": Standing(round_id=1, slug="r", member=True, lead_id=ME),
    "deputy": Standing(round_id=1, slug="r", member=True, deputy_id=ME),
    "lead-outside": Standing(round_id=1, slug="r", member=False, lead_id=ME),
    "member-other-lead": Standing(round_id=1, slug="r", member=True, lead_id=99, deputy_id=98),
}

Y, N = True, False
#: (role, standing) → allowed, in the order of ROUND_COLUMNS.
ROUND_COLUMNS = (
    A.OPEN_ROUND,
    A.READ_ANSWERS,
    A.SPEAK_FOR_BOARD,
    A.BOARD_SETTINGS,
    A.HANDLE_SAFEGUARDING,
    A.FLAG_ANSWER,
)
ROUND_TABLE: dict[tuple[str, str], tuple[bool, ...]] = {
    #                            open read speak settings safeguard flag
    ("admin", "outside"):           (Y, N, N, Y, N, Y),
    ("admin", "member"):            (Y, Y, N, Y, Y, Y),
    ("admin", "lead"):              (Y, Y, N, Y, Y, Y),
    ("admin", "lead-outside"):      (Y, N, N, Y, Y, Y),
    ("organizer", "outside"):       (N, N, N, N, N, N),
    ("organizer", "member"):        (Y, Y, N, N, N, Y),
    ("organizer", "lead"):          (Y, Y, N, N, Y, Y),
    ("organizer", "deputy"):        (Y, Y, N, N, Y, Y),
    ("organizer", "member-other-lead"): (Y, Y, N, N, N, Y),
    ("board", "outside"):           (N, N, N, N, N, N),
    ("board", "member"):            (Y, Y, Y, N, N, Y),
    ("board", "lead"):              (Y, Y, Y, N, Y, Y),
    ("board", "deputy"):            (Y, Y, Y, N, Y, Y),
    ("board", "lead-outside"):      (N, N, N, N, Y, N),
    ("board", "member-other-lead"): (Y, Y, Y, N, N, Y),
}  # fmt: skip

ROLE_TABLE: dict[str, tuple[bool, bool, bool]] = {
    #            console build administer
    "admin": (Y, Y, Y),
    "organizer": (Y, Y, N),
    "board": (Y, N, N),
}


def person(role: str, **kwargs) -> StaffUser:
    return StaffUser(id=ME, email=f"{role}@example.org", role=role, **kwargs)


@pytest.mark.parametrize(("role", "where"), list(ROUND_TABLE))
def test_round_actions(role: str, where: str) -> None:
    found = tuple(can(person(role), action, STANDINGS[where]) for action in ROUND_COLUMNS)
    assert found == ROUND_TABLE[role, where]


@pytest.mark.parametrize("role", list(ROLE_TABLE))
def test_role_actions_ignore_the_round(role: str) -> None:
    actions = (A.USE_CONSOLE, A.BUILD_ROUNDS, A.ADMINISTER)
    for standing in (None, *STANDINGS.values()):
        found = tuple(can(person(role), action, standing) for action in actions)
        assert found == ROLE_TABLE[role]


def test_every_action_is_in_a_table() -> None:
    assert set(ROUND_COLUMNS) | {A.USE_CONSOLE, A.BUILD_ROUNDS, A.ADMINISTER} == set(Action)


@pytest.mark.parametrize("action", ROUND_COLUMNS)
@pytest.mark.parametrize("role", list(ROLE_TABLE))
def test_a_round_action_without_the_round_is_refused(role: str, action: Action) -> None:
    assert not can(person(role), action, None)


@pytest.mark.parametrize("action", list(Action))
def test_a_deactivated_account_may_do_nothing(action: Action) -> None:
    for standing in STANDINGS.values():
        assert not can(person("admin", active=False), action, standing)


@pytest.mark.parametrize(
    ("role", "demo", "safeguards", "everyone", "needed"),
    [
        ("admin", False, False, False, True),
        ("admin", True, False, False, False),
        ("organizer", False, False, False, False),
        ("organizer", False, True, False, True),
        ("board", False, True, False, True),
        ("board", False, False, True, True),
        ("board", True, True, True, False),
    ],
)
def test_two_step_sign_in(role, demo, safeguards, everyone, needed) -> None:
    user = person(role, demo=demo)
    assert needs_two_step(user, safeguards_a_round=safeguards, everyone=everyone) is needed
