"""Sharing and watching a round: link, QR code, poster, live dashboard, exports."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Controller, Request, Response, get
from litestar.enums import MediaType
from litestar.params import FromPath

from codesign.i18n import (
    N_,
    format_day,
    format_staff_moment,
    text_direction,
    translations_for,
)
from codesign.services import watching
from codesign.services.access import Action, can
from codesign.services.rounds.lifecycle import effective_status
from codesign.settings import SUPPORTED_LOCALES
from codesign.web.staff.common import (
    ANY_STAFF,
    BUILD,
    StaffRound,
    not_on_round,
    round_standing,
    staff_locale,
    staff_page,
    staff_user,
)
from codesign.web.staff.rounds import load_round

#: Poster words, shown in each language the organizer picks (not the page's language).
POSTER_WORDS = {
    "ask": N_("Tell us what you think"),
    "scan": N_("Scan the code with your phone camera, or type this address:"),
    "until": N_("You can give feedback until %(date)s."),
    "safe": N_("You don't need to give your name. You can skip any question."),
}
POLL_SECONDS = 5


def short_address(url: str) -> str:
    """The address as people type it: no "https://", no "www.", no trailing slash."""
    short = url.split("://", 1)[-1]
    return short.removeprefix("www.").rstrip("/")


def public_url(request: Request, slug: str) -> str:
    """The round's address for people: the configured public URL, else this request's
    (whose Host the allowed-hosts check has vetted, where hosts are configured)."""
    base = request.app.state.settings.public_url or str(request.base_url)
    return base.rstrip("/") + f"/r/{slug}"


class StaffWatchController(Controller):
    path = "/rounds/{round_id:int}"

    @get("/share", name="staff_share", opt=BUILD)
    async def share(
        self, request: Request, round_id: FromPath[int], staff_round: StaffRound
    ) -> Response:
        round_, _ = staff_round
        return staff_page(
            request,
            "staff/share.html",
            {
                "round": round_,
                "rt": round_.texts[round_.default_locale],
                "url": public_url(request, round_.slug),
                "status": effective_status(round_),
            },
        )

    @get("/share/qr.svg", name="staff_share_qr", opt=BUILD)
    async def qr(
        self, request: Request, round_id: FromPath[int], staff_round: StaffRound
    ) -> Response:
        round_, _ = staff_round
        return Response(
            watching.qr_svg(public_url(request, round_.slug)),
            media_type="image/svg+xml",
            headers={"cache-control": "private, max-age=300"},
        )

    @get("/share/qr.png", name="staff_share_qr_png", opt=BUILD)
    async def qr_png(
        self, request: Request, round_id: FromPath[int], staff_round: StaffRound
    ) -> Response:
        """The same QR code as a PNG, for word processors that don't take SVG."""
        round_, _ = staff_round
        return Response(
            watching.qr_png(public_url(request, round_.slug)),
            media_type="image/png",
            headers={
                "cache-control": "private, max-age=300",
                "content-disposition": f'attachment; filename="round-{round_.slug}-qr.png"',
            },
        )

    @get("/poster", name="staff_poster", opt=BUILD)
    async def poster(
        self, request: Request, round_id: FromPath[int], staff_round: StaffRound
    ) -> Response:
        round_, _ = staff_round
        asked = [loc for loc in request.query_params.getall("lang", []) if isinstance(loc, str)]
        chosen = [loc for loc in SUPPORTED_LOCALES if loc in asked and loc in round_.locales]
        chosen = chosen or [round_.default_locale]
        panels = []
        for loc in chosen:
            words = translations_for(loc)
            texts = round_.texts.get(loc) or round_.texts[round_.default_locale]
            closes = (
                format_day(round_.closes_at, loc, round_.timezone, round_.region)
                if round_.closes_at
                else ""
            )
            panels.append(
                {
                    "locale": loc,
                    "dir": text_direction(loc),
                    "title": texts.title,
                    "organisation": texts.organisation,
                    "purpose": texts.purpose,
                    "ask": words.gettext(POSTER_WORDS["ask"]),
                    "scan": words.gettext(POSTER_WORDS["scan"]),
                    "until": words.gettext(POSTER_WORDS["until"]) % {"date": closes}
                    if closes
                    else "",
                    "safe": words.gettext(POSTER_WORDS["safe"]),
                }
            )
        return staff_page(
            request,
            "staff/poster.html",
            {
                "round": round_,
                "rt": round_.texts[round_.default_locale],
                "url": public_url(request, round_.slug),
                "panels": panels,
                "chosen": chosen,
                "short_url": short_address(public_url(request, round_.slug)),
            },
        )

    @get("/dashboard", name="staff_dashboard", opt=ANY_STAFF)
    async def dashboard(
        self, request: Request, round_id: FromPath[int], staff_round: StaffRound
    ) -> Response:
        round_, _ = staff_round
        stats = await watching.dashboard(request.app.state.db, round_)
        locale = staff_locale(request)
        now = datetime.now(UTC)
        return staff_page(
            request,
            "staff/dashboard.html",
            {
                "round": round_,
                "rt": round_.texts[round_.default_locale],
                "stats": stats,
                "status": effective_status(round_),
                "updated": format_staff_moment(now, locale, round_.timezone, round_.region),
                "poll": POLL_SECONDS,
            },
            htmx_block="live",
        )

    @get("/export.csv", name="staff_export_csv", opt=BUILD)
    async def export_csv(self, request: Request, round_id: FromPath[int]) -> Response:
        return await self._export(request, round_id, "csv")

    @get("/export.json", name="staff_export_json", opt=BUILD)
    async def export_json(self, request: Request, round_id: FromPath[int]) -> Response:
        return await self._export(request, round_id, "json")

    async def _export(self, request: Request, round_id: int, fmt: str) -> Response:
        round_, _ = await load_round(request, round_id)
        if not can(staff_user(request), Action.READ_ANSWERS, round_standing(request)):
            raise not_on_round()
        body, _rows = await watching.export(request.app.state.db, staff_user(request), round_, fmt)
        media = "text/csv; charset=utf-8" if fmt == "csv" else MediaType.JSON
        if fmt == "csv":
            body = "\ufeff" + body  # so spreadsheets read UTF-8 (Arabic, accents) correctly
        return Response(
            body,
            media_type=media,
            headers={
                "content-disposition": f'attachment; filename="round-{round_.slug}-answers.{fmt}"',
                "cache-control": "no-store",
            },
        )
