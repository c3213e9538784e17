"""Organizer console: list, create and edit rounds, their sections, questions and translations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, URLEncodedBody

from codesign.i18n import N_, format_staff_moment, translations_for
from codesign.models import Round, RoundSettings
from codesign.services import readability
from codesign.services.accounts import clean_text
from codesign.services.errors import AccessDenied, FieldError, Refused, RoundMissing
from codesign.services.rounds.admin import RoundsAdmin
from codesign.services.rounds.forms import (
    CONTACT_FIELDS,
    MAX_CONTACTS,
    MAX_OPTIONS,
    MIN_OPTIONS,
    OPTION_LIMIT,
    QUESTION_FIELDS,
    QUESTION_KINDS,
    ROUND_FIELDS,
    SECTION_FIELDS,
    ZONE_REGIONS,
    parse_round_form,
    zone_choices,
)
from codesign.services.rounds.lifecycle import TRANSITIONS, effective_status, structure_locked
from codesign.services.rounds.texts import completeness, text_slots, translated
from codesign.settings import SUPPORTED_LOCALES
from codesign.web.common import PageError, go, is_htmx
from codesign.web.staff.common import (
    ANY_STAFF,
    BUILD,
    StaffRound,
    staff_locale,
    staff_page,
    staff_user,
)

FormData = dict[str, str]


def admin(request: Request) -> RoundsAdmin:
    return RoundsAdmin(request.app.state.db)


async def provide_staff_round(request: Request) -> tuple[Round, RoundSettings]:
    """The `staff_round` dependency: the route's round and its settings, loaded once per
    request with the standing the guard read."""
    return await load_round(request, int(request.path_params["round_id"]))


async def load_round(request: Request, round_id: int) -> tuple[Round, RoundSettings]:
    """The round if this person may see it: 404 if it doesn't exist, 403 if not theirs."""
    try:
        # the standing the guard read for this route: no second membership read
        standing = getattr(request.state, "standing", None)
        return await admin(request).round_for(staff_user(request), round_id, standing)
    except RoundMissing:
        raise PageError(
            404,
            N_("We can't find this round"),
            N_("It may have been removed. Go back to your rounds."),
            links=[("/staff/", N_("Go to your rounds"))],
        ) from None
    except AccessDenied:
        raise PageError(
            403,
            N_("This round is not one of yours"),
            N_("Only the staff on a round can see it. Ask an admin or its organizer to add you."),
            links=[("/staff/", N_("Go to your rounds"))],
        ) from None


def refused(round_: Round, exc: Refused) -> PageError:
    return PageError(
        409,
        N_("This change can't be made"),
        exc.message,
        exc.params,
        links=[(f"/staff/rounds/{round_.id}", N_("Back to the round"))],
    )


def round_url(round_: Round) -> str:
    return f"/staff/rounds/{round_.id}"


def _moment_input(value, tz: str) -> str:
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M") if value else ""


def round_form_values(round_: Round | None, settings: RoundSettings | None) -> dict[str, str]:
    """What the settings form shows for an existing round (or the defaults for a new one)."""
    values: dict[str, str] = {f: "" for f in ROUND_FIELDS}
    values.update(
        default_locale="en",
        timezone="Europe/London",
        opens_at="",
        closes_at="",
        response_due="",
        minutes_estimate="10",
        retention_days="365",
        region="",
        draft_days="30",
    )
    for i in range(MAX_CONTACTS):
        for f in CONTACT_FIELDS:
            values[f"contact{i}_{f}"] = ""
    if round_ is None or settings is None:
        values["offer_en"] = "yes"
        return values
    text = round_.texts.get(round_.default_locale)
    for f in ROUND_FIELDS:
        values[f] = getattr(text, f) if text else ""
    values.update(
        default_locale=round_.default_locale,
        timezone=round_.timezone,
        opens_at=_moment_input(round_.opens_at, round_.timezone),
        closes_at=_moment_input(round_.closes_at, round_.timezone),
        response_due=round_.response_due.isoformat() if round_.response_due else "",
        minutes_estimate=str(round_.minutes_estimate),
        retention_days=str(settings.retention_days),
        region=round_.region,
        draft_days=str(settings.draft_days),
    )
    for loc in settings.wanted_locales:
        values[f"offer_{loc}"] = "yes"
    for i, contact in enumerate(round_.contacts.get(round_.default_locale, [])[:MAX_CONTACTS]):
        for f in CONTACT_FIELDS:
            values[f"contact{i}_{f}"] = getattr(contact, f)
    return values


