"""Words and locale (issue 11, part 4): support on error pages, dates by region, one word."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from codesign.i18n import format_day, translations_for
from codesign.store.db import WriteConnection, to_db_time
from tests.conftest import Journey
from tests.web.staff.conftest import accounts, quick_hashing, signed_in  # noqa: F401

SUPPORT = "Riverside support line"
SUPPORT_PHONE = 'href="tel:08001234567"'


def _has_support(text: str) -> bool:
    return SUPPORT in text and SUPPORT_PHONE in text


# Support contacts on error pages ----------------------------------------------------------


async def test_a_missing_page_of_a_round_shows_its_support_contacts(client) -> None:
    for path in ("/r/demo/s/99", "/r/demo/no-such-page"):
        page = await client.get(path)
        assert page.status_code == 404, path
        assert _has_support(page.text), path
    # A round nobody can see shows nobody's contacts.
    unknown = await client.get("/r/no-such-round")
    assert unknown.status_code == 404 and SUPPORT not in unknown.text


async def test_an_unknown_language_shows_the_support_contacts(client) -> None:
    page = await client.get("/r/demo?lang=xx")
    assert page.status_code == 404
    assert "We don't have that language here" in page.text and _has_support(page.text)


async def test_an_expired_form_shows_the_support_contacts(journey, client) -> None:
    await journey.start()
    q = await journey.questions(1)
    expired = await client.post("/r/demo/s/1", data={q[0]: "4"}, follow_redirects=False)
    assert expired.status_code == 403 and "This form has expired" in expired.text
    assert _has_support(expired.text)


async def test_too_many_tries_shows_the_support_contacts(client) -> None:
    journey = Journey(client)
    await journey.get("/resume")
    for _ in range(10):
        await journey.post("/resume", {"code": "AAAA-BBBB-CCCC"})
    paused = await journey.post("/resume", {"code": "AAAA-BBBB-CCCC"})
    assert paused.status_code == 429 and "Please wait a moment" in paused.text
    assert _has_support(paused.text)


async def test_error_page_contacts_are_in_the_page_language(client) -> None:
    page = await client.get("/r/demo/s/99?lang=es")
    assert page.status_code == 404
    assert "Línea de apoyo de Riverside" in page.text and SUPPORT not in page.text


async def test_support_lines_say_who_they_serve(client) -> None:
    page = " ".join((await client.get("/r/demo")).text.split())
    assert "Open: Monday to Friday, 9am to 5pm" in page
    assert "Languages: English, Spanish, French and Arabic" in page
    # A line whose organizer gave no languages says nothing about them.
    assert page.count("Languages:") == 1
    spanish = " ".join((await client.get("/r/demo?lang=es")).text.split())
    assert "Idiomas: inglés, español, francés y árabe" in spanish


# Dates and times follow the round's region ------------------------------------------------


async def _set(client, **columns) -> None:
    async def work(conn: WriteConnection) -> None:
        for name, value in columns.items():
            await conn.execute(f"UPDATE rounds SET {name} = ?", (value,))  # noqa: S608

    await client.app.state.db.write(work)


async def _saved_at(client, moment: datetime) -> None:
    async def work(conn: WriteConnection) -> None:
        await conn.execute("UPDATE answers SET saved_at = ?", (to_db_time(moment),))

    await client.app.state.db.write(work)


@pytest.mark.parametrize(
    ("region", "day", "clock"),
    [("GB", "23 February 2027", "08:09"), ("", "February 23, 2027", "8:09 AM")],
)
async def test_dates_and_times_follow_the_rounds_region(client, region, day, clock) -> None:
    await _set(client, region=region, response_due="2027-02-23")  # before the first page
    start = " ".join((await client.get("/r/demo?lang=en")).text.split())
    assert f"The board will publish its response by {day}." in start

    journey = Journey(client)
    await journey.start()
    q = await journey.questions(1)
    await journey.post("/s/1", {q[0]: "3", "action": "next"})
    await _saved_at(client, datetime(2027, 2, 23, 8, 9, tzinfo=UTC))  # London: GMT in February
    section = " ".join((await journey.get("/s/1")).text.split())
    assert f"Saved at {clock}." in section.replace("\u202f", " ")


def test_the_region_picks_babels_locale_and_unknown_pairs_fall_back() -> None:
    due = date(2027, 2, 23)
    assert format_day(due, "en", region="GB") == "23 February 2027"
    assert format_day(due, "en") == "February 23, 2027"
    assert format_day(due, "fr", region="CA") == "23 février 2027"
    # Babel has no Arabic for the UK: the language's own way, never an error.
    assert format_day(due, "ar", region="GB") == format_day(due, "ar")


async def test_the_region_is_a_round_setting(client, accounts) -> None:  # noqa: F811
    staff = await signed_in(client, "organizer")
    form = await staff.get("/staff/rounds/1/edit")
    assert 'id="region"' in form.text and 'value="GB"' in form.text
    assert 'id="draft_days"' in form.text and 'value="30"' in form.text
    assert 'id="contact0_languages"' in form.text


# One word for a section, one name for carrying on -----------------------------------------

SECTION_WORDS = {"es": "sección", "fr": "partie", "ar": "القسم"}


@pytest.mark.parametrize("locale", ["es", "fr", "ar"])
def test_one_word_for_a_section_in_each_language(locale: str) -> None:
    words = translations_for(locale)
    for message in (
        "Section %(n)s of %(total)s",
        "Skip this section",
        "Read this section",
        "We can't find this section of the consultation",
    ):
        assert SECTION_WORDS[locale] in words.gettext(message).lower(), message
    other = {"es": "parte", "fr": "section", "ar": "الجزء"}[locale]
    assert other not in words.gettext("We can't find this section of the consultation").lower()


async def test_the_resume_action_has_one_name(client) -> None:
    start = await client.get("/r/demo")
    assert start.text.count(">Carry on with your code<") == 2  # in the page and the footer
    assert "I have a code and want to carry on" not in start.text
    lost = Journey(client)
    await lost.get("")
    refused = await lost.post("/s/1", {"action": "next"})
    assert ">Carry on with your code<" in refused.text


@pytest.mark.parametrize(
    ("message", "avoid"),
    [
        ('The board will publish its response ("you said, we did") by %(date)s. It will be on '
         "this site, in your language.", "vous avez dit, nous avons fait"),
        ("Or press Shift 3 times to leave quickly.", "partir vite"),
    ],
)
def test_french_wording_is_idiomatic(message: str, avoid: str) -> None:
    assert avoid not in translations_for("fr").gettext(message)


def test_arabic_speaks_to_one_person() -> None:
    words = translations_for("ar")
    for message in (
        "What you said, and what we will do",
        'The board will publish its response ("you said, we did") by %(date)s. It will be on '
        "this site, in your language.",
    ):
        text = words.gettext(message)
        assert text != message
        assert "قلتم" not in text and "تموه" not in text, text
