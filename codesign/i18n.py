"""Interface translations (gettext via Babel), locale choice and formatting."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from datetime import date, datetime
from functools import cache
from gettext import GNUTranslations, NullTranslations
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time, get_datetime_format
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from codesign.settings import SUPPORTED_LOCALES, project_dir

DOMAIN = "messages"

log = logging.getLogger("codesign")


def N_(message: str) -> str:  # noqa: N802 - gettext convention
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def _catalogue_paths(base: Path) -> list[tuple[str, Path, Path]]:
    """(locale, .po, .mo) for every catalogue under `base`."""
    return [
        (po.parent.parent.name, po, po.with_suffix(".mo"))
        for po in sorted(base.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    ]


def _in_checkout(base: Path) -> bool:
    """A checkout's `locales/` (run from source or an editable install), not a wheel's."""
    return base.parent.name != "_data"


def stale_catalogue(po_path: Path, mo_path: Path, checkout: bool) -> str | None:
    """Why the `.mo` beside `po_path` can't be used as it is, or None when it can.

    A wheel's `.mo` files were compiled from its `.po` files by the build hook
    (hatch_build.py); installing writes both at about the same moment, in no set
    order, so only a checkout's times say whether someone edited a `.po` since.
    """
    if not mo_path.exists():
        return "missing"
    if checkout and mo_path.stat().st_mtime < po_path.stat().st_mtime:
        return "older than its .po"
    return None


def check_catalogues(locales_dir: Path | None = None) -> list[str]:
    """Say in the log which catalogues will be compiled in memory; returns their locales.

    The `.mo` files are built with the package (hatch_build.py), never written at
    start-up: an installed package may be read-only, and several workers starting
    together would race to write the same file. A catalogue whose `.mo` is missing
    (run from a checkout that was never installed) or older than its `.po` (a
    developer edited the `.po`) is compiled in memory instead, in a fraction of a
    second, when first used: nothing is written anywhere, and the page shows the
    `.po` as it is now. `pip install -e .` writes fresh `.mo` files again.
    """
    base = locales_dir or project_dir("locales")
    checkout = _in_checkout(base)
    in_memory = []
    for locale, po_path, mo_path in _catalogue_paths(base):
        why = stale_catalogue(po_path, mo_path, checkout)
        if why:
            log.warning(
                "translations: %s/LC_MESSAGES/%s.mo is %s; using the .po compiled in memory"
                " (pip install -e . compiles it again)", locale, DOMAIN, why,
            )
            in_memory.append(locale)
    return in_memory


def compile_po(po_path: Path) -> bytes:
    """A `.po` as `.mo` bytes, as the build hook compiles it (fuzzy entries left out)."""
    with po_path.open("rb") as handle:
        catalogue = read_po(handle, locale=po_path.parent.parent.name)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue, use_fuzzy=False)
    return buffer.getvalue()


@cache
def translations_for(locale: str) -> NullTranslations:
    """The catalogue for `locale`. English is the source language.

    The built `.mo`, or the `.po` compiled in memory when the `.mo` is missing or
    stale (see `check_catalogues`). A locale with neither is an error, not English.
    """
    if locale == "en":
        return NullTranslations()
    base = project_dir("locales")
    folder = base / locale / "LC_MESSAGES"
    po_path, mo_path = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if po_path.exists() and stale_catalogue(po_path, mo_path, _in_checkout(base)):
        return GNUTranslations(io.BytesIO(compile_po(po_path)))
    with mo_path.open("rb") as handle:
        return GNUTranslations(handle)


@cache
def language_name(locale: str) -> str:
    """A language's name in that language ("español", "العربية")."""
    name = Locale.parse(locale).get_display_name(locale) or locale
    return name[:1].upper() + name[1:] if locale != "ar" else name


@cache
def text_direction(locale: str) -> str:
    return Locale.parse(locale).text_direction


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags from an Accept-Language header, best first (q-values honoured)."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        if not tag or tag == "*":
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(preferred: Iterable[str], offered: Iterable[str]) -> str | None:
    """First offered locale matching the preferences (`es-MX` matches `es`)."""
    offered = list(offered)
    for tag in preferred:
        primary = tag.replace("_", "-").split("-")[0]
        if tag in offered:
            return tag
        if primary in offered:
            return primary
    return None


@cache
def formatting_locale(locale: str, region: str = "") -> str:
    """The Babel locale for dates, times and numbers: the language, in the round's region
    when Babel knows that pair ("en" + "GB" → "en_GB": 23 February 2027, 08:09), else
    the language's own way ("en": February 23, 2027, 8:09 AM)."""
    if region:
        candidate = f"{locale}_{region.upper()}"
        try:
            Locale.parse(candidate)
        except (ValueError, UnknownLocaleError):
            return locale
        return candidate
    return locale


@cache
def known_region(region: str) -> bool:
    """A two-letter region (country) code Babel knows, such as GB, FR or EG."""
    return len(region) == 2 and region.isalpha() and region.upper() in Locale("en").territories


def format_day(value: date | datetime, locale: str, tz: str = "UTC", region: str = "") -> str:
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(tz)).date()
    return format_date(value, format="long", locale=formatting_locale(locale, region))


def format_moment(value: datetime, locale: str, tz: str = "UTC", region: str = "") -> str:
    return format_datetime(
        value, format="long", tzinfo=ZoneInfo(tz), locale=formatting_locale(locale, region)
    )


def format_staff_moment(value: datetime, locale: str, tz: str = "UTC", region: str = "") -> str:
    """A moment for staff pages: the date in words and the time to the minute, in the
    staff member's language, without seconds or a UTC offset ("1 December 2026, 12:49")."""
    where = formatting_locale(locale, region)
    local = value.astimezone(ZoneInfo(tz))
    glue = str(get_datetime_format("medium", locale=where)).replace("'", "")
    return glue.format(
        format_time(local, format="short", locale=where),
        format_date(local.date(), format="long", locale=where),
    )


def is_supported(locale: str) -> bool:
    return locale in SUPPORTED_LOCALES