def _form_context(values: dict[str, str], errors: list[FieldError], **extra: Any) -> dict:
    return {
        "values": values,
        "errors": errors,
        "locales": SUPPORTED_LOCALES,
        "max_contacts": MAX_CONTACTS,
        "zones": zone_choices,
        "zone_regions": ZONE_REGIONS,
        "limits": {**ROUND_FIELDS, **{f"contact_{k}": v for k, v in CONTACT_FIELDS.items()}},
        **extra,
    }


def _when(value, round_: Round, locale: str) -> str:
    return format_staff_moment(value, locale, round_.timezone, round_.region) if value else ""


class Confirmation(msgspec.Struct, frozen=True):
    title: str
    explain: tuple[str, ...]
    yes: str
    no: str
    action: str
    fields: list[tuple[str, str]]
    back: str
    params: dict[str, str] = {}


#: Added to the main-language title of a copied round, in that language.
COPY_SUFFIX = N_("(copy)")

#: One-click actions that lose or end something ask first (`confirmed=yes`).
ASK_FIRST = {
    "closed": (
        N_("Close the round?"),
        (
            N_("Participants can't give or send answers after this, including people who "
               "have started and not sent theirs yet."),
            N_("You can open it again later, while it is not published."),
        ),
        N_("Yes, close the round"),
        N_("Keep it open"),
    ),
    "delete_round": (
        N_("Delete “%(title)s” and everything in it?"),
        (
            N_("Its answers (online and on paper), themes, board responses and "
               "safeguarding records are deleted for good, as if everyone had withdrawn."),
            N_("Export anything you need to keep first. The audit log keeps who did it."),
        ),
        N_("Yes, delete the round"),
        N_("Keep it"),
    ),
    "delete": (
        N_("Remove the section “%(title)s”?"),
        (N_("Its text, its questions and their translations are removed. This can't be undone."),),
        N_("Yes, remove the section"),
        N_("Keep it"),
    ),
    "delete_q": (
        N_("Remove the question “%(title)s”?"),
        (N_("The question and its translations are removed. This can't be undone."),),
        N_("Yes, remove the question"),
        N_("Keep it"),
    ),
}


def _confirmation(
    round_: Round, what: str, fields: list[tuple[str, str]], action: str, back: str, title=""
) -> Confirmation:
    heading, explain, yes, no = ASK_FIRST[what]
    return Confirmation(
        heading, explain, yes, no, action, fields, back, {"title": clean_text(title, 120)}
    )


def ask_first(request: Request, confirmation: Confirmation) -> Response:
    """The confirmation page; htmx is sent there as a whole page (it is a page of its own)."""
    if is_htmx(request):
        query = urlencode(confirmation.fields)
        return go(request, f"{confirmation.action}/confirm?{query}")
    return staff_page(request, "staff/confirm.html", {"confirm": confirmation})


