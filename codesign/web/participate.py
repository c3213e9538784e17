"""Public pages of a consultation round, for participants. No sign-in, no JS needed."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect

from codesign.i18n import N_, format_day
from codesign.models import PREFER_NOT, Participation, Round, Section
from codesign.services.participation import (
    BadInput,
    FieldError,
    Form,
    ParticipationService,
    SaveResult,
    form_value,
    form_values,
    new_save_key,
    question_field,
    where_left_off,
)
from codesign.services.publishing import outcomes_view
from codesign.services.rounds.lifecycle import effective_status
from codesign.services.safeguarding import SafeguardingError, SafeguardingService
from codesign.settings import Settings
from codesign.web.common import (
    LANG_COOKIE,
    PageError,
    go,
    is_htmx,
    language_links,
    render_page,
    resolve_locale,
)
from codesign.web.ratelimit import CODES, POSTS

FormData = dict[str, str]

_URL_ENCODED = "application/x-www-form-urlencoded"


async def multi_form(request: Request) -> dict[str, list[str]]:
    """The posted form with every value of a repeated field (a multiple choice's boxes).

    Which fields may repeat is the service's business (`parse_section_form`); a file
    upload, which no participant form has, is refused here.
    """
    out: dict[str, list[str]] = {}
    content_type = request.headers.get("content-type", "").partition(";")[0]
    if content_type.strip().lower() == _URL_ENCODED:
        # Every autosave: the body parsed as Litestar parses it, without building its
        # multi-dict only to copy it into this one.
        body = (await request.body()).decode("latin-1")
        for key, text in parse_qsl(body, keep_blank_values=True):
            out.setdefault(key, []).append(text)
        return out
    form = await request.form()
    for key, value in form.multi_items():
        if not isinstance(value, str):
            raise _bad_form()
        out.setdefault(key, []).append(value)
    return out


def _safeguarding(request: Request) -> SafeguardingService:
    return request.app.state.safeguarding


async def _support(request: Request, participation_id: int, offered: bool) -> dict[str, Any]:
    """Whether this participant is offered support (an answer may show risk), and whether
    they left a way to be contacted."""
    has_contact = offered and await _safeguarding(request).has_contact(participation_id)
    return {"support_offered": offered, "has_contact": has_contact}


def _service(request: Request) -> ParticipationService:
    return request.app.state.participation


def _cookie_name(round_: Round) -> str:
    return f"cs_{round_.id}"


def _participant_cookie(
    request: Request, round_: Round, value: str, *, clear: bool = False
) -> Cookie:
    settings: Settings = request.app.state.settings
    return Cookie(
        key=_cookie_name(round_),
        value=value,
        path=f"/r/{round_.slug}",
        httponly=True,
        samesite="lax",
        secure=settings.https,
        # A session cookie: on a shared phone the next person cannot reopen the answers.
        max_age=0 if clear else None,
    )


#: What a round's slug can be (`new_slug`, "demo"): safe to write into a cookie's Path.
_SLUG = re.compile(r"[a-z0-9-]{1,100}")

#: Submit actions of the section form; every one saves first (a plain "save" stays).
_MOVES = ("next", "back", "skip")


def _forget_visit(request: Request, slug: str) -> list[Cookie]:
    """Expired copies of every cookie that ties this device to a visit of the round.

    Found by name, not by a database lookup, so leaving works even when the round is
    closed or gone. Only this round's path and the language choice are touched: a
    staff session on the same browser (path /staff) stays signed in.
    """
    settings: Settings = request.app.state.settings
    forget = [
        Cookie(key=name, value="", path=f"/r/{slug}", httponly=True, samesite="lax",
               secure=settings.https, max_age=0)
        for name in request.cookies
        if name.startswith("cs_") and name[3:].isdigit() and _SLUG.fullmatch(slug)
    ]
    if LANG_COOKIE in request.cookies:
        forget.append(
            Cookie(key=LANG_COOKIE, value="", path="/", httponly=True, samesite="lax",
                   secure=settings.https, max_age=0)
        )
    return forget


def round_page_context(round_: Round, page: str, locale: str, request: Request) -> dict[str, Any]:
    texts = round_.texts.get(locale) or round_.texts[round_.default_locale]
    region = round_.region
    return {
        "round": round_,
        "round_open": _service(request).is_open(round_),
        "rt": texts,
        "page": page,
        "contacts": round_.contacts.get(locale) or round_.contacts.get(round_.default_locale, []),
        "language_links": language_links(request, round_.locales),
        "base_url": f"/r/{round_.slug}",
        "total": len(round_.sections),
        "response_due": format_day(round_.response_due, locale, round_.timezone, region)
        if round_.response_due
        else "",
        "closes": format_day(round_.closes_at, locale, round_.timezone, region)
        if round_.closes_at
        else "",
    }


def _visit(request: Request) -> dict[str, Any]:
    """This request's state (what `request.state` wraps: that builds a new wrapper, with
    a lock, at every access; this path runs on every autosave)."""
    return request.scope["state"]


async def _open_round(
    request: Request, slug: FromPath[str], *, open_only: bool = True
) -> tuple[Round, str]:
    """The round and the page language; a calm error page if it is unknown or closed.

    `open_only=False`: also a closed or published round (withdrawing works then too).
    """
    service = _service(request)
    round_, found = (
        await service.round_and_participation(slug, _cookie_value(request))
        if len(slug) <= 100
        else (None, None)
    )
    visit = _visit(request)
    # Loaded with the round in one query; _participant() uses it.
    visit["participation"] = found
    if round_ is None or round_.status == "draft":
        raise PageError(
            404,
            N_("We can't find this consultation"),
            N_("Check the link or the code on the poster and try again."),
        )
    # Error pages from here on show this round's support contacts.
    visit["round"] = round_
    locale = resolve_locale(request, round_.locales, round_.default_locale)
    if open_only and not service.is_open(round_):
        links = []
        if service.takes_withdrawals(round_):
            links.append((f"/r/{round_.slug}/withdraw", N_("Delete my answers")))
        raise PageError(
            403,
            N_("This consultation is not open"),
            N_("You can't give feedback here at the moment. Thank you for wanting to take part."),
            offered=round_.locales,
            links=links,
        )
    return round_, locale


async def _withdrawal_round(request: Request, slug: FromPath[str]) -> tuple[Round, str]:
    """Withdrawal pages work until the retention purge: open, closed or published."""
    return await _open_round(request, slug, open_only=False)


def _cookie_value(request: Request) -> str | None:
    """The participation cookie sent here. Cookies are scoped to their round's path,
    and the lookup also matches the round, so another round's cookie finds nothing."""
    for name, value in request.cookies.items():
        if name.startswith("cs_") and name[3:].isdigit():
            return value
    return None


