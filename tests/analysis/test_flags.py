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


def test_talk_about_safeguarding_policy_does_not_flag():
    """Topic words alone ("abuse", "suicide", "knife", "danger") are talk *about* the policy."""
    cases = [
        ("en", "We need a clear domestic violence policy with a named contact."),
        ("en", "The suicide prevention leaflet in reception is out of date."),
        ("en", "Staff should be trained to respond to self-harm without judging."),
        ("en", "Knives and weapons should stay banned in the hostel."),
        ("en", "Rape crisis numbers should be on the back of the toilet doors."),
        ("es", "El protocolo sobre violencia de género debería tener un teléfono de contacto."),
        ("es", "Está bien que prohíban las armas en el albergue."),
        ("fr", "La brochure sur la prévention du suicide doit donner les bons numéros."),
        ("fr", "Formez le personnel d'accueil aux violences conjugales."),
        ("fr", "Il faudrait un mot de code pour dire qu'on est en danger."),
        ("ar", "يجب أن تشرح السياسة ماذا يفعل الموظفون إذا تحدث أحد عن الانتحار."),
        ("ar", "أرجو تدريب الموظفين على التعامل مع العنف الأسري."),
    ]
    for lang, text in cases:
        assert flag(text, lang) == [], text


def test_hyperbole_and_idioms_do_not_flag():
    cases = [
        ("en", "My son will kill me if I miss his football match again."),
        ("en", "I cut myself off from everyone after the move."),
        ("es", "No estoy seguro de haber entendido la pregunta tres."),
        ("es", "Los precios del comedor son abusivos."),
        ("fr", "Mon fils va me tuer si je rate encore son match."),
        ("fr", "Ce formulaire est une vraie torture lol."),
        ("fr", "Je me suis saignée aux quatre veines pour payer la cantine."),
        ("ar", "هذه الاستمارة طويلة جداً وقتلتني من التعب."),
    ]
    for lang, text in cases:
        assert flag(text, lang) == [], text


def test_first_person_disclosures_still_flag():
    cases = [
        ("en", "I was raped by my landlord last year.", "abuse"),
        ("en", "I left because of domestic violence and the council did nothing.", "abuse"),
        ("en", "I don't feel safe at home since he came back.", "danger"),
        ("es", "No estoy segura en casa esta noche.", "danger"),
        ("es", "Sufrí violencia de género durante años.", "abuse"),
        ("fr", "J'ai des idées suicidaires depuis l'hiver.", "suicide"),
        ("fr", "Je ne me sens pas en sécurité chez moi.", "danger"),
        ("ar", "تعرضت للعنف الأسري ولم يساعدني أحد", "abuse"),
        ("ar", "أؤذي نفسي كل ليلة", "self_harm"),
    ]
    for lang, text, kind in cases:
        assert kind in {f.kind for f in flag(text, lang)}, text


def test_a_past_the_writer_has_left_behind_does_not_flag_in_arabic():
    assert flag("كنت أؤذي نفسي وأنا مراهقة، وهذا انتهى منذ زمن", "ar") == []
    assert flag("أؤذي نفسي كل ليلة", "ar") != []


def _risk_cases() -> list[dict]:
    rows = []
    for lang in ("en", "es", "fr", "ar"):
        path = FIXTURES / "risk" / f"{lang}.jsonl"
        rows += [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return rows


def test_lexicon_is_precise_on_the_labelled_answers():
    """Few false alarms on the hard negatives (idioms, policy talk, hardship…)."""
    cases = _risk_cases()
    negatives = [c for c in cases if not c["kinds"]]
    alarms = [c["id"] for c in negatives if is_risk(flag(c["text"], c["lang"]))]
    assert len(negatives) >= 500
    assert len(alarms) / len(negatives) <= 0.02, alarms  # measured 1 of 574
    positives = [c for c in cases if c["kinds"]]
    caught = [c for c in positives if is_risk(flag(c["text"], c["lang"]))]
    assert len(caught) / len(positives) >= 0.08  # direct phrases; measured 0.11
