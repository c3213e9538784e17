"""The plain-language check: a figure where the language is supported, always advice."""

from __future__ import annotations

from codesign.services.readability import check
from tests.web.staff.conftest import signed_in

LONG = (
    "If you miss three appointments in a row without telling us, we will write to you "
    "to ask whether you still want our support from the organisation."
)


def test_short_plain_text_reads_easier_than_long_formal_text() -> None:
    easy = check("We open at nine. You can call us. We will help you.", "en")
    hard = check(
        "Notwithstanding institutional considerations, organisational responsibilities "
        "necessitate comprehensive documentation of interdepartmental communications.",
        "en",
    )
    assert easy.score > hard.score
    assert "organisational" in [w.lower() for w in hard.long_words]


def test_long_sentences_are_listed_in_every_language() -> None:
    assert check(LONG, "en").long_sentences == [LONG]
    arabic = check("كلمة " * 25 + ".", "ar")
    assert arabic.score is None and len(arabic.long_sentences) == 1
    assert check("Queremos cambiar cuándo abrimos.", "es").score is not None
    assert check("Nous voulons changer nos horaires.", "fr").score is not None
    assert check("", "en") is None


async def test_section_page_shows_the_check(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    page = await staff.get("/staff/rounds/1/sections/2")
    assert "Plain-language check" in page.text
    assert '<mark lang="en" dir="auto">If you miss <strong>' not in page.text
    assert "Long sentences (more than 20 words)" in page.text
    translate = await staff.get("/staff/rounds/1/translate/es")
    assert translate.text.count("Plain-language check") == 5