async def _participant(request: Request, round_: Round) -> Participation | None:
    found = _visit(request).get("participation")
    if found is None or found.round_id != round_.id:
        found = await _service(request).current(round_, request.cookies.get(_cookie_name(round_)))
    if found is None or found.status == "withdrawn":
        return None
    return found


async def _autosave(
    request: Request, slug: str, position: int, data: dict[str, list[str]]
) -> Response | None:
    """An htmx autosave of a round read moments ago, in one write and no read first (the
    busiest request there is). None when it is not that, or it saved nothing: the usual
    path then works out why (closed, sent, no such visit) and says so."""
    if not is_htmx(request) or (form_value(data, "action") or "save") != "save":
        return None
    if form_value(data, "lang") is not None:
        return None
    service = _service(request)
    round_ = service.recent_round(slug)
    public_id = _cookie_value(request)
    if round_ is None or public_id is None or not 1 <= position <= len(round_.sections):
        return None
    _visit(request)["round"] = round_  # error pages show this round's support contacts
    locale = resolve_locale(request, round_.locales, round_.default_locale)
    try:
        done = await service.autosave(
            round_, public_id, round_.sections[position - 1], data, locale
        )
    except BadInput as exc:
        raise _bad_form() from exc
    if done is None:
        return None
    result, saved = done
    return await _save_status(
        request,
        round_,
        locale,
        position,
        data,
        result,
        saved.participation_id,
        saved.support_offered,
    )


