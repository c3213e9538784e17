"""The safeguarding lead's queue, flags by hand, and opening collapsed answers."""

from __future__ import annotations

from datetime import timedelta

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, URLEncodedBody

from codesign.i18n import N_, format_moment
from codesign.models import Round
from codesign.services.accounts import token_hash
from codesign.services.board.views import open_questions
from codesign.services.errors import FieldError
from codesign.services.safeguarding import (
    KIND_LABELS,
    MAX_NOTE,
    STATUS_LABELS,
    STATUSES,
    SafeguardingError,
    SafeguardingService,
)
from codesign.settings import Settings
from codesign.web.board.pages import _page, base_url
from codesign.web.common import PageError, go, is_htmx
from codesign.web.staff.common import (
    ANY_STAFF,
    ROUND_STAFF,
    AuthorisedRound,
    session_token,
    staff_locale,
    staff_user,
)

FormData = dict[str, str]

NOTICES = {
    "status": N_("What happened is saved."),
    "note": N_("The note is saved."),
}


def safeguarding(request: Request) -> SafeguardingService:
    return request.app.state.safeguarding


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _refused(round_: Round, exc: SafeguardingError) -> PageError:
    titles = {
        403: N_("This list is for the round's safeguarding lead"),
        404: N_("We can't find this page"),
    }
    return PageError(
        exc.status,
        titles.get(exc.status, N_("This change can't be made")),
        exc.message,
        exc.params,
        links=[(base_url(round_), N_("Back to the board's page"))],
    )


def _sitting(request: Request) -> str:
    return token_hash(session_token(request) or "")


def _care(request: Request, opened: int) -> dict:
    """The quiet note suggesting a break, once someone has opened many flagged answers."""
    settings = _settings(request)
    return {
        "opened": opened,
        "suggest_break": opened >= settings.reading_break_after,
        "staff_support": settings.staff_support,
    }


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdecimal() and len(value) < 12 else None


