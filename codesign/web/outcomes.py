"""The public outcomes page: what the board heard and will do, in the participant's language."""

from __future__ import annotations

from litestar import Controller, Request, Response, get
from litestar.params import FromPath

from codesign.i18n import N_
from codesign.services.publishing import outcomes_view
from codesign.web.board.pages import service
from codesign.web.board.publishing import outcomes_context
from codesign.web.common import PageError, language_links, render_page, resolve_locale


class OutcomesController(Controller):
    path = "/r/{slug:str}/outcomes"

    @get("/", name="round_outcomes")
    async def outcomes(self, request: Request, slug: FromPath[str]) -> Response:
        round_ = await request.app.state.participation.round(slug) if len(slug) <= 100 else None
        if round_ is None or round_.status == "draft":
            raise PageError(
                404,
                N_("We can't find this consultation"),
                N_("Check the link or the code on the poster and try again."),
            )
        request.state.round = round_  # its support contacts on any error page
        locale = resolve_locale(request, round_.locales, round_.default_locale)
        view = await outcomes_view(service(request), round_, locale)
        texts = round_.texts.get(locale) or round_.texts[round_.default_locale]
        return render_page(
            request,
            "outcomes.html",
            locale,
            {
                "round": round_,
                "round_open": request.app.state.participation.is_open(round_),
                "rt": texts,
                "preview": False,
                **outcomes_context(round_, view, locale),
                "contacts": round_.contacts.get(locale)
                or round_.contacts.get(round_.default_locale, []),
                "language_links": language_links(request, round_.locales),
            },
        )
