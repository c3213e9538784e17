"""The organizer console under /staff/: sign-in, rounds, preview, sharing, dashboard, audit.

Every route passes `staff_guard`: a live server-side session and a role listed
in the route's `opt` (routes marked `PUBLIC` are the sign-in form only).
"""

from __future__ import annotations

from litestar import Litestar, Router
from litestar.di import Provide

from codesign.web.common import PageError
from codesign.web.staff.audit import StaffAuditController
from codesign.web.staff.auth import StaffAuthController
from codesign.web.staff.common import (
    SignInNeeded,
    StepNeeded,
    sign_in_needed_handler,
    staff_error_handler,
    staff_guard,
    step_needed_handler,
)
from codesign.web.staff.paper import StaffPaperController
from codesign.web.staff.preview import StaffPreviewController
from codesign.web.staff.rounds import StaffRoundsController, provide_staff_round
from codesign.web.staff.users import StaffUsersController
from codesign.web.staff.watch import StaffWatchController


def staff_router() -> Router:
    return Router(
        path="/staff",
        route_handlers=[
            StaffAuthController,
            StaffRoundsController,
            StaffPreviewController,
            StaffWatchController,
            StaffPaperController,
            StaffAuditController,
            StaffUsersController,
        ],
        guards=[staff_guard],
        # A round's console pages take the round and its settings as `staff_round`,
        # loaded once per request with the standing the guard read.
        dependencies={"staff_round": Provide(provide_staff_round)},
        exception_handlers={
            SignInNeeded: sign_in_needed_handler,
            StepNeeded: step_needed_handler,
            PageError: staff_error_handler,
        },
        include_in_schema=False,
    )


async def create_demo_staff(app: Litestar, slug: str = "demo") -> None:
    """`codesign serve --demo`: a demo organizer and board member on the demo round.

    Their passwords are printed once, when the accounts are made; only hashes are kept.
    """
    from codesign.services.rounds.admin import RoundsAdmin
    from codesign.web.staff.common import service_for_app

    round_id = await RoundsAdmin(app.state.db).id_for_slug(slug)
    if round_id is None:
        return
    service = await service_for_app(app)
    for account in await service.ensure_demo_staff(round_id):
        print(
            f"codesign: demo {account.role} - sign in at /staff/sign-in with"
            f" {account.email} and the password {account.password}"
            " (shown only this once)",
            flush=True,
        )
