"""What every staff page shares: the session guard, roles, the layout."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from litestar import Litestar, Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.handlers import BaseRouteHandler
from litestar.response import Redirect

from codesign.i18n import N_, negotiate, parse_accept_language
from codesign.models import Round, RoundSettings, StaffUser
from codesign.services.access import Action, Standing, can
from codesign.services.accounts import SESSION_LIFETIME, AccountService, account_service
from codesign.services.rounds.admin import RoundsAdmin
from codesign.settings import SUPPORTED_LOCALES, Settings
from codesign.web.common import PageError, is_htmx, render_page

#: The staff session cookie's name over plain HTTP (local use, tests); under HTTPS it is
#: `__Host-cs_staff` (`session_cookie_name`).
SESSION_COOKIE = "cs_staff"
SIGN_IN = "/staff/sign-in"
CODE_STEP = "/staff/sign-in/code"
SET_UP_TWO_FACTOR = "/staff/two-factor"

#: Route options: `PUBLIC` needs no session; otherwise `action` is what the page is for,
#: asked of the access policy (services.access) with the person's role. On a round's
#: routes the guard also asks `round_action` (by default: opening the round's pages).
PUBLIC = {"public": True}
ADMIN_ONLY = {"action": Action.ADMINISTER}
BUILD = {"action": Action.BUILD_ROUNDS}
ANY_STAFF = {"action": Action.USE_CONSOLE}
#: The board's own voice on a round: board members who sit on it.
BOARD_VOICE = {"action": Action.USE_CONSOLE, "round_action": Action.SPEAK_FOR_BOARD}
#: The board settings of a round: admins, whether or not they sit on it.
BOARD_SETTINGS = {"action": Action.ADMINISTER, "round_action": Action.BOARD_SETTINGS}
#: Pages of a round that decide access further in their service (the safeguarding list).
ROUND_STAFF = {"action": Action.USE_CONSOLE, "round_action": Action.OPEN_ROUND}
#: The steps of signing in after the password: a session at that stage may come in.
AT_CODE_STEP = {"action": Action.USE_CONSOLE, "stages": ("code",)}
SETTING_UP = {"action": Action.USE_CONSOLE, "stages": ("enrol", "full")}


#: Confirmations after a redirect (`?done=saved`): only these known messages are shown.
NOTICES = {
    "saved": N_("Your changes are saved."),
    "created": N_("The round is created. It is a draft: participants can't see it yet."),
    "opened": N_("The round is open."),
    "closed": N_("The round is closed. No new answers can be given."),
    "published": N_("The round is marked as published."),
    "draft": N_("The round is a draft again."),
    "removed": N_("Removed."),
    "paper-deleted": N_("The paper response is deleted for good. The audit log says who did it."),
    "signed-out": N_("You have signed out."),
    "invited": N_("The invitation is sent. The link works once, for 72 hours."),
    "reset-sent": N_("The link to choose a new password is sent. It works once, for one hour."),
    "deactivated": N_("The account is deactivated. Its sessions have ended."),
    "reactivated": N_("The account is active again. They can sign in with their password."),
    "role-changed": N_("The role is changed."),
    "member-removed": N_("They are no longer on this round."),
    "two-factor-on": N_("Two-step sign-in is on."),
    "password-set": N_("Your password is set. You are signed in."),
    "two-factor-cleared": N_(
        "Their two-step sign-in is turned off and their sessions have ended. Where it is "
        "needed, they set it up again at their next sign-in."
    ),
    "copied": N_(
        "This is a copy: a new draft with the same texts, sections and questions, and no "
        "answers. Set its dates and check its title before you open it."
    ),
    "round-deleted": N_(
        "The round is deleted, with all its answers. The audit log says who did it."
    ),
    "paper-cancelled": N_("Nothing was added. The checked file is not kept."),
    "paper-undone": N_(
        "The import is undone: its responses are deleted. The audit log says who did it."
    ),
}


class SignInNeeded(Exception):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class StepNeeded(Exception):
    """Signed in with a password, with a step still to do (`stage`: code or enrol)."""

    def __init__(self, stage: str) -> None:
        super().__init__(stage)
        self.stage = stage


def session_cookie_name(settings: Settings) -> str:
    """Under HTTPS the `__Host-` prefix: browsers then keep the cookie only if it is Secure,
    for this exact host and Path=/, so no other subdomain can plant or read one."""
    return "__Host-" + SESSION_COOKIE if settings.https else SESSION_COOKIE


def session_token(connection: ASGIConnection) -> str | None:
    """The staff session cookie's value, under whichever name the settings give it."""
    return connection.cookies.get(session_cookie_name(connection.app.state.settings))


