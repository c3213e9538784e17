"""Organizer use cases: build a round in several languages, move it through its life.

Plain values in (forms are dicts of strings), structs and field errors out.

The rule for changes once a round has started (see `structure_locked`):
sections, questions and the default-language wording of the draft and the
questions can change only while the round is a draft. A round goes back to
draft only while it has no answers. So once anyone has answered, nothing that
changes the meaning of a question can change; translations, the round's
explanations, contacts and dates can still be corrected.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import msgspec

from codesign.i18n import N_, known_region, language_name
from codesign.models import (
    CHOICE_KINDS,
    Question,
    QuestionText,
    Round,
    RoundSettings,
    RoundSummary,
    RoundText,
    SectionText,
    StaffUser,
    SupportContact,
)
from codesign.services.access import Action, Standing, can, standing_for
from codesign.services.errors import AccessDenied, Refused, RoundMissing
from codesign.services.participation import FieldError
from codesign.settings import SUPPORTED_LOCALES
from codesign.store import audit
from codesign.store import rounds as round_store
from codesign.store import staff_rounds as store
from codesign.store import users as user_store
from codesign.store.db import Database, WriteConnection, utcnow

QUESTION_KINDS: tuple[str, ...] = ("agreement", "open_text", *CHOICE_KINDS)
#: Choices of a choice question: how many, and how long each label may be.
MIN_OPTIONS = 2
MAX_OPTIONS = 20
OPTION_LIMIT = 200
MAX_CONTACTS = 3
ROUND_FIELDS: dict[str, int] = {
    "title": 200,
    "organisation": 200,
    "purpose": 2000,
    "readers": 2000,
    "next_steps": 2000,
    "data_use": 2000,
}
CONTACT_FIELDS: dict[str, int] = {
    "name": 120,
    "phone": 40,
    "hours": 120,
    "url": 300,
    "description": 300,
    "languages": 120,
}
#: Contact fields written in words (translated); phone and link are the same everywhere.
CONTACT_WORDS = ("name", "hours", "description", "languages")
SECTION_FIELDS: dict[str, int] = {"title": 200, "body_md": 8000, "content_note": 600}
QUESTION_FIELDS: dict[str, int] = {"prompt": 300, "hint": 300}

_SLUG_ALPHABET = "abcdefghjkmnpqrstvwxyz23456789"

LABELS: dict[str, str] = {
    "title": N_("Title"),
    "organisation": N_("Organisation"),
    "purpose": N_("Why we are asking"),
    "readers": N_("Who will read the answers"),
    "next_steps": N_("What happens next"),
    "data_use": N_("How answers are kept"),
    "name": N_("Name"),
    "hours": N_("Opening hours"),
    "description": N_("What they help with"),
    "languages": N_("Languages spoken"),
    "body_md": N_("Text of the draft"),
    "content_note": N_("Content note"),
    "prompt": N_("Question"),
    "hint": N_("Hint"),
    "option": N_("Choice"),
}

_REQUIRED_MESSAGES: dict[str, str] = {
    "title": N_("Enter a title."),
    "organisation": N_("Enter the name of the organisation."),
    "purpose": N_("Say why you are asking."),
    "readers": N_("Say who will read the answers."),
    "next_steps": N_("Say what happens next."),
    "data_use": N_("Say how answers are kept and for how long."),
    "body_md": N_("Enter the text of this section of the draft."),
    "prompt": N_("Enter the question."),
    "name": N_("Enter the name of the contact."),
    "hours": N_("Enter the opening hours."),
    "description": N_("Say what they help with."),
}
_TOO_LONG = N_("This is %(count)s characters long. It can be up to %(limit)s.")


async def may(
    db: Database,
    user: StaffUser,
    action: Action,
    round_id: int,
    standing: Standing | None = None,
) -> bool:
    """The access policy's answer for this round (the standing read, unless given)."""
    if standing is None or standing.round_id != round_id:
        standing = await standing_for(db, user, round_id)
    return can(user, action, standing)


async def may_read_answers(
    db: Database, user: StaffUser, round_id: int, standing: Standing | None = None
) -> bool:
    """Raw answers (board pages, exports): see services.access, READ_ANSWERS."""
    return await may(db, user, Action.READ_ANSWERS, round_id, standing)


async def on_board(
    db: Database, user: StaffUser, round_id: int, standing: Standing | None = None
) -> bool:
    """The board's own voice (response, sign-off, quotes): services.access, SPEAK_FOR_BOARD."""
    return await may(db, user, Action.SPEAK_FOR_BOARD, round_id, standing)


class RoundInput(msgspec.Struct, frozen=True):
    text: RoundText
    default_locale: str
    wanted_locales: list[str]
    timezone: str
    opens_at: datetime | None
    closes_at: datetime | None
    response_due: date | None
    minutes_estimate: int
    retention_days: int
    contacts: list[SupportContact]
    region: str = ""
    draft_days: int = 30


class TextSlot(msgspec.Struct, frozen=True):
    """One text of a round that every offered language needs."""

    item: str  # "round", "contact-0", "section-12", "question-40"
    field: str
    source: str  # the default language's text
    label: str  # message id of the field's name
    where: str  # e.g. "Section 2" (plain, not translated: numbers and names)
    number: int = 0  # a choice's number within its question (0: not a choice)


