"""Screen answers for risk: a precise phrase lexicon plus the nearest labelled answers.

A screening is a reason for a person to read an answer, never a diagnosis.

Method (chosen by measurement; ``python benchmarks/flags_eval.py --methods``
repeats the comparison by nested cross-validation on the TRAIN split only):

- Vectors are the app's multilingual-e5-small vectors.  Each language's mean
  vector is subtracted and the rows re-normalised (without this, answers
  cluster by language as much as by meaning: false alarms 0.41 instead of 0.31
  for a plain kNN margin).
- **Class-wise kNN margin**: an answer's risk margin is the highest, over the
  five risk kinds, mean cosine to its ``K`` nearest training answers of that
  kind, minus the highest, over the groups of negative training answers
  (idioms, policy talk, complaints, hardship, family, neutral), mean cosine to
  its ``K`` nearest answers of that group.  Comparing against the closest
  *kind* of harmless answer is what separates "this form is killing me" from
  "I want it to stop" better than one pool of negatives does.
- **Plus a linear model**: a class-balanced logistic regression (risk vs
  none, ``LOGISTIC_C``) on the same centred vectors.  The risk score is the
  sum of the kNN margin and the linear score, each standardised by its
  out-of-fold mean and spread.  The two err on different answers: nested CV
  on the train split (1356 answers, target recall 0.95) gave kNN alone
  0.96 / 0.25, logistic regression alone 0.95 / 0.32, both 0.95 / 0.22.
- **Plus three text cues** (``CUES``, regular expressions on the folded text)
  as extra features of that logistic regression, which learns their
  (negative) weights: laughter, a risk the writer places in the past while
  saying how things are now, and death-word hyperbole said of things, never
  of a person.  The e5 vectors put these answers next to disclosures; the
  cues only lower the linear half of the score, and a lexicon phrase still
  flags.  Nested CV on the train split: 0.95 / 0.22 without them, 0.95 / 0.20
  with them (the figures elsewhere in this docstring are from before them).
- A threshold per training language, chosen by 5-fold inner cross-validation
  so that ``TARGET_RECALL`` of that language's out-of-fold positives reach it
  (one threshold for all: 0.96 / 0.22 as well, but Arabic recall 0.91
  instead of 0.93 — at 0.30 false alarms instead of 0.38 — and Spanish
  0.99 / 0.20 instead of 0.96 / 0.12: each language's own threshold keeps
  each language's recall at the target); a language without a stored mean
  gets the threshold over all positives.  Making every kind reach the target
  too cost 0.38 false alarms (on 1270 answers).  The score is mapped to 0..1 by a logistic
  curve through the threshold (slope fitted on the same out-of-fold scores),
  so risk iff ``score >= THRESHOLD`` (0.5) for every detector.  Inner folds
  keep translations of one training idea together (``stratified_folds``).
- A lexicon phrase (``flags.py``) also makes an answer risk; its score is then
  at least the threshold.  Kinds are the lexicon's, then those whose own kNN
  margin passes ``kind_threshold`` (the kNN margin's own threshold for
  ``TARGET_RECALL``) and whose similarity is within ``KIND_MARGIN`` of the
  best kind's, most likely first; a flagged answer with none of them gets its
  nearest kind (kinds overlap, abuse and danger most).
- Distressing (for readers): the same kind of sum, kNN margin of
  distressing vs all other training answers plus a logistic regression,
  threshold for ``DISTRESS_RECALL`` by inner CV (nested CV on train: 0.94 /
  0.13); or a distressing phrase.
- Languages without a stored mean (the app may see pt, de, it …) are centred
  on the mean of the stored language means, whatever else is screened with
  them, so an answer screens the same alone as in a batch (the app screens
  one or a few at a time).  Leaving each main language out of training
  (nested on train): the global mean kept en/es/fr recall at 0.96–1.00 with
  false alarms 0.12–0.20 and Arabic (another script) at 0.81 / 0.13, against
  0.91 / 0.18 with Arabic's own mean; the stored language mean nearest each
  vector did worse for English (0.89 recall) and is harder to explain.

Other figures (same nested CV): kNN K=5 + logistic 0.96 / 0.25; C=4
0.95 / 0.22 (suicide 0.88, Arabic false alarms 0.42); kNN margin over one
pool of negatives (the stack notes' method) k=5 0.96 / 0.31, not centred
0.95 / 0.41; per-kind thresholds 0.98 / 0.48; target recall 0.92:
0.93 / 0.17 (suicide 0.86); the lexicon alone 0.09 / 0.01.  The shipped
method's suicide recall is 0.89 and Arabic false alarms 0.38.  An RBF SVM,
an NCA projection and a logistic regression stacked on neighbour features
did no better in an earlier comparison and are harder to explain.  On this
deliberately hard set of negatives (idioms, policy talk, hardship) the
false-alarm target of 0.10 is not reached with
these vectors; test-split figures are in ``tests/analysis/fixtures/risk/README.md``.

The shipped data (``risk_model.npz``, built by ``benchmarks/build_risk_model.py``
from the TRAIN split only) holds float16 centred vectors of the training
answers, their labels, languages and negative groups, the language means,
the two logistic regressions' weights and the thresholds — no texts.  It
names the vectoriser it was built with; any other vectoriser gets the
lexicon alone.  Scoring is pure numpy over the given
vectors (measured 0.3–1.3 ms per answer); embedding is the caller's job.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .flags import RISK_KINDS, flag, fold
from .language import normalise_language
from .types import Flag, RiskReason, Screening
from .vectorise import E5_NAME

DISTRESSING = "distressing"
MODEL_FILE = Path(__file__).with_name("risk_model.npz")
MODEL_FORMAT = 3
THRESHOLD = 0.5
"""Score at and above which an answer is screened as risk (for every detector)."""

K = 10
LOGISTIC_C = 16.0  # inverse ridge strength of the linear model on centred vectors
DISTRESS_K = 10
TARGET_RECALL = 0.95
KIND_RECALL: float | None = None  # a floor each kind's out-of-fold recall must keep too
DISTRESS_RECALL = 0.92
INNER_FOLDS = 5
PER_LANGUAGE = True  # a threshold per training language (each must keep TARGET_RECALL)
KIND_MARGIN = 0.03  # kinds listed: those within this similarity of the best one (and passing)
GLOBAL = "*"  # key of the mean used for languages without a stored mean
NEGATIVE = "negative"  # group of negatives given without a group
TRAIN_ONLY_ID = re.compile(r"[a-z]{2}-n(\d+)")
"""Ids of training-only labelled answers; the number names the answer's idea, which its
translations share (``evaluate.risk_split`` never puts them in the test split)."""


# Hyperbole with words of death or violence that is said of things, not people: never
# "he'll kill me" or "I'm dying of hunger", which can be meant (folded like the text).
IDIOMS = (
    r"\b(?:i'?d|i would|would) (?:kill|murder|die) for\b",
    r"\b(?:is|are|was|were|'s|'re) (?:literally )?killing me\b",
    r"\bdying (?:to (?:know|see|get|go|try|hear)|for (?:a|an|some|the))\b",
    r"\b(?:bored|worried|scared) (?:me )?to death\b",
    r"\b(?:nearly |almost )?died (?:laughing|of (?:embarrassment|shame|boredom))\b",
    r"\bover my dead body\b",
    r"\bthe death of me\b",
    r"\b(?:doing|does) my head in\b",
    r"\btear my hair out\b",
    r"\bmataria por\b",
    r"\bme muero (?:por|de (?:risa|ganas|verguenza|aburrimiento|sueno))\b",
    r"\bmuert[oa]s? de (?:risa|verguenza|cansancio|aburrimiento|sueno)\b",
    r"\bme va a dar algo\b",
    r"\bme vuelvo loc[oa]\b",
    r"\bpor encima de mi cadaver\b",
    r"\bme parti de risa\b",
    r"\bdaria (?:un|mi) brazo\b",
    r"\bje tuerais pour\b",
    r"\bca me tue\b",
    r"\b(?:mourir|mort[es]*) de (?:rire|honte|ennui|fatigue)\b",
    r"\bpeter (?:les plombs|un cable)\b",
    r"\b(?:rendre|rend|devenir|deviens) (?:fou|folle|dingue)\b",
    r"\bsur mon cadavre\b",
    r"\bdonnerais (?:mon|un) bras\b",
    r"بموت (?:على|ع)",
    r"(?:مت|متت|موت) من (?:الضحك|الخجل|الملل)",
    r"على جثتي",
    r"(?:رح|ح|بت|بي)(?:تجلطني|يجلطني|جلطني)",
    r"يطير عقلي",
    r"بعطي عيوني",
)

# Cues of a harmless answer that the vectors miss, given to the linear model as three
# extra features (it learns their weight; a lexicon phrase still flags on its own):
# laughter ("lol", "mdr", "jaja", "ههههه") — hyperbole, not disclosure —, a risk that
# the writer places in the past while saying how things are now ("years ago … today
# I'm well"), which the fixtures label as no risk, and the IDIOMS above.
CUES = (
    re.compile(
        r"(?:^|(?<=[\s.,!?(]))(?:l+o+l+|lmao|a?(?:ha){2,}h?|(?:he){2,}|x+d+|mdr+|ptdr|"
        r"(?:ja){2,}|(?:je){2,}|h{3,})(?=$|[\s.,!?)])|هه{2,}|[\U0001F602\U0001F923]"
    ),
    re.compile(
        r"\A(?=.*?(?:\byears? ago|\bback in (?:19|20)\d\d|\bhace (?:\w+ )?anos"
        r"|\bil y a (?:\w+ )?ans|\bdes annees|(?:من|قبل) (?:\w+ )?(?:سنين|سنوات|سنه|سنتين)))"
        r"(?=.*?(?:\b(?:now|today|these days|ahora|hoy|maintenant|aujourd'hui)\b|هلق|هلا|اليوم"
        r"|الحين|الان|حاليا))",
        re.S,
    ),
    re.compile(fold("|".join(IDIOMS))),
)
CUES_AFTER = False  # fit the cues' weights after the vectors' (see ``_fit_linear_cues``)
CUE_SCALE = 1.0  # a cue's feature value (centred vectors' entries are ~0.05)


def cue_features(texts: Sequence[str]) -> np.ndarray:
    """(n, len(CUES)) array: 1 where the folded text shows the cue, else 0 (pure)."""
    out = np.zeros((len(texts), len(CUES)), dtype=np.float32)
    for i, t in enumerate(texts):
        folded = fold(t or "")
        for j, rx in enumerate(CUES):
            if rx.search(folded):
                out[i, j] = CUE_SCALE
    return out


def _unit_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms


def balanced_means(x: np.ndarray, languages: Sequence[str]) -> dict[str, np.ndarray]:
    """Mean vector per language, and under ``"*"`` the mean of those means.

    The global mean weighs each language equally so that no one language's
    offset dominates what is subtracted from a language with no mean of its own.
    """
    langs = np.asarray(languages, dtype=object)
    means = {lang: x[langs == lang].mean(axis=0) for lang in sorted(set(languages))}
    means[GLOBAL] = np.mean(np.stack(list(means.values())), axis=0)
    return {k: v.astype(np.float32) for k, v in means.items()}


def centre_rows(
    x: np.ndarray,
    languages: Sequence[str],
    means: dict[str, np.ndarray],
    batch_min: int = 0,
) -> np.ndarray:
    """Subtract each row's language mean and re-normalise.

    A language without a stored mean uses the mean of the batch's own answers
    in that language when there are at least ``batch_min`` of them (and
    ``batch_min`` > 0), else the global mean.
    """
    if not len(x):
        return x.astype(np.float32)
    own = dict(means)
    if batch_min > 0:
        langs = np.asarray(languages, dtype=object)
        for lang in set(languages) - set(means):
            mask = langs == lang
            if mask.sum() >= batch_min:
                own[lang] = x[mask].mean(axis=0)
    sub = np.stack([own.get(lang, own[GLOBAL]) for lang in languages])
    return _unit_rows(x - sub).astype(np.float32)


def _top_mean(sims: np.ndarray, k: int) -> np.ndarray:
    """Mean of each row's ``k`` largest values (all of them when fewer; -1 when none)."""
    k = min(k, sims.shape[1])
    if k == 0:
        return np.full(len(sims), -1.0, dtype=np.float32)
    return np.partition(sims, sims.shape[1] - k, axis=1)[:, -k:].mean(axis=1)


