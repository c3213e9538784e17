"""Staff sign-in and sign-out."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import URLEncodedBody

from codesign.i18n import N_
from codesign.services.participation import FieldError
from codesign.web.common import go
from codesign.web.ratelimit import SIGN_IN
from codesign.web.staff.common import (
    ANY_STAFF,
    PUBLIC,
    SESSION_COOKIE,
    accounts,
    client_address,
    safe_next,
    session_cookie,
    staff_page,
)

FormData = dict[str, str]

NO_MATCH = N_("That email and password didn't match an account. Check them and try again.")
PAUSED = N_(
    "There have been several tries to sign in. For safety, signing in is paused for "
    "15 minutes. Wait, then try again, or ask an admin to help."
)


class StaffAuthController(Controller):
    path = "/"

    @get("/sign-in", name="staff_sign_in", opt=PUBLIC)
    async def sign_in_page(self, request: Request) -> Response:
        return staff_page(
            request,
            "staff/sign_in.html",
            {"email": "", "next": safe_next(request.query_params.get("next"))},
        )

    @post("/sign-in", name="staff_sign_in_check", opt={**PUBLIC, **SIGN_IN})
    async def sign_in(self, request: Request, data: URLEncodedBody[FormData]) -> Response:
        email = data.get("email", "")[:254]
        next_url = safe_next(data.get("next"))
        service = await accounts(request)
        result = await service.sign_in(email, data.get("password", ""), client_address(request))
        if result.user is None:
            error = FieldError("email", PAUSED if result.paused else NO_MATCH)
            return staff_page(
                request,
                "staff/sign_in.html",
                {"email": email, "next": next_url, "errors": [error]},
                status=429 if result.paused else 422,
                htmx_block="sign_in_form",
            )
        # A new session each time; the one this browser had before ends.
        await service.sign_out(request.cookies.get(SESSION_COOKIE), None)
        return go(request, next_url, cookies=[session_cookie(request, result.token)])

    @post("/sign-out", name="staff_sign_out", opt=ANY_STAFF)
    async def sign_out(self, request: Request) -> Response:
        service = await accounts(request)
        await service.sign_out(request.cookies.get(SESSION_COOKIE), request.state.staff)
        return go(
            request,
            "/staff/sign-in?done=signed-out",
            cookies=[session_cookie(request, "", clear=True)],
        )
