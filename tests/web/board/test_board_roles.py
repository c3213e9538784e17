"""Role matrix for the board workspace: every board route, for each role and membership.

Board members, organizers and admins use the workspace only on rounds they sit
on; only board members on the round write, sign off and choose quotes for the
board's response (organizers and admins can read, preview and publish it);
board settings are for admins; the safeguarding list is for the round's lead
and deputy, and for admins on the round (escalations reach every admin's home;
reading the answers is for those on the round, as everywhere).
"""

from __future__ import annotations

import pytest

from codesign.store import safeguarding as sg_store
from codesign.store import users as user_store
from codesign.store.board import answers as answer_store
from codesign.store.board import reading as theme_store
from codesign.store.board import settings as settings_store
from tests.web.board.conftest import analysed
from tests.web.staff.conftest import Staff, signed_in

MEMBERS = "members"  # any role, if on the round
ADMIN = "admin"  # admins, member or not
LEAD = "lead"  # the safeguarding lead (or deputy), and admins
BOARD = "board"  # the board's own voice: board members on the round (never organizers or admins)

BASE = "/staff/rounds/{round_id:int}/board"
MATRIX: dict[tuple[str, str], str] = {
    ("GET", BASE): MEMBERS,
    ("GET", BASE + "/q/{question_id:int}"): MEMBERS,
    ("GET", BASE + "/q/{question_id:int}/progress"): MEMBERS,
    ("GET", BASE + "/q/{question_id:int}/other"): MEMBERS,
    ("POST", BASE + "/q/{question_id:int}/run"): MEMBERS,
    ("GET", BASE + "/themes/{theme_id:int}"): MEMBERS,
    ("POST", BASE + "/themes/{theme_id:int}/rename"): MEMBERS,
    ("POST", BASE + "/themes/{theme_id:int}/merge"): MEMBERS,
    ("POST", BASE + "/themes/{theme_id:int}/split"): MEMBERS,
    ("POST", BASE + "/answers/{answer_id:int}/move"): MEMBERS,
    ("GET", BASE + "/themes/{theme_id:int}/response"): BOARD,
    ("POST", BASE + "/themes/{theme_id:int}/response"): BOARD,
    ("POST", BASE + "/sign-off"): BOARD,
    ("GET", BASE + "/publish"): MEMBERS,
    ("POST", BASE + "/publish"): MEMBERS,
    ("GET", BASE + "/preview"): MEMBERS,
    ("GET", BASE + "/quotes"): MEMBERS,
    ("POST", BASE + "/quotes/{answer_id:int}"): BOARD,
    ("GET", BASE + "/summary"): BOARD,
    ("POST", BASE + "/summary"): BOARD,
    ("GET", BASE + "/settings"): ADMIN,
    ("POST", BASE + "/settings"): ADMIN,
    ("GET", BASE + "/safeguarding"): LEAD,
    ("GET", BASE + "/safeguarding/{item_id:int}"): LEAD,
    ("POST", BASE + "/safeguarding/{item_id:int}/status"): LEAD,
    ("POST", BASE + "/safeguarding/{item_id:int}/note"): LEAD,
    ("POST", BASE + "/safeguarding/{item_id:int}/contact"): LEAD,
    ("POST", BASE + "/answers/{answer_id:int}/flag"): MEMBERS,
    ("GET", BASE + "/answers/{answer_id:int}/read"): MEMBERS,
    ("GET", BASE + "/export.csv"): MEMBERS,
    ("GET", BASE + "/export.json"): MEMBERS,
    ("GET", BASE + "/report"): MEMBERS,
    ("GET", BASE + "/opinions"): MEMBERS,
    # steering (web/board/steering.py)
    ("GET", BASE + "/q/{question_id:int}/search"): MEMBERS,
    ("POST", BASE + "/q/{question_id:int}/answers"): MEMBERS,
    ("POST", BASE + "/merges/{merge_id:int}/undo"): MEMBERS,
    ("POST", BASE + "/q/{question_id:int}/other-themes"): MEMBERS,
    ("GET", BASE + "/q/{question_id:int}/restart"): MEMBERS,
    ("POST", BASE + "/q/{question_id:int}/restart"): MEMBERS,
    ("POST", BASE + "/q/{question_id:int}/groups/{group_id:int}/rename"): MEMBERS,
}