async def accounts(connection: ASGIConnection) -> AccountService:
    return await service_for_app(connection.app)


async def service_for_app(app: Litestar) -> AccountService:
    state = app.state
    service = getattr(state, "accounts", None)
    if service is None:
        service = await account_service(state.db)
        state.accounts = service
    return service


async def staff_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Every staff request: a live session, and a role the route allows."""
    if handler.opt.get("public"):
        return
    service = await accounts(connection)
    found = await service.session_for_token(session_token(connection))
    if found is None:
        raise SignInNeeded(connection.url.path)
    # Until every step of signing in is done, only that step's pages open.
    if found.stage not in handler.opt.get("stages", ("full",)):
        raise StepNeeded(found.stage)
    user = found.user
    connection.state.stage = found.stage
    action = handler.opt.get("action")
    if action is None or not can(user, action):
        raise PageError(
            403,
            N_("This page is not part of your role"),
            N_("If you need it for your work, ask an admin to give you access."),
            links=[("/staff/", N_("Go to your rounds"))],
        )
    round_id = connection.path_params.get("round_id")
    if round_id is not None:
        # The person's standing on the round is read here, once, before any body is
        # read, for every round-scoped route; the round dependency reuses it.
        standing = await RoundsAdmin(connection.app.state.db).standing(user, int(round_id))
        if standing is None and user.role == "admin":
            raise round_not_found()
        if standing is None or not can(user, Action.OPEN_ROUND, standing):
            raise not_one_of_yours()
        connection.state.standing = standing
    connection.state.staff = user


def round_not_found() -> PageError:
    return PageError(
        404,
        N_("We can't find this round"),
        N_("It may have been removed. Go back to your rounds."),
        links=[("/staff/", N_("Go to your rounds"))],
    )


def not_one_of_yours() -> PageError:
    """A round's pages asked for by someone not on it (and not an admin)."""
    return PageError(
        403,
        N_("This round is not one of yours"),
        N_("Only the staff on a round can see it. Ask an admin or its organizer to add you."),
        links=[("/staff/", N_("Go to your rounds"))],
    )


#: A handler's round, loaded once and authorised by a router's `round_` dependency.
AuthorisedRound = NamedDependency[Round]
#: A console handler's round with its settings, loaded once and authorised by the staff
#: router's `staff_round` dependency.
StaffRound = NamedDependency[tuple[Round, RoundSettings]]
#: The person's standing on that round (services.access), as the guard read it.
RoundStanding = NamedDependency[Standing]


def round_standing(request: Request) -> Standing:
    """The person's standing on the round of this route, as the guard read it."""
    return request.state.standing


def not_on_round() -> PageError:
    """Raw answers asked for by someone not on the round (services.access, READ_ANSWERS)."""
    return PageError(
        403,
        N_("This round is not one of yours"),
        N_("Only the staff on a round can see its feedback. Ask an admin to add you."),
        links=[("/staff/", N_("Go to your rounds"))],
    )


def staff_user(request: Request) -> StaffUser:
    return request.state.staff


def safe_next(value: str | None) -> str:
    """Only our own staff pages are places to go back to after signing in."""
    if (
        value
        and len(value) <= 300
        and value.startswith("/staff/")
        and "//" not in value
        and "\\" not in value
        and value.isprintable()
    ):
        return value
    return "/staff/"