class SafeguardingController(Controller):
    path = "/"

    def _context(self, request: Request, round_: Round, **extra) -> dict:
        locale = staff_locale(request)
        prompts = {qid: (section, prompt) for qid, section, prompt in open_questions(round_)}
        notice = NOTICES.get(request.query_params.get("saved", ""), "")
        return {
            "round": round_,
            "prompts": prompts,
            "kind_labels": KIND_LABELS,
            "status_labels": STATUS_LABELS,
            "statuses": STATUSES,
            "when": lambda value: format_moment(value, locale, round_.timezone) if value else "",
            "sg_url": f"{base_url(round_)}/safeguarding",
            **({"notice": notice} if notice else {}),
            **extra,
        }

    @get("/safeguarding", name="board_safeguarding", opt=ROUND_STAFF)
    async def queue(self, request: Request, round_: AuthorisedRound) -> Response:
        status = request.query_params.get("status") or None
        escalate_after = timedelta(hours=_settings(request).escalate_after_hours)
        try:
            view = await safeguarding(request).queue(
                staff_user(request), round_, status, escalate_after
            )
        except SafeguardingError as exc:
            raise _refused(round_, exc) from None
        return _page(
            request,
            "board/safeguarding.html",
            self._context(request, round_, view=view, status=view.status),
        )

    @get("/safeguarding/{item_id:int}", name="board_safeguarding_item", opt=ROUND_STAFF)
    async def item(
        self, request: Request, round_: AuthorisedRound, item_id: FromPath[int]
    ) -> Response:
        return await self._item_page(request, round_, item_id, {}, [])

    async def _item_page(
        self,
        request: Request,
        round_: Round,
        item_id: int,
        values: dict,
        errors: list[FieldError],
        status: int = 200,
        contact: str | None = None,
    ) -> Response:
        service = safeguarding(request)
        again = bool(errors) or contact is not None  # they have it open already
        try:
            view = await service.open_item(staff_user(request), round_, item_id, record=not again)
        except SafeguardingError as exc:
            raise _refused(round_, exc) from None
        opened = await service.count_item_opened(_sitting(request)) if not again else 0
        return _page(
            request,
            "board/safeguarding_item.html",
            self._context(
                request,
                round_,
                view=view,
                values=values,
                errors=errors,
                contact=contact,
                max_note=MAX_NOTE,
                **_care(request, opened),
            ),
            status=status,
        )

    @post("/safeguarding/{item_id:int}/status", name="board_safeguarding_status", opt=ROUND_STAFF)
    async def set_status(
        self,
        request: Request,
        round_: AuthorisedRound,
        item_id: FromPath[int],
        data: URLEncodedBody[FormData],
    ) -> Response:
        values = {
            "status": data.get("status", "")[:20],
            "note": data.get("note", "")[: MAX_NOTE + 1],
            "false_alarm": "yes" if data.get("false_alarm") == "yes" else "",
        }
        try:
            await safeguarding(request).set_status(
                staff_user(request),
                round_,
                item_id,
                values["status"],
                values["note"],
                false_alarm=bool(values["false_alarm"]),
            )
        except SafeguardingError as exc:
            if exc.status != 422:
                raise _refused(round_, exc) from None
            error = FieldError(exc.field, exc.message, exc.params)
            return await self._item_page(request, round_, item_id, values, [error], 422)
        return go(request, f"{base_url(round_)}/safeguarding/{item_id}?saved=status")

    @post("/safeguarding/{item_id:int}/note", name="board_safeguarding_note", opt=ROUND_STAFF)
    async def add_note(
        self,
        request: Request,
        round_: AuthorisedRound,
        item_id: FromPath[int],
        data: URLEncodedBody[FormData],
    ) -> Response:
        note = data.get("only_note", "")[: MAX_NOTE + 1]
        try:
            await safeguarding(request).add_note(staff_user(request), round_, item_id, note)
        except SafeguardingError as exc:
            if exc.status != 422:
                raise _refused(round_, exc) from None
            error = FieldError("only_note", exc.message, exc.params)
            return await self._item_page(
                request, round_, item_id, {"only_note": note}, [error], 422
            )
        return go(request, f"{base_url(round_)}/safeguarding/{item_id}?saved=note")

    @post("/safeguarding/{item_id:int}/contact", name="board_safeguarding_contact", opt=ROUND_STAFF)
    async def show_contact(
        self, request: Request, round_: AuthorisedRound, item_id: FromPath[int]
    ) -> Response:
        """Shown on request only (a POST: each view is audited), never in a list or export."""
        try:
            contact = await safeguarding(request).contact(staff_user(request), round_, item_id)
        except SafeguardingError as exc:
            raise _refused(round_, exc) from None
        return await self._item_page(request, round_, item_id, {}, [], contact=contact or "")

    # Flags by hand, and collapsed answers on board pages ------------------------------

    @post("/answers/{answer_id:int}/flag", name="board_answer_flag", opt=ANY_STAFF)
    async def hand_flag(
        self,
        request: Request,
        round_: AuthorisedRound,
        answer_id: FromPath[int],
        data: URLEncodedBody[FormData],
    ) -> Response:
        back = data.get("back", "")
        back_url = (
            f"{base_url(round_)}/{back}"
            if back and back.replace("/", "").isalnum()
            else base_url(round_)
        )
        try:
            await safeguarding(request).hand_flag(
                staff_user(request),
                round_,
                answer_id,
                data.get("kind", "")[:20],
                data.get("note", "")[: MAX_NOTE + 1],
            )
        except SafeguardingError as exc:
            raise PageError(
                exc.status,
                N_("This answer could not be flagged"),
                exc.message,
                exc.params,
                links=[(back_url, N_("Go back"))],
            ) from None
        if is_htmx(request):
            return _page(
                request,
                "board/answer.html",
                {"round": round_, "flagged": True, "answer_id": answer_id},
                block="flag_done",
            )
        sep = "&" if "?" in back_url else "?"
        return go(request, f"{back_url}{sep}done=flagged#answer-{answer_id}")

    @get("/answers/{answer_id:int}/read", name="board_answer_read", opt=ANY_STAFF)
    async def read_answer(
        self, request: Request, round_: AuthorisedRound, answer_id: FromPath[int]
    ) -> Response:
        try:
            answer, opened = await safeguarding(request).open_answer(
                staff_user(request), round_, answer_id, _sitting(request)
            )
        except SafeguardingError as exc:
            raise _refused(round_, exc) from None
        back = request.query_params.get("back", "")
        context = {
            "round": round_,
            "answer": answer,
            "back": back if back.replace("/", "").isalnum() else "",
            **_care(request, opened),
        }
        if is_htmx(request):
            return _page(request, "board/answer.html", context, block="answer_text")
        return _page(request, "board/answer.html", context)
