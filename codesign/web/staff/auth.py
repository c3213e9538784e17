"""Staff sign-in (password, then a code when two-step sign-in is on), its set-up, sign-out,
and the one-time links that let a person choose their password."""

from __future__ import annotations

from urllib.parse import quote

import segno
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, URLEncodedBody

from codesign.i18n import N_, translations_for
from codesign.services.accounts import AccountError, CodeResult
from codesign.services.errors import FieldError
from codesign.web.common import go
from codesign.web.ratelimit import SIGN_IN
from codesign.web.staff.common import (
    ANY_STAFF,
    AT_CODE_STEP,
    CODE_STEP,
    PUBLIC,
    SET_UP_TWO_FACTOR,
    SETTING_UP,
    accounts,
    client_address,
    safe_next,
    session_cookie,
    session_token,
    staff_locale,
    staff_page,
)

FormData = dict[str, str]

NO_MATCH = N_("That email and password didn't match an account. Check them and try again.")
PAUSED = N_(
    "There have been several tries to sign in. For safety, signing in is paused for "
    "15 minutes. Wait, then try again, or ask an admin to help."
)
CODE_NO_MATCH = N_(
    "That code didn't match. Check the app shows this account, then try the newest code. "
    "Each code works once."
)
EVERY_STAGE = ("full", "code", "enrol")


def enrolment_qr(uri: str, locale: str) -> str:
    """The set-up link as an inline SVG QR code (no XML declaration: it sits in the page)."""
    title = translations_for(locale).gettext("QR code for your authenticator app")
    return segno.make(uri, error="m", micro=False).svg_inline(
        scale=5, border=4, title=title, dark="#000", light="#fff"
    )


def _after_password(stage: str, next_url: str) -> str:
    """Where a password that matched leads: the code step, setting it up, or the page asked for."""
    if stage == "code":
        return f"{CODE_STEP}?next={quote(next_url, safe='/')}"
    if stage == "enrol":
        return f"{SET_UP_TWO_FACTOR}?next={quote(next_url, safe='/')}"
    return next_url


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
        await service.sign_out(session_token(request), None)
        return go(
            request,
            _after_password(result.stage, next_url),
            cookies=[session_cookie(request, result.token)],
        )

    # The code step ----------------------------------------------------------

    @get("/sign-in/code", name="staff_code_step", opt=AT_CODE_STEP)
    async def code_page(self, request: Request) -> Response:
        return staff_page(
            request,
            "staff/code_step.html",
            {"next": safe_next(request.query_params.get("next"))},
        )

    @post("/sign-in/code", name="staff_code_check", opt={**AT_CODE_STEP, **SIGN_IN})
    async def code_check(self, request: Request, data: URLEncodedBody[FormData]) -> Response:
        next_url = safe_next(data.get("next"))
        service = await accounts(request)
        result = await service.check_code(
            session_token(request) or "", data.get("code", "")[:40], client_address(request)
        )
        if not result.ok:
            error = FieldError("code", PAUSED if result.paused else CODE_NO_MATCH)
            return staff_page(
                request,
                "staff/code_step.html",
                {"next": next_url, "errors": [error]},
                status=429 if result.paused else 422,
                htmx_block="code_form",
            )
        return go(request, next_url)

    # Setting up two-step sign-in ----------------------------------------------

    @get("/two-factor", name="staff_two_factor", opt=SETTING_UP)
    async def two_factor_page(self, request: Request) -> Response:
        return await self._set_up_page(request, safe_next(request.query_params.get("next")), [])

    async def _set_up_page(
        self, request: Request, next_url: str, errors: list[FieldError], status: int = 200
    ) -> Response:
        service = await accounts(request)
        user = request.state.staff
        secret = await service.enrolment_secret(session_token(request) or "")
        uri = service.provisioning_uri(secret or "", user.email)
        return staff_page(
            request,
            "staff/two_factor.html",
            {
                "next": next_url,
                "secret": secret or "",
                "secret_groups": [secret[i : i + 4] for i in range(0, len(secret or ""), 4)],
                "qr": enrolment_qr(uri, staff_locale(request)),
                "forced": request.state.stage == "enrol",
                "codes_left": await service.recovery_codes_left(user),
                "errors": errors,
            },
            status=status,
        )

    @post("/two-factor", name="staff_two_factor_save", opt={**SETTING_UP, **SIGN_IN})
    async def two_factor_save(self, request: Request, data: URLEncodedBody[FormData]) -> Response:
        next_url = safe_next(data.get("next"))
        service = await accounts(request)
        result = await service.finish_enrolment(
            session_token(request) or "", data.get("code", "")[:40], client_address(request)
        )
        if isinstance(result, CodeResult):
            error = FieldError("code", PAUSED if result.paused else CODE_NO_MATCH)
            return await self._set_up_page(
                request, next_url, [error], status=429 if result.paused else 422
            )
        # Shown once, now; only their hashes are kept.
        return staff_page(
            request,
            "staff/recovery_codes.html",
            {"codes": result, "next": next_url, "notice": N_("Two-step sign-in is on.")},
        )

    # One-time links ---------------------------------------------------------------

    @get("/link/{token:str}", name="staff_link", opt=PUBLIC)
    async def link_page(self, request: Request, token: FromPath[str]) -> Response:
        service = await accounts(request)
        found = await service.link_for(token)
        return staff_page(
            request,
            "staff/link.html",
            {"link": found, "token": token if found else ""},
            status=200 if found else 410,
        )

    @post("/link/{token:str}", name="staff_link_use", opt={**PUBLIC, **SIGN_IN})
    async def use_link(
        self, request: Request, token: FromPath[str], data: URLEncodedBody[FormData]
    ) -> Response:
        service = await accounts(request)
        password = data.get("password", "")
        again = data.get("password_again", "")
        found = await service.link_for(token)
        if found is None:
            return staff_page(request, "staff/link.html", {"link": None, "token": ""}, status=410)
        error: FieldError | None = None
        if password != again:
            error = FieldError("password", N_("The two passwords were different. Type them again."))
        else:
            try:
                user, session, stage = await service.use_link(token, password)
            except AccountError as exc:
                error = FieldError("password", exc.message)
        if error is not None:
            return staff_page(
                request,
                "staff/link.html",
                {"link": found, "token": token, "errors": [error]},
                status=422,
            )
        await service.sign_out(session_token(request), None)
        return go(
            request,
            _after_password(stage, "/staff/?done=password-set"),
            cookies=[session_cookie(request, session)],
        )

    @post("/sign-out", name="staff_sign_out", opt={**ANY_STAFF, "stages": EVERY_STAGE})
    async def sign_out(self, request: Request) -> Response:
        service = await accounts(request)
        await service.sign_out(session_token(request), request.state.staff)
        return go(
            request,
            "/staff/sign-in?done=signed-out",
            cookies=[session_cookie(request, "", clear=True)],
        )