class Completeness(msgspec.Struct, frozen=True):
    locale: str
    total: int
    done: int
    missing: list[TextSlot]

    @property
    def complete(self) -> bool:
        return self.done == self.total

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else self.done * 100 // self.total


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


#: Time-zone regions, in the order the picker shows them (names translated by gettext).
ZONE_REGIONS = {
    "Europe": N_("Europe"),
    "America": N_("Americas"),
    "Africa": N_("Africa"),
    "Asia": N_("Asia"),
    "Australia": N_("Australia"),
    "Pacific": N_("Pacific"),
    "Atlantic": N_("Atlantic"),
    "Indian": N_("Indian Ocean"),
    "Antarctica": N_("Antarctica"),
    "Arctic": N_("Arctic"),
}


@cache
def zone_choices(locale: str) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """The time zones to choose from, grouped by region: (region, ((zone id, label)…)).
    A label is the place and its country's time in the staff member's language
    ("London – توقيت المملكة المتحدة"), so a zone can be found by either."""
    from babel.dates import get_timezone_location

    groups = []
    for region in ZONE_REGIONS:
        zones = sorted(z for z in _zones() if z.split("/", 1)[0] == region)
        choices = []
        for zone in zones:
            place = zone.rsplit("/", 1)[-1].replace("_", " ")
            try:
                where = get_timezone_location(zone, locale=locale)
            except (LookupError, ValueError):
                where = ""
            choices.append((zone, f"{place} – {where}" if where else place))
        groups.append((region, tuple(choices)))
    groups.append(("Other", (("UTC", "UTC"),)))
    return tuple(groups)


def _text(form: Mapping[str, str], name: str) -> str:
    return form.get(name, "").replace("\r\n", "\n").strip()


def _check_length(errors: list[FieldError], field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        errors.append(FieldError(field, _TOO_LONG, {"count": len(value), "limit": limit}))


#: The years a round's dates may fall in.
FIRST_YEAR = 2000
LAST_YEAR = 2200


def _parse_moment(
    errors: list[FieldError], form: Mapping[str, str], field: str, tz: ZoneInfo | None
) -> datetime | None:
    raw = _text(form, field)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw[:30])
    except ValueError:
        errors.append(FieldError(field, N_("Enter the date and time like 2027-03-31 17:00.")))
        return None
    # Far years can't be turned into UTC (0001-01-01 in Tokyo is in year 0) and no
    # round runs for centuries: a calm message instead.
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        errors.append(
            FieldError(
                field,
                N_("Choose a date between the years %(first)s and %(last)s."),
                {"first": str(FIRST_YEAR), "last": str(LAST_YEAR)},
            )
        )
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz or ZoneInfo("UTC"))
    return value


def parse_round_form(
    form: Mapping[str, str], existing: Round | None = None
) -> tuple[RoundInput | None, list[FieldError]]:
    """Check a round's settings form; every problem found at once, nothing saved."""
    errors: list[FieldError] = []
    values = {name: _text(form, name) for name in ROUND_FIELDS}
    for name, limit in ROUND_FIELDS.items():
        if not values[name]:
            errors.append(FieldError(name, _REQUIRED_MESSAGES[name]))
        _check_length(errors, name, values[name], limit)
    default_locale = form.get("default_locale", "")
    if default_locale not in SUPPORTED_LOCALES:
        errors.append(FieldError("default_locale", N_("Choose the round's main language.")))
        default_locale = "en"
    wanted = [
        loc
        for loc in SUPPORTED_LOCALES
        if form.get(f"offer_{loc}") == "yes" or loc == default_locale
    ]
    timezone = _text(form, "timezone")[:64] or "UTC"
    tz: ZoneInfo | None = None
    if timezone not in _zones():
        errors.append(FieldError("timezone", N_("Enter a time zone like Europe/London.")))
    else:
        tz = ZoneInfo(timezone)
    opens_at = _parse_moment(errors, form, "opens_at", tz)
    closes_at = _parse_moment(errors, form, "closes_at", tz)
    if closes_at is None and not any(e.field == "closes_at" for e in errors):
        errors.append(FieldError("closes_at", N_("Enter the date and time the round closes.")))
    now = utcnow()
    status = existing.status if existing else "draft"
    if closes_at and status in ("draft", "open") and closes_at <= now:
        if existing is None or existing.closes_at != closes_at:
            errors.append(
                FieldError(
                    "closes_at",
                    N_("The closing date is in the past. Choose a date and time after now."),
                )
            )
    if opens_at and closes_at and closes_at <= opens_at:
        errors.append(
            FieldError("closes_at", N_("The closing date must be after the opening date."))
        )
    response_due = None
    raw_due = _text(form, "response_due")
    if raw_due:
        try:
            response_due = date.fromisoformat(raw_due[:10])
        except ValueError:
            errors.append(FieldError("response_due", N_("Enter the date like 2027-05-31.")))
        else:
            if closes_at and tz and response_due < closes_at.astimezone(tz).date():
                errors.append(
                    FieldError(
                        "response_due",
                        N_("The board's response date must be on or after the closing date."),
                    )
                )
    minutes = _number(errors, form, "minutes_estimate", 1, 120, 10)
    retention = _number(errors, form, "retention_days", 30, 3650, 365)
    draft_days = _number(errors, form, "draft_days", 1, 365, 30)
    region = _text(form, "region")[:8].upper()
    if region and not known_region(region):
        errors.append(
            FieldError("region", N_("Enter a two-letter country code like GB, or leave it empty."))
        )
    contacts = _parse_contacts(errors, form)
    if existing is not None and existing.default_locale != default_locale:
        if existing.status != "draft":
            errors.append(
                FieldError(
                    "default_locale",
                    N_("The main language can change only while the round is a draft."),
                )
            )
    if errors:
        return None, errors
    return (
        RoundInput(
            text=RoundText(locale=default_locale, **values),
            default_locale=default_locale,
            wanted_locales=wanted,
            timezone=timezone,
            opens_at=opens_at,
            closes_at=closes_at,
            response_due=response_due,
            minutes_estimate=minutes,
            retention_days=retention,
            contacts=contacts,
            region=region,
            draft_days=draft_days,
        ),
        [],
    )


