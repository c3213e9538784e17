"""Preview a round in any language with the participant templates, storing nothing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, URLEncodedBody

from codesign.i18n import N_
from codesign.models import Round, Section
from codesign.services.rounds.texts import completeness
from codesign.settings import SUPPORTED_LOCALES
from codesign.web import participate
from codesign.web.common import PageError, go, is_htmx, render_page
from codesign.web.staff.common import BUILD
from codesign.web.staff.rounds import load_round

FormData = dict[str, str]


def preview_round(round_: Round, locale: str) -> Round:
    """The round as offered in `locale`; texts not translated yet fall back to the main language."""
    default = round_.default_locale

    def pick(texts: dict, make) -> dict:
        if locale in texts:
            return texts
        return {**texts, locale: make(texts[default])} if default in texts else texts

    def relabel(value):
        return msgspec.structs.replace(value, locale=locale)

    sections = [
        msgspec.structs.replace(
            section,
            texts=pick(section.texts, relabel),
            questions=[
                msgspec.structs.replace(
                    q,
                    texts=pick(q.texts, relabel),
                    options=[
                        msgspec.structs.replace(o, labels=pick(o.labels, lambda label: label))
                        for o in q.options
                    ],
                )
                for q in section.questions
            ],
        )
        for section in round_.sections
    ]
    contacts = dict(round_.contacts)
    if locale not in contacts and default in contacts:
        contacts[locale] = contacts[default]
    return msgspec.structs.replace(
        round_,
        texts=pick(round_.texts, relabel),
        contacts=contacts,
        sections=sections,
        locales=[loc for loc in SUPPORTED_LOCALES if loc == locale or loc in round_.locales],
    )


def _check(round_: Round, locale: str, wanted: list[str]) -> None:
    if locale not in SUPPORTED_LOCALES or (
        locale not in wanted and locale != round_.default_locale
    ):
        raise PageError(
            404,
            N_("We can't find this page"),
            N_("Choose one of the round's languages to preview."),
            links=[(f"/staff/rounds/{round_.id}", N_("Back to the round"))],
        )


def _context(
    request: Request, round_: Round, locale: str, page: str, wanted: list[str]
) -> dict[str, Any]:
    """The participant page's own context (from the participant controller, looked up at
    call time so the preview follows it), with links kept inside the preview."""
    context = dict(participate.round_page_context(round_, page, locale, request))
    context.update(
        participant_template=f"{page}.html",
        language_links=[
            (loc, f"/staff/rounds/{round_.id}/preview/{loc}")
            for loc in SUPPORTED_LOCALES
            if loc in wanted or loc == round_.default_locale
        ],
        base_url=f"/staff/rounds/{round_.id}/preview/{locale}",
        untranslated=locale != round_.default_locale and not completeness(round_, locale).complete,
    )
    return context


def _section(round_: Round, position: int) -> Section:
    if 1 <= position <= len(round_.sections):
        return round_.sections[position - 1]
    raise PageError(
        404,
        N_("We can't find this section of the consultation"),
        N_("Go back to the start and try again."),
        links=[(f"/staff/rounds/{round_.id}", N_("Back to the round"))],
    )


def _step_url(round_: Round, locale: str, position: int) -> str:
    base = f"/staff/rounds/{round_.id}/preview/{locale}"
    if position < 1:
        return base
    if position > len(round_.sections):
        return base + "/review"
    return f"{base}/s/{position}"


class StaffPreviewController(Controller):
    path = "/rounds/{round_id:int}/preview/{locale:str}"

    async def _load(self, request: Request, round_id: int, locale: str):
        original, settings = await load_round(request, round_id)
        _check(original, locale, settings.wanted_locales)
        return original, preview_round(original, locale), settings.wanted_locales

    @get("/", name="staff_preview_start", opt=BUILD)
    async def start(
        self, request: Request, round_id: FromPath[int], locale: FromPath[str]
    ) -> Response:
        original, round_, wanted = await self._load(request, round_id, locale)
        context = _context(request, round_, locale, "start", wanted)
        context.update(participation=None, start_key="preview-only", may_quote=False)
        return render_page(request, "staff/preview.html", locale, context)

    @post("/start", name="staff_preview_consent", opt=BUILD)
    async def consent(
        self,
        request: Request,
        round_id: FromPath[int],
        locale: FromPath[str],
        data: URLEncodedBody[FormData],
    ) -> Response:
        _, round_, _ = await self._load(request, round_id, locale)
        return go(request, _step_url(round_, locale, 1))

    @get("/s/{position:int}", name="staff_preview_section", opt=BUILD)
    async def section(
        self,
        request: Request,
        round_id: FromPath[int],
        locale: FromPath[str],
        position: FromPath[int],
    ) -> Response:
        _, round_, wanted = await self._load(request, round_id, locale)
        section = _section(round_, position)
        context = _context(request, round_, locale, "section", wanted)
        context.update(participate.section_context(round_, section, position, locale, {}, {}, []))
        context.update(
            skip_url=_step_url(round_, locale, position + 1),
            back_url=_step_url(round_, locale, position - 1),
            # Languages stay links to the other preview: there is nothing to save first.
            language_form="",
        )
        if section.has_content_note(locale) and request.query_params.get("note") != "read":
            context["participant_template"] = "content_note.html"
        return render_page(request, "staff/preview.html", locale, context)

    @post("/s/{position:int}", name="staff_preview_section_save", opt=BUILD)
    async def section_save(
        self,
        request: Request,
        round_id: FromPath[int],
        locale: FromPath[str],
        position: FromPath[int],
    ) -> Response:
        """Nothing is stored: autosave gets an empty status, buttons move on."""
        _, round_, _ = await self._load(request, round_id, locale)
        _section(round_, position)
        # Checkboxes of a multiple choice repeat their field: read every value.
        sent = await participate.multi_form(request)
        data = {key: values[-1] for key, values in sent.items()}
        if is_htmx(request) and data.get("action") is None:
            response = render_page(
                request,
                "section.html",
                locale,
                {"errors": [], "last_saved": None, "round": round_},
                block="save_status",
            )
            # Nothing to keep in a preview: the script may treat the page as up to date.
            response.headers["x-save-result"] = "saved"
            return response
        step = -1 if data.get("action") == "back" else 1
        return go(request, _step_url(round_, locale, position + step))

    @get("/review", name="staff_preview_review", opt=BUILD)
    async def review(
        self, request: Request, round_id: FromPath[int], locale: FromPath[str]
    ) -> Response:
        _, round_, wanted = await self._load(request, round_id, locale)
        context = _context(request, round_, locale, "review", wanted)
        context.update(participate.review_context(round_, locale, {}))
        context.update(participation=SimpleNamespace(may_quote=False, status="started"))
        return render_page(request, "staff/preview.html", locale, context)

    @post("/review", name="staff_preview_submit", opt=BUILD)
    async def submit(
        self,
        request: Request,
        round_id: FromPath[int],
        locale: FromPath[str],
        data: URLEncodedBody[FormData],
    ) -> Response:
        await self._load(request, round_id, locale)
        return go(request, f"/staff/rounds/{round_id}/preview/{locale}")