class StaffRoundsController(Controller):
    path = "/"

    @get("/", name="staff_home", opt=ANY_STAFF)
    async def home(self, request: Request) -> Response:
        user = staff_user(request)
        rounds = await admin(request).rounds_for(user)
        settings = request.app.state.settings
        mine, escalated = await request.app.state.safeguarding.attention(
            user, timedelta(hours=settings.escalate_after_hours)
        )
        titles = {r.id: r.title for r in rounds}  # an admin's list has every round
        return staff_page(
            request,
            "staff/rounds.html",
            {
                "rounds": rounds,
                "effective_status": effective_status,
                "waiting": [a for a in mine if a.new or a.escalated],
                "escalated": escalated,
                "round_titles": titles,
                "mail_configured": bool(settings.smtp_host),
            },
        )

    @get("/rounds/new", name="staff_round_new", opt=BUILD)
    async def new_round_page(self, request: Request) -> Response:
        return staff_page(
            request, "staff/round_form.html", _form_context(round_form_values(None, None), [])
        )

    @post("/rounds/new", name="staff_round_create", opt=BUILD)
    async def create_round(self, request: Request, data: URLEncodedBody[FormData]) -> Response:
        parsed, errors = parse_round_form(data)
        if parsed is None:
            values = {**round_form_values(None, None), **_echo(data)}
            return staff_page(
                request,
                "staff/round_form.html",
                _form_context(values, errors),
                status=422,
                htmx_block="round_form",
            )
        round_id = await admin(request).create(staff_user(request), parsed)
        return go(request, f"/staff/rounds/{round_id}?done=created")

    @get("/rounds/{round_id:int}", name="staff_round", opt=ANY_STAFF)
    async def round_page(
        self, request: Request, round_id: FromPath[int], staff_round: StaffRound
    ) -> Response:
        round_, settings = staff_round
        context = await self._overview(request, round_, settings, [])
        return staff_page(request, "staff/round.html", context)

    async def _overview(
        self, request: Request, round_: Round, settings: RoundSettings, errors: list[FieldError]
    ) -> dict[str, Any]:
        locale = staff_locale(request)
        service = admin(request)
        languages = [completeness(round_, loc) for loc in settings.wanted_locales]
        return {
            "round": round_,
            # The round's own texts in the staff member's language where translated.
            "rt": round_.texts.get(locale) if locale in round_.locales
            else round_.texts.get(round_.default_locale),
            "rt_locale": locale if locale in round_.locales else round_.default_locale,
            "settings": settings,
            "status": effective_status(round_),
            "transitions": TRANSITIONS.get(round_.status, ()),
            "languages": languages,
            "locked": structure_locked(round_),
            "members": await service.members(round_.id),
            "errors": errors,
            "member_errors": [],
            "opens": _when(round_.opens_at, round_, locale),
            "closes": _when(round_.closes_at, round_, locale),
            "member_email": "",
        }

    @get("/rounds/{round_id:int}/edit", name="staff_round_edit", opt=BUILD)
    async def edit_round_page(
        self, request: Request, round_id: FromPath[int], staff_round: StaffRound
    ) -> Response:
        round_, settings = staff_round
        context = _form_context(round_form_values(round_, settings), [], round=round_)
        return staff_page(request, "staff/round_form.html", context)

    @post("/rounds/{round_id:int}/edit", name="staff_round_save", opt=BUILD)
    async def save_round(
        self,
        request: Request,
        round_id: FromPath[int],
        staff_round: StaffRound,
        data: URLEncodedBody[FormData],
    ) -> Response:
        round_, settings = staff_round
        parsed, errors = parse_round_form(data, round_)
        if parsed is None:
            values = {**round_form_values(None, None), **_echo(data)}
            return staff_page(
                request,
                "staff/round_form.html",
                _form_context(values, errors, round=round_),
                status=422,
                htmx_block="round_form",
            )
        try:
            await admin(request).update(staff_user(request), round_, parsed)
        except Refused as exc:
            raise refused(round_, exc) from None
        return go(request, f"{round_url(round_)}?done=saved")

    @post("/rounds/{round_id:int}/status", name="staff_round_status", opt=BUILD)
    async def change_status(
        self,
        request: Request,
        round_id: FromPath[int],
        staff_round: StaffRound,
        data: URLEncodedBody[FormData],
    ) -> Response:
        round_, settings = staff_round
        target = data.get("status", "")
        if (
            target == "closed"
            and target in TRANSITIONS.get(round_.status, ())
            and data.get("confirmed") != "yes"
        ):
            return ask_first(request, _status_confirmation(round_, target))
        try:
            problems = await admin(request).change_status(
                staff_user(request), round_, settings, target
            )
        except Refused as exc:
            raise refused(round_, exc) from None
        if problems:
            context = await self._overview(request, round_, settings, problems)
            return staff_page(
                request, "staff/round.html", context, status=422, htmx_block="lifecycle"
            )
        done = {"open": "opened", "closed": "closed", "published": "published"}.get(target, "draft")
        return go(request, f"{round_url(round_)}?done={done}")

    @get("/rounds/{round_id:int}/status/confirm", name="staff_round_status_confirm", opt=BUILD)
    async def confirm_status(
        self, request: Request, round_id: FromPath[int], staff_round: StaffRound
    ) -> Response:
        round_, settings = staff_round
        target = request.query_params.get("status", "")
        if target != "closed" or target not in TRANSITIONS.get(
            round_.status, ()
        ):  # nothing to ask (any more): the round as it is
            context = await self._overview(request, round_, settings, [])
            return staff_page(request, "staff/round.html", context)
        return ask_first(request, _status_confirmation(round_, target))

    @get(
        "/rounds/{round_id:int}/sections/{section_id:int}/confirm",
        name="staff_section_confirm",
        opt=BUILD,
    )
    async def confirm_section(
        self,
        request: Request,
        round_id: FromPath[int],
        staff_round: StaffRound,
        section_id: FromPath[int],
    ) -> Response:
        round_, _ = staff_round
        action = request.query_params.get("action", "")
        confirmation = _removal_confirmation(round_, section_id, action)
        if confirmation is None:  # nothing to ask (any more): the section as it is
            context = _section_context(round_, section_id, [])
            return staff_page(request, "staff/section.html", context)
        return ask_first(request, confirmation)

    @post("/rounds/{round_id:int}/duplicate", name="staff_round_duplicate", opt=BUILD)
    async def duplicate(
        self, request: Request, round_id: FromPath[int], staff_round: StaffRound
    ) -> Response:
        """Copy the round as a new draft, to run it again or adapt it."""
        round_, _ = staff_round
        words = translations_for(round_.default_locale)
        suffix = " " + words.gettext(COPY_SUFFIX)
        new_id = await admin(request).duplicate(staff_user(request), round_, suffix)
        return go(request, f"/staff/rounds/{new_id}?done=copied")

    @post("/rounds/{round_id:int}/delete", name="staff_round_delete", opt=BUILD)
    async def delete_round(
        self,
        request: Request,
        round_id: FromPath[int],
        staff_round: StaffRound,
        data: URLEncodedBody[FormData],
    ) -> Response:
        """Delete a round that is not open, with its data; asks first."""
        round_, _ = staff_round
        if round_.status == "open":
            raise refused(round_, Refused(N_("Close the round before you delete it.")))
        if data.get("confirmed") != "yes":
            title = round_.texts[round_.default_locale].title
            return ask_first(
                request,
                _confirmation(
                    round_, "delete_round", [], f"{round_url(round_)}/delete",
                    round_url(round_), title,
                ),
            )
        try:
            await admin(request).delete(staff_user(request), round_)
        except Refused as exc:
            raise refused(round_, exc) from None
        return go(request, "/staff/?done=round-deleted")

    @get("/rounds/{round_id:int}/delete/confirm", name="staff_round_delete_confirm", opt=BUILD)
    async def confirm_delete_round(
        self, request: Request, round_id: FromPath[int], staff_round: StaffRound
    ) -> Response:
        round_, settings = staff_round
        if round_.status == "open":
            context = await self._overview(request, round_, settings, [])
            return staff_page(request, "staff/round.html", context)
        title = round_.texts[round_.default_locale].title
        return ask_first(
            request,
            _confirmation(
                round_, "delete_round", [], f"{round_url(round_)}/delete", round_url(round_), title
            ),
        )

    @post("/rounds/{round_id:int}/members", name="staff_round_members", opt=BUILD)
    async def add_member(
        self,
        request: Request,
        round_id: FromPath[int],
        staff_round: StaffRound,
        data: URLEncodedBody[FormData],
    ) -> Response:
        round_, settings = staff_round
        error = await admin(request).add_member(
            staff_user(request), round_, data.get("member_email", "")
        )
        if error is not None:
            context = await self._overview(request, round_, settings, [error])
            context["member_email"] = data.get("member_email", "")[:254]
            return staff_page(
                request, "staff/round.html", context, status=422, htmx_block="members"
            )
        return go(request, f"{round_url(round_)}?done=saved#members")

    @post("/rounds/{round_id:int}/members/remove", name="staff_round_member_remove", opt=BUILD)
    async def remove_member(
        self,
        request: Request,
        round_id: FromPath[int],
        staff_round: StaffRound,
        data: URLEncodedBody[FormData],
    ) -> Response:
        round_, settings = staff_round
        member = data.get("user_id", "")
        if not member.isdecimal() or len(member) > 12:
            return go(request, f"{round_url(round_)}#members")
        error = await admin(request).remove_member(staff_user(request), round_, int(member))
        if error is not None:
            context = await self._overview(request, round_, settings, [])
            context["member_errors"] = [error]
            return staff_page(request, "staff/round.html", context, status=422)
        if int(member) == staff_user(request).id and staff_user(request).role != "admin":
            return go(request, "/staff/?done=member-removed")  # they took themselves off
        return go(request, f"{round_url(round_)}?done=member-removed#members")

    # Sections and questions ----------------------------------------------

    @get("/rounds/{round_id:int}/sections/new", name="staff_section_new", opt=BUILD)
    async def new_section_page(
        self, request: Request, round_id: FromPath[int], staff_round: StaffRound
    ) -> Response:
        round_, _ = staff_round
        return staff_page(
            request,
            "staff/section_new.html",
            {
                "round": round_,
                "values": {f: "" for f in SECTION_FIELDS},
                "limits": SECTION_FIELDS,
                "locked": structure_locked(round_),
            },
        )

    @post("/rounds/{round_id:int}/sections/new", name="staff_section_create", opt=BUILD)
    async def create_section(
        self,
        request: Request,
        round_id: FromPath[int],
        staff_round: StaffRound,
        data: URLEncodedBody[FormData],
    ) -> Response:
        round_, _ = staff_round
        try:
            section_id, errors = await admin(request).add_section(staff_user(request), round_, data)
        except Refused as exc:
            raise refused(round_, exc) from None
        if errors:
            return staff_page(
                request,
                "staff/section_new.html",
                {
                    "round": round_,
                    "values": _echo(data),
                    "limits": SECTION_FIELDS,
                    "errors": errors,
                    "locked": False,
                },
                status=422,
                htmx_block="section_form",
            )
        return go(request, f"{round_url(round_)}/sections/{section_id}?done=saved")

    @get("/rounds/{round_id:int}/sections/{section_id:int}", name="staff_section", opt=BUILD)
    async def section_page(
        self,
        request: Request,
        round_id: FromPath[int],
        staff_round: StaffRound,
        section_id: FromPath[int],
    ) -> Response:
        round_, _ = staff_round
        return staff_page(request, "staff/section.html", _section_context(round_, section_id, []))

    @post("/rounds/{round_id:int}/sections/{section_id:int}", name="staff_section_save", opt=BUILD)
    async def save_section(
        self,
        request: Request,
        round_id: FromPath[int],
        staff_round: StaffRound,
        section_id: FromPath[int],
        data: URLEncodedBody[FormData],
    ) -> Response:
        round_, _ = staff_round
        service, user = admin(request), staff_user(request)
        action = data.get("action", "")
        if (action == "delete" or action.startswith("delete_q")) and data.get(
            "confirmed"
        ) != "yes":
            try:
                service.check_draft(round_)
            except Refused as exc:
                raise refused(round_, exc) from None
            confirmation = _removal_confirmation(round_, section_id, action)
            if confirmation is not None:
                return ask_first(request, confirmation)
        try:
            if action == "up" or action == "down":
                await service.move_section(user, round_, section_id, -1 if action == "up" else 1)
                return go(request, f"{round_url(round_)}?done=saved#sections")
            if action == "delete":
                await service.delete_section(user, round_, section_id)
                return go(request, f"{round_url(round_)}?done=removed#sections")
            if action == "add_question":
                errors = await service.add_question(user, round_, section_id, data)
            elif action.startswith("delete_q") and action[8:].isdecimal():
                await service.delete_question(user, round_, int(action[8:]))
                errors = []
            elif action.startswith("save_q") and action[6:].isdecimal():
                errors = await service.edit_question(user, round_, int(action[6:]), data)
            else:
                errors = await service.edit_section(user, round_, section_id, data)
        except Refused as exc:
            raise refused(round_, exc) from None
        if errors:
            context = _section_context(round_, section_id, errors, _echo(data))
            return staff_page(
                request, "staff/section.html", context, status=422, htmx_block="section_editor"
            )
        return go(request, f"{round_url(round_)}/sections/{section_id}?done=saved")

    # Translations --------------------------------------------------------

    @get("/rounds/{round_id:int}/translate/{locale:str}", name="staff_translate", opt=BUILD)
    async def translate_page(
        self,
        request: Request,
        round_id: FromPath[int],
        staff_round: StaffRound,
        locale: FromPath[str],
    ) -> Response:
        round_, settings = staff_round
        _check_translation_locale(round_, locale)
        return staff_page(
            request, "staff/translate.html", _translate_context(round_, settings, locale, [], {})
        )

    @post("/rounds/{round_id:int}/translate/{locale:str}", name="staff_translate_save", opt=BUILD)
    async def save_translation(
        self,
        request: Request,
        round_id: FromPath[int],
        staff_round: StaffRound,
        locale: FromPath[str],
        data: URLEncodedBody[FormData],
    ) -> Response:
        round_, settings = staff_round
        _check_translation_locale(round_, locale)
        item = data.get("item", "")[:40]
        sent = _echo(data)
        try:
            errors = await admin(request).save_translation(
                staff_user(request), round_, locale, item, data
            )
        except Refused as exc:
            raise refused(round_, exc) from None
        if is_htmx(request):
            # Only the part that was saved is replaced: what is typed elsewhere stays.
            if not errors:
                round_, settings = await load_round(request, round_id)
            context = _translate_context(
                round_, settings, locale, errors, sent if errors else {},
                saved_item="" if errors else item,
            )
            part = next((g for g in context["groups"] if g[0] == item), None)
            if part is None:
                return go(request, f"{round_url(round_)}/translate/{locale}")
            context.update(group=part[0], where=part[1], slots=part[2], progress_oob=True)
            return staff_page(request, "staff/translate.html", context, block="part")
        if errors:
            context = _translate_context(round_, settings, locale, errors, sent)
            return staff_page(request, "staff/translate.html", context, status=422)
        round_, settings = await load_round(request, round_id)
        context = _translate_context(round_, settings, locale, [], sent, saved_item=item)
        if context["unsaved_groups"]:
            # Without JavaScript the whole page was sent: give back the text typed in
            # other parts rather than dropping it with a redirect.
            return staff_page(request, "staff/translate.html", context)
        return go(request, f"{round_url(round_)}/translate/{locale}?done=saved#{item}")


