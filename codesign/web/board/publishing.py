"""The board's publishing pages: checklist and confirmation, preview, quotes, summary.

Publishing goes through one page (GET /publish): the checklist with where to fix
each item, what will go public, and a confirmation. The preview renders the
public outcomes template itself, in any offered language, marked as not public.
"""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, URLEncodedBody

from codesign.i18n import N_, format_day
from codesign.models import Round
from codesign.services import publishing
from codesign.services.errors import BoardError, FieldError
from codesign.web.board.pages import (
    _page,
    _when,
    base_url,
    board_refusal,
    service,
)
from codesign.web.common import go, render_page
from codesign.web.staff.common import ANY_STAFF, BOARD_VOICE, AuthorisedRound, staff_user

FormData = dict[str, str]


def outcomes_context(round_: Round, view, locale: str) -> dict:
    """What outcomes.html needs besides the round (shared with the public page)."""
    published = ""
    if view is not None and view.published_at is not None:
        published = format_day(view.published_at, locale, round_.timezone, round_.region)
    return {
        "view": view,
        "published_on": published,
        "main_locale": round_.default_locale,
    }


class PublishingController(Controller):
    path = "/"

    # Checklist and confirmation ---------------------------------------------------------

    @get("/publish", name="board_publish_page", opt=ANY_STAFF)
    async def publish_page(self, request: Request, round_: AuthorisedRound) -> Response:
        return await self._publish_page(request, round_, [])

    async def _publish_page(
        self, request: Request, round_: Round, errors: list[FieldError], status: int = 200
    ) -> Response:
        check = await publishing.checklist(service(request), round_)
        return _page(
            request,
            "board/publish.html",
            {
                "round": round_,
                "check": check,
                "errors": errors,
                "published": _when(check.published_at, request, round_),
                "on_board": await publishing.on_board(
                    service(request).db, staff_user(request), round_.id
                ),
            },
            status=status,
        )

    @post("/publish", name="board_publish", opt=ANY_STAFF)
    async def publish(
        self, request: Request, round_: AuthorisedRound, data: URLEncodedBody[FormData]
    ) -> Response:
        user = staff_user(request)
        try:
            if data.get("action") == "undo":
                await publishing.unpublish(service(request), user, round_)
                return go(request, f"{base_url(round_)}/publish?done=unpublished")
            if data.get("confirm") != "yes":
                error = FieldError(
                    "confirm", N_("Tick the box to say you have checked what goes public.")
                )
                return await self._publish_page(request, round_, [error], 422)
            await publishing.publish(service(request), user, round_)
        except BoardError as exc:
            return await self._publish_page(
                request, round_, [FieldError("confirm", exc.message, exc.params)], 409
            )
        return go(request, f"{base_url(round_)}/publish?done=published")

    # Preview ---------------------------------------------------------------------------

    @get("/preview", name="board_preview", opt=ANY_STAFF)
    async def preview(self, request: Request, round_: AuthorisedRound) -> Response:
        wanted = request.query_params.get("lang", "")
        locale = wanted if wanted in round_.locales else round_.default_locale
        view = await publishing.outcomes_view(service(request), round_, locale, preview=True)
        texts = round_.texts.get(locale) or round_.texts[round_.default_locale]
        base = f"{base_url(round_)}/preview"
        response = render_page(
            request,
            "outcomes.html",
            locale,
            {
                "round": round_,
                "round_open": False,
                "rt": texts,
                "preview": True,
                "back_url": f"{base_url(round_)}/publish",
                **outcomes_context(round_, view, locale),
                "contacts": round_.contacts.get(locale)
                or round_.contacts.get(round_.default_locale, []),
                "language_links": [(loc, f"{base}?lang={loc}") for loc in round_.locales],
            },
        )
        response.headers["x-robots-tag"] = "noindex, nofollow"
        return response

    # Quotes ----------------------------------------------------------------------------

    @get("/quotes", name="board_quotes", opt=ANY_STAFF)
    async def quotes(self, request: Request, round_: AuthorisedRound) -> Response:
        themes = await publishing.quote_choices(service(request), staff_user(request), round_)
        settings = await service(request).settings(round_.id)
        return _page(
            request,
            "board/quotes.html",
            {
                "round": round_,
                "themes": themes,
                "quotes_allowed": settings.quotes_allowed,
                "per_theme": publishing.PUBLIC_QUOTES,
                "on_board": await publishing.on_board(
                    service(request).db, staff_user(request), round_.id
                ),
            },
        )

    @post("/quotes/{answer_id:int}", name="board_quote_approve", opt=ANY_STAFF)
    async def quote(
        self,
        request: Request,
        round_: AuthorisedRound,
        answer_id: FromPath[int],
        data: URLEncodedBody[FormData],
    ) -> Response:
        approve = data.get("action") == "approve"
        try:
            await publishing.approve_quote(
                service(request), staff_user(request), round_, answer_id, approve
            )
        except BoardError as exc:
            raise board_refusal(round_, exc) from None
        # Back at the quote just decided, not the top of its theme: a board choosing among
        # twenty quotes keeps its place.
        done = "quote-approved" if approve else "quote-removed"
        return go(request, f"{base_url(round_)}/quotes?done={done}#quote-{answer_id}")

    # The board's summary ------------------------------------------------------------------

    @get("/summary", name="board_summary", opt=BOARD_VOICE)
    async def summary(self, request: Request, round_: AuthorisedRound) -> Response:
        saved = await publishing.summaries(service(request), round_.id)
        values = {}
        for loc in round_.locales:
            s = saved.get(loc, publishing.Summary())
            values.update({f"said_{loc}": s.said, f"did_{loc}": s.did, f"changes_{loc}": s.changes})
        return self._summary_page(request, round_, values, [])

    def _summary_page(self, request, round_, values, errors, status=200) -> Response:
        return _page(
            request,
            "board/summary.html",
            {
                "round": round_,
                "values": values,
                "errors": errors,
                "max_summary": publishing.MAX_SUMMARY,
            },
            status=status,
        )

    @post("/summary", name="board_summary_save", opt=BOARD_VOICE)
    async def summary_save(
        self, request: Request, round_: AuthorisedRound, data: URLEncodedBody[FormData]
    ) -> Response:
        limit = publishing.MAX_SUMMARY
        values, given, errors = {}, {}, []
        for loc in round_.locales:
            parts = {}
            for field in ("said", "did", "changes"):
                raw = data.get(f"{field}_{loc}", "")
                values[f"{field}_{loc}"] = raw[: limit * 2]
                if len(raw) > limit:
                    errors.append(
                        FieldError(
                            f"{field}_{loc}",
                            N_("Keep each response to %(limit)s characters or fewer."),
                            {"limit": limit},
                        )
                    )
                parts[field] = raw.strip()
            given[loc] = publishing.Summary(**parts)
        if errors:
            return self._summary_page(request, round_, values, errors, 422)
        try:
            await publishing.save_summaries(service(request), staff_user(request), round_, given)
        except BoardError as exc:
            raise board_refusal(round_, exc) from None
        return go(request, f"{base_url(round_)}/publish?done=summary")
