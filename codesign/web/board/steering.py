"""Board pages for steering themes: search and filter answers, act on chosen answers
(move them, make a theme of them), undo a merge, find new themes in "other", start
again. Every action is a plain form POST with a redirect (JavaScript not needed);
moving and starting again ask first on a page of their own.
"""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from codesign.i18n import N_
from codesign.services.board import MAX_LABEL
from codesign.services.errors import BoardError, FieldError
from codesign.services.steering import (
    FLAG_STATES,
    MAX_QUERY,
    MAX_SELECTION,
    SOURCES,
    Filters,
    SteeringService,
)
from codesign.web.board.pages import (
    _int,
    _not_found,
    _page,
    _question_prompt,
    base_url,
    section_title,
    service,
)
from codesign.web.common import PageError, go
from codesign.web.participate import multi_form
from codesign.web.staff.common import ANY_STAFF, AuthorisedRound, staff_user

FILTER_FIELDS = ("q", "language", "theme", "agreement", "flag", "source")
AGREEMENT_VALUES = ("1", "2", "3", "4", "5", "prefer_not")


def steering(request: Request) -> SteeringService:
    return SteeringService(service(request))


def filters_from(values) -> Filters:
    """Search filters from query or form values, each bounded and checked."""

    def one(name: str, size: int = 40) -> str:
        value = values.get(name) or ""
        if isinstance(value, list):
            value = value[0] if value else ""
        return str(value)[:size].strip()

    theme = one("theme", 12)
    agreement = one("agreement", 12)
    flag = one("flag", 12)
    source = one("source", 8)
    return Filters(
        text=one("q", MAX_QUERY),
        language=one("language", 12),
        theme=theme if theme == "other" or theme.isdecimal() else "",
        agreement=agreement if agreement in AGREEMENT_VALUES else "",
        flag=flag if flag in FLAG_STATES else "",
        source=source if source in SOURCES else "",
    )


def filter_query(filters: Filters) -> str:
    from urllib.parse import urlencode

    pairs = {
        "q": filters.text,
        "language": filters.language,
        "theme": filters.theme,
        "agreement": filters.agreement,
        "flag": filters.flag,
        "source": filters.source,
    }
    return urlencode({k: v for k, v in pairs.items() if v})