def board_routes(app) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        if route.path.startswith("/staff/rounds/{round_id:int}/board"):
            for method in getattr(route, "methods", ()):
                if method not in ("OPTIONS", "HEAD"):
                    found.add((method, route.path))
    return found


def test_every_board_route_is_in_the_matrix(client) -> None:
    assert board_routes(client.app) == set(MATRIX)


@pytest.mark.parametrize(
    "who", ["anonymous", "board", "organizer", "admin-member", "admin-outside", "board-outside"]
)
async def test_board_role_matrix(client, board, who: str) -> None:
    await analysed(board)
    db = client.app.state.db
    round_id, q = board["round"].id, board["question"]
    theme = (await theme_store.themes_for(db, q))[0]
    answer = (await answer_store.theme_answers(db, q, theme.id))[0]
    lead = "board"
    item_id = await sg_store.hand_flag(
        db, board["round"].id, answer.id, "danger", "", "someone@example.org", user_id=0
    )
    ids = {
        "{item_id:int}": str(item_id),
        "{round_id:int}": str(round_id),
        "{question_id:int}": str(q),
        "{theme_id:int}": str(theme.id),
        "{answer_id:int}": str(answer.id),
        "{merge_id:int}": "1",
        "{group_id:int}": "1",
    }
    accounts_role = {"board-outside": "board", "admin-member": "admin", "admin-outside": "admin"}
    if who in ("admin-outside", "board-outside"):
        await user_store.remove_member(db, round_id, await _user_id(db, accounts_role[who]))
    lead_id = await _user_id(db, lead)
    await settings_store.save_settings(
        db, round_id, anonymity_threshold=5, quotes_allowed=True, safeguarding_user_id=lead_id
    )
    if who == "anonymous":
        staff = Staff(client)
        await staff.get("/staff/sign-in")
    else:
        staff = await signed_in(client, accounts_role.get(who, who))
    member = who in ("board", "organizer", "admin-member")
    problems = []
    for (method, path), allowed in MATRIX.items():
        if method == "POST" and path.endswith(
            ("/merge", "/split", "/move", "/run", "/other-themes")
        ):
            continue  # these change the data under the other routes; checked below
        concrete = path
        for k, v in ids.items():
            concrete = concrete.replace(k, v)
        response = await (staff.get(concrete) if method == "GET" else staff.post(concrete, {}))
        status = response.status_code
        if who == "anonymous":
            ok = status == 303 and response.headers["location"].startswith("/staff/sign-in")
        else:
            may = {
                MEMBERS: member,
                ADMIN: who.startswith("admin"),
                LEAD: who in ("board", "admin-member"),
                BOARD: who == "board",
            }[allowed]
            ok = (status not in (401, 403) and status < 500) if may else status == 403
        if not ok:
            problems.append((method, concrete, status))
    for path in (
        f"/themes/{theme.id}/split",
        f"/answers/{answer.id}/move",
        f"/themes/{theme.id}/merge",
        f"/q/{q}/run",
        f"/q/{q}/other-themes",
    ):
        response = await staff.post(f"/staff/rounds/{round_id}/board{path}", {})
        if who == "anonymous":
            ok = response.status_code == 303
        elif member:
            ok = response.status_code not in (401, 403) and response.status_code < 500
        else:
            ok = response.status_code == 403
        if not ok:
            problems.append(("POST", path, response.status_code))
    assert not problems, f"{who}: {problems}"


async def _user_id(db, role: str) -> int:
    from tests.web.staff.conftest import EMAILS

    found = await user_store.by_email(db, EMAILS[role])
    return found[0].id
