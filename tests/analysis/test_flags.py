from __future__ import annotations

import json
from pathlib import Path

from codesign.analysis.evaluate import flag_scores
from codesign.analysis.flags import flag, is_risk

FIXTURES = Path(__file__).parent / "fixtures"

CASES = json.loads((FIXTURES / "flag_cases.json").read_text(encoding="utf-8"))


def test_fixture_recall_and_false_alarms():
    s = flag_scores(CASES)
    assert s["positives"] >= 40 and s["negatives"] >= 20
    assert s["recall"] >= 0.9, s["misses"]
    assert s["false_alarm_rate"] <= 0.1, s["alarms"]


def test_risk_kinds_in_each_language():
    assert {f.kind for f in flag("I want to kill myself", "en")} == {"suicide"}
    assert {f.kind for f in flag("Mi pareja me pega", "es")} == {"abuse"}
    assert {f.kind for f in flag("Je ne me sens pas en sécurité, je suis en danger", "fr")} == {
        "danger"
    }
    assert "abuse" in {f.kind for f in flag("زوجي يضربني", "ar")}


def test_everyday_words_do_not_flag():
    for text in ("my phone died", "this form is killing me", "the bus is dead slow"):
        assert flag(text, "en") == []


def test_distressing_is_not_risk():
    flags = flag("the hallway was covered in blood", "en")
    assert [f.kind for f in flags] == ["distressing"]
    assert not is_risk(flags)
    assert is_risk(flag("I want to die", "en"))


def test_unknown_language_tries_all_lexicons():
    assert flag("quiero morir", "")[0].kind == "suicide"


def test_held_out_negatives_raise_no_flags():
    """Everyday hyperbole ("dead tired", "killing charities") in the held-out set."""
    cases = json.loads((FIXTURES / "flag_holdout.json").read_text(encoding="utf-8"))
    s = flag_scores(cases)
    assert s["false_alarm_rate"] == 0.0, s["alarms"]
