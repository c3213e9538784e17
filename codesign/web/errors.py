"""Every error is a calm, translated page (or fragment for htmx), never a stack trace."""

from __future__ import annotations

import logging
import re

from litestar import Request, Response
from litestar.exceptions import HTTPException

from codesign.i18n import N_
from codesign.models import Round
from codesign.services.participation import visible_round_quick
from codesign.settings import SUPPORTED_LOCALES
from codesign.web.common import PageError, is_htmx, language_links, lenient_locale, render_page

log = logging.getLogger("codesign")

_BY_STATUS: dict[int, tuple[str, str]] = {
    400: (
        N_("Something went wrong with that request"),
        N_("Go back, reload the page and try again. What you saved before is still saved."),
    ),
    403: (
        N_("This form has expired"),
        N_(
            "For your safety, a form stops working if the browser was closed in between or "
            "cookies are blocked. Go back, reload the page and try again. What you saved "
            "before is still saved."
        ),
    ),
    404: (N_("We can't find this page"), N_("Check the link and try again.")),
    405: (N_("Something went wrong with that request"), N_("Go back and try again.")),
    413: (
        N_("That was more than we can take in one go"),
        N_("Please make your answer shorter and try again."),
    ),
    429: (
        N_("Please wait a moment"),
        N_(
            "There have been a lot of tries from this device. Wait a minute, then try again. "
            "Nothing you saved is lost."
        ),
    ),
    500: (
        N_("Sorry, something went wrong on our side"),
        N_("What you saved before is still saved. Please try again in a few minutes."),
    ),
}


_ROUND_PATH = re.compile(r"/r/([A-Za-z0-9_-]{1,100})(?:/|$)")


def _round_of(request: Request) -> Round | None:
    """The round this page belongs to, if people can see it: its support contacts are
    shown on its error pages too (a wrong link, an expired form, too many tries)."""
    found = request.state.get("round")
    if found is not None:
        return found
    match = _ROUND_PATH.match(request.scope.get("path", ""))
    db = getattr(request.app.state, "db", None)
    if match is None or db is None:
        return None
    try:
        return visible_round_quick(db, match.group(1))
    except Exception:  # an error page must never fail for want of contacts
        log.warning("no support contacts for an error page", exc_info=True)
        return None


def _render(request: Request, status: int, error: PageError) -> Response:
    locale = lenient_locale(request)
    offered = error.offered or list(SUPPORTED_LOCALES)
    if locale not in offered:
        locale = offered[0] if "en" not in offered else "en"
    round_ = _round_of(request)
    context = {
        "error": error,
        "status": status,
        "language_links": language_links(request, offered) if error.offered else [],
        "page": "error",
    }
    if round_ is not None:
        context.update(
            round=round_,
            round_open=round_.status == "open",
            contacts=round_.contacts.get(locale)
            or round_.contacts.get(round_.default_locale, []),
        )
    if is_htmx(request):
        # htmx swaps only 2xx by default: the fragment says what went wrong in place. The
        # real status goes in a header, so the autosave script can tell "try again later"
        # (5xx) from "this will not work" (4xx).
        response = render_page(
            request, "error.html", locale, context, status=200, block="problem"
        )
        response.headers["x-error-status"] = str(status)
        return response
    return render_page(request, "error.html", locale, context, status=status)


def page_error_handler(request: Request, exc: PageError) -> Response:
    return _render(request, exc.status, exc)


def http_error_handler(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    title, message = _BY_STATUS.get(status, _BY_STATUS[400 if status < 500 else 500])
    response = _render(request, status, PageError(status, title, message))
    if status == 405 and getattr(exc, "headers", None):
        response.headers.update(exc.headers)
    if status == 429:
        # Limits count per minute: a minute is always long enough to wait.
        response.headers["retry-after"] = "60"
    return response


def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    # Log the kind of failure and where, never the request body (it may hold answers).
    log.error(
        "unhandled %s on %s %s",
        type(exc).__name__,
        request.method,
        request.scope.get("route_handler").name if request.scope.get("route_handler") else "?",
        exc_info=exc,
    )
    title, message = _BY_STATUS[500]
    return _render(request, 500, PageError(500, title, message))