def _status_confirmation(round_: Round, target: str) -> Confirmation:
    return _confirmation(
        round_, target, [("status", target)], f"{round_url(round_)}/status", round_url(round_)
    )


def _removal_confirmation(round_: Round, section_id: int, action: str) -> Confirmation | None:
    """Asking before a section (action "delete") or a question ("delete_q<id>") goes."""
    section = next((s for s in round_.sections if s.id == section_id), None)
    if section is None or structure_locked(round_):
        return None
    url = f"{round_url(round_)}/sections/{section_id}"
    if action == "delete":
        title = section.texts[round_.default_locale].title
        return _confirmation(
            round_, "delete", [("action", action)], url, f"{round_url(round_)}#sections", title
        )
    if action.startswith("delete_q") and action[8:].isdecimal():
        question = next((q for q in section.questions if q.id == int(action[8:])), None)
        if question is None:
            return None
        text = question.texts.get(round_.default_locale)
        return _confirmation(
            round_, "delete_q", [("action", action)], url, url, text.prompt if text else ""
        )
    return None


def _echo(data: FormData) -> dict[str, str]:
    """What was sent, to give it back in the form (bounded, never cut silently below limits)."""
    return {k[:60]: v[:20000] for k, v in list(data.items())[:200] if k != "_csrf_token"}


