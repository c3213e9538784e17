"""The review board workspace under /staff/rounds/{id}/board (staff session and guards).

Board members, organizers and admins use it only on rounds they sit on; the
board's own voice (its response, summary, sign-off and quote approvals) is for
board members on the round; the board settings (anonymity threshold, quotes,
safeguarding lead, sign-offs needed) are for admins.
"""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from codesign.services.access import Action
from codesign.web.board.pages import BoardController, provide_round
from codesign.web.board.publishing import PublishingController
from codesign.web.board.safeguarding import SafeguardingController
from codesign.web.board.steering import SteeringController
from codesign.web.common import PageError
from codesign.web.staff.common import (
    SignInNeeded,
    StepNeeded,
    round_standing,
    sign_in_needed_handler,
    staff_error_handler,
    staff_guard,
    step_needed_handler,
)


def board_router() -> Router:
    return Router(
        path="/staff/rounds/{round_id:int}/board",
        route_handlers=[
            BoardController,
            PublishingController,
            SafeguardingController,
            SteeringController,
        ],
        guards=[staff_guard],
        # Every board route reads the round's answers unless its own `round_action` says
        # otherwise; handlers take the round (`round_`) and the person's standing on it
        # (`standing`), loaded once, by the guard and `provide_round`.
        opt={"round_action": Action.READ_ANSWERS},
        dependencies={
            "round_": Provide(provide_round),
            "standing": Provide(round_standing, sync_to_thread=False),
        },
        exception_handlers={
            SignInNeeded: sign_in_needed_handler,
            StepNeeded: step_needed_handler,
            PageError: staff_error_handler,
        },
        include_in_schema=False,
    )