def sign_in_needed_handler(request: Request, exc: SignInNeeded) -> Response:
    target = SIGN_IN
    if exc.path not in ("/staff", "/staff/", SIGN_IN) and request.method == "GET":
        target += "?next=" + quote(safe_next(exc.path), safe="/")
    forget = session_cookie(request, "", clear=True)
    if is_htmx(request):
        return Response(
            "",
            status_code=200,
            headers={"hx-redirect": target, "vary": "HX-Request"},
            cookies=[forget],
            media_type=MediaType.HTML,
        )
    return Redirect(target, status_code=303, cookies=[forget])


def step_needed_handler(request: Request, exc: StepNeeded) -> Response:
    target = {"code": CODE_STEP, "enrol": SET_UP_TWO_FACTOR}.get(exc.stage, "/staff/")
    if is_htmx(request):
        return Response(
            "",
            status_code=200,
            headers={"hx-redirect": target, "vary": "HX-Request"},
            media_type=MediaType.HTML,
        )
    return Redirect(target, status_code=303)


def session_cookie(request: Request, token: str, *, clear: bool = False) -> Cookie:
    settings: Settings = request.app.state.settings
    return Cookie(
        key=session_cookie_name(settings),
        value=token,
        # `__Host-` cookies must have Path=/; over plain HTTP it stays on staff pages.
        path="/" if settings.https else "/staff",
        httponly=True,
        samesite="lax",
        secure=settings.https,
        max_age=0 if clear else int(SESSION_LIFETIME.total_seconds()),
    )


def staff_page(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    htmx_block: str | None = None,
    block: str | None = None,
    cookies: Sequence[Cookie] = (),
) -> Response[str]:
    user = getattr(request.state, "staff", None)
    notice = NOTICES.get(request.query_params.get("done", ""), "")
    locale = staff_locale(request)
    # The language switch: links to this page (a GET) or, after a form, the staff home.
    here = request.scope["path"] if request.method == "GET" else "/staff/"
    full = {
        "user": user,
        "stage": getattr(request.state, "stage", "full"),
        "errors": [],
        "notice": notice,
        "form": {},
        "staff_languages": [(loc, f"{here}?lang={loc}") for loc in SUPPORTED_LOCALES],
        **context,
    }
    cookie_list = list(cookies)
    if request.query_params.get("lang") == locale:
        cookie_list.append(staff_language_cookie(request, locale))
    return render_page(
        request,
        template,
        locale,
        full,
        status=status,
        htmx_block=htmx_block,
        block=block,
        cookies=cookie_list,
        remember_choice=False,
    )


#: The language a staff member chose with the switch on staff pages (staff pages only).
STAFF_LANG_COOKIE = "cs_staff_lang"


def chosen_staff_language(request: Request) -> str | None:
    """?lang=xx on a staff page, else the staff member's earlier choice."""
    asked = request.query_params.get("lang", "")
    if asked in SUPPORTED_LOCALES:
        return asked
    kept = request.cookies.get(STAFF_LANG_COOKIE, "")
    return kept if kept in SUPPORTED_LOCALES else None


def staff_language_cookie(request: Request, locale: str) -> Cookie:
    settings: Settings = request.app.state.settings
    return Cookie(
        key=STAFF_LANG_COOKIE,
        value=locale,
        path="/staff",
        httponly=True,
        samesite="lax",
        secure=settings.https,
    )


def staff_locale(request: Request) -> str:
    """Staff pages follow the language chosen with the switch, else the browser's
    languages; never a participant's remembered choice."""
    chosen = chosen_staff_language(request)
    if chosen:
        return chosen
    guess = negotiate(
        parse_accept_language(request.headers.get("accept-language")), SUPPORTED_LOCALES
    )
    return guess or "en"


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def staff_error_handler(request: Request, exc: PageError) -> Response:
    """Staff problems in the staff layout and language (htmx: the fragment, with 200)."""
    context = {"error": exc, "status": exc.status, "error_layout": "staff/layout.html"}
    if is_htmx(request):
        return staff_page(request, "error.html", context, block="problem")
    return staff_page(request, "error.html", context, status=exc.status)