def _number(
    errors: list[FieldError], form: Mapping[str, str], field: str, low: int, high: int, default: int
) -> int:
    raw = _text(form, field)
    if not raw:
        return default
    if raw.isdecimal() and low <= int(raw) <= high:
        return int(raw)
    errors.append(
        FieldError(
            field, N_("Enter a whole number from %(low)s to %(high)s."), {"low": low, "high": high}
        )
    )
    return default


def _parse_contacts(errors: list[FieldError], form: Mapping[str, str]) -> list[SupportContact]:
    contacts = []
    for i in range(MAX_CONTACTS):
        values = {f: _text(form, f"contact{i}_{f}") for f in CONTACT_FIELDS}
        if not any(values.values()):
            continue
        for f, limit in CONTACT_FIELDS.items():
            _check_length(errors, f"contact{i}_{f}", values[f], limit)
        if not values["name"]:
            errors.append(FieldError(f"contact{i}_name", N_("Enter the name of the contact.")))
        if not values["phone"] and not values["url"]:
            errors.append(
                FieldError(f"contact{i}_phone", N_("Enter a phone number or a web address."))
            )
        if values["url"] and not values["url"].startswith(("https://", "http://")):
            errors.append(
                FieldError(f"contact{i}_url", N_("Enter a web address that starts with https://"))
            )
        contacts.append(SupportContact(**values))
    return contacts


def text_slots(round_: Round) -> list[TextSlot]:
    """Every text a language needs before it can be offered, from the default language."""
    default = round_.default_locale
    slots: list[TextSlot] = []
    rt = round_.texts.get(default)
    if rt is not None:
        for field in ROUND_FIELDS:
            slots.append(TextSlot("round", field, getattr(rt, field), LABELS[field], ""))
    for i, contact in enumerate(round_.contacts.get(default, [])):
        for field in CONTACT_WORDS:
            value = getattr(contact, field)
            if value:
                slots.append(TextSlot(f"contact-{i}", field, value, LABELS[field], contact.name))
    for section in round_.sections:
        st = section.texts.get(default)
        if st is None:
            continue
        for field in SECTION_FIELDS:
            value = getattr(st, field)
            if value or field != "content_note":
                slots.append(
                    TextSlot(
                        f"section-{section.id}", field, value, LABELS[field], str(section.position)
                    )
                )
        for question in section.questions:
            qt = question.texts.get(default)
            if qt is None:
                continue
            for field in QUESTION_FIELDS:
                value = getattr(qt, field)
                if value or field == "prompt":
                    slots.append(
                        TextSlot(
                            f"question-{question.id}",
                            field,
                            value,
                            LABELS[field],
                            f"{section.position}.{question.position}",
                        )
                    )
            for option in question.options:
                slots.append(
                    TextSlot(
                        f"question-{question.id}",
                        f"option-{option.id}",
                        option.labels.get(default, ""),
                        LABELS["option"],
                        f"{section.position}.{question.position}",
                        option.position,
                    )
                )
    return slots


def translated(round_: Round, locale: str, slot: TextSlot) -> str:
    kind, _, ident = slot.item.partition("-")
    if kind == "round":
        rt = round_.texts.get(locale)
        return getattr(rt, slot.field) if rt else ""
    if kind == "contact":
        contacts = round_.contacts.get(locale, [])
        index = int(ident)
        return getattr(contacts[index], slot.field) if index < len(contacts) else ""
    for section in round_.sections:
        if kind == "section" and section.id == int(ident):
            st = section.texts.get(locale)
            return getattr(st, slot.field) if st else ""
        for question in section.questions:
            if kind == "question" and question.id == int(ident):
                if slot.field.startswith("option-"):
                    option_id = int(slot.field[7:])
                    for option in question.options:
                        if option.id == option_id:
                            return option.labels.get(locale, "")
                    return ""
                qt = question.texts.get(locale)
                return getattr(qt, slot.field) if qt else ""
    return ""


def completeness(round_: Round, locale: str) -> Completeness:
    slots = text_slots(round_)
    missing = [s for s in slots if s.source.strip() and not translated(round_, locale, s).strip()]
    return Completeness(locale, len(slots), len(slots) - len(missing), missing)


def offered_locales(round_: Round, wanted: list[str]) -> list[str]:
    return [
        loc
        for loc in SUPPORTED_LOCALES
        if loc == round_.default_locale or (loc in wanted and completeness(round_, loc).complete)
    ]


def structure_locked(round_: Round) -> bool:
    """Sections, questions and their default wording change only in a draft."""
    return round_.status != "draft"


