from __future__ import annotations

from codesign.analysis.label import class_tfidf, make_label


def test_terms_skip_stop_words_in_four_languages_and_placeholders():
    themes = [
        ["The rent is too high", "rent went up again and I didn't expect it", "[name] rent"],
        ["El autobús no pasa", "el autobús llega tarde"],
        ["Le formulaire est trop long", "un formulaire compliqué"],
        ["السفر إلى المدينة صعب", "أن السفر مكلف"],
    ]
    terms = class_tfidf(themes, ["en", "es", "fr", "ar"])
    assert terms[0][0][0] == "rent"
    assert terms[1][0][0] == "autobús"
    assert terms[2][0][0] == "formulaire"
    assert terms[3][0][0] == "السفر"
    flat = {t for theme in terms for t, _ in theme}
    for stop in ("the", "didn't", "el", "le", "un", "أن", "إلى", "name"):
        assert stop not in flat


def test_label_avoids_repeating_words():
    assert make_label(["card", "card pin", "pin", "atm", "cash"]) == "card / pin / atm"
    assert make_label([]) == "(no common terms)"