async def _save_status(
    request: Request,
    round_: Round,
    locale: str,
    position: int,
    data: dict[str, list[str]],
    result: SaveResult,
    participation_id: int,
    support_offered: bool,
) -> Response:
    """What an htmx save answers: the autosave status, a block of the section page (one
    source of markup), and the support panel once when an answer may show risk.

    The header tells the script whether these exact answers are stored, so it never
    says "Saved" for a save that did not happen. Shown to the minute, so its words
    depend only on the minute, the round's clock and the language: rendered once,
    then reused by every save in it.
    """
    saved_at = datetime.now(UTC).replace(second=0, microsecond=0)
    status = {
        "round": round_,
        "errors": result.errors,
        "last_saved": saved_at if result.saved else None,
    }
    response = render_page(
        request,
        "section.html",
        locale,
        status,
        block="save_status",
        cache_key=None
        if result.errors or not result.saved
        else ("saved", saved_at, round_.timezone, round_.region),
    )
    outcome = "saved" if result.saved and not result.errors else "not-saved"
    response.headers["x-save-result"] = outcome
    if support_offered and form_value(data, "support_shown") != "1":
        # One of their answers may show risk: the support panel, once (out of band).
        context = round_page_context(round_, "section", locale, request)
        context.update(
            position=position, **await _support(request, participation_id, support_offered)
        )
        panel = render_page(request, "section.html", locale, context, block="support_panel_oob")
        response.content = str(response.content) + str(panel.content)
    return response


def _section_or_404(round_: Round, position: FromPath[int]) -> Section:
    if 1 <= position <= len(round_.sections):
        return round_.sections[position - 1]
    raise PageError(
        404,
        N_("We can't find this section of the consultation"),
        N_("Go back to the start and try again."),
        offered=round_.locales,
        links=[(f"/r/{round_.slug}", N_("Go to the start"))],
    )


def _bad_form() -> PageError:
    return PageError(
        400,
        N_("Something went wrong with that form"),
        N_("Go back, reload the page and try again. What you saved before is still saved."),
    )


def _section_url(round_: Round, position: int | None) -> str:
    if position is None or position > len(round_.sections):
        return f"/r/{round_.slug}/review"
    return f"/r/{round_.slug}/s/{position}"


async def _closed_page(request: Request, round_: Round, locale: str) -> Response:
    """After the round closes, the poster's link still lands somewhere useful: what the
    consultation was, what happens next and when, support, and the outcomes once public."""
    context = round_page_context(round_, "closed", locale, request)
    region = round_.region
    # when it closed: by hand, or on its closing date once that has passed
    closed_on = round_.closed_at
    if closed_on is None and round_.closes_at and round_.closes_at <= datetime.now(UTC):
        closed_on = round_.closes_at
    view = await outcomes_view(request.app.state.board, round_, locale)  # set at start-up
    context.update(
        closed_on=format_day(closed_on, locale, round_.timezone, region) if closed_on else "",
        view=view,
        takes_withdrawals=_service(request).takes_withdrawals(round_),
    )
    return render_page(request, "closed.html", locale, context)