def effective_status(round_: Round | RoundSummary, now: datetime | None = None) -> str:
    """What participants meet: "scheduled" before opening, "ended" after the closing date."""
    now = now or utcnow()
    if round_.status == "open":
        if round_.opens_at and now < round_.opens_at:
            return "scheduled"
        if round_.closes_at and now >= round_.closes_at:
            return "ended"
    return round_.status


def new_slug() -> str:
    return "".join(secrets.choice(_SLUG_ALPHABET) for _ in range(8))


TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("open",),
    "open": ("closed", "draft"),
    # "published" is the board's publication (services.publishing), with its checklist
    # and confirmation: never a status the round page sets on its own.
    "closed": ("open",),
    "published": (),
}


#: What a structure change returns when the round was no longer a draft at its write.
_NOT_DRAFT = object()


def _no_longer_draft() -> Refused:
    return Refused(
        N_(
            "This round is no longer a draft, so its sections and questions can't "
            "change: that would change what people answered. You can still correct "
            "translations, explanations, contacts and dates."
        )
    )


class RoundsAdmin:
    def __init__(self, db: Database) -> None:
        self.db = db

    # Access --------------------------------------------------------------

    async def rounds_for(self, user: StaffUser) -> list[RoundSummary]:
        return await store.list_rounds(self.db, None if user.role == "admin" else user.id)

    async def id_for_slug(self, slug: str) -> int | None:
        return await store.id_for_slug(self.db, slug)

    async def standing(self, user: StaffUser, round_id: int) -> Standing | None:
        """The person's standing on the round (services.access); None: no such round."""
        return await standing_for(self.db, user, round_id)

    async def authorised_round(
        self,
        user: StaffUser,
        round_id: int,
        action: Action = Action.OPEN_ROUND,
        standing: Standing | None = None,
    ) -> Round:
        """The round, if the access policy lets this person do `action` on it.

        RoundMissing if there is no such round, AccessDenied if it is not theirs to do;
        with the `standing` the caller already read (the staff guard), no second read.
        """
        if standing is None or standing.round_id != round_id:
            standing = await standing_for(self.db, user, round_id)
        if standing is None:
            raise RoundMissing(round_id)
        if not can(user, action, standing):
            raise AccessDenied(round_id)
        round_ = await round_store.load_round(self.db, standing.slug)
        if round_ is None:
            raise RoundMissing(round_id)
        return round_

    async def round_for(
        self, user: StaffUser, round_id: int, standing: Standing | None = None
    ) -> tuple[Round, RoundSettings]:
        round_ = await self.authorised_round(user, round_id, Action.OPEN_ROUND, standing)
        settings = await store.settings_for(self.db, round_id)
        if settings is None:
            raise RoundMissing(round_id)
        return round_, settings

    async def members(self, round_id: int) -> list[StaffUser]:
        return await user_store.members(self.db, round_id)

    async def add_member(self, user: StaffUser, round_: Round, email: str) -> FieldError | None:
        found = await user_store.by_email(self.db, email.strip().lower()[:254])
        if found is None:
            return FieldError(
                "member_email",
                N_("There is no staff account with this email. Ask an admin to create one."),
            )

        async def work(conn: WriteConnection) -> None:
            if await user_store.add_member_in(conn, round_.id, found[0].id):
                await self._audit_in(conn, user, "member_added", round_.id, found[0].email)

        await self.db.write(work)
        return None

    async def remove_member(
        self, user: StaffUser, round_: Round, member_id: int
    ) -> FieldError | None:
        """Take someone off the round: at once they can't open its pages or read its answers."""
        outcome = await user_store.remove_member_checked(
            self.db, round_.id, member_id, user_store.Actor(user.email, user.id)
        )
        if outcome == "lead":
            return FieldError(
                f"member-{member_id}",
                N_("They are this round's safeguarding lead or deputy. Choose someone else "
                   "in the board settings first."),
            )
        return None

    @staticmethod
    async def _audit_in(
        conn: WriteConnection, user: StaffUser, action: str, round_id: int | None, detail: str = ""
    ) -> None:
        """The entry for a change, in the change's own transaction."""
        from codesign.services.accounts import clean_text

        await audit.add_in(
            conn, user.email, action, clean_text(detail), user_id=user.id, round_id=round_id
        )

    # Round settings ------------------------------------------------------

    async def create(self, user: StaffUser, data: RoundInput) -> int:
        async def work(conn: WriteConnection) -> int:
            round_id = None
            # a link already taken (even by a round created a moment ago) is never an
            # error: the insert is the check, and another is drawn
            while round_id is None:
                round_id = await store.create_draft_in(
                    conn,
                    slug=new_slug(),
                    default_locale=data.default_locale,
                    wanted_locales=data.wanted_locales,
                    timezone=data.timezone,
                    opens_at=data.opens_at,
                    closes_at=data.closes_at,
                    response_due=data.response_due,
                    minutes_estimate=data.minutes_estimate,
                    retention_days=data.retention_days,
                    text=data.text,
                    contacts=data.contacts,
                    member_id=user.id,
                    region=data.region,
                    draft_days=data.draft_days,
                )
            await self._audit_in(conn, user, "round_created", round_id, data.text.title)
            return round_id

        return await self.db.write(work)

    async def duplicate(self, user: StaffUser, round_: Round, suffix: str) -> int:
        """A new draft copied from the round (texts in every language, sections,
        questions, choices); no dates, answers or board settings. Returns its id.
        The copy, its audit entry and the languages it offers are one write."""

        async def work(conn: WriteConnection) -> int:
            new_id = None
            while new_id is None:  # a taken link: another is drawn (the insert checks)
                slug = new_slug()
                new_id = await store.copy_round_in(conn, round_.id, slug, suffix[:40], user.id)
            await self._audit_in(conn, user, "round_copied", new_id, f"copy of round {round_.id}")
            await self._offered_in(conn, new_id, slug)
            return new_id

        return await self.db.write(work)

    async def delete(self, user: StaffUser, round_: Round) -> int:
        """Delete a round that is not open, with all its answers. Answers deleted."""
        from codesign.services import erasure
        from codesign.services.accounts import clean_text

        if round_.status == "open":
            raise Refused(N_("Close the round before you delete it."))
        title = round_.texts[round_.default_locale].title
        deleted = await erasure.delete_round(
            self.db, round_.id, await store.participation_ids(self.db, round_.id),
            user.email, user.id, clean_text(title, 120),
        )
        if deleted is None:
            raise Refused(N_("Close the round before you delete it."))
        return deleted

    async def update(self, user: StaffUser, round_: Round, data: RoundInput) -> None:
        """The round's settings, the contacts' phone numbers and links in every language,
        the languages offered and the audit entry: one write."""

        async def work(conn: WriteConnection) -> None:
            await store.update_round_in(
                conn,
                round_.id,
                default_locale=data.default_locale,
                wanted_locales=data.wanted_locales,
                timezone=data.timezone,
                opens_at=data.opens_at,
                closes_at=data.closes_at,
                response_due=data.response_due,
                minutes_estimate=data.minutes_estimate,
                retention_days=data.retention_days,
                text=data.text,
                contacts=data.contacts,
                region=data.region,
                draft_days=data.draft_days,
            )
            # Phone numbers and links are the same in every language: copy them across.
            fresh = await store.load_round_in(conn, round_.slug)
            assert fresh is not None
            contacts = dict(fresh.contacts)
            for locale in fresh.contacts:
                if locale == data.default_locale:
                    continue
                contacts[locale] = _contacts_in(fresh, locale, {})
                await store.save_translation_in(
                    conn, round_.id, locale, contacts=contacts[locale]
                )
            fresh = msgspec.structs.replace(fresh, contacts=contacts)
            await self._audit_in(conn, user, "round_settings_changed", round_.id)
            await self._offered_in(conn, round_.id, round_.slug, fresh)

        await self.db.write(work)

    async def _offered_in(
        self, conn: WriteConnection, round_id: int, slug: str, fresh: Round | None = None
    ) -> None:
        """Inside the write that changed the round: the languages offered, from the round
        as this write leaves it (`fresh`, or read again), so they never lag its texts."""
        if fresh is None:
            fresh = await store.load_round_in(conn, slug)
        settings = await store.settings_in(conn, round_id)
        if fresh is None or settings is None:
            return
        offered = offered_locales(fresh, settings.wanted_locales)
        if offered != fresh.locales:
            await store.set_offered_in(conn, round_id, offered)

    # Translations --------------------------------------------------------

    async def save_translation(
        self, user: StaffUser, round_: Round, locale: str, item: str, form: Mapping[str, str]
    ) -> list[FieldError]:
        """Save one block of translated text. While the round is open, an offered
        language must stay complete: a blank there is refused and nothing changes."""
        if locale not in SUPPORTED_LOCALES or locale == round_.default_locale:
            raise Refused(N_("Choose one of the round's other languages."))
        slots = [s for s in text_slots(round_) if _item_group(s.item) == item]
        if not slots:
            raise Refused(N_("This text is not part of the round any more. Reload the page."))
        errors: list[FieldError] = []
        values: dict[tuple[str, str], str] = {}
        for slot in slots:
            name = f"{slot.item}_{slot.field}"
            value = _text(form, name)
            _check_length(errors, name, value, _limit(slot))
            values[(slot.item, slot.field)] = value
        keeps_offer = round_.status == "open" and locale in round_.locales
        if keeps_offer:
            for slot in slots:
                if slot.source.strip() and not values[(slot.item, slot.field)]:
                    errors.append(
                        FieldError(
                            f"{slot.item}_{slot.field}",
                            N_(
                                "Participants can choose this language now, so every text "
                                "needs a translation. Write one, or stop offering the "
                                "language in the round's settings first."
                            ),
                        )
                    )
        if errors:
            return errors
        kwargs = _translation_parts(round_, locale, item, values)

        async def work(conn: WriteConnection) -> None:
            await store.save_translation_in(conn, round_.id, locale, **kwargs)
            await self._audit_in(conn, user, "translation_changed", round_.id, f"{locale} {item}")
            await self._offered_in(conn, round_.id, round_.slug)

        await self.db.write(work)
        return []

    # Sections and questions ----------------------------------------------

    def check_draft(self, round_: Round) -> None:
        """Refused (and why) if the round's structure can't change any more."""
        self._require_draft(round_)

    def _require_draft(self, round_: Round) -> None:
        if structure_locked(round_):
            raise _no_longer_draft()

    async def _structure_change(self, round_: Round, change) -> Any:
        """Run `change(conn)` in one write that first checks, in the write itself, that the
        round is still a draft (and holds it until the commit: see `lock_draft_in`);
        Refused, calmly, if it was opened meanwhile."""

        async def work(conn: WriteConnection):
            if not await store.lock_draft_in(conn, round_.id):
                return _NOT_DRAFT
            return await change(conn)

        done = await self.db.write(work)
        if done is _NOT_DRAFT:
            raise _no_longer_draft()
        return done

    async def add_section(
        self, user: StaffUser, round_: Round, form: Mapping[str, str]
    ) -> tuple[int | None, list[FieldError]]:
        self._require_draft(round_)
        text, errors = _section_text(form, round_.default_locale)
        if errors or text is None:
            return None, errors

        async def change(conn: WriteConnection) -> int:
            section_id = await store.add_section_in(conn, round_.id, text)
            await self._audit_in(conn, user, "section_added", round_.id, text.title)
            # derived from the round as it now is (which languages are complete)
            await self._offered_in(conn, round_.id, round_.slug)
            return section_id

        section_id = await self._structure_change(round_, change)
        return section_id, []

    async def edit_section(
        self, user: StaffUser, round_: Round, section_id: int, form: Mapping[str, str]
    ) -> list[FieldError]:
        if structure_locked(round_):
            return await self._correct_section(user, round_, section_id, form)
        _section(round_, section_id)
        text, errors = _section_text(form, round_.default_locale)
        if errors or text is None:
            return errors

        async def change(conn: WriteConnection) -> None:
            # still a draft at this write (else its wording is corrected, with revisions)
            await store.save_translation_in(
                conn, round_.id, round_.default_locale, sections={section_id: text}
            )
            await self._audit_in(conn, user, "section_changed", round_.id, text.title)
            await self._offered_in(conn, round_.id, round_.slug)

        await self._structure_change(round_, change)
        return []

    async def move_section(
        self, user: StaffUser, round_: Round, section_id: int, step: int
    ) -> None:
        self._require_draft(round_)
        section = _section(round_, section_id)
        detail = f"{section.position} -> {section.position + step}"

        async def change(conn: WriteConnection) -> None:
            # positions are read inside the write, with the round held (lock_draft_in)
            if await store.move_section_in(conn, round_.id, section_id, step):
                await self._audit_in(conn, user, "section_moved", round_.id, detail)

        await self._structure_change(round_, change)

    async def delete_section(self, user: StaffUser, round_: Round, section_id: int) -> None:
        self._require_draft(round_)
        section = _section(round_, section_id)

        async def change(conn: WriteConnection) -> None:
            # only while the round is a draft at this write: an opened round keeps its
            # sections and the answers given to them
            if await store.delete_section_in(conn, round_.id, section_id):
                await self._audit_in(
                    conn, user, "section_removed", round_.id, str(section.position)
                )
                await self._offered_in(conn, round_.id, round_.slug)

        await self._structure_change(round_, change)

    async def add_question(
        self, user: StaffUser, round_: Round, section_id: int, form: Mapping[str, str]
    ) -> list[FieldError]:
        self._require_draft(round_)
        _section(round_, section_id)
        kind = form.get("kind", "")
        errors: list[FieldError] = []
        if kind not in QUESTION_KINDS:
            errors.append(FieldError("kind", N_("Choose the kind of question.")))
        text, text_errors = _question_text(form, round_.default_locale)
        errors += text_errors
        options: list[str] = []
        if kind in CHOICE_KINDS:
            options = _parse_options(errors, form, "options")
        if errors or text is None:
            return errors

        async def change(conn: WriteConnection) -> int | None:
            question_id = await store.add_question_in(
                conn, round_.id, section_id, kind, text, options
            )
            if question_id is not None:
                await self._audit_in(conn, user, "question_added", round_.id, text.prompt)
                await self._offered_in(conn, round_.id, round_.slug)
            return question_id

        if await self._structure_change(round_, change) is None:
            raise Refused(N_("This text is not part of the round any more. Reload the page."))
        return []

    async def edit_question(
        self, user: StaffUser, round_: Round, question_id: int, form: Mapping[str, str]
    ) -> list[FieldError]:
        if structure_locked(round_):
            return await self._correct_question(user, round_, question_id, form)
        question = round_.question(question_id)
        if question is None:
            raise Refused(N_("This text is not part of the round any more. Reload the page."))
        text, errors = _question_text(form, round_.default_locale, prefix=f"q{question_id}_")
        options: list[str] = []
        if question.is_choice:
            options = _parse_options(errors, form, f"q{question_id}_options")
        if errors or text is None:
            return errors

        async def change(conn: WriteConnection) -> None:
            # still a draft at this write (else its wording is corrected, with revisions)
            await store.save_translation_in(
                conn, round_.id, round_.default_locale, questions={question_id: text}
            )
            if question.is_choice:
                await store.set_options_in(conn, question_id, round_.default_locale, options)
            await self._audit_in(conn, user, "question_changed", round_.id, text.prompt)
            await self._offered_in(conn, round_.id, round_.slug)

        await self._structure_change(round_, change)
        return []

    # Correcting wording after opening -----------------------------------

    def _require_correctable(self, round_: Round) -> None:
        if round_.status not in ("open", "closed"):
            raise Refused(
                N_(
                    "This round is published, so its texts stay as people read them. "
                    "Nothing was changed."
                )
            )

    async def _save_corrections(
        self, user: StaffUser, round_: Round, revisions: list, action: str, detail: str
    ) -> list[FieldError]:
        if not revisions:
            return []

        async def work(conn: WriteConnection) -> bool:
            # still open or closed at this write: the check is the update that holds it
            if not await store.lock_correctable_in(conn, round_.id):
                return False
            await store.correct_wording_in(
                conn, round_.id, round_.default_locale, revisions, actor=user.email,
                user_id=user.id,
            )
            await self._audit_in(conn, user, action, round_.id, detail)
            return True

        if not await self.db.write(work):  # published meanwhile: nothing was written
            self._require_correctable(msgspec.structs.replace(round_, status="published"))
        return []

    async def _correct_section(
        self, user: StaffUser, round_: Round, section_id: int, form: Mapping[str, str]
    ) -> list[FieldError]:
        """While open or closed: the main language's wording of a section can be corrected
        (a typo, a clearer word); what it said before is kept."""
        self._require_correctable(round_)
        section = _section(round_, section_id)
        text, errors = _section_text(form, round_.default_locale)
        if errors or text is None:
            return errors
        old = section.texts[round_.default_locale]
        revisions = [
            store.Revision("section", section_id, f, getattr(old, f), getattr(text, f))
            for f in SECTION_FIELDS
            if getattr(old, f) != getattr(text, f)
        ]
        fields = ", ".join(r.field for r in revisions)
        return await self._save_corrections(
            user, round_, revisions, "section_wording_corrected",
            f"section {section.position}: {fields}; was: {old.title}",
        )

    async def _correct_question(
        self, user: StaffUser, round_: Round, question_id: int, form: Mapping[str, str]
    ) -> list[FieldError]:
        self._require_correctable(round_)
        question = round_.question(question_id)
        if question is None:
            raise Refused(N_("This text is not part of the round any more. Reload the page."))
        prefix = f"q{question_id}_"
        text, errors = _question_text(form, round_.default_locale, prefix=prefix)
        labels: list[str] = []
        if question.is_choice:
            labels = _parse_options(errors, form, f"{prefix}options")
            if not errors and len(labels) != len(question.options):
                errors.append(
                    FieldError(
                        f"{prefix}options",
                        N_(
                            "The round is open, so the choices stay the same: you can "
                            "correct their words, but not add or remove one. Keep "
                            "%(count)s lines."
                        ),
                        {"count": len(question.options)},
                    )
                )
        if errors or text is None:
            return errors
        default = round_.default_locale
        old = question.texts.get(default)
        revisions = [
            store.Revision("question", question_id, f, getattr(old, f) if old else "",
                           getattr(text, f))
            for f in QUESTION_FIELDS
            if (getattr(old, f) if old else "") != getattr(text, f)
        ]
        for option, label in zip(question.options, labels, strict=False):
            if option.labels.get(default, "") != label:
                revisions.append(
                    store.Revision("option", option.id, "label", option.labels.get(default, ""),
                                   label)
                )
        section = next(s for s in round_.sections if s.id == question.section_id)
        fields = ", ".join(sorted({r.field for r in revisions}))
        return await self._save_corrections(
            user, round_, revisions, "question_wording_corrected",
            f"question {section.position}.{question.position}: {fields}; was: "
            f"{old.prompt if old else ''}",
        )

    async def delete_question(self, user: StaffUser, round_: Round, question_id: int) -> None:
        self._require_draft(round_)
        question = round_.question(question_id)
        if question is None:
            return

        async def change(conn: WriteConnection) -> None:
            if await store.delete_question_in(conn, question.section_id, question_id):
                await self._audit_in(conn, user, "question_removed", round_.id, str(question_id))
                await self._offered_in(conn, round_.id, round_.slug)

        await self._structure_change(round_, change)

    # Lifecycle -----------------------------------------------------------

    def status_problems(
        self, round_: Round, settings: RoundSettings, target: str
    ) -> list[FieldError]:
        """Why the round can't move to `target` yet; empty when it can."""
        problems: list[FieldError] = []
        if target not in TRANSITIONS.get(round_.status, ()):
            return [FieldError("status", N_("The round can't go there from where it is now."))]
        now = utcnow()
        if target == "open":
            if not round_.sections:
                problems.append(
                    FieldError("sections", N_("Add at least one section of the draft."))
                )
            elif any(not s.questions for s in round_.sections):
                problems.append(
                    FieldError("sections", N_("Every section needs at least one question."))
                )
            if settings.safeguarding_lead_id is None:
                problems.append(
                    FieldError(
                        "lead",
                        N_(
                            "Choose a safeguarding lead in the board settings first: answers "
                            "that may show someone is at risk need a named person to read them."
                        ),
                    )
                )
            if round_.closes_at is None or round_.closes_at <= now:
                problems.append(
                    FieldError(
                        "settings",
                        N_("The closing date is in the past. Choose a new one in the settings."),
                    )
                )
            for locale in settings.wanted_locales:
                done = completeness(round_, locale)
                if locale != round_.default_locale and not done.complete:
                    problems.append(
                        FieldError(
                            f"lang-{locale}",
                            N_(
                                "%(language)s is not fully translated: %(count)s texts are "
                                "missing. Finish the translation, or stop offering this "
                                "language in the settings."
                            ),
                            {"language": language_name(locale), "count": len(done.missing)},
                        )
                    )
        if target == "draft" and settings.has_answers:
            problems.append(
                FieldError(
                    "status",
                    N_("People have already answered, so the round can't go back to draft."),
                )
            )
        return problems

    async def change_status(
        self, user: StaffUser, round_: Round, settings: RoundSettings, target: str
    ) -> list[FieldError]:
        problems = self.status_problems(round_, settings, target)
        if problems:
            return problems
        detail = f"{round_.status} -> {target}"

        async def work(conn: WriteConnection) -> bool:
            # the status changes only from the one this page showed: the check is the write
            if not await store.set_status_in(conn, round_.id, target, round_.status):
                return False
            await self._audit_in(conn, user, "status_changed", round_.id, detail)
            return True

        if not await self.db.write(work):
            raise Refused(N_("Someone else changed this round at the same time. Reload the page."))
        return []


