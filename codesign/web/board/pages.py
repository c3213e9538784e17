"""Pages of the review board workspace: themes, corrections, responses, exports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import MediaType
from litestar.params import FromPath, URLEncodedBody

from codesign.i18n import N_, format_day, format_staff_moment
from codesign.models import Round, StaffUser, ThemeResponse, ThemeRow
from codesign.services import publishing
from codesign.services.access import Action, can
from codesign.services.board import ANSWERS_PAGE, MAX_LABEL, MAX_RESPONSE, MAX_TITLE
from codesign.services.board import export as board_export
from codesign.services.board.service import BoardService
from codesign.services.board.views import open_questions
from codesign.services.board_opinions import opinion_overview
from codesign.services.errors import AccessDenied, BoardError, FieldError, RoundMissing
from codesign.services.rounds.admin import RoundsAdmin
from codesign.services.safeguarding import KIND_LABELS
from codesign.services.steering import MAX_SELECTION, SteeringService
from codesign.web.common import PageError, go, is_htmx
from codesign.web.staff.common import (
    ANY_STAFF,
    BOARD_SETTINGS,
    BOARD_VOICE,
    AuthorisedRound,
    not_on_round,
    round_standing,
    staff_locale,
    staff_page,
    staff_user,
)

FormData = dict[str, str]

#: Confirmations after a redirect (`?done=…`): only these known messages are shown.
BOARD_NOTICES = {
    "renamed": N_("The theme has a new name."),
    "merged": N_("The themes are merged."),
    "split": N_("The theme is split in two."),
    "moved": N_("The answer is moved."),
    "started": N_("The analysis has started."),
    "response": N_("The response is saved."),
    "signed-off": N_("The response is signed off."),
    "unsigned": N_("The sign-off is taken back."),
    "published": N_("The outcomes page is published."),
    "unpublished": N_("The outcomes page is no longer public."),
    "settings": N_("The board settings are saved."),
    "flagged": N_("The answer is on the safeguarding lead's list now."),
    # steering (web/board/steering.py)
    "made": N_("The new theme is made. You can rename it here."),
    "moved-many": N_("The answers are moved."),
    "unmerged": N_("The merge is undone: this theme is back as it was."),
    "other-started": N_('Looking for new themes in "other" has started.'),
    "restarted": N_("Starting again has begun."),
    "group-renamed": N_("The group of themes has a new name."),
    "quote-approved": N_("The quote will be public once the outcomes are published."),
    "quote-removed": N_("The quote will not be public."),
    "summary": N_("The board's summary is saved."),
}
POLL_SECONDS = 1


def service(request: Request) -> BoardService:
    state = request.app.state
    found = getattr(state, "board", None)
    if found is None:
        found = BoardService(state.db)
        state.board = found
    return found


def _not_found() -> PageError:
    return PageError(
        404,
        N_("We can't find this page"),
        N_("It may have been merged or removed. Go back to the board's page."),
        links=[("/staff/", N_("Go to your rounds"))],
    )


async def provide_round(request: Request) -> Round:
    """The round of a board route, loaded once, if the access policy lets this person do
    what the route is for (its `round_action`; by default reading the round's answers).

    The guard has read the person's standing already; this reuses it.
    """
    user = staff_user(request)
    standing = round_standing(request)
    action = request.route_handler.opt.get("round_action", Action.READ_ANSWERS)
    try:
        round_ = await RoundsAdmin(request.app.state.db).authorised_round(
            user, standing.round_id, Action.OPEN_ROUND, standing
        )
    except RoundMissing:
        raise _not_found() from None
    except AccessDenied:
        raise not_on_round() from None
    if action in (Action.READ_ANSWERS, Action.SPEAK_FOR_BOARD) and not can(
        user, Action.READ_ANSWERS, standing
    ):
        raise not_on_round()
    if action is Action.SPEAK_FOR_BOARD and not can(user, action, standing):
        raise PageError(
            403,
            N_("Only the board's members can do this"),
            N_("Only the board's members write and sign off the board's response."),
            links=[(base_url(round_), N_("Back to the board's page"))],
        )
    if not can(user, action, standing):
        raise not_on_round()
    return round_


def board_refusal(round_: Round, exc: BoardError) -> PageError:
    status = 403 if isinstance(exc, publishing.NotOnBoard) else 409
    return PageError(
        status,
        N_("This change can't be made"),
        exc.message,
        exc.params,
        links=[(base_url(round_), N_("Back to the board's page"))],
    )


def _rt(round_: Round):
    return round_.texts[round_.default_locale]


def base_url(round_: Round) -> str:
    return f"/staff/rounds/{round_.id}/board"


def _page(request: Request, template: str, context: dict[str, Any], **kwargs: Any) -> Response[str]:
    notice = BOARD_NOTICES.get(request.query_params.get("done", ""), "")
    round_ = context["round"]
    full = {"rt": _rt(round_), "board_url": base_url(round_), **context}
    if notice:
        full["notice"] = notice
    return staff_page(request, template, full, **kwargs)


def _question_prompt(round_: Round, question_id: int) -> tuple[int, str]:
    for qid, section, prompt in open_questions(round_):
        if qid == question_id:
            return section, prompt
    raise _not_found()


def section_title(round_: Round, question_id: int) -> str:
    """The title of the section a question is in (in the round's main language): five
    sections can ask the same question, and their titles tell them apart."""
    for section in round_.sections:
        if any(q.id == question_id for q in section.questions):
            text = section.texts.get(round_.default_locale)
            return text.title if text else ""
    return ""


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdecimal() and len(value) < 12 else None


class BoardController(Controller):
    path = "/"

    # Workspace ---------------------------------------------------------------------

    @get("/", name="board_home", opt=ANY_STAFF)
    async def home(self, request: Request, round_: AuthorisedRound) -> Response:
        board = service(request)
        questions = []
        for qid, section, prompt in open_questions(round_):
            total, placed = await board.counts(qid)
            run = await board.run(qid)
            questions.append(
                {
                    "id": qid,
                    "section": section,
                    "section_title": section_title(round_, qid),
                    "prompt": prompt,
                    "total": total,
                    "placed": placed,
                    "run": run,
                }
            )
        settings = await board.settings(round_.id)
        user = staff_user(request)
        return _page(
            request,
            "board/home.html",
            {
                "round": round_,
                "questions": questions,
                "settings": settings,
                "is_lead": can(user, Action.HANDLE_SAFEGUARDING, round_standing(request)),
                "held_back": await board_export.held_back_themes(board, round_),
                "screening_uses_model": await request.app.state.safeguarding.uses_model(),
                "published": _when(settings.published_at, request, round_),
                **await _sign_off_context(request, round_),
            },
        )

    # Themes of one question ---------------------------------------------------------

    @get("/q/{question_id:int}", name="board_question", opt=ANY_STAFF)
    async def question(
        self, request: Request, round_: AuthorisedRound, question_id: FromPath[int]
    ) -> Response:
        return await self._question_page(request, round_, question_id, [])

    async def _question_page(
        self,
        request: Request,
        round_: Round,
        question_id: int,
        errors: list[FieldError],
        status: int = 200,
    ) -> Response:
        board = service(request)
        if not board.question_in(round_, question_id):
            raise _not_found()
        section, prompt = _question_prompt(round_, question_id)
        view = await board.question_view(round_, question_id)
        steer = SteeringService(board)
        return _page(
            request,
            "board/question.html",
            {
                "round": round_,
                "section": section,
                "section_title": section_title(round_, question_id),
                "prompt": prompt,
                "view": view,
                "groups": await steer.grouped(question_id, view.themes),
                "also": await steer.also_counts(question_id),
                "max_label": MAX_LABEL,
                "run": view.run,
                "question_id": question_id,
                "poll": POLL_SECONDS,
                "errors": errors,
            },
            status=status,
            htmx_block="progress" if request.query_params.get("part") == "progress" else None,
        )

    @post("/q/{question_id:int}/run", name="board_run", opt=ANY_STAFF)
    async def run(
        self, request: Request, round_: AuthorisedRound, question_id: FromPath[int]
    ) -> Response:
        board = service(request)
        if not board.question_in(round_, question_id):
            raise _not_found()
        try:
            await board.start_analysis(staff_user(request), round_, question_id)
        except BoardError as exc:
            error = FieldError("run", exc.message, exc.params)
            return await self._question_page(request, round_, question_id, [error], 409)
        if is_htmx(request):
            return await self._progress(request, round_, question_id)
        return go(request, f"{base_url(round_)}/q/{question_id}?done=started")

    @get("/q/{question_id:int}/progress", name="board_progress", opt=ANY_STAFF)
    async def progress(
        self, request: Request, round_: AuthorisedRound, question_id: FromPath[int]
    ) -> Response:
        if not service(request).question_in(round_, question_id):
            raise _not_found()
        if not is_htmx(request):
            return go(request, f"{base_url(round_)}/q/{question_id}")
        return await self._progress(request, round_, question_id)

    async def _progress(self, request: Request, round_: Round, question_id: int) -> Response:
        run = await service(request).run(question_id)
        if run is not None and run.status != "running" and request.query_params.get("was"):
            # finished while the page watched: load the page again with the new themes
            return Response(
                "",
                status_code=200,
                headers={"hx-refresh": "true", "vary": "HX-Request"},
                media_type=MediaType.HTML,
            )
        return _page(
            request,
            "board/question.html",
            {"round": round_, "run": run, "question_id": question_id, "poll": POLL_SECONDS},
            block="progress",
        )

    # One theme ----------------------------------------------------------------------

    @get("/themes/{theme_id:int}", name="board_theme", opt=ANY_STAFF)
    async def theme(
        self, request: Request, round_: AuthorisedRound, theme_id: FromPath[int]
    ) -> Response:
        theme = await service(request).theme_in(round_, theme_id)
        if theme is None:
            raise _not_found()
        return await self._theme_page(request, round_, theme.question_id, theme, [])

    @get("/q/{question_id:int}/other", name="board_other", opt=ANY_STAFF)
    async def other(
        self, request: Request, round_: AuthorisedRound, question_id: FromPath[int]
    ) -> Response:
        if not service(request).question_in(round_, question_id):
            raise _not_found()
        return await self._theme_page(request, round_, question_id, None, [])

    async def _theme_page(
        self,
        request: Request,
        round_: Round,
        question_id: int,
        theme: ThemeRow | None,
        errors: list[FieldError],
        status: int = 200,
        label: str | None = None,
    ) -> Response:
        board = service(request)
        page = min(_int(request.query_params.get("page")) or 0, 10_000)
        answers = await board.theme_answers(staff_user(request), round_, question_id, theme, page)
        size = theme.size if theme else await board.other_count(question_id)
        section, prompt = _question_prompt(round_, question_id)
        others = [
            t
            for t in await board.themes(question_id)
            if theme is None or t.id != theme.id
        ]
        settings = await board.settings(round_.id)
        return _page(
            request,
            "board/theme.html",
            {
                "round": round_,
                "section": section,
                "section_title": section_title(round_, question_id),
                "merges": await SteeringService(board).open_merges(theme.id) if theme else [],
                "also_answers": (
                    await SteeringService(board).also_answers(question_id, theme.id, ANSWERS_PAGE)
                    if theme and not page
                    else []
                ),
                "max_selection": MAX_SELECTION,
                "prompt": prompt,
                "question_id": question_id,
                "theme": theme,
                "answers": answers,
                "others": others,
                "errors": errors,
                "label": theme.label if label is None and theme else (label or ""),
                "max_label": MAX_LABEL,
                "threshold": settings.anonymity_threshold,
                "size": size,
                "page": page,
                "first": page * ANSWERS_PAGE + 1,
                "more": (page + 1) * ANSWERS_PAGE < size,
                # where the hand-flag and open-answer pages lead back to (a board path)
                "back_path": f"themes/{theme.id}" if theme else f"q/{question_id}/other",
                "kind_labels": KIND_LABELS,
            },
            status=status,
            htmx_block="corrections" if errors else None,
        )

    async def _theme_or_404(self, request: Request, round_: Round, theme_id: int):
        theme = await service(request).theme_in(round_, theme_id)
        if theme is None:
            raise _not_found()
        return theme

    @post("/themes/{theme_id:int}/rename", name="board_rename", opt=ANY_STAFF)
    async def rename(
        self,
        request: Request,
        round_: AuthorisedRound,
        theme_id: FromPath[int],
        data: URLEncodedBody[FormData],
    ) -> Response:
        theme = await self._theme_or_404(request, round_, theme_id)
        label = data.get("label", "")[: MAX_LABEL * 2]
        try:
            await service(request).rename(staff_user(request), round_, theme, label)
        except BoardError as exc:
            error = FieldError("label", exc.message, exc.params)
            return await self._theme_page(
                request, round_, theme.question_id, theme, [error], 422, label=label
            )
        return go(request, f"{base_url(round_)}/themes/{theme.id}?done=renamed")

    @post("/themes/{theme_id:int}/merge", name="board_merge", opt=ANY_STAFF)
    async def merge(
        self,
        request: Request,
        round_: AuthorisedRound,
        theme_id: FromPath[int],
        data: URLEncodedBody[FormData],
    ) -> Response:
        theme = await self._theme_or_404(request, round_, theme_id)
        board = service(request)
        target_id = _int(data.get("target")) or 0
        try:
            if data.get("confirm") != "yes":  # ask first, on a page of its own
                target = await board.theme_in(round_, target_id)
                if target is None or target.question_id != theme.question_id or target == theme:
                    raise BoardError(N_("Choose another theme of the same question to merge with."))
                return self._confirm(
                    request,
                    round_,
                    theme.question_id,
                    "merge",
                    f"{base_url(round_)}/themes/{theme.id}/merge",
                    [("target", str(target.id))],
                    f"{base_url(round_)}/themes/{theme.id}",
                    theme=theme,
                    target=target,
                )
            target, _ = await SteeringService(board).merge(
                staff_user(request), round_, theme, target_id
            )
        except BoardError as exc:
            error = FieldError("target", exc.message, exc.params)
            return await self._theme_page(request, round_, theme.question_id, theme, [error], 422)
        return go(request, f"{base_url(round_)}/themes/{target.id}?done=merged")

    def _confirm(
        self,
        request: Request,
        round_: Round,
        question_id: int,
        kind: str,
        action: str,
        fields: list[tuple[str, str]],
        cancel: str,
        **extra: Any,
    ) -> Response:
        """A page that asks before a change is made (its form repeats the change)."""
        section, prompt = _question_prompt(round_, question_id)
        return _page(
            request,
            "board/confirm.html",
            {
                "round": round_,
                "kind": kind,
                "prompt": prompt,
                "section": section,
                "action": action,
                "fields": fields,
                "cancel": cancel,
                **extra,
            },
        )

    @post("/themes/{theme_id:int}/split", name="board_split", opt=ANY_STAFF)
    async def split(
        self, request: Request, round_: AuthorisedRound, theme_id: FromPath[int]
    ) -> Response:
        theme = await self._theme_or_404(request, round_, theme_id)
        try:
            await service(request).split(staff_user(request), round_, theme)
        except BoardError as exc:
            error = FieldError("split", exc.message, exc.params)
            return await self._theme_page(request, round_, theme.question_id, theme, [error], 422)
        return go(request, f"{base_url(round_)}/q/{theme.question_id}?done=split")

    @post("/answers/{answer_id:int}/move", name="board_move", opt=ANY_STAFF)
    async def move(
        self,
        request: Request,
        round_: AuthorisedRound,
        answer_id: FromPath[int],
        data: URLEncodedBody[FormData],
    ) -> Response:
        raw = data.get("target", "")
        target = None if raw == "other" else _int(raw)
        if target is None and raw != "other":
            raise PageError(
                400,
                N_("Choose where the answer should go"),
                N_('Pick a theme, or "other", and try again.'),
            )
        back = _int(data.get("back"))
        if data.get("confirm") != "yes":  # ask first, on a page of its own
            found = await service(request).answer(answer_id)
            if found is None or not service(request).question_in(round_, found[1]):
                raise PageError(
                    409, N_("This answer can't be moved"), N_("We can't find this answer.")
                )
            theme = await service(request).theme_in(round_, target) if target else None
            if target is not None and (theme is None or theme.question_id != found[1]):
                raise PageError(
                    409,
                    N_("This answer can't be moved"),
                    N_("Choose a theme of the same question."),
                )
            cancel = f"themes/{back}" if back else f"q/{found[1]}/other"
            return self._confirm(
                request,
                round_,
                found[1],
                "move",
                f"{base_url(round_)}/answers/{answer_id}/move",
                [("target", raw), ("back", str(back or ""))],
                f"{base_url(round_)}/{cancel}#answer-{answer_id}",
                answer=found[0],
                target=theme,
            )
        try:
            question_id = await service(request).move(
                staff_user(request), round_, answer_id, target
            )
        except BoardError as exc:
            raise PageError(
                409, N_("This answer can't be moved"), exc.message, exc.params
            ) from None
        url = (
            f"{base_url(round_)}/themes/{back}"
            if back
            else f"{base_url(round_)}/q/{question_id}/other"
        )
        if back and await service(request).theme_in(round_, back) is None:
            url = f"{base_url(round_)}/q/{question_id}"
        return go(request, f"{url}?done=moved")

    # Responses, sign-off, publishing -----------------------------------------------------

    @get("/themes/{theme_id:int}/response", name="board_response", opt=BOARD_VOICE)
    async def response_form(
        self, request: Request, round_: AuthorisedRound, theme_id: FromPath[int]
    ) -> Response:
        theme = await self._theme_or_404(request, round_, theme_id)
        saved = (await service(request).responses([theme.question_id])).get(
            theme.id, {}
        )
        values = {}
        for loc in round_.locales:
            given = saved.get(loc)
            values[f"title_{loc}"] = given.title if given else ""
            values[f"text_{loc}"] = given.text if given else ""
        return self._response_page(request, round_, theme, values, [])

    def _response_page(self, request, round_, theme, values, errors, status=200) -> Response:
        section, prompt = _question_prompt(round_, theme.question_id)
        return _page(
            request,
            "board/response.html",
            {
                "round": round_,
                "theme": theme,
                "values": values,
                "errors": errors,
                "prompt": prompt,
                "section": section,
                "max_title": MAX_TITLE,
                "max_response": MAX_RESPONSE,
            },
            status=status,
            htmx_block="response_form",
        )

    @post("/themes/{theme_id:int}/response", name="board_response_save", opt=BOARD_VOICE)
    async def response_save(
        self,
        request: Request,
        round_: AuthorisedRound,
        theme_id: FromPath[int],
        data: URLEncodedBody[FormData],
    ) -> Response:
        theme = await self._theme_or_404(request, round_, theme_id)
        values, given, errors = {}, {}, []
        for loc in round_.locales:
            title = data.get(f"title_{loc}", "")
            text = data.get(f"text_{loc}", "")
            values[f"title_{loc}"], values[f"text_{loc}"] = (
                title[: MAX_TITLE * 2],
                text[: MAX_RESPONSE * 2],
            )
            if len(title) > MAX_TITLE:
                errors.append(
                    FieldError(
                        f"title_{loc}",
                        N_("Keep the name to %(limit)s characters or fewer."),
                        {"limit": MAX_TITLE},
                    )
                )
            if len(text) > MAX_RESPONSE:
                errors.append(
                    FieldError(
                        f"text_{loc}",
                        N_("Keep each response to %(limit)s characters or fewer."),
                        {"limit": MAX_RESPONSE},
                    )
                )
            given[loc] = ThemeResponse(title.strip(), text.strip())
        if errors:
            return self._response_page(request, round_, theme, values, errors, 422)
        try:
            await publishing.save_responses(
                service(request), staff_user(request), round_, theme, given
            )
        except BoardError as exc:
            raise board_refusal(round_, exc) from None
        return go(
            request, f"{base_url(round_)}/q/{theme.question_id}?done=response#theme-{theme.id}"
        )

    @post("/sign-off", name="board_sign_off", opt=ANY_STAFF)
    async def sign_off(
        self, request: Request, round_: AuthorisedRound, data: URLEncodedBody[FormData]
    ) -> Response:
        on = data.get("action") != "undo"
        try:
            await publishing.sign_off(service(request), staff_user(request), round_, on)
        except BoardError as exc:
            raise board_refusal(round_, exc) from None
        return go(request, f"{base_url(round_)}?done={'signed-off' if on else 'unsigned'}")

    # Settings and safeguarding -----------------------------------------------------------

    @get("/settings", name="board_settings", opt=BOARD_SETTINGS)
    async def settings_page(self, request: Request, round_: AuthorisedRound) -> Response:
        settings = await service(request).settings(round_.id)
        return await self._settings_page(
            request,
            round_,
            {
                "threshold": str(settings.anonymity_threshold),
                "quotes": "yes" if settings.quotes_allowed else "",
                "lead": str(settings.safeguarding_user_id or ""),
                "deputy": str(settings.safeguarding_deputy_id or ""),
                "sign_offs": str((await service(request).sign_offs(round_.id))[1]),
            },
            [],
        )

    async def _settings_page(self, request, round_, values, errors, status=200) -> Response:
        members = await service(request).members(round_.id)
        return _page(
            request,
            "board/settings.html",
            {"round": round_, "values": values, "errors": errors, "members": members},
            status=status,
            htmx_block="settings_form",
        )

    @post("/settings", name="board_settings_save", opt=BOARD_SETTINGS)
    async def settings_save(
        self, request: Request, round_: AuthorisedRound, data: URLEncodedBody[FormData]
    ) -> Response:
        values = {
            "threshold": data.get("threshold", "")[:4],
            "quotes": "yes" if data.get("quotes") == "yes" else "",
            "lead": data.get("lead", "")[:12],
            "deputy": data.get("deputy", "")[:12],
            "sign_offs": "2" if data.get("sign_offs") == "2" else "1",
        }
        threshold = _int(values["threshold"])
        lead = _int(values["lead"])
        deputy = _int(values["deputy"])
        members = {m.id for m in await service(request).members(round_.id)}
        errors = []
        for field, chosen in (("lead", lead), ("deputy", deputy)):
            if chosen is not None and chosen not in members:
                errors.append(FieldError(field, N_("Choose someone who sits on this round.")))
        if lead is not None and lead == deputy:
            errors.append(
                FieldError("deputy", N_("Choose a deputy who is not the lead, or nobody."))
            )
        if not errors:
            try:
                await service(request).save_settings(
                    staff_user(request),
                    round_,
                    threshold or 0,
                    bool(values["quotes"]),
                    lead,
                    deputy,
                    sign_offs_needed=int(values["sign_offs"]),
                )
            except BoardError as exc:
                errors.append(FieldError("threshold", exc.message, exc.params))
        if errors:
            return await self._settings_page(request, round_, values, errors, 422)
        return go(request, f"{base_url(round_)}/settings?done=settings")

    # Opinion overview ---------------------------------------------------------------------

    @get("/opinions", name="board_opinions", opt=ANY_STAFF)
    async def opinions(self, request: Request, round_: AuthorisedRound) -> Response:
        overview = await opinion_overview(service(request), round_)
        titles = {j: s for j, s in enumerate(overview.sections)}
        return _page(
            request,
            "board/opinions.html",
            {
                "round": round_,
                "overview": overview,
                "groups": overview.groups,
                "titles": titles,
            },
        )

    # Exports and the printable report ----------------------------------------------------

    @get("/export.csv", name="board_export_csv", opt=ANY_STAFF)
    async def export_csv(self, request: Request, round_: AuthorisedRound) -> Response:
        return await self._export(request, round_, "csv")

    @get("/export.json", name="board_export_json", opt=ANY_STAFF)
    async def export_json(self, request: Request, round_: AuthorisedRound) -> Response:
        return await self._export(request, round_, "json")

    async def _export(self, request: Request, round_: Round, fmt: str) -> Response:
        body = await board_export.export(service(request), staff_user(request), round_, fmt)
        media = "text/csv; charset=utf-8" if fmt == "csv" else MediaType.JSON
        if fmt == "csv":
            body = "\ufeff" + body
        return Response(
            body,
            media_type=media,
            headers={
                "content-disposition": f'attachment; filename="round-{round_.slug}-themes.{fmt}"',
                "cache-control": "no-store",
            },
        )

    @get("/report", name="board_report", opt=ANY_STAFF)
    async def report(self, request: Request, round_: AuthorisedRound) -> Response:
        user: StaffUser = staff_user(request)
        report = await board_export.report(service(request), user, round_)
        # agreement and choice results as the public page counts them (anonymity limit applied)
        results = await publishing.outcomes_view(
            service(request), round_, round_.default_locale, preview=True
        )
        overview = await opinion_overview(service(request), round_)
        return _page(
            request,
            "board/report.html",
            {
                "round": round_,
                "report": report,
                "groups": overview.groups,
                "titles": dict(enumerate(overview.sections)),
                "results": results,
                "printed": format_day(datetime.now(UTC), staff_locale(request), round_.timezone),
            },
        )


async def _sign_off_context(request: Request, round_: Round) -> dict[str, Any]:
    user = staff_user(request)
    signed, needed = await service(request).sign_offs(round_.id)
    return {
        "sign_offs": [(s.email, _when(s.at, request, round_)) for s in signed],
        "sign_offs_needed": needed,
        "signed_by_me": any(s.user_id == user.id for s in signed),
        "on_board": can(user, Action.SPEAK_FOR_BOARD, round_standing(request)),
    }


def _when(value, request: Request, round_: Round) -> str:
    """Sign-offs and publication, to the minute like every other staff page (not
    "1:50:42 PM +0000")."""
    if not value:
        return ""
    return format_staff_moment(value, staff_locale(request), round_.timezone, round_.region)