class ParticipateController(Controller):
    path = "/r/{slug:str}"

    @get("/leave", name="round_leave")
    async def leave(self, request: Request, slug: FromPath[str]) -> Response:
        """ "Leave this page": end the visit on this device, then show the neutral site.

        A plain link, so it works without script. The only place it sends anyone is
        the configured exit URL (nothing in the request can change it). Cookies are
        expired one by one rather than with Clear-Site-Data "cookies", which would also
        sign staff out of every tab; "cache" drops any copy of the pages already seen.
        """
        settings: Settings = request.app.state.settings
        return Redirect(
            settings.exit_url,
            status_code=303,
            headers={"clear-site-data": '"cache"', "cache-control": "no-store"},
            cookies=_forget_visit(request, slug),
        )

    @get("/safety", name="round_safety")
    async def safety_page(self, request: Request, slug: FromPath[str]) -> Response:
        # Readable whether or not the round is open: it is linked from every page.
        round_ = await _service(request).round(slug) if _SLUG.fullmatch(slug) else None
        if round_ is None or round_.status == "draft":
            raise PageError(
                404,
                N_("We can't find this consultation"),
                N_("Check the link or the code on the poster and try again."),
            )
        locale = resolve_locale(request, round_.locales, round_.default_locale)
        context = round_page_context(round_, "safety", locale, request)
        return render_page(request, "safety.html", locale, context)

    @get("/", name="round_start")
    async def start_page(self, request: Request, slug: FromPath[str]) -> Response:
        round_, locale = await _open_round(request, slug, open_only=False)
        if not _service(request).is_open(round_):
            if round_.status in ("closed", "published") or effective_status(round_) == "ended":
                return await _closed_page(request, round_, locale)
            round_, locale = await _open_round(request, slug)  # not open yet: says so
        participation = await _participant(request, round_)
        context = round_page_context(round_, "start", locale, request)
        context.update(
            participation=participation,
            start_key=secrets.token_urlsafe(16),
            errors=[],
            may_quote=False,
        )
        return render_page(request, "start.html", locale, context)

    @post("/start", name="round_consent", opt=POSTS)
    async def consent(
        self, request: Request, slug: FromPath[str], data: URLEncodedBody[FormData]
    ) -> Response:
        round_, locale = await _open_round(request, slug)
        start_key = data.get("start_key", "")
        if not (8 <= len(start_key) <= 64):
            raise _bad_form()
        may_quote = data.get("may_quote") == "yes"
        if data.get("consent") != "yes":
            context = round_page_context(round_, "start", locale, request)
            context.update(
                participation=None,
                start_key=start_key,
                may_quote=may_quote,
                errors=[FieldError("consent", N_("To take part, tick the box to say yes."))],
            )
            return render_page(
                request, "start.html", locale, context, status=422, htmx_block="consent_form"
            )
        # The same start_key (a double-sent form) finds the same participation.
        participation = await _service(request).start(round_, start_key, locale, may_quote)
        return go(
            request,
            _section_url(round_, 1),
            cookies=[_participant_cookie(request, round_, participation.public_id)],
        )

    @get("/s/{position:int}", name="round_section")
    async def section_page(
        self, request: Request, slug: FromPath[str], position: FromPath[int]
    ) -> Response:
        round_, locale = await _open_round(request, slug)
        section = _section_or_404(round_, position)
        participation = await _participant(request, round_)
        if participation is None:
            return Redirect(f"/r/{round_.slug}")
        if participation.status == "submitted":
            return Redirect(f"/r/{round_.slug}/thanks")
        await _service(request).set_locale(participation, locale)
        context = round_page_context(round_, "section", locale, request)
        if section.has_content_note(locale) and request.query_params.get("note") != "read":
            context.update(section=section, st=section.texts[locale], position=position)
            return render_page(request, "content_note.html", locale, context)
        answers = await _service(request).answers(participation)
        context.update(section_context(round_, section, position, locale, answers, {}, []))
        context.update(await _support(request, participation.id, participation.support_offered))
        return render_page(request, "section.html", locale, context)

    @post("/s/{position:int}", name="round_section_save", opt=POSTS)
    async def save_section(
        self,
        request: Request,
        slug: FromPath[str],
        position: FromPath[int],
    ) -> Response:
        data = await multi_form(request)
        autosaved = await _autosave(request, slug, position, data)
        if autosaved is not None:
            return autosaved
        round_, locale = await _open_round(request, slug)
        section = _section_or_404(round_, position)
        participation = await _participant(request, round_)
        if participation is None:
            raise PageError(
                400,
                N_("We couldn't find your answers"),
                N_(
                    "Your session may have ended. If you have a code, you can use it to "
                    "carry on where you left off."
                ),
                offered=round_.locales,
                links=[(f"/r/{round_.slug}/resume", N_("Carry on with your code"))],
            )
        if participation.status != "started":
            return go(request, f"/r/{round_.slug}/thanks")
        try:
            action = form_value(data, "action") or "save"
            switch_to = form_value(data, "lang")
            if switch_to is not None and switch_to not in round_.locales:
                raise BadInput("not a language of this round")
            moving = action in _MOVES or switch_to is not None
            result = await _service(request).save_section(
                participation, section, data, locale, reload=moving or not is_htmx(request)
            )
        except BadInput as exc:
            raise _bad_form() from exc
        if is_htmx(request) and (result.errors or not moving):
            return await _save_status(
                request,
                round_,
                locale,
                position,
                data,
                result,
                participation.id,
                participation.support_offered,
            )
        # Moving on: screen what they wrote now, so the next page offers support at once.
        offered = await _safeguarding(request).screen_participation(participation.id)
        if result.errors:
            context = round_page_context(round_, "section", locale, request)
            context.update(
                section_context(
                    round_, section, position, locale, result.answers or {}, data, result.errors
                )
            )
            context.update(await _support(request, participation.id, offered))
            return render_page(request, "section.html", locale, context, status=422)
        if switch_to is not None:
            # The same section in the other language, its content note already read.
            note = "note=read&" if section.has_content_note(switch_to) else ""
            return go(request, f"{_section_url(round_, position)}?{note}lang={switch_to}")
        target = position - 1 if action == "back" else position + 1
        if action == "back" and target < 1:
            return go(request, f"/r/{round_.slug}")
        if result.answers and not participation.code_shown:
            return go(request, f"/r/{round_.slug}/code?then={target}")
        return go(request, _section_url(round_, target))

    @post("/support-contact", name="round_support_contact", opt=POSTS)
    async def support_contact(
        self, request: Request, slug: FromPath[str], data: URLEncodedBody[FormData]
    ) -> Response:
        """A way to be contacted, left for the safeguarding lead only (or removed)."""
        round_, locale = await _open_round(request, slug)
        participation = await _participant(request, round_)
        if participation is None or not participation.support_offered:
            raise _bad_form()
        back = data.get("back", "")
        position = int(back) if back.isdigit() and len(back) < 4 else 0
        if not 1 <= position <= len(round_.sections):
            raise _bad_form()
        errors: list[FieldError] = []
        saved = False
        if data.get("action") == "remove":
            await _safeguarding(request).remove_contact(participation.id)
        else:
            try:
                saved = await _safeguarding(request).leave_contact(
                    participation.id, data.get("contact", "")[:1000]
                )
            except SafeguardingError as exc:
                errors = [FieldError("support-contact", exc.message, exc.params)]
        context = round_page_context(round_, "section", locale, request)
        context.update(position=position, contact_errors=errors, contact_saved=saved)
        context.update(await _support(request, participation.id, participation.support_offered))
        if is_htmx(request):
            return render_page(request, "section.html", locale, context, block="contact_form")
        if errors:
            section = round_.sections[position - 1]
            answers = await _service(request).answers(participation)
            context.update(section_context(round_, section, position, locale, answers, {}, []))
            context.update(errors=errors)
            return render_page(request, "section.html", locale, context, status=422)
        return go(request, f"{_section_url(round_, position)}#support-panel")

    @get("/code", name="round_code")
    async def code_page(self, request: Request, slug: FromPath[str]) -> Response:
        round_, locale = await _open_round(request, slug)
        participation = await _participant(request, round_)
        if participation is None:
            return Redirect(f"/r/{round_.slug}/resume")
        then = request.query_params.get("then", "")
        next_url = (
            _section_url(round_, int(then))
            if then.isascii() and then.isdigit() and len(then) <= 3
            else _section_url(round_, None)
        )
        code = None
        shown = participation.code_shown
        if not shown:
            answers = await _service(request).answers(participation)
            if answers:
                # Exactly one code per participation: if another load of this page
                # issued one at the same moment, that one works and this page offers
                # a new one rather than showing a code that doesn't.
                code = await _service(request).issue_code(participation)
                shown = True
        context = round_page_context(round_, "code", locale, request)
        context.update(code=code, next_url=next_url, participation=participation, shown=shown)
        return render_page(request, "code.html", locale, context)

    @post("/code", name="round_code_new", opt=POSTS)
    async def new_code(
        self, request: Request, slug: FromPath[str], data: URLEncodedBody[FormData]
    ) -> Response:
        round_, locale = await _open_round(request, slug)
        participation = await _participant(request, round_)
        if participation is None:
            return go(request, f"/r/{round_.slug}/resume")
        # Replacing the code makes the old one stop working, and ends the session on
        # any other device: only this browser carries on.
        replaced = await _service(request).replace_code(
            participation, request.cookies.get(_cookie_name(round_), "")
        )
        cookies = []
        code = None
        if replaced is not None:
            code, session = replaced
            cookies.append(_participant_cookie(request, round_, session))
        context = round_page_context(round_, "code", locale, request)
        context.update(
            code=code,
            next_url=_section_url(round_, None),
            participation=participation,
            shown=True,
        )
        return render_page(
            request, "code.html", locale, context, htmx_block="code_panel", cookies=cookies
        )

    @get("/review", name="round_review")
    async def review_page(self, request: Request, slug: FromPath[str]) -> Response:
        round_, locale = await _open_round(request, slug)
        participation = await _participant(request, round_)
        if participation is None:
            return Redirect(f"/r/{round_.slug}")
        if participation.status == "submitted":
            return Redirect(f"/r/{round_.slug}/thanks")
        answers = await _service(request).answers(participation)
        context = round_page_context(round_, "review", locale, request)
        context.update(review_context(round_, locale, answers), participation=participation)
        return render_page(request, "review.html", locale, context)

    @post("/review", name="round_submit", opt=POSTS)
    async def submit(
        self, request: Request, slug: FromPath[str], data: URLEncodedBody[FormData]
    ) -> Response:
        round_, locale = await _open_round(request, slug)
        participation = await _participant(request, round_)
        if participation is None:
            return go(request, f"/r/{round_.slug}")
        if data.get("may_quote") not in ("yes", "no"):
            raise _bad_form()
        may_quote = data["may_quote"] == "yes"
        if participation.status == "started":
            if data.get("action") == "submit":
                await _service(request).submit(participation, may_quote)
            else:
                await _service(request).set_may_quote(participation, may_quote)
                return go(request, f"/r/{round_.slug}/review")
        # Already submitted (a repeated click): the same thank-you page, nothing changed.
        return go(request, f"/r/{round_.slug}/thanks")

    @get("/thanks", name="round_thanks")
    async def thanks_page(self, request: Request, slug: FromPath[str]) -> Response:
        round_, locale = await _open_round(request, slug)
        participation = await _participant(request, round_)
        if participation is None or participation.status != "submitted":
            return Redirect(f"/r/{round_.slug}")
        context = round_page_context(round_, "thanks", locale, request)
        context.update(participation=participation)
        return render_page(request, "thanks.html", locale, context)

    @get("/resume", name="round_resume")
    async def resume_page(self, request: Request, slug: FromPath[str]) -> Response:
        round_, locale = await _open_round(request, slug)
        context = round_page_context(round_, "resume", locale, request)
        context.update(errors=[], code="")
        return render_page(request, "resume.html", locale, context)

    @post("/resume", name="round_resume_check", opt=CODES)
    async def resume(
        self, request: Request, slug: FromPath[str], data: URLEncodedBody[FormData]
    ) -> Response:
        round_, locale = await _open_round(request, slug)
        code = data.get("code", "")[:64]
        found = await _service(request).find_by_code(round_, code)
        if found is None:
            context = round_page_context(round_, "resume", locale, request)
            context.update(errors=[_code_error()], code=code)
            return render_page(
                request, "resume.html", locale, context, status=422, htmx_block="resume_form"
            )
        # A new session id for this device: the one used before shows nothing any more.
        session = await _service(request).resume(found)
        if session is None:
            context = round_page_context(round_, "resume", locale, request)
            context.update(errors=[_code_error()], code=code)
            return render_page(
                request, "resume.html", locale, context, status=422, htmx_block="resume_form"
            )
        cookie = _participant_cookie(request, round_, session)
        if found.status == "submitted":
            return go(request, f"/r/{round_.slug}/thanks", cookies=[cookie])
        answers = await _service(request).answers(found)
        return go(request, _section_url(round_, where_left_off(round_, answers)), cookies=[cookie])

    @get("/withdraw", name="round_withdraw")
    async def withdraw_page(self, request: Request, slug: FromPath[str]) -> Response:
        round_, locale = await _withdrawal_round(request, slug)
        context = round_page_context(round_, "withdraw", locale, request)
        context.update(errors=[], code="", step="code")
        return render_page(request, "withdraw.html", locale, context)

    @post("/withdraw", name="round_withdraw_check", opt=CODES)
    async def withdraw_check(
        self, request: Request, slug: FromPath[str], data: URLEncodedBody[FormData]
    ) -> Response:
        round_, locale = await _withdrawal_round(request, slug)
        code = data.get("code", "")[:64]
        found = await _service(request).find_by_code(round_, code)
        context = round_page_context(round_, "withdraw", locale, request)
        if found is None:
            context.update(errors=[_code_error()], code=code, step="code")
            return render_page(
                request, "withdraw.html", locale, context, status=422, htmx_block="withdraw_form"
            )
        answers = await _service(request).answers(found)
        if data.get("confirm") == "yes":
            await _service(request).withdraw(found)
            return go(
                request,
                f"/r/{round_.slug}/withdraw/done",
                cookies=[_participant_cookie(request, round_, "", clear=True)],
            )
        context.update(
            errors=[],
            code=code,
            step="confirm",
            participation=found,
            **review_context(round_, locale, answers),
        )
        return render_page(request, "withdraw.html", locale, context, htmx_block="withdraw_form")

    @get("/withdraw/done", name="round_withdrawn")
    async def withdrawn_page(self, request: Request, slug: FromPath[str]) -> Response:
        round_, locale = await _withdrawal_round(request, slug)
        context = round_page_context(round_, "withdrawn", locale, request)
        return render_page(request, "withdrawn.html", locale, context)


