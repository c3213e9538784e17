"""The theming pipeline: redact → language → vectors → centre → cluster → label.

Two vector spaces are used:

- the **theme space**: the vectoriser's vectors with each language's mean
  subtracted and re-normalised ("language-centring"; without it the e5 vectors
  group partly by language).  Theme centres, scores, the "other" bucket,
  secondary themes, quotes and later assignment all live here, so a saved
  theme can take new answers without refitting anything.
- the **clustering space**: with the embedding model, the theme space joined
  with a lighter TF-IDF (word + char n-gram → SVD) block, weighted by
  ``LEXICAL_WEIGHT`` × the chance that two answers share a language (Σ pₗ²).
  Word overlap sharpens themes within one language (Banking77 NMI 0.738 →
  0.768 at k=77) but says nothing across languages, so its weight shrinks as
  the mix of languages grows.

"Other / unclear": an answer whose similarity to its theme's centre is below
``median − 3 × 1.4826 × MAD`` of all answers' similarities (a robust outlier
cut) goes to theme -1 instead of being forced into a theme; so do members of
themes left with fewer than ``MIN_THEME_SIZE`` answers.  An answer whose
similarity to a second theme is above that cut and within one robust standard
deviation (1.4826 × MAD) of its similarity to its own theme carries the second
theme as ``secondary``.

Determinism: nothing depends on the order of the input rows (the clustering
sorts rows by content), seeds are fixed, themes are numbered by size (then by
their smallest text).  Only ``seconds`` differs between two identical runs.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import MutableMapping, Sequence

import numpy as np

from . import cluster as clustering
from .duplicates import copy_groups
from .label import class_tfidf, is_quotable_text, phrase_label
from .language import detect_language, normalise_language
from .redact import redact
from .types import OTHER, Member, Theme, ThemeResult
from .vectorise import Vectoriser, default_vectoriser, embed, tfidf_svd

LEXICAL_WEIGHT = 0.5
MIN_LANGUAGE_COUNT = 10
MIN_THEME_SIZE = 2
OTHER_MADS = 3.0
N_QUOTES = 3
N_TERMS = 8
TERM_COPIES = 3


def _normalise_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms


def language_means(x: np.ndarray, languages: Sequence[str]) -> dict[str, np.ndarray]:
    """Mean vector per language; languages with few answers share the overall mean."""
    overall = x.mean(axis=0) if len(x) else np.zeros(x.shape[1])
    langs = np.asarray(languages, dtype=object)
    means: dict[str, np.ndarray] = {"*": overall}
    for lang in sorted(set(languages)):
        mask = langs == lang
        if mask.sum() >= MIN_LANGUAGE_COUNT:
            means[lang] = x[mask].mean(axis=0)
    return means


def centre(x: np.ndarray, languages: Sequence[str], means: dict[str, np.ndarray]) -> np.ndarray:
    """Subtract each answer's language mean (or the overall one) and re-normalise."""
    sub = np.stack([means.get(lang, means["*"]) for lang in languages]) if len(x) else x
    return _normalise_rows(x - sub)


def robust_spread(similarities: np.ndarray) -> tuple[float, float]:
    """Median and 1.4826 × MAD (a robust standard deviation)."""
    med = float(np.median(similarities))
    return med, 1.4826 * float(np.median(np.abs(similarities - med)))


def other_threshold(similarities: np.ndarray) -> float:
    med, spread = robust_spread(similarities)
    return med - OTHER_MADS * spread


def _quality(x: np.ndarray, labels: np.ndarray) -> float:
    from sklearn.metrics import silhouette_score

    keep = np.flatnonzero(labels != OTHER)
    if len(keep) > clustering.SILHOUETTE_SAMPLE:
        keep = keep[np.linspace(0, len(keep) - 1, clustering.SILHOUETTE_SAMPLE).astype(int)]
    lab = labels[keep]
    if len(np.unique(lab)) < 2 or len(np.unique(lab)) >= len(keep):
        return 0.0
    return round(float(silhouette_score(x[keep], lab, metric="cosine")), 4)