def _item_group(item: str) -> str:
    """Contacts are translated together with the round's texts."""
    return "round" if item.startswith("contact-") else item


def _limit(slot: TextSlot) -> int:
    if slot.field.startswith("option-"):
        return OPTION_LIMIT
    for table in (ROUND_FIELDS, SECTION_FIELDS, QUESTION_FIELDS, CONTACT_FIELDS):
        if slot.field in table:
            return table[slot.field]
    return 300


def _section(round_: Round, section_id: int):
    for section in round_.sections:
        if section.id == section_id:
            return section
    raise Refused(N_("This text is not part of the round any more. Reload the page."))


def _section_text(
    form: Mapping[str, str], locale: str
) -> tuple[SectionText | None, list[FieldError]]:
    errors: list[FieldError] = []
    values = {f: _text(form, f) for f in SECTION_FIELDS}
    for f, limit in SECTION_FIELDS.items():
        _check_length(errors, f, values[f], limit)
    for f in ("title", "body_md"):
        if not values[f]:
            errors.append(FieldError(f, _REQUIRED_MESSAGES[f]))
    if errors:
        return None, errors
    return SectionText(locale=locale, **values), []


def _question_text(
    form: Mapping[str, str], locale: str, prefix: str = ""
) -> tuple[QuestionText | None, list[FieldError]]:
    errors: list[FieldError] = []
    values = {f: _text(form, prefix + f) for f in QUESTION_FIELDS}
    for f, limit in QUESTION_FIELDS.items():
        _check_length(errors, prefix + f, values[f], limit)
    if not values["prompt"]:
        errors.append(FieldError(prefix + "prompt", _REQUIRED_MESSAGES["prompt"]))
    if errors:
        return None, errors
    return QuestionText(locale=locale, **values), []