def _code_error() -> FieldError:
    return FieldError(
        "code", N_("That code didn't match. Check it and try again. It looks like K7QP-2MXR-9DFT.")
    )


def section_context(
    round_: Round,
    section: Section,
    position: int,
    locale: str,
    answers: dict,
    submitted: Form,
    errors: list[FieldError],
) -> dict[str, Any]:
    """What the section page shows: saved answers, or what was just sent when it failed.

    A choice question's value is the list of chosen values (option ids, "prefer_not").
    """
    values: dict[int, str | list[str]] = {}
    for question in section.questions:
        field = question_field(question.id)
        saved = answers.get(question.id)
        if question.is_choice:
            if any(e.field == field for e in errors):
                values[question.id] = form_values(submitted, field)
            else:
                values[question.id] = (saved.value or "").split(",") if saved else []
        elif any(e.field == field for e in errors):
            # give their words back, never cut
            values[question.id] = (form_values(submitted, field) or [""])[0]
        elif saved is not None:
            values[question.id] = (
                saved.value if question.kind == "agreement" else saved.text
            ) or ""
        else:
            values[question.id] = ""
    # Only this section's answers: a section nobody has touched says nothing about saving.
    saved_times = [answers[q.id].saved_at for q in section.questions if q.id in answers]
    return {
        "section": section,
        "st": section.texts[locale],
        "position": position,
        "values": values,
        "errors": errors,
        "last_saved": max(saved_times) if saved_times else None,
        # A fresh idempotency key per page; with JS, htmx replaces it per request.
        "save_key": new_save_key(),
        "prefer_not": PREFER_NOT,
        "question_field": question_field,
        "back_url": f"/r/{round_.slug}" if position == 1 else _section_url(round_, position - 1),
        # Language choices become submit buttons of this form, so switching keeps the text.
        "language_form": "section-form",
    }


def review_context(round_: Round, locale: str, answers: dict) -> dict[str, Any]:
    rows = []
    for section in round_.sections:
        items = []
        for question in section.questions:
            answer = answers.get(question.id)
            items.append((question, answer))
        rows.append((section, items))
    return {"review_rows": rows, "answer_count": len(answers)}