def _check_translation_locale(round_: Round, locale: str) -> None:
    if locale not in SUPPORTED_LOCALES or locale == round_.default_locale:
        raise PageError(
            404,
            N_("We can't find this page"),
            N_("Choose a language from the round's page."),
            links=[(round_url(round_), N_("Back to the round"))],
        )


def _section_context(
    round_: Round, section_id: int, errors: list[FieldError], sent: dict[str, str] | None = None
) -> dict[str, Any]:
    section = next((s for s in round_.sections if s.id == section_id), None)
    if section is None:
        raise PageError(
            404,
            N_("We can't find this section"),
            N_("It may have been removed. Go back to the round."),
            links=[(round_url(round_), N_("Back to the round"))],
        )
    default = round_.default_locale
    st = section.texts[default]
    values = {f: getattr(st, f) for f in SECTION_FIELDS}
    for question in section.questions:
        qt = question.texts.get(default)
        for f in QUESTION_FIELDS:
            values[f"q{question.id}_{f}"] = getattr(qt, f) if qt else ""
        values[f"q{question.id}_options"] = "\n".join(
            option.labels.get(default, "") for option in question.options
        )
    values.update(kind="", prompt="", hint="", options="")
    if sent:
        values.update(sent)
    return {
        "round": round_,
        "section": section,
        "values": values,
        "errors": errors,
        "limits": {**SECTION_FIELDS, **QUESTION_FIELDS},
        "kinds": QUESTION_KINDS,
        "option_limits": {"low": MIN_OPTIONS, "high": MAX_OPTIONS, "limit": OPTION_LIMIT},
        "locked": structure_locked(round_),
        "correctable": structure_locked(round_) and round_.status in ("open", "closed"),
        "count": len(round_.sections),
        "readability": readability.check(f"{st.title}.\n{st.body_md}", default),
    }