def knn_margin(sims: np.ndarray, positive: np.ndarray, k: int) -> np.ndarray:
    """Mean similarity to the k nearest positives minus that to the k nearest negatives."""
    return _top_mean(sims[:, positive], k) - _top_mean(sims[:, ~positive], k)


def class_margins(
    sims: np.ndarray, kinds: np.ndarray, groups: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-kind scores (n, kinds) and the nearest negative group's score (n,).

    ``kinds`` is the training answers' boolean kind matrix; ``groups`` their
    negative group number (-1 for positives).  An answer's risk margin is
    ``per_kind.max(1) - negative``.
    """
    per_kind = np.stack([_top_mean(sims[:, kinds[:, j]], k) for j in range(kinds.shape[1])], 1)
    negative = np.stack(
        [_top_mean(sims[:, groups == g], k) for g in range(int(groups.max()) + 1)], 1
    ).max(axis=1)
    return per_kind, negative


def threshold_for_recall(positive_scores: np.ndarray, recall: float) -> float:
    """The highest threshold that keeps at least ``recall`` of these positives at or above it."""
    s = np.sort(np.asarray(positive_scores, dtype=np.float64))
    if not len(s):
        return 0.0
    return float(s[int(math.floor((1.0 - recall) * len(s) + 1e-9))])


def fit_slope(z: np.ndarray, y: np.ndarray, iterations: int = 50) -> float:
    """Slope ``a`` of ``P(y) = sigmoid(a z)`` (no intercept) by Newton's method.

    ``z`` is a margin minus its threshold, so the threshold maps to 0.5 and the
    slope only sets how fast the score rises away from it.
    """
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    a = 1.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(a * z, -60, 60)))
        grad = float(np.sum((y - p) * z)) - 1e-3 * a  # tiny ridge keeps separable data finite
        hess = float(np.sum(p * (1 - p) * z * z)) + 1e-3
        step = grad / hess
        a += step
        if abs(step) < 1e-6:
            break
    return max(a, 1e-3)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


def stratified_folds(
    ids: Sequence[str], strata: Sequence[str], folds: int, salt: str
) -> np.ndarray:
    """Fold number per row: within each stratum, rows in id-hash order dealt round-robin.

    Training-only answers (``TRAIN_ONLY_ID``) go by a hash of their idea number instead.
    """
    out = np.zeros(len(ids), dtype=np.int64)
    groups: dict[str, list[int]] = {}
    for i, s in enumerate(strata):
        idea = TRAIN_ONLY_ID.fullmatch(ids[i])
        if idea:  # translations of one idea share a fold, so none is scored by its own twin
            digest = hashlib.sha256(f"{salt}:idea-{idea.group(1)}".encode()).digest()
            out[i] = int.from_bytes(digest[:8], "big") % folds
            continue
        groups.setdefault(s, []).append(i)
    for s in sorted(groups):
        rows = sorted(groups[s], key=lambda i: hashlib.sha256(f"{salt}:{ids[i]}".encode()).digest())
        for rank, i in enumerate(rows):
            out[i] = rank % folds
    return out


def ids_digest(ids: Sequence[str]) -> str:
    """A fingerprint of the training answers' ids (to tell a stale model from the data)."""
    return hashlib.sha256("\n".join(sorted(ids)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RiskModel:
    """Derived data of the labelled training answers (no texts)."""

    vectoriser: str
    vectors: np.ndarray  # language-centred, L2-normalised, float32 (n, d)
    kinds: np.ndarray  # bool (n, len(RISK_KINDS)); a row without any kind is a negative
    groups: np.ndarray  # int (n,): negative group number, -1 for positives
    group_names: tuple[str, ...]
    distressing: np.ndarray  # bool (n,)
    languages: np.ndarray  # str (n,)
    means: dict[str, np.ndarray]  # per language, and GLOBAL
    k: int
    weights: np.ndarray  # float32 (d,): logistic regression on the centred vectors
    bias: float
    cue_weights: np.ndarray  # float32 (len(CUES),): the same regression's weights of the cues
    scale: np.ndarray  # float64 (4,): kNN margin mean, sd, linear score mean, sd (out of fold)
    threshold: float  # combined score at which the screening score is THRESHOLD (unknown language)
    language_thresholds: dict[str, float]  # the same for each training language
    slope: float
    kind_threshold: float  # kNN margin a kind's own margin must reach to be listed
    distress_k: int
    distress_weights: np.ndarray  # float32 (d,): logistic regression, distressing vs not
    distress_bias: float
    distress_scale: np.ndarray  # as ``scale``, for the distressing scores
    distress_threshold: float  # combined distressing score at which an answer is distressing
    distress_slope: float
    train_digest: str

    @property
    def positive(self) -> np.ndarray:
        return self.kinds.any(axis=1)


def _group_numbers(
    y: np.ndarray, negative_groups: Sequence[str] | None
) -> tuple[np.ndarray, tuple[str, ...]]:
    names = [
        (negative_groups[i] if negative_groups is not None else "") or NEGATIVE
        for i in np.flatnonzero(~y)
    ]
    group_names = tuple(sorted(set(names)))
    groups = np.full(len(y), -1, dtype=np.int64)
    groups[~y] = [group_names.index(n) for n in names]
    return groups, group_names


def fit_linear(x: np.ndarray, y: np.ndarray, c: float = LOGISTIC_C) -> tuple[np.ndarray, float]:
    """Weights and bias of a class-balanced logistic regression (risk vs none)."""
    from sklearn.linear_model import LogisticRegression  # fitting only; screening is numpy

    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
    clf.fit(x, y)
    return clf.coef_[0].astype(np.float32), float(clf.intercept_[0])


def _fit_linear_cues(
    x: np.ndarray, cues: np.ndarray, y: np.ndarray, c: float, after: bool = CUES_AFTER
) -> tuple[np.ndarray, np.ndarray, float]:
    """``fit_linear`` on the vectors and the cues: (vector weights, cue weights, bias).

    With ``after``, the vector weights are fitted without the cues and the cues
    then only correct that score (a second logistic regression on the vector
    score and the cues): fitted jointly, the cues explain away the training idioms
    of en/es/fr/ar, so the vector weights never learn them, and in a language whose
    cues do not fire ("darei un braccio", "kkkk") the idiom then scores as risk.
    """
    if not after:
        w, b = fit_linear(np.hstack([x, cues]), y, c)
        return w[: x.shape[1]], w[x.shape[1] :], b
    w, b = fit_linear(x, y, c)
    if not cues.any():
        return w, np.zeros(cues.shape[1], np.float32), b
    s = (x @ w + b)[:, None]
    v, b2 = fit_linear(np.hstack([s, cues]), y, c)
    return (w * v[0]).astype(np.float32), v[1:], float(b * v[0] + b2)


def _scale(margin: np.ndarray, linear: np.ndarray) -> np.ndarray:
    return np.array([margin.mean(), margin.std() or 1.0, linear.mean(), linear.std() or 1.0])


def combined_score(margin: np.ndarray, linear: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Sum of the kNN margin and the linear score, each standardised by its out-of-fold spread."""
    return (margin - scale[0]) / scale[1] + (linear - scale[2]) / scale[3]


def choose_thresholds(
    scores: np.ndarray,
    positive: np.ndarray,
    languages: Sequence[str],
    recall: float,
    per_language: bool = PER_LANGUAGE,
) -> tuple[float, dict[str, float]]:
    """Thresholds on out-of-fold scores: one for any language, and one per training language.

    Each keeps ``recall`` of its positives; without ``per_language`` every
    language gets the overall one.
    """
    overall = threshold_for_recall(scores[positive], recall)
    langs = np.asarray(languages, dtype=object)
    by_lang = {}
    for lang in sorted(set(languages)):
        mask = positive & (langs == lang)
        by_lang[lang] = (
            threshold_for_recall(scores[mask], recall) if per_language and mask.any() else overall
        )
    return overall, by_lang


def fit_risk_model(
    vectors: np.ndarray,
    languages: Sequence[str],
    kinds: Sequence[Sequence[str]],
    distressing: Sequence[bool],
    ids: Sequence[str],
    negative_groups: Sequence[str] | None = None,
    *,
    texts: Sequence[str] | None = None,
    use_cues: bool = True,
    vectoriser: str = E5_NAME,
    k: int = K,
    c: float = LOGISTIC_C,
    distress_k: int = DISTRESS_K,
    target_recall: float = TARGET_RECALL,
    distress_recall: float = DISTRESS_RECALL,
    folds: int = INNER_FOLDS,
    per_language: bool = PER_LANGUAGE,
    kind_recall: float | None = KIND_RECALL,
    reference_means: dict[str, np.ndarray] | None = None,
    cues_after: bool = CUES_AFTER,
) -> tuple[RiskModel, dict[str, np.ndarray]]:
    """Fit the detector on labelled training answers (raw e5 vectors).

    ``negative_groups`` names each negative's group (the fixtures' style:
    idiom, policy …; ignored for positives).  Thresholds come from inner
    cross-validation: each training answer is scored by a model built from the
    other folds (their own language means too), and the threshold keeps
    ``target_recall`` of those out-of-fold positives.  Returns the model and
    the out-of-fold scores (``"risk"``: combined, ``"margin"``: kNN alone,
    ``"distress"``).  ``texts`` give the cue features (``cue_features``) of the
    risk model's linear part; without them (or ``use_cues`` false) the cues weigh 0.
    ``reference_means`` (per language, and ``GLOBAL``), when given, centre every
    vector instead of the training answers' own language means.
    """
    x = np.asarray(vectors, dtype=np.float32)
    if texts is not None and use_cues:
        cues = cue_features(texts)
    else:
        cues = np.zeros((len(x), len(CUES)), dtype=np.float32)
    langs = [normalise_language(lang) for lang in languages]
    y_kinds = np.array([[kd in ks for kd in RISK_KINDS] for ks in kinds], dtype=bool)
    y = y_kinds.any(axis=1)
    y_dis = np.asarray(distressing, dtype=bool)
    groups, group_names = _group_numbers(y, negative_groups)
    strata = [
        f"{lang}/{'+'.join(sorted(ks)) or 'none'}" for lang, ks in zip(langs, kinds, strict=True)
    ]
    fold = stratified_folds(ids, strata, folds, "risk-inner")
    oof = np.zeros(len(x))
    oof_lin = np.zeros(len(x))
    oof_dis = np.zeros(len(x))
    oof_dis_lin = np.zeros(len(x))
    for f in range(folds):
        tr, te = fold != f, fold == f
        if not te.any():
            continue
        tr_langs = [lang for lang, t in zip(langs, tr, strict=True) if t]
        means_f = reference_means or balanced_means(x[tr], tr_langs)
        xc_tr = centre_rows(x[tr], tr_langs, means_f)
        te_langs = [lang for lang, t in zip(langs, te, strict=True) if t]
        xc_te = centre_rows(x[te], te_langs, means_f)
        sims = xc_te @ xc_tr.T
        # group numbers stay those of the whole set: a group absent from a fold scores -1
        per_kind, negative = class_margins(sims, y_kinds[tr], groups[tr], k)
        oof[te] = per_kind.max(axis=1) - negative
        w, cw, b = _fit_linear_cues(xc_tr, cues[tr], y[tr], c, cues_after)
        oof_lin[te] = xc_te @ w + cues[te] @ cw + b
        oof_dis[te] = knn_margin(sims, y_dis[tr], distress_k)
        if y_dis[tr].any() and not y_dis[tr].all():
            w, b = fit_linear(xc_tr, y_dis[tr], c)
            oof_dis_lin[te] = xc_te @ w + b
    scale = _scale(oof, oof_lin)
    combined = combined_score(oof, oof_lin, scale)
    thr, lang_thr = choose_thresholds(combined, y, langs, target_recall, per_language)
    row_thr = np.array([lang_thr.get(lang, thr) for lang in langs])
    if kind_recall is not None:  # lower every threshold alike until each kind keeps its floor
        shift = max(
            0.0,
            *(
                -threshold_for_recall((combined - row_thr)[y_kinds[:, j]], kind_recall)
                for j in range(len(RISK_KINDS))
                if y_kinds[:, j].any()
            ),
        )
        thr -= shift
        lang_thr = {lang: t - shift for lang, t in lang_thr.items()}
        row_thr = row_thr - shift
    dscale = _scale(oof_dis, oof_dis_lin)
    dcombined = combined_score(oof_dis, oof_dis_lin, dscale)
    dthr = threshold_for_recall(dcombined[y_dis], distress_recall)
    means = reference_means or balanced_means(x, langs)
    xc = centre_rows(x, langs, means)
    w, cw, b = _fit_linear_cues(xc, cues, y, c, cues_after)
    if y_dis.any() and not y_dis.all():
        dw, db = fit_linear(xc, y_dis, c)
    else:  # no distressing examples: the linear part says nothing
        dw, db = np.zeros(x.shape[1], np.float32), 0.0
    model = RiskModel(
        vectoriser=vectoriser,
        vectors=xc,
        kinds=y_kinds,
        groups=groups,
        group_names=group_names,
        distressing=y_dis,
        languages=np.asarray(langs, dtype="U16"),
        means=means,
        k=k,
        weights=w,
        bias=b,
        cue_weights=cw,
        scale=scale,
        threshold=thr,
        language_thresholds=lang_thr,
        slope=fit_slope(combined - row_thr, y),
        kind_threshold=threshold_for_recall(oof[y], target_recall),
        distress_k=distress_k,
        distress_weights=dw,
        distress_bias=db,
        distress_scale=dscale,
        distress_threshold=dthr,
        distress_slope=fit_slope(dcombined - dthr, y_dis),
        train_digest=ids_digest(ids),
    )
    return model, {"risk": combined, "margin": oof, "distress": dcombined}


def save_model(model: RiskModel, path: str | Path = MODEL_FILE) -> None:
    mean_langs = sorted(model.means)
    bits = (model.kinds * (1 << np.arange(len(RISK_KINDS)))).sum(axis=1).astype(np.uint8)
    np.savez_compressed(
        path,
        format=np.int64(MODEL_FORMAT),
        vectoriser=np.str_(model.vectoriser),
        kind_names=np.array(RISK_KINDS, dtype="U16"),
        vectors=model.vectors.astype(np.float16),
        kind_bits=bits,
        groups=model.groups.astype(np.int8),
        group_names=np.array(model.group_names, dtype="U16"),
        distressing=model.distressing.astype(bool),
        languages=model.languages.astype("U16"),
        mean_languages=np.array(mean_langs, dtype="U16"),
        means=np.stack([model.means[lang] for lang in mean_langs]).astype(np.float32),
        k=np.int64(model.k),
        weights=model.weights.astype(np.float32),
        bias=np.float64(model.bias),
        cue_weights=model.cue_weights.astype(np.float32),
        scale=model.scale.astype(np.float64),
        threshold=np.float64(model.threshold),
        threshold_languages=np.array(sorted(model.language_thresholds), dtype="U16"),
        language_thresholds=np.array(
            [model.language_thresholds[k] for k in sorted(model.language_thresholds)], np.float64
        ),
        slope=np.float64(model.slope),
        kind_threshold=np.float64(model.kind_threshold),
        distress_k=np.int64(model.distress_k),
        distress_weights=model.distress_weights.astype(np.float32),
        distress_bias=np.float64(model.distress_bias),
        distress_scale=model.distress_scale.astype(np.float64),
        distress_threshold=np.float64(model.distress_threshold),
        distress_slope=np.float64(model.distress_slope),
        train_digest=np.str_(model.train_digest),
    )


def read_model(path: str | Path = MODEL_FILE) -> RiskModel:
    with np.load(path, allow_pickle=False) as z:
        if int(z["format"]) != MODEL_FORMAT:
            raise ValueError(f"risk model format {int(z['format'])}, expected {MODEL_FORMAT}")
        if tuple(z["kind_names"].tolist()) != RISK_KINDS:
            raise ValueError("risk model kinds differ from RISK_KINDS")
        bits = z["kind_bits"].astype(np.int64)
        kinds = ((bits[:, None] >> np.arange(len(RISK_KINDS))) & 1).astype(bool)
        vectors = _unit_rows(z["vectors"].astype(np.float32))
        means = dict(zip(z["mean_languages"].tolist(), z["means"].astype(np.float32), strict=True))
        groups = z["groups"].astype(np.int64)
        weights = z["weights"].astype(np.float32)
        if (
            GLOBAL not in means
            or not (len(vectors) == len(kinds) == len(groups))
            or weights.shape != vectors.shape[1:]
        ):
            raise ValueError("risk model file is incomplete")
        return RiskModel(
            vectoriser=str(z["vectoriser"]),
            vectors=vectors,
            kinds=kinds,
            groups=groups,
            group_names=tuple(z["group_names"].tolist()),
            distressing=z["distressing"].astype(bool),
            languages=z["languages"],
            means=means,
            k=int(z["k"]),
            weights=weights,
            bias=float(z["bias"]),
            cue_weights=z["cue_weights"].astype(np.float32),
            scale=z["scale"].astype(np.float64),
            threshold=float(z["threshold"]),
            language_thresholds=dict(
                zip(
                    z["threshold_languages"].tolist(),
                    z["language_thresholds"].astype(float).tolist(),
                    strict=True,
                )
            ),
            slope=float(z["slope"]),
            kind_threshold=float(z["kind_threshold"]),
            distress_k=int(z["distress_k"]),
            distress_weights=z["distress_weights"].astype(np.float32),
            distress_bias=float(z["distress_bias"]),
            distress_scale=z["distress_scale"].astype(np.float64),
            distress_threshold=float(z["distress_threshold"]),
            distress_slope=float(z["distress_slope"]),
            train_digest=str(z["train_digest"]),
        )


def _phrase_reasons(flags: list[Flag]) -> list[RiskReason]:
    seen: dict[tuple[str, str], RiskReason] = {}
    for f in flags:
        seen.setdefault((f.kind, f.term), RiskReason(f.kind, "phrase", f.term))
    return list(seen.values())


def _from_phrases(flags: list[Flag]) -> Screening:
    kinds = list(dict.fromkeys(f.kind for f in flags if f.kind in RISK_KINDS))
    return Screening(
        risk=bool(kinds),
        kinds=kinds,
        distressing=any(f.kind == DISTRESSING for f in flags),
        score=1.0 if kinds else 0.0,
        reasons=_phrase_reasons(flags),
    )


class RiskDetector:
    """Screens answers; ``model`` ``None`` means the lexicon alone.

    ``name`` says what screens ("e5-knn+lexicon" or "lexicon"); ``uses_model``
    tells the app whether the embedding model takes part, so that its pages
    can say so plainly.  Risk iff ``score >= threshold``.
    """

    def __init__(self, model: RiskModel | None = None, *, use_lexicon: bool = True) -> None:
        if model is None and not use_lexicon:
            raise ValueError("a detector needs the model, the lexicon or both")
        self.model = model
        self.use_lexicon = use_lexicon
        self.uses_model = model is not None
        self.name = "+".join(
            (["e5-knn"] if model is not None else []) + (["lexicon"] if use_lexicon else [])
        )
        self.threshold = THRESHOLD

    def screen(
        self, texts: list[str], languages: list[str], vectors: np.ndarray | None
    ) -> list[Screening]:
        """One :class:`Screening` per text.

        ``languages`` are language codes or locales (one per text, "" when
        unknown); ``vectors`` the raw, L2-normalised e5 vectors of the texts
        (one row each) or ``None`` for the lexicon alone.
        """
        if len(languages) != len(texts):
            raise ValueError("one language per text is needed")
        langs = [normalise_language(lang) for lang in languages]
        if self.use_lexicon:
            phrase = [flag(t or "", lang) for t, lang in zip(texts, langs, strict=True)]
        else:
            phrase = [[] for _ in texts]
        if self.model is None or vectors is None or not len(texts):
            return [_from_phrases(f) for f in phrase]
        x = np.asarray(vectors, dtype=np.float32)
        if x.shape != (len(texts), self.model.vectors.shape[1]):
            raise ValueError(f"vectors of shape {x.shape} for {len(texts)} texts")
        # no batch mean: an answer's screening never depends on who else is screened with it
        xc = centre_rows(x, langs, self.model.means)
        return self._with_model(texts, langs, phrase, xc)

    def _with_model(
        self, texts: list[str], langs: list[str], phrase: list[list[Flag]], xc: np.ndarray
    ) -> list[Screening]:
        m = self.model
        assert m is not None  # noqa: S101 - only called with a model
        # one product per answer: a matrix product takes other BLAS paths for a batch than
        # for one row, and its last bits could move a rounded score between the two
        sims = np.stack([m.vectors @ row for row in xc])
        dots = np.array([(row @ m.weights, row @ m.distress_weights) for row in xc])
        per_kind, negative = class_margins(sims, m.kinds, m.groups, m.k)
        kind_margin = per_kind - negative[:, None]
        linear = dots[:, 0] + cue_features(texts) @ m.cue_weights + m.bias
        combined = combined_score(kind_margin.max(axis=1), linear, m.scale)
        thr = np.array([m.language_thresholds.get(lang, m.threshold) for lang in langs])
        score = _sigmoid(m.slope * (combined - thr))
        dis = combined_score(
            knn_margin(sims, m.distressing, m.distress_k),
            dots[:, 1] + m.distress_bias,
            m.distress_scale,
        )
        out = []
        for i, flags in enumerate(phrase):
            if not (texts[i] or "").strip():  # a blank answer's vector says nothing about it
                out.append(_from_phrases(flags))
                continue
            lex_kinds = [f.kind for f in flags if f.kind in RISK_KINDS]
            by_model = bool(score[i] >= THRESHOLD)
            best = per_kind[i].max()
            order = np.argsort(-per_kind[i], kind="stable")
            passing = [
                RISK_KINDS[j]
                for j in order
                if kind_margin[i, j] >= m.kind_threshold and per_kind[i, j] >= best - KIND_MARGIN
            ]
            if by_model and not passing:  # flagged by the combined score: name the nearest kind
                passing = [RISK_KINDS[order[0]]]
            if not by_model:  # kinds come with a flag, never without one
                passing = []
            kinds = list(dict.fromkeys(lex_kinds + passing))
            reasons = _phrase_reasons(flags)
            if by_model:
                reasons.append(RiskReason(passing[0], "similar", passing[0]))
            distressing = any(f.kind == DISTRESSING for f in flags)
            if dis[i] >= m.distress_threshold:
                distressing = True
                reasons.append(RiskReason(DISTRESSING, "similar", DISTRESSING))
            s = round(float(score[i]) if by_model or not lex_kinds else THRESHOLD, 4)
            if not kinds and s >= THRESHOLD:  # rounding must not lift a score to the threshold
                s = THRESHOLD - 1e-4
            out.append(Screening(bool(kinds), kinds, distressing, s, reasons))
        return out


@functools.lru_cache(maxsize=4)
def load_detector(vectoriser_name: str | None) -> RiskDetector:
    """The shipped detector for vectors of ``vectoriser_name``; the lexicon alone otherwise.

    Only vectors of the model the shipped data was built with (``E5_NAME``)
    can be compared with it; for any other name, ``None``, or a missing file,
    the lexicon screens alone.
    """
    if vectoriser_name is None or vectoriser_name != E5_NAME or not MODEL_FILE.exists():
        return RiskDetector(None)
    model = read_model(MODEL_FILE)
    if model.vectoriser != vectoriser_name:
        return RiskDetector(None)
    return RiskDetector(model)