def _parse_options(errors: list[FieldError], form: Mapping[str, str], name: str) -> list[str]:
    """A choice question's labels, one per line; blank lines are ignored."""
    labels = [line.strip() for line in _text(form, name).split("\n") if line.strip()]
    if not MIN_OPTIONS <= len(labels) <= MAX_OPTIONS:
        errors.append(
            FieldError(
                name,
                N_("Write from %(low)s to %(high)s choices, one on each line."),
                {"low": MIN_OPTIONS, "high": MAX_OPTIONS},
            )
        )
    for label in labels:
        if len(label) > OPTION_LIMIT:
            errors.append(
                FieldError(
                    name,
                    N_("Each choice can be up to %(limit)s characters. One is %(count)s."),
                    {"limit": OPTION_LIMIT, "count": len(label)},
                )
            )
            break
    if len({label.casefold() for label in labels}) != len(labels):
        errors.append(
            FieldError(name, N_("Two choices have the same words. Make each one different."))
        )
    return labels


def _contacts_in(
    round_: Round, locale: str, values: Mapping[tuple[str, str], str]
) -> list[SupportContact]:
    """A language's contacts: its words (new or kept), the default's phone and link."""
    existing = round_.contacts.get(locale, [])
    out = []
    for i, source in enumerate(round_.contacts.get(round_.default_locale, [])):
        old = existing[i] if i < len(existing) else None
        words = {
            f: values.get((f"contact-{i}", f), getattr(old, f) if old else "")
            for f in CONTACT_WORDS
        }
        out.append(SupportContact(phone=source.phone, url=source.url, **words))
    return out


