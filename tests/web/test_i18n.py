"""Interface translations: complete catalogues, right plural forms, language choice."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from codesign.i18n import (
    negotiate,
    parse_accept_language,
    translations_for,
)
from codesign.settings import SUPPORTED_LOCALES
from tests.conftest import Journey

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [loc for loc in SUPPORTED_LOCALES if loc != "en"]


def _source_messages() -> set[str]:
    """Every msgid the code and templates use, extracted as `pybabel extract` would."""
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    method_map = [("codesign/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n",
                                     "trim_blocks": "True", "lstrip_blocks": "True"}}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options, keywords
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalogue(locale: str):
    with (ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalogue_has_every_string_translated(locale: str) -> None:
    catalogue = _catalogue(locale)
    missing = sorted(m for m in _source_messages() if m not in catalogue)
    assert not missing, f"{locale}: strings missing from the catalogue: {missing}"
    untranslated = []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            untranslated.append(message.id)
    assert not untranslated, f"{locale}: untranslated or fuzzy: {untranslated}"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalogue_uses_current_cldr_plural_forms(locale: str) -> None:
    catalogue = _catalogue(locale)
    assert catalogue.num_plurals == get_plural(locale).num_plurals
    for message in catalogue:
        if message.pluralizable and message.id:
            assert len(message.string) == catalogue.num_plurals, message.id


def test_real_catalogues_load_for_every_language() -> None:
    for locale in TRANSLATED:
        translations_for.cache_clear()
        text = translations_for(locale).gettext("Leave this page")
        assert text and text != "Leave this page", locale


def test_plural_forms_pick_the_right_words() -> None:
    singular, plural = "It takes about %(count)s minute.", "It takes about %(count)s minutes."
    es = translations_for("es")
    assert es.ngettext(singular, plural, 1) != es.ngettext(singular, plural, 2)
    # CLDR's third Spanish form ("many") is for large round numbers.
    forms_es = {es.ngettext(singular, plural, n) for n in (1, 2, 1_000_000)}
    assert len(forms_es) == 3
    ar = translations_for("ar")
    forms_ar = {ar.ngettext(singular, plural, n) for n in (0, 1, 2, 3, 11, 100)}
    assert len(forms_ar) == 6


def test_accept_language_honours_q_values() -> None:
    header = "fr;q=0.5, ar;q=0.9, de, en;q=0.1"
    assert parse_accept_language(header) == ["de", "ar", "fr", "en"]
    assert negotiate(parse_accept_language(header), ["en", "fr", "ar"]) == "ar"
    assert negotiate(["es-MX"], ["en", "es"]) == "es"
    assert negotiate(["de"], ["en", "es"]) is None
    assert parse_accept_language("es;q=0, fr") == ["fr"]


async def test_language_from_header_then_remembered_choice(client) -> None:
    first = await client.get("/r/demo", headers={"accept-language": "ar, en;q=0.5"})
    assert '<html lang="ar" dir="rtl">' in first.text
    chosen = await client.get("/r/demo?lang=es", headers={"accept-language": "ar"})
    assert '<html lang="es" dir="ltr">' in chosen.text
    later = await client.get("/r/demo", headers={"accept-language": "ar"})
    assert '<html lang="es" dir="ltr">' in later.text


async def test_language_list_names_each_language_in_itself(client) -> None:
    page = await client.get("/r/demo")
    for locale, name in (("en", "English"), ("es", "Español"), ("fr", "Français"),
                         ("ar", "العربية")):
        assert f'lang="{locale}" hreflang="{locale}"' in page.text
        assert name in page.text


async def test_pages_and_dates_in_each_language(client) -> None:
    for locale, month_words in (("es", ("enero", "febrero", "marzo", "abril", "mayo", "junio",
                                        "julio", "agosto", "septiembre", "octubre",
                                        "noviembre", "diciembre")),):
        page = await client.get(f"/r/demo?lang={locale}")
        assert any(word in page.text for word in month_words)
    arabic = await client.get("/r/demo?lang=ar")
    assert "Leave this page" not in arabic.text


async def test_whole_journey_in_arabic(client) -> None:
    journey = Journey(client)
    await journey.get("?lang=ar")
    await journey.start()
    page = await journey.get("/s/2")
    assert '<html lang="ar" dir="rtl">' in page.text
    assert "Section 2 of 5" not in page.text
    q = await journey.questions(2)
    await journey.post("/s/2", {q[1]: "أريد مواعيد في المساء", "action": "next"})
    review = await journey.get("/review")
    assert "أريد مواعيد في المساء" in review.text
    row = await client.app.state.db.fetch_one("SELECT locale FROM answers")
    assert row["locale"] == "ar"
