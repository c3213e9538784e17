from __future__ import annotations

import pytest

from codesign.analysis.language import detect_language, normalise_language


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The rent is too high and the flat is damp", "en"),
        ("El alquiler es demasiado caro para mi familia", "es"),
        ("Le loyer est trop cher pour ma famille", "fr"),
        ("الإيجار مرتفع جدا بالنسبة لعائلتي", "ar"),
    ],
)
def test_detects_supported_languages(text, lang):
    assert detect_language(text)[0] == lang


def test_prior_settles_short_ambiguous_text():
    # two words shared by several Romance languages: the locale decides
    assert detect_language("la casa", "es")[0] == "es"
    # but a confident detection is not overridden by a wrong locale
    assert detect_language("I cannot pay the rent this month", "fr")[0] == "en"


def test_no_letters_falls_back_to_prior():
    assert detect_language("123 !!", "fr") == ("fr", 0.0)
    assert detect_language("ok", None)[0] == ""


@pytest.mark.parametrize(
    ("code", "key"),
    [
        ("eng_Latn", "en"),
        ("spa_Latn", "es"),
        ("fra_Latn", "fr"),
        ("arb_Arab", "ar"),
        ("es-MX", "es"),
        ("fr_FR", "fr"),
        ("", ""),
        (None, ""),
        ("deu_Latn", "deu_latn"),
    ],
)
def test_normalise_language(code, key):
    assert normalise_language(code) == key
