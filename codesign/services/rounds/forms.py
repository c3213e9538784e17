"""Checking what an organizer typed: a round's settings, a section, a question and its
choices. Every problem is found at once and nothing is saved here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from codesign.i18n import N_, known_region
from codesign.models import (
    CHOICE_KINDS,
    QuestionText,
    Round,
    RoundInput,
    RoundText,
    SectionText,
    SupportContact,
)
from codesign.services.errors import FieldError
from codesign.settings import SUPPORTED_LOCALES
from codesign.store.db import utcnow

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


def form_text(form: Mapping[str, str], name: str) -> str:
    return form.get(name, "").replace("\r\n", "\n").strip()


def check_length(errors: list[FieldError], field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        errors.append(FieldError(field, _TOO_LONG, {"count": len(value), "limit": limit}))


#: The years a round's dates may fall in.
FIRST_YEAR = 2000
LAST_YEAR = 2200


def _parse_moment(
    errors: list[FieldError], form: Mapping[str, str], field: str, tz: ZoneInfo | None
) -> datetime | None:
    raw = form_text(form, field)
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
    values = {name: form_text(form, name) for name in ROUND_FIELDS}
    for name, limit in ROUND_FIELDS.items():
        if not values[name]:
            errors.append(FieldError(name, _REQUIRED_MESSAGES[name]))
        check_length(errors, name, values[name], limit)
    default_locale = form.get("default_locale", "")
    if default_locale not in SUPPORTED_LOCALES:
        errors.append(FieldError("default_locale", N_("Choose the round's main language.")))
        default_locale = "en"
    wanted = [
        loc
        for loc in SUPPORTED_LOCALES
        if form.get(f"offer_{loc}") == "yes" or loc == default_locale
    ]
    timezone = form_text(form, "timezone")[:64] or "UTC"
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
    raw_due = form_text(form, "response_due")
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
    region = form_text(form, "region")[:8].upper()
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
    raw = form_text(form, field)
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
        values = {f: form_text(form, f"contact{i}_{f}") for f in CONTACT_FIELDS}
        if not any(values.values()):
            continue
        for f, limit in CONTACT_FIELDS.items():
            check_length(errors, f"contact{i}_{f}", values[f], limit)
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


def section_text(
    form: Mapping[str, str], locale: str
) -> tuple[SectionText | None, list[FieldError]]:
    errors: list[FieldError] = []
    values = {f: form_text(form, f) for f in SECTION_FIELDS}
    for f, limit in SECTION_FIELDS.items():
        check_length(errors, f, values[f], limit)
    for f in ("title", "body_md"):
        if not values[f]:
            errors.append(FieldError(f, _REQUIRED_MESSAGES[f]))
    if errors:
        return None, errors
    return SectionText(locale=locale, **values), []


def question_text(
    form: Mapping[str, str], locale: str, prefix: str = ""
) -> tuple[QuestionText | None, list[FieldError]]:
    errors: list[FieldError] = []
    values = {f: form_text(form, prefix + f) for f in QUESTION_FIELDS}
    for f, limit in QUESTION_FIELDS.items():
        check_length(errors, prefix + f, values[f], limit)
    if not values["prompt"]:
        errors.append(FieldError(prefix + "prompt", _REQUIRED_MESSAGES["prompt"]))
    if errors:
        return None, errors
    return QuestionText(locale=locale, **values), []


def parse_options(errors: list[FieldError], form: Mapping[str, str], name: str) -> list[str]:
    """A choice question's labels, one per line; blank lines are ignored."""
    labels = [line.strip() for line in form_text(form, name).split("\n") if line.strip()]
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
