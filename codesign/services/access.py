"""Who may do what: the one access policy, used by the staff guard and the services.

`can(user, action, standing)` answers every question of access. Role-only
actions (which pages of the console a role has) ignore the round; round actions
need the person's `Standing` on the round (loaded once per request by
`standing_for`). Nothing else in the code decides access: the guard, the round
dependency of the web layer and the services all ask here, and choose only the
words of a refusal.

The rules, in words:
- a round's pages are for the staff who sit on it, and for admins (who manage
  rounds without reading what people wrote);
- raw answers (board pages, exports, the dashboard's answers) are only for the
  staff who sit on the round, admins included;
- the board's own voice (its response, summary, sign-off, quote approvals) is for
  board members who sit on the round: organizers and admins read and publish, but
  never speak for the board;
- board settings (threshold, quotes, safeguarding lead, sign-offs) are for admins;
- the safeguarding list, and contacts left for it, are for the round's lead and
  deputy, and for admins who sit on the round;
- anyone on the round, and any admin, may flag an answer by hand;
- admins and safeguarding leads and deputies use two-step sign-in.
"""

from __future__ import annotations

from enum import StrEnum

from codesign.models import StaffUser
from codesign.store import access as access_store
from codesign.store.access import Standing
from codesign.store.db import Database

__all__ = ["Action", "Standing", "can", "needs_two_step", "standing_for"]


class Action(StrEnum):
    # What a role may open, on any round or none.
    USE_CONSOLE = "use_console"
    BUILD_ROUNDS = "build_rounds"
    ADMINISTER = "administer"
    # What a person may do on one round.
    OPEN_ROUND = "open_round"
    READ_ANSWERS = "read_answers"
    SPEAK_FOR_BOARD = "speak_for_board"
    BOARD_SETTINGS = "board_settings"
    HANDLE_SAFEGUARDING = "handle_safeguarding"
    FLAG_ANSWER = "flag_answer"


#: The roles each role-only action is for.
ROLES: dict[Action, frozenset[str]] = {
    Action.USE_CONSOLE: frozenset({"admin", "organizer", "board"}),
    Action.BUILD_ROUNDS: frozenset({"admin", "organizer"}),
    Action.ADMINISTER: frozenset({"admin"}),
}

ROUND_ACTIONS = frozenset(Action) - frozenset(ROLES)


def is_safeguarding_person(user: StaffUser, standing: Standing) -> bool:
    """The round's named safeguarding lead or deputy."""
    return user.id in (standing.lead_id, standing.deputy_id)


def can(user: StaffUser, action: Action, standing: Standing | None = None) -> bool:
    """May this person do this (on this round)? The whole policy; no reads."""
    if not user.active:
        return False
    if action in ROLES:
        return user.role in ROLES[action]
    if standing is None:
        return False  # a round action needs the round
    admin = user.role == "admin"
    member = standing.member
    if action is Action.OPEN_ROUND:
        return member or admin
    if action is Action.READ_ANSWERS:
        return member
    if action is Action.SPEAK_FOR_BOARD:
        return member and user.role == "board"
    if action is Action.BOARD_SETTINGS:
        return admin
    if action is Action.HANDLE_SAFEGUARDING:
        return is_safeguarding_person(user, standing) or (admin and member)
    if action is Action.FLAG_ANSWER:
        return member or admin
    raise ValueError(f"unknown action {action!r}")


def needs_two_step(user: StaffUser, *, safeguards_a_round: bool, everyone: bool) -> bool:
    """Admins and safeguarding leads and deputies use two-step sign-in (and everyone,
    when an admin says so); the demo accounts `serve --demo` prints are the exception."""
    if user.demo:
        return False
    return user.role == "admin" or safeguards_a_round or everyone


async def standing_for(db: Database, user: StaffUser, round_id: int) -> Standing | None:
    """The person's standing on the round (one read); None if there is no such round."""
    return await access_store.standing(db, round_id, user.id)