def _translation_parts(
    round_: Round, locale: str, item: str, values: Mapping[tuple[str, str], str]
) -> dict:
    kind, _, ident = item.partition("-")
    if kind == "round":
        old = round_.texts.get(locale)
        fields = {f: values.get(("round", f), getattr(old, f) if old else "") for f in ROUND_FIELDS}
        return {
            "round_text": RoundText(locale=locale, **fields),
            "contacts": _contacts_in(round_, locale, values),
        }
    if kind == "section":
        section = _section(round_, int(ident))
        old_s = section.texts.get(locale)
        fields = {
            f: values.get((item, f), getattr(old_s, f) if old_s else "") for f in SECTION_FIELDS
        }
        return {"sections": {section.id: SectionText(locale=locale, **fields)}}
    question = round_.question(int(ident))
    assert question is not None
    old_q = question.texts.get(locale)
    fields = {f: values.get((item, f), getattr(old_q, f) if old_q else "") for f in QUESTION_FIELDS}
    return {
        "questions": {question.id: QuestionText(locale=locale, **fields)},
        "options": _option_labels(question, values.get),
    }


def _option_labels(question: Question, value_of) -> dict[int, str]:
    """Translated labels of the question's choices that were sent (option id → label)."""
    out = {}
    for option in question.options:
        label = value_of((f"question-{question.id}", f"option-{option.id}"))
        if label is not None:
            out[option.id] = label
    return out