class SteeringController(Controller):
    path = "/"

    # Search and filter ------------------------------------------------------------------

    @get("/q/{question_id:int}/search", name="board_search", opt=ANY_STAFF)
    async def search(
        self, request: Request, round_: AuthorisedRound, question_id: FromPath[int]
    ) -> Response:
        if not service(request).question_in(round_, question_id):
            raise _not_found()
        filters = filters_from(request.query_params)
        page = min(_int(request.query_params.get("page")) or 0, 10_000)
        return await self._search_page(request, round_, question_id, filters, page, [])

    async def _search_page(self, request, round_, question_id, filters, page, errors, status=200):
        view = await steering(request).search(
            staff_user(request), round_, question_id, filters, page
        )
        section, prompt = _question_prompt(round_, question_id)
        query = filter_query(filters)
        return _page(
            request,
            "board/search.html",
            {
                "round": round_,
                "section": section,
                "section_title": section_title(round_, question_id),
                "prompt": prompt,
                "question_id": question_id,
                "view": view,
                "filters": filters,
                "query": query,
                "searched": filters.any(),
                "errors": errors,
                "max_label": MAX_LABEL,
                "max_selection": MAX_SELECTION,
                "max_query": MAX_QUERY,
                "back_path": f"q/{question_id}/search?{query}",
            },
            status=status,
        )

    # Acting on chosen answers -------------------------------------------------------------

    @post("/q/{question_id:int}/answers", name="board_act", opt=ANY_STAFF)
    async def act(
        self, request: Request, round_: AuthorisedRound, question_id: FromPath[int]
    ) -> Response:
        board = service(request)
        if not board.question_in(round_, question_id):
            raise _not_found()
        form = await multi_form(request)
        single = {k: v[0] for k, v in form.items() if v}
        ids = [i for i in (_int(v) for v in form.get("answer", [])[: MAX_SELECTION + 1]) if i]
        scope_all = single.get("scope") == "all"
        filters = filters_from(single) if scope_all else None
        action = single.get("action", "")
        label = single.get("label", "")[: MAX_LABEL * 2]
        came_from = _back(single.get("from", ""), question_id)
        steer = steering(request)
        user = staff_user(request)
        try:
            chosen = await steer.chosen(round_, question_id, ids, filters)
            if action == "make":
                theme_id = await steer.make_theme(user, round_, question_id, chosen, label)
                return go(request, f"{base_url(round_)}/themes/{theme_id}?done=made")
            if action != "move":
                raise BoardError(N_("Choose what to do with the answers."))
            raw = single.get("target", "")
            target = None if raw == "other" else _int(raw)
            if target is None and raw != "other":
                raise BoardError(N_('Pick a theme, or "other", and try again.'))
            if single.get("confirm") != "yes":
                return await self._confirm_move(
                    request, round_, question_id, chosen, target, came_from
                )
            await steer.move_many(user, round_, question_id, chosen, target)
        except BoardError as exc:
            return self._act_error(request, round_, question_id, exc, came_from)
        return go(request, f"{base_url(round_)}/{came_from}{_joiner(came_from)}done=moved-many")

    async def _confirm_move(self, request, round_, question_id, chosen, target, came_from):
        board = service(request)
        theme = await board.theme_in(round_, target) if target is not None else None
        section, prompt = _question_prompt(round_, question_id)
        fields = [("answer", str(i)) for i in chosen]
        fields += [("action", "move"), ("target", str(target or "other")), ("from", came_from)]
        return _page(
            request,
            "board/confirm.html",
            {
                "round": round_,
                "kind": "move-many",
                "count": len(chosen),
                "target": theme,
                "prompt": prompt,
                "section": section,
                "action": f"{base_url(round_)}/q/{question_id}/answers",
                "fields": fields,
                "cancel": f"{base_url(round_)}/{came_from}",
            },
        )

    def _act_error(self, request, round_, question_id, exc, came_from, status=422):
        section, prompt = _question_prompt(round_, question_id)
        return _page(
            request,
            "board/confirm.html",
            {
                "round": round_,
                "kind": "error",
                "errors": [FieldError("answers", exc.message, exc.params)],
                "prompt": prompt,
                "section": section,
                "cancel": f"{base_url(round_)}/{came_from}",
            },
            status=status,
        )

    # Undo a merge -----------------------------------------------------------------------

    @post("/merges/{merge_id:int}/undo", name="board_undo_merge", opt=ANY_STAFF)
    async def undo_merge(
        self, request: Request, round_: AuthorisedRound, merge_id: FromPath[int]
    ) -> Response:
        try:
            restored = await steering(request).undo_merge(staff_user(request), round_, merge_id)
        except BoardError as exc:
            raise PageError(
                409,
                N_("This change can't be made"),
                exc.message,
                exc.params,
                links=[(base_url(round_), N_("Back to the board's page"))],
            ) from None
        return go(request, f"{base_url(round_)}/themes/{restored}?done=unmerged")

    # New themes in "other", starting again -------------------------------------------------

    @post("/q/{question_id:int}/other-themes", name="board_other_themes", opt=ANY_STAFF)
    async def other_themes(
        self, request: Request, round_: AuthorisedRound, question_id: FromPath[int]
    ) -> Response:
        if not service(request).question_in(round_, question_id):
            raise _not_found()
        try:
            await steering(request).start_other_run(staff_user(request), round_, question_id)
        except BoardError as exc:
            return self._act_error(request, round_, question_id, exc, f"q/{question_id}", 409)
        return go(request, f"{base_url(round_)}/q/{question_id}?done=other-started")

    @get("/q/{question_id:int}/restart", name="board_restart_check", opt=ANY_STAFF)
    async def restart_check(
        self, request: Request, round_: AuthorisedRound, question_id: FromPath[int]
    ) -> Response:
        return await self._restart_page(request, round_, question_id)

    async def _restart_page(self, request, round_, question_id) -> Response:
        if not service(request).question_in(round_, question_id):
            raise _not_found()
        work = await steering(request).person_work(round_, question_id)
        section, prompt = _question_prompt(round_, question_id)
        return _page(
            request,
            "board/confirm.html",
            {
                "round": round_,
                "kind": "restart",
                "named": work.named,
                "placed": work.placed,
                "prompt": prompt,
                "section": section,
                "action": f"{base_url(round_)}/q/{question_id}/restart",
                "fields": [],
                "cancel": f"{base_url(round_)}/q/{question_id}",
            },
        )

    @post("/q/{question_id:int}/restart", name="board_restart", opt=ANY_STAFF)
    async def restart(
        self, request: Request, round_: AuthorisedRound, question_id: FromPath[int]
    ) -> Response:
        if not service(request).question_in(round_, question_id):
            raise _not_found()
        form = await multi_form(request)
        if (form.get("confirm") or [""])[0] != "yes":
            return await self._restart_page(request, round_, question_id)
        try:
            await steering(request).start_restart(staff_user(request), round_, question_id)
        except BoardError as exc:
            return self._act_error(request, round_, question_id, exc, f"q/{question_id}", 409)
        return go(request, f"{base_url(round_)}/q/{question_id}?done=restarted")

    @post(
        "/q/{question_id:int}/groups/{group_id:int}/rename",
        name="board_group_rename",
        opt=ANY_STAFF,
    )
    async def rename_group(
        self,
        request: Request,
        round_: AuthorisedRound,
        question_id: FromPath[int],
        group_id: FromPath[int],
    ) -> Response:
        if not service(request).question_in(round_, question_id):
            raise _not_found()
        form = await multi_form(request)
        label = (form.get("label") or [""])[0][: MAX_LABEL * 2]
        try:
            await steering(request).rename_group(
                staff_user(request), round_, question_id, group_id, label
            )
        except BoardError as exc:
            return self._act_error(request, round_, question_id, exc, f"q/{question_id}")
        return go(
            request, f"{base_url(round_)}/q/{question_id}?done=group-renamed#group-{group_id}"
        )


def _back(value: str, question_id: int) -> str:
    """Where a person acting on answers came from: a board path of this question."""
    value = value[:300]
    for start in (f"q/{question_id}/search", f"q/{question_id}/other", "themes/"):
        if value.startswith(start) and "//" not in value and "\\" not in value:
            if start == "themes/" and not value[len(start) :].isdecimal():
                continue
            return value
    return f"q/{question_id}"


def _joiner(path: str) -> str:
    return "&" if "?" in path else "?"