def prepare(
    texts: Sequence[str],
    locales: Sequence[str | None] | None = None,
    *,
    detect: bool = True,
) -> tuple[list[str], list[str]]:
    """Languages (detected, with the locale as prior) and redacted texts."""
    texts = ["" if t is None else str(t) for t in texts]
    if locales is None:
        locales = [None] * len(texts)
    if detect:
        languages = [detect_language(t, p)[0] for t, p in zip(texts, locales, strict=True)]
    else:
        languages = [normalise_language(p) for p in locales]
    redacted = [redact(t, lang or "en").text for t, lang in zip(texts, languages, strict=True)]
    return languages, redacted


def theme_answers(
    texts: Sequence[str],
    locales: Sequence[str | None] | None = None,
    *,
    k: int | None = None,
    vectoriser: Vectoriser | None = None,
    cache: MutableMapping[str, np.ndarray] | None = None,
    detect: bool = True,
    lexical_weight: float | None = None,
    label_language: str | None = None,
    quotable: Sequence[bool] | None = None,
) -> ThemeResult:
    """Theme the free-text answers to one question.

    ``locales`` are the participants' chosen languages (a prior for detection,
    or taken as given with ``detect=False``).  ``k`` overrides the automatic
    number of themes.  ``cache`` maps :func:`vectorise.cache_key` to vectors
    so that re-theming never re-embeds.  Quotes and terms come from the
    redacted texts only.  ``label_language`` is the language theme names are
    written in (the round's main language; default: the answers' most common
    one).  ``quotable`` marks answers that may be quoted or named from (False
    for risk-flagged ones); formula-like and near-empty answers never are.
    """
    t0 = time.perf_counter()
    vectoriser = vectoriser or default_vectoriser()
    languages, redacted = prepare(texts, locales, detect=detect)
    n = len(redacted)
    if n == 0:
        return ThemeResult(vectoriser.name, 0, 0, "no answers", 0.0, 0.0, [], [], [], {}, 0.0, {})
    x, _ = embed(redacted, vectoriser, cache)
    x = x.astype(np.float64)

    # Copies are themed once: every later step up to the expansion below sees one
    # row per group of copies ("unique" rows), so 30 copies weigh like one answer
    # in the clustering, the language means and the theme centres; sizes count them.
    rep = np.asarray(copy_groups(redacted, x if vectoriser.cacheable else None), dtype=np.int64)
    uniq = np.unique(rep)
    pos = np.full(n, -1, dtype=np.int64)
    pos[uniq] = np.arange(len(uniq))
    of_row = pos[rep]  # each row's index among the unique rows
    u_languages = [languages[i] for i in uniq]
    u_redacted = [redacted[i] for i in uniq]
    m = len(uniq)

    means = language_means(x[uniq], u_languages)
    xc = centre(x, languages, means)
    xu = xc[uniq]

    # clustering space
    lang_keys = [lang or "?" for lang in u_languages]
    shares = np.array([lang_keys.count(lang) for lang in set(lang_keys)]) / m
    weight = LEXICAL_WEIGHT if lexical_weight is None else lexical_weight
    weight *= float((shares**2).sum())
    if vectoriser.cacheable and weight > 0 and m >= 20:
        lex = tfidf_svd(u_redacted, fit_max=clustering.WARD_SAMPLE).astype(np.float64)
        xs = _normalise_rows(np.hstack([xu, weight * lex]))
    else:
        weight = 0.0
        xs = xu
    labels_u, k_used, how = clustering.cluster(xs, k)

    # theme space: centres, scores, other bucket, secondary themes
    cent = clustering.centroids(xu, labels_u, k_used)
    own_u = (xu @ cent.T)[np.arange(m), labels_u]
    threshold = other_threshold(own_u) if m >= 10 else -1.0
    labels_u = labels_u.copy()
    labels_u[own_u < threshold] = OTHER
    labels = labels_u[of_row]
    sizes = np.bincount(labels[labels != OTHER], minlength=k_used)
    for t in np.flatnonzero((sizes > 0) & (sizes < MIN_THEME_SIZE)):
        labels[labels == t] = OTHER
    # renumber by size (answers, copies included), then by the smallest text (not
    # by row, so that the order of the input cannot change the numbering)
    present = [t for t in range(k_used) if (labels == t).any()]
    least = {t: min(redacted[i] for i in np.flatnonzero(labels == t)) for t in present}
    order = sorted(present, key=lambda t: (-int((labels == t).sum()), least[t]))
    renum = {old: new for new, old in enumerate(order)}
    labels = np.array([renum.get(int(lab), OTHER) for lab in labels], dtype=np.int64)
    labels_u = labels[uniq]
    k_final = len(order)
    if k_final:
        # centres from the kept unique members only
        cent = np.stack(
            [
                _normalise_rows(xu[labels_u == t].mean(axis=0, keepdims=True))[0]
                for t in range(k_final)
            ]
        )
    else:
        cent = np.zeros((0, xc.shape[1]))
    sims_all = xc @ cent.T
    spread = robust_spread(own_u)[1] if m >= 10 else 0.0

    members: list[Member] = []
    for i in range(n):
        lab = int(labels[i])
        score = (
            float(sims_all[i, lab])
            if lab != OTHER
            else (float(sims_all[i].max()) if k_final else 0.0)
        )
        secondary = None
        if lab != OTHER and k_final > 1:
            row = sims_all[i].copy()
            row[lab] = -np.inf
            second = int(np.argmax(row))
            if row[second] >= max(threshold, sims_all[i, lab] - spread):
                secondary = second
        members.append(Member(i, lab, round(score, 4), secondary, languages[i]))

    # names, terms and quotes: from each theme's distinct answers
    weight_of = np.bincount(of_row, minlength=m)
    ok = [True] * n if quotable is None else [bool(q) for q in quotable]
    # a group of copies is quotable only when every copy is (one flagged copy holds it back)
    ok_u = np.ones(m, dtype=bool)
    for i in range(n):
        ok_u[of_row[i]] &= ok[i]
    # key terms: a group of copies counts up to TERM_COPIES times — enough that a
    # repeated answer's words register (and pass class_tfidf's "used once" filter),
    # too few for 30 copies to drown the theme's other words
    docs = [
        [
            u_redacted[j]
            for j in np.flatnonzero(labels_u == t)
            for _ in range(min(int(weight_of[j]), TERM_COPIES))
        ]
        for t in range(k_final)
    ]
    terms = class_tfidf(docs, languages, top=N_TERMS)
    name_language = normalise_language(label_language) if label_language else None
    if not name_language:
        counts = Counter(u_languages)
        name_language = min(counts, key=lambda lang: (-counts[lang], lang or ""))
    themes = []
    for t in range(k_final):
        rows = np.flatnonzero(labels == t)
        us = np.flatnonzero(labels_u == t)
        close_u = xu[us] @ cent[t]
        by_closeness = us[np.lexsort((np.array([u_redacted[j] for j in us]), -close_u))]
        quotes: list[str] = []
        quote_counts: list[int] = []
        for j in by_closeness:
            if ok_u[j] and is_quotable_text(u_redacted[j]):
                quotes.append(u_redacted[j])
                quote_counts.append(int(weight_of[j]))
            if len(quotes) == N_QUOTES:
                break
        term_list = [w for w, _ in terms[t]]
        label = phrase_label(
            [u_redacted[j] for j in us],
            [u_languages[j] or "" for j in us],
            term_list,
            name_language or "",
            closeness=[float(c) for c in close_u],
            quotable=[bool(ok_u[j]) for j in us],
        )
        themes.append(
            Theme(
                id=t,
                label=label,
                size=len(rows),
                terms=term_list,
                quotes=quotes,
                rows=[int(r) for r in rows],
                centroid=[round(float(v), 6) for v in cent[t]],
                quote_counts=quote_counts,
                distinct=len(us),
            )
        )
    quality = _quality(xu, labels_u)
    return ThemeResult(
        vectoriser=vectoriser.name,
        n=n,
        k=k_final,
        k_method=how
        if k_final == k_used
        else f"{how}; {k_used - k_final} tiny theme(s) moved to other",
        seconds=round(time.perf_counter() - t0, 3),
        quality=quality,
        themes=themes,
        members=members,
        other=[int(i) for i in np.flatnonzero(labels == OTHER)],
        language_means={lang: [round(float(v), 6) for v in m] for lang, m in sorted(means.items())},
        other_threshold=round(float(threshold), 6),
        settings={
            "k": k,
            "lexical_weight": round(weight, 4),
            "detect_language": int(detect),
            "quality": "mean cosine silhouette in the theme space, other excluded",
            "distinct_answers": m,
            "name_language": name_language,
        },
    )
