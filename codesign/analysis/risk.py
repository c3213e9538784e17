"""Screen answers for risk: the phrase lexicon plus nearest labelled answers in e5 space.

(The measured choice of method is summarised in ``METHOD`` below and in
``tests/analysis/fixtures/risk/README.md``.)
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .flags import RISK_KINDS, flag
from .language import normalise_language
from .types import RiskReason, Screening
from .vectorise import E5_NAME

DISTRESSING = "distressing"
MODEL_FILE = Path(__file__).with_name("risk_model.npz")
MODEL_FORMAT = 1
THRESHOLD = 0.5
"""Score at and above which an answer is screened as risk (for every detector)."""

K = 5
TARGET_RECALL = 0.94
DISTRESS_RECALL = 0.92
INNER_FOLDS = 5
KIND_SHARE = 0.5  # a kind is listed when its neighbours weigh at least this share of the best
GLOBAL = "*"  # key of the mean used for languages without a stored mean
BATCH_MIN = 0  # 0: never centre on the batch's own answers


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
    batch_min: int = BATCH_MIN,
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
    k = min(k, sims.shape[1])
    if k == 0:
        return np.zeros(len(sims), dtype=sims.dtype)
    return np.partition(sims, sims.shape[1] - k, axis=1)[:, -k:].mean(axis=1)


def knn_margin(sims: np.ndarray, positive: np.ndarray, k: int = K) -> np.ndarray:
    """Mean similarity to the k nearest positives minus that to the k nearest negatives."""
    return _top_mean(sims[:, positive], k) - _top_mean(sims[:, ~positive], k)


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
        p = 1.0 / (1.0 + np.exp(-a * z))
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
    """Fold number per row: within each stratum, rows in id-hash order dealt round-robin."""
    out = np.zeros(len(ids), dtype=np.int64)
    groups: dict[str, list[int]] = {}
    for i, s in enumerate(strata):
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
    distressing: np.ndarray  # bool (n,)
    languages: np.ndarray  # str (n,)
    means: dict[str, np.ndarray]  # per language, and GLOBAL
    k: int
    threshold: float  # risk margin at which the score is THRESHOLD
    slope: float
    distress_threshold: float
    distress_slope: float
    kind_share: float
    batch_min: int
    train_digest: str

    @property
    def positive(self) -> np.ndarray:
        return self.kinds.any(axis=1)


def _margins(
    model_vectors: np.ndarray, labels: np.ndarray, queries: np.ndarray, k: int
) -> np.ndarray:
    return knn_margin(queries @ model_vectors.T, labels, k)


def fit_risk_model(
    vectors: np.ndarray,
    languages: Sequence[str],
    kinds: Sequence[Sequence[str]],
    distressing: Sequence[bool],
    ids: Sequence[str],
    *,
    vectoriser: str = E5_NAME,
    k: int = K,
    target_recall: float = TARGET_RECALL,
    distress_recall: float = DISTRESS_RECALL,
    folds: int = INNER_FOLDS,
    kind_share: float = KIND_SHARE,
    batch_min: int = BATCH_MIN,
) -> tuple[RiskModel, dict[str, np.ndarray]]:
    """Fit the detector on labelled training answers (raw e5 vectors).

    Thresholds come from inner cross-validation: each training answer is scored
    by a model built from the other folds (their own language means too), and
    the threshold keeps ``target_recall`` of those out-of-fold positives.
    Returns the model and the out-of-fold margins (``"risk"``, ``"distress"``).
    """
    x = np.asarray(vectors, dtype=np.float32)
    langs = [normalise_language(lang) for lang in languages]
    y_kinds = np.array([[kd in ks for kd in RISK_KINDS] for ks in kinds], dtype=bool)
    y = y_kinds.any(axis=1)
    y_dis = np.asarray(distressing, dtype=bool)
    strata = [
        f"{lang}/{'+'.join(sorted(ks)) or 'none'}" for lang, ks in zip(langs, kinds, strict=True)
    ]
    fold = stratified_folds(ids, strata, folds, "risk-inner")
    oof = np.zeros(len(x))
    oof_dis = np.zeros(len(x))
    for f in range(folds):
        tr, te = fold != f, fold == f
        if not te.any():
            continue
        means_f = balanced_means(x[tr], [lang for lang, t in zip(langs, tr, strict=True) if t])
        xc_tr = centre_rows(x[tr], [lang for lang, t in zip(langs, tr, strict=True) if t], means_f)
        xc_te = centre_rows(x[te], [lang for lang, t in zip(langs, te, strict=True) if t], means_f)
        sims = xc_te @ xc_tr.T
        oof[te] = knn_margin(sims, y[tr], k)
        oof_dis[te] = knn_margin(sims, y_dis[tr], k)
    thr = threshold_for_recall(oof[y], target_recall)
    dthr = threshold_for_recall(oof_dis[y_dis], distress_recall)
    means = balanced_means(x, langs)
    model = RiskModel(
        vectoriser=vectoriser,
        vectors=centre_rows(x, langs, means),
        kinds=y_kinds,
        distressing=y_dis,
        languages=np.asarray(langs, dtype="U16"),
        means=means,
        k=k,
        threshold=thr,
        slope=fit_slope(oof - thr, y),
        distress_threshold=dthr,
        distress_slope=fit_slope(oof_dis - dthr, y_dis),
        kind_share=kind_share,
        batch_min=batch_min,
        train_digest=ids_digest(ids),
    )
    return model, {"risk": oof, "distress": oof_dis}


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
        distressing=model.distressing.astype(bool),
        languages=model.languages.astype("U16"),
        mean_languages=np.array(mean_langs, dtype="U16"),
        means=np.stack([model.means[lang] for lang in mean_langs]).astype(np.float32),
        k=np.int64(model.k),
        threshold=np.float64(model.threshold),
        slope=np.float64(model.slope),
        distress_threshold=np.float64(model.distress_threshold),
        distress_slope=np.float64(model.distress_slope),
        kind_share=np.float64(model.kind_share),
        batch_min=np.int64(model.batch_min),
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
        if GLOBAL not in means or len(vectors) != len(kinds):
            raise ValueError("risk model file is incomplete")
        return RiskModel(
            vectoriser=str(z["vectoriser"]),
            vectors=vectors,
            kinds=kinds,
            distressing=z["distressing"].astype(bool),
            languages=z["languages"],
            means=means,
            k=int(z["k"]),
            threshold=float(z["threshold"]),
            slope=float(z["slope"]),
            distress_threshold=float(z["distress_threshold"]),
            distress_slope=float(z["distress_slope"]),
            kind_share=float(z["kind_share"]),
            batch_min=int(z["batch_min"]),
            train_digest=str(z["train_digest"]),
        )


class RiskDetector:
    """Screens answers; ``model`` ``None`` means the lexicon alone."""

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
        if model is not None:
            self._pos = model.vectors[model.positive]
            self._neg = model.vectors[~model.positive]
            self._pos_kinds = model.kinds[model.positive]

    def screen(
        self, texts: list[str], languages: list[str], vectors: np.ndarray | None
    ) -> list[Screening]:
        """One :class:`Screening` per text; ``vectors`` are raw e5 vectors (or ``None``)."""
        if len(languages) != len(texts):
            raise ValueError("one language per text is needed")
        langs = [normalise_language(lang) for lang in languages]
        if self.use_lexicon:
            phrase = [flag(t or "", lang) for t, lang in zip(texts, langs, strict=True)]
        else:
            phrase = [[] for _ in texts]
        if self.model is None or vectors is None or not len(texts):
            return [self._from_phrases(f) for f in phrase]
        x = np.asarray(vectors, dtype=np.float32)
        if x.shape != (len(texts), self.model.vectors.shape[1]):
            raise ValueError(f"vectors of shape {x.shape} for {len(texts)} texts")
        return self._with_model(
            texts, phrase, centre_rows(x, langs, self.model.means, self.model.batch_min)
        )

    @staticmethod
    def _phrase_reasons(flags) -> list[RiskReason]:
        seen: dict[tuple[str, str], RiskReason] = {}
        for f in flags:
            seen.setdefault((f.kind, f.term), RiskReason(f.kind, "phrase", f.term))
        return list(seen.values())

    def _from_phrases(self, flags) -> Screening:
        kinds = list(dict.fromkeys(f.kind for f in flags if f.kind in RISK_KINDS))
        return Screening(
            risk=bool(kinds),
            kinds=kinds,
            distressing=any(f.kind == DISTRESSING for f in flags),
            score=1.0 if kinds else 0.0,
            reasons=self._phrase_reasons(flags),
        )

    def _with_model(self, texts: list[str], phrase: list, xc: np.ndarray) -> list[Screening]:
        m = self.model
        assert m is not None  # noqa: S101 - only called with a model
        sp = xc @ self._pos.T
        sn = xc @ self._neg.T
        margin = _top_mean(sp, m.k) - _top_mean(sn, m.k)
        score = _sigmoid(m.slope * (margin - m.threshold))
        dis = _top_mean(xc @ m.vectors[m.distressing].T, m.k) - _top_mean(
            xc @ m.vectors[~m.distressing].T, m.k
        )
        near = np.argsort(-sp, axis=1, kind="stable")[:, : m.k]
        out = []
        for i, flags in enumerate(phrase):
            if not texts[i].strip():  # a blank answer's vector says nothing about it
                out.append(self._from_phrases(flags))
                continue
            lex_kinds = list(dict.fromkeys(f.kind for f in flags if f.kind in RISK_KINDS))
            risk = bool(score[i] >= THRESHOLD) or bool(lex_kinds)
            s = float(score[i]) if score[i] >= THRESHOLD or not lex_kinds else THRESHOLD
            weights = (self._pos_kinds[near[i]] * np.maximum(sp[i, near[i]], 0)[:, None]).sum(0)
            best = float(weights.max())
            order = [j for j in np.argsort(-weights, kind="stable") if weights[j] > 0]
            near_kinds = [RISK_KINDS[j] for j in order if weights[j] >= m.kind_share * best]
            kinds = list(dict.fromkeys(lex_kinds + near_kinds)) if risk else []
            reasons = self._phrase_reasons(flags)
            if score[i] >= THRESHOLD and near_kinds:
                reasons.append(RiskReason(near_kinds[0], "similar", near_kinds[0]))
            distressing = any(f.kind == DISTRESSING for f in flags)
            if dis[i] >= m.distress_threshold:
                distressing = True
                reasons.append(RiskReason(DISTRESSING, "similar", DISTRESSING))
            out.append(Screening(risk, kinds, distressing, round(s, 4), reasons))
        return out


@functools.lru_cache(maxsize=4)
def load_detector(vectoriser_name: str | None) -> RiskDetector:
    """The shipped detector for vectors of ``vectoriser_name`` (lexicon alone otherwise)."""
    if vectoriser_name is None or vectoriser_name != E5_NAME or not MODEL_FILE.exists():
        return RiskDetector(None)
    model = read_model(MODEL_FILE)
    if model.vectoriser != vectoriser_name:
        return RiskDetector(None)
    return RiskDetector(model)