def _translate_context(
    round_: Round,
    settings: RoundSettings,
    locale: str,
    errors: list[FieldError],
    sent: dict[str, str],
    saved_item: str = "",
) -> dict[str, Any]:
    groups: list[tuple[str, str, list]] = []
    unsaved: set[str] = set()
    for slot in text_slots(round_):
        group = "round" if slot.item.startswith("contact-") else slot.item
        if not groups or groups[-1][0] != group:
            groups.append((group, slot.where, []))
        name = f"{slot.item}_{slot.field}"
        stored = translated(round_, locale, slot)
        value = sent.get(name, stored) if sent else stored
        if group != saved_item and value.replace("\r\n", "\n").strip() != stored.strip():
            unsaved.add(group)
        groups[-1][2].append((slot, name, value))
    return {
        "round": round_,
        "target": locale,
        "source": round_.default_locale,
        "groups": groups,
        "done": completeness(round_, locale),
        "wanted": locale in settings.wanted_locales,
        "offered": locale in round_.locales,
        "errors": errors,
        "saved_item": saved_item,
        "unsaved_groups": unsaved,
        "translate_url": f"/staff/rounds/{round_.id}/translate/{locale}",
        "progress_oob": False,
        "readability": {
            f"section-{section.id}": readability.check(
                f"{section.texts[locale].title}.\n{section.texts[locale].body_md}", locale
            )
            for section in round_.sections
            if locale in section.texts
        },
        "long_fields": (
            "purpose",
            "readers",
            "next_steps",
            "data_use",
            "body_md",
            "description",
            "content_note",
        ),
    }
