"""What every page shares: choosing the language, rendering, cookies."""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.enums import MediaType
from litestar.utils.scope.state import ScopeState

from codesign.i18n import N_, negotiate, parse_accept_language
from codesign.settings import SUPPORTED_LOCALES, Settings
from codesign.web.templating import Renderer

LANG_COOKIE = "lang"
#: A page of one round: its quick exit goes through that round's /leave, which ends the visit.
_ROUND_PATH = re.compile(r"/r/([a-z0-9-]{1,100})(?:/|$)")


class PageError(Exception):
    """An expected problem shown to the person as a calm, translated page."""

    def __init__(
        self,
        status: int,
        title: str,
        message: str,
        params: Mapping[str, Any] | None = None,
        *,
        offered: Sequence[str] | None = None,
        links: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.message = message
        self.params = dict(params or {})
        self.offered = list(offered) if offered is not None else None
        self.links = list(links)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def resolve_locale(request: Request, offered: Sequence[str], default: str = "en") -> str:
    """`?lang=` first, then the remembered choice, then Accept-Language, then the default."""
    offered = [loc for loc in offered if loc in SUPPORTED_LOCALES] or ["en"]
    asked = request.query_params.get("lang")
    if asked is not None:
        if asked in offered:
            return asked
        raise PageError(
            404,
            N_("We don't have that language here"),
            N_(
                "This page is not available in the language you asked for. You can choose "
                "one of these languages instead."
            ),
            offered=offered,
        )
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in offered:
        return remembered
    guess = negotiate(parse_accept_language(request.headers.get("accept-language")), offered)
    if guess:
        return guess
    return default if default in offered else offered[0]


def lenient_locale(request: Request) -> str:
    """For error pages: never fails."""
    try:
        return resolve_locale(request, SUPPORTED_LOCALES)
    except PageError:
        return resolve_locale_without_query(request)


def resolve_locale_without_query(request: Request) -> str:
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in SUPPORTED_LOCALES:
        return remembered
    guess = negotiate(
        parse_accept_language(request.headers.get("accept-language")), SUPPORTED_LOCALES
    )
    return guess or "en"


def language_links(request: Request, offered: Sequence[str]) -> list[tuple[str, str]]:
    """(locale, url) for switching language on the current page."""
    params = {k: v for k, v in request.query_params.items() if k != "lang"}
    links = []
    for loc in offered:
        query = "&".join(f"{k}={v}" for k, v in params.items() if k.isalnum() and v.isalnum())
        suffix = f"?{query}&lang={loc}" if query else f"?lang={loc}"
        links.append((loc, request.url.path + suffix))
    return links


def render_page(
    request: Request,
    template: str,
    locale: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    block: str | None = None,
    htmx_block: str | None = None,
    cookies: Sequence[Cookie] = (),
    cache_key: Hashable = None,
    remember_choice: bool = True,
) -> Response[str]:
    """Render a page; for htmx, `htmx_block` of the same template with 200 (htmx swaps 2xx).

    `cache_key`: see `Renderer.render` (a fragment whose words depend on that alone).
    `remember_choice=False` (staff pages): a ?lang= is not kept as a participant's choice.
    """
    if htmx_block is not None and is_htmx(request):
        block, status = htmx_block, 200
    renderer: Renderer = request.app.state.renderer
    settings: Settings = request.app.state.settings
    html = None if cache_key is None else renderer.cached(template, locale, block, cache_key)
    if html is None:
        in_round = _ROUND_PATH.match(request.scope["path"])
        full = {
            "csrf_token": ScopeState.from_scope(request.scope).csrf_token or "",
            "exit_url": settings.exit_url,
            "exit_href": f"/r/{in_round.group(1)}/leave" if in_round else settings.exit_url,
            "safety_href": f"/r/{in_round.group(1)}/safety" if in_round else "",
            "path": request.scope["path"],
            "round": None,
            "round_open": True,
            "language_links": [],
            "contacts": [],
            "errors": [],
            # An htmx swap: what replaces content takes focus (autofocus), a full page
            # does not.
            "swapped": block is not None,
            **context,
        }
        html = renderer.render(template, locale, full, block=block, cache_key=cache_key)
    cookie_list = list(cookies)
    if remember_choice and request.query_params.get("lang") == locale:
        cookie_list.append(remember_language(locale, settings))
    return Response(
        html,
        status_code=status,
        media_type=MediaType.HTML,
        cookies=cookie_list,
        headers={"vary": "HX-Request, Accept-Language, Cookie", "cache-control": "no-store"},
    )


def remember_language(locale: str, settings: Settings) -> Cookie:
    # A session cookie: nothing about the visit outlives the browser session.
    return Cookie(
        key=LANG_COOKIE,
        value=locale,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.https,
    )


def go(request: Request, url: str, cookies: Sequence[Cookie] = ()) -> Response:
    """Post/redirect/get; htmx is told to load the next page in full (HX-Redirect)."""
    if is_htmx(request):
        return Response(
            "",
            status_code=200,
            headers={"hx-redirect": url, "vary": "HX-Request"},
            cookies=list(cookies),
            media_type=MediaType.HTML,
        )
    from litestar.response import Redirect

    return Redirect(url, cookies=list(cookies), status_code=303)
