"""Recall and false alarms of the risk detector on held-out labelled answers.

Run from the repo root:
``python benchmarks/flags_eval.py [--methods] [--candidates [--data-dir DIR]] [-v]``.

Prints, for the TEST split of ``tests/analysis/fixtures/risk/`` (never seen
by the shipped model) and for the transfer languages (pt, de, it; no answer
in them was used at all): recall and false-alarm rate per language and per
kind, for the lexicon alone, the model alone and both combined (the shipped
detector), the distressing figures, and the shipped thresholds.  Needs the
e5 model; vectors are cached in ``$CODESIGN_CACHE_DIR`` or ``./.codesign-cache/``.

``--methods`` compares methods by nested cross-validation on the TRAIN split
only (thresholds chosen by inner CV for recall 0.95, as the shipped model's):
the shipped kNN + logistic regression, each part alone, other k and C, one
pool of negatives, no language centring, per-kind thresholds; and, treating
each main language in turn as one without a stored mean, the ways of
centring an unknown language.
``--candidates`` measures the ideas of the third round of issue 10, each the
same way (nested CV and leave-one-language-out on the TRAIN split, then the
test split and the transfer languages once): centring on the language means
of ordinary unlabelled text (SIB-200, read from ``../shared/data`` or
``--data-dir``, never shipped) instead of the training answers' own; removing
the directions in which translations of one sentence differ (SIB-200 or the
project's own translated training ideas); fitting the cues after the vectors;
other weights of the linear half; negative groups per language.
``-v`` lists the ids of misses and false alarms.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.build_risk_model import embed_cases, load_cases  # noqa: E402
from codesign.analysis import risk  # noqa: E402
from codesign.analysis.evaluate import risk_split, screening_scores  # noqa: E402
from codesign.analysis.flags import RISK_KINDS  # noqa: E402


def _rf(s: dict) -> str:
    return f"{s['recall']:.2f} / {s['false_alarm_rate']:.2f}"


def _ordinary(case: dict) -> bool:
    """Ordinary feedback (extra.jsonl, ids ``<lang>-o…``), not a deliberately hard negative."""
    return "-o" in case["id"]


def evaluate(title: str, cases: list[dict], vectors: np.ndarray, dets: dict, verbose: bool):
    langs = [c["lang"] for c in cases]
    shots = {name: d.screen([c["text"] for c in cases], langs, vectors) for name, d in dets.items()}
    names = list(dets)
    print(f"\n## {title}: recall / false-alarm rate (positives, negatives)")
    print(
        f"{'':<14}{'pos':>5}{'neg':>5}"
        + "".join(f"{n:>18}" for n in names)
        + f"{'kind listed':>13}"
    )
    groups = [("all", list(range(len(cases))))]
    groups += [
        (lang, [i for i, c in enumerate(cases) if c["lang"] == lang]) for lang in sorted(set(langs))
    ]
    for label, idx in groups:
        sub = [cases[i] for i in idx]
        scores = {n: screening_scores(sub, [shots[n][i] for i in idx]) for n in names}
        first = scores[names[-1]]
        typed = sum(first["kinds"][k]["typed"] * first["kinds"][k]["n"] for k in first["kinds"])
        n_typed = sum(first["kinds"][k]["n"] for k in first["kinds"])
        print(
            f"{label:<14}{first['positives']:>5}{first['negatives']:>5}"
            + "".join(f"{_rf(scores[n]):>18}" for n in names)
            + f"{typed / n_typed if n_typed else float('nan'):>13.2f}"
        )
    all_scores = {n: screening_scores(cases, shots[n]) for n in names}
    for kind in RISK_KINDS:
        if kind not in all_scores[names[-1]]["kinds"]:
            continue
        row = f"{kind:<14}{all_scores[names[-1]]['kinds'][kind]['n']:>5}{'':>5}"
        row += "".join(f"{all_scores[n]['kinds'][kind]['recall']:>11.2f}{'':>7}" for n in names)
        print(row + f"{all_scores[names[-1]]['kinds'][kind]['typed']:>13.2f}")
    d = {n: all_scores[n]["distressing"] for n in names}
    first = d[names[-1]]
    print(
        f"{'distressing':<14}{first['positives']:>5}{first['negatives']:>5}"
        + "".join(f"{_rf(d[n]):>18}" for n in names)
    )
    neg = [i for i, c in enumerate(cases) if not c["kinds"]]
    for label, idx in (
        ("hard neg.", [i for i in neg if not _ordinary(cases[i])]),
        ("ordinary neg.", [i for i in neg if _ordinary(cases[i])]),
    ):
        if idx:
            rates = "".join(
                f"{f'FA {np.mean([shots[n][i].risk for i in idx]):.2f}':>18}" for n in names
            )
            print(f"{label:<14}{'':>5}{len(idx):>5}" + rates)
    if verbose:
        s = all_scores[names[-1]]
        print("misses:", " ".join(s["misses"]) or "-")
        print("false alarms:", " ".join(s["alarms"]) or "-")
        by_id = {c["id"]: c for c in cases}
        styles: dict[str, int] = {}
        for i in s["alarms"]:
            styles[by_id[i].get("style", "?")] = styles.get(by_id[i].get("style", "?"), 0) + 1
        print("false alarms by style:", styles)
    return all_scores


# Method comparison (TRAIN split only) -------------------------------------------------


def _labels(cases):
    return np.array([bool(c["kinds"]) for c in cases])


def _strata(cases):
    return [f"{c['lang']}/{'+'.join(sorted(c['kinds'])) or 'none'}" for c in cases]


def _knn(k=risk.K, centre=True, per_kind=False):
    def fit(x, cases):
        langs = [c["lang"] for c in cases]
        means = risk.balanced_means(x, langs)
        xc = risk.centre_rows(x, langs, means) if centre else x
        y = _labels(cases)
        kinds = np.array([[k_ in c["kinds"] for k_ in RISK_KINDS] for c in cases])

        def score(q, qlangs, batch_min=0, means_for=None):
            m = means if means_for is None else means_for(means)
            qc = risk.centre_rows(q, qlangs, m, batch_min) if centre else q
            sims = qc @ xc.T
            if not per_kind:
                return risk.knn_margin(sims, y, k)
            neg = risk._top_mean(sims[:, ~y], k)
            return np.stack([risk._top_mean(sims[:, kinds[:, j]], k) - neg for j in range(5)], 1)

        return score

    return fit


def _classwise(k=risk.K):
    """The shipped kNN part alone: best kind's margin over the nearest negative group's."""

    def fit(x, cases):
        langs = [c["lang"] for c in cases]
        means = risk.balanced_means(x, langs)
        xc = risk.centre_rows(x, langs, means)
        kinds = np.array([[k_ in c["kinds"] for k_ in RISK_KINDS] for c in cases])
        groups, _ = risk._group_numbers(kinds.any(axis=1), [c.get("style", "") for c in cases])

        def score(q, qlangs, batch_min=0, means_for=None):
            m = means if means_for is None else means_for(means)
            per_kind, neg = risk.class_margins(
                risk.centre_rows(q, qlangs, m, batch_min) @ xc.T, kinds, groups, k
            )
            return per_kind.max(axis=1) - neg

        return score

    return fit


def _logistic(c_reg=1.0):
    from sklearn.linear_model import LogisticRegression

    def fit(x, cases):
        langs = [c["lang"] for c in cases]
        means = risk.balanced_means(x, langs)
        clf = LogisticRegression(C=c_reg, class_weight="balanced", max_iter=3000)
        clf.fit(risk.centre_rows(x, langs, means), _labels(cases))

        def score(q, qlangs, batch_min=0, means_for=None):
            m = means if means_for is None else means_for(means)
            return clf.decision_function(risk.centre_rows(q, qlangs, m, batch_min))

        return score

    return fit


def _oof(fitter, x, cases, folds=risk.INNER_FOLDS, salt="risk-inner"):
    f = risk.stratified_folds([c["id"] for c in cases], _strata(cases), folds, salt)
    out = None
    for i in range(folds):
        tr, te = f != i, f == i
        s = fitter(x[tr], [c for c, t in zip(cases, tr, strict=True) if t])(
            x[te], [c["lang"] for c, t in zip(cases, te, strict=True) if t]
        )
        if out is None:
            out = np.zeros((len(cases),) + s.shape[1:])
        out[te] = s
    return out


def _combo(a, b):
    """Mean of the two scores, each standardised by its out-of-fold spread."""

    def fit(x, cases):
        oa, ob = _oof(a, x, cases), _oof(b, x, cases)
        fa, fb = a(x, cases), b(x, cases)

        def score(q, qlangs, **kw):
            return (fa(q, qlangs, **kw) - oa.mean()) / oa.std() + (
                fb(q, qlangs, **kw) - ob.mean()
            ) / ob.std()

        return score

    return fit


def _thresholds(oof, cases, per_kind):
    if not per_kind:
        return risk.threshold_for_recall(oof[_labels(cases)], risk.TARGET_RECALL)
    kinds = np.array([[k in c["kinds"] for k in RISK_KINDS] for c in cases])
    # one threshold per kind, on that kind's positives (its best-scoring kind column)
    return np.array(
        [risk.threshold_for_recall(oof[kinds[:, j], j], risk.TARGET_RECALL) for j in range(5)]
    )


def _nested(fitter, x, cases, per_kind=False):
    """Outer 5-fold CV on the train split; thresholds by inner CV in each outer fold."""
    f = risk.stratified_folds([c["id"] for c in cases], _strata(cases), 5, "risk-outer")
    pred = np.zeros(len(cases), bool)
    for i in range(5):
        tr, te = f != i, f == i
        tr_cases = [c for c, t in zip(cases, tr, strict=True) if t]
        thr = _thresholds(_oof(fitter, x[tr], tr_cases), tr_cases, per_kind)
        s = fitter(x[tr], tr_cases)(x[te], [c["lang"] for c, t in zip(cases, te, strict=True) if t])
        pred[te] = (s >= thr).any(axis=1) if per_kind else s >= thr
    return pred


def _line(name, cases, pred):
    y = _labels(cases)
    langs = np.array([c["lang"] for c in cases])
    parts = [f"all {pred[y].mean():.2f}/{pred[~y].mean():.2f}"]
    for lang in sorted(set(langs)):
        m = langs == lang
        parts.append(f"{lang} {pred[m & y].mean():.2f}/{pred[m & ~y].mean():.2f}")
    kinds = [f"{k} {pred[[k in c['kinds'] for c in cases]].mean():.2f}" for k in RISK_KINDS]
    print(f"{name:<34}" + "  ".join(parts) + "  | " + " ".join(kinds))


def _fit(x, cases, **kw):
    return risk.fit_risk_model(
        x,
        [c["lang"] for c in cases],
        [c["kinds"] for c in cases],
        [bool(c["distressing"]) for c in cases],
        [c["id"] for c in cases],
        [c.get("style", "") for c in cases],
        **{"texts": [c["text"] for c in cases], **kw},
    )[0]


def _shipped_nested(x, cases, distress=None, **kw):
    """Outer 5-fold CV of exactly the shipped fitting code (model alone, no lexicon).

    ``distress``, a list, receives the distressing predictions as well.
    """
    f = risk.stratified_folds([c["id"] for c in cases], _strata(cases), 5, "risk-outer")
    pred = np.zeros(len(cases), bool)
    dis = np.zeros(len(cases), bool)
    for i in range(5):
        tr, te = f != i, f == i
        model = _fit(x[tr], [c for c, t in zip(cases, tr, strict=True) if t], **kw)
        te_cases = [c for c, t in zip(cases, te, strict=True) if t]
        got = risk.RiskDetector(model, use_lexicon=False).screen(
            [c["text"] for c in te_cases], [c["lang"] for c in te_cases], x[te]
        )
        pred[te] = [s.risk for s in got]
        dis[te] = [s.distressing for s in got]
    if distress is not None:
        distress.append(dis)
    return pred


def _rate(pred, y) -> str:
    return f"{pred[y].mean():.2f}/{pred[~y].mean():.2f}"


def methods(train: list[dict], x: np.ndarray, transfer: list[dict], xt: np.ndarray) -> None:
    from codesign.analysis.flags import flag, is_risk

    print("\n## Methods, nested 5-fold CV on the TRAIN split: recall/false alarms")
    lex = np.array([is_risk(flag(c["text"], c["lang"])) for c in train])
    _line("lexicon alone", train, lex)
    dis: list = []
    shipped = _shipped_nested(x, train, distress=dis)
    _line(f"shipped: kNN K={risk.K} + logistic C={risk.LOGISTIC_C:g}", train, shipped)
    _line("  the same or lexicon", train, shipped | lex)
    y_dis = np.array([bool(c["distressing"]) for c in train])
    print(f"{'  its distressing flag':<34}all {_rate(dis[0], y_dis)}")
    _line(
        "  one threshold for all langs",
        train,
        _shipped_nested(x, train, per_language=False),
    )
    _line("  the same, target recall 0.92", train, _shipped_nested(x, train, target_recall=0.92))
    _line(f"class-wise kNN K={risk.K} alone", train, _nested(_classwise(), x, train))
    lr_alone = _nested(_logistic(risk.LOGISTIC_C), x, train)
    _line(f"logistic C={risk.LOGISTIC_C:g} alone", train, lr_alone)
    _line("kNN K=10 + logistic C=4", train, _shipped_nested(x, train, c=4.0))
    _line(f"kNN K=5 + logistic C={risk.LOGISTIC_C:g}", train, _shipped_nested(x, train, k=5))
    _line("kNN margin k=5 (one pool)", train, _nested(_knn(5), x, train))
    _line("kNN margin k=5, not centred", train, _nested(_knn(5, centre=False), x, train))
    _line("kNN k=5, per-kind thresholds", train, _nested(_knn(5, per_kind=True), x, train, True))

    print("\n## Centring a language without a stored mean (TRAIN split, leave one language out)")
    print("   each main language in turn is screened as if it had no stored mean")
    rows: dict[str, list[str]] = {}
    for held in sorted({c["lang"] for c in train}):
        tr = np.array([c["lang"] != held for c in train])
        model = _fit(x[tr], [c for c, t in zip(train, tr, strict=True) if t])
        cases = [c for c, t in zip(train, tr, strict=True) if not t]
        q, y = x[~tr], _labels(cases)
        texts = [c["text"] for c in cases]
        det = risk.RiskDetector(model, use_lexicon=False)
        own = dataclasses.replace(model, means={**model.means, held: q.mean(axis=0)})
        got = {
            "its own mean (reference)": risk.RiskDetector(own, use_lexicon=False).screen(
                texts, [held] * len(q), q
            ),
            "global mean (one at a time)": risk.RiskDetector(model, use_lexicon=False).screen(
                texts, ["xx"] * len(q), q
            ),
        }
        # the alternative fallback: the stored language mean nearest each raw vector
        stored = [lang for lang in model.means if lang != risk.GLOBAL]
        mean_rows = np.stack([model.means[lang] for lang in stored])
        near = (q @ (mean_rows / np.linalg.norm(mean_rows, axis=1, keepdims=True)).T).argmax(1)
        got["nearest stored language mean"] = det.screen(texts, [stored[j] for j in near], q)
        for name, shots in got.items():
            rows.setdefault(name, []).append(
                f"{held} {_rate(np.array([s.risk for s in shots]), y)}"
            )
    for name, parts in rows.items():
        print(f"{name:<30}" + "  ".join(parts))

    if transfer:
        print("\n## The same on the transfer languages (shipped model)")
        det = risk.load_detector(risk.E5_NAME)
        tl = [c["lang"] for c in transfer]
        texts = [c["text"] for c in transfer]
        y = _labels(transfer)
        alone = np.array(
            [
                det.screen([t], [lang], v[None])[0].risk
                for t, lang, v in zip(texts, tl, xt, strict=True)
            ]
        )
        whole = np.array([s.risk for s in det.screen(texts, tl, xt)])
        for name, pred in (
            ("global mean (one at a time)", alone),
            ("whole file at once", whole),
        ):
            parts = [
                f"{lang} {_rate(pred[np.array(tl) == lang], y[np.array(tl) == lang])}"
                for lang in sorted(set(tl))
            ]
            print(f"{name:<30}" + "  ".join(parts))


# Candidates of issue 10, third round ---------------------------------------------------


def _figures(cases: list[dict], shots: list) -> str:
    sc = screening_scores(cases, shots)
    parts = [f"all {_rf(sc)}"]
    for lang in sorted({c["lang"] for c in cases}):
        idx = [i for i, c in enumerate(cases) if c["lang"] == lang]
        parts.append(
            f"{lang} {_rf(screening_scores([cases[i] for i in idx], [shots[i] for i in idx]))}"
        )
    kinds = " ".join(f"{k} {sc['kinds'][k]['recall']:.2f}" for k in RISK_KINDS if k in sc["kinds"])
    line = "  ".join(parts) + f" | {kinds} | distressing {_rf(sc['distressing'])}"
    return line.replace(" / ", "/")


def _sib_vectors(data: Path) -> dict[str, tuple[np.ndarray, list[str]]]:
    """Raw e5 vectors of the SIB-200 sentences per language, with their sentence ids."""
    from benchmarks.themes import SIB_LANGS, load_sib

    texts, _, ids, langs = load_sib(data)
    x = embed_cases([{"text": t} for t in texts])
    code = {"eng_Latn": "en", "spa_Latn": "es", "fra_Latn": "fr", "arb_Arab": "ar"}
    out = {}
    for sib_lang in SIB_LANGS:
        rows = [i for i, lang in enumerate(langs) if lang == sib_lang]
        out[code[sib_lang]] = (x[rows], [ids[i] for i in rows])
    return out


def _means_of(vectors: dict[str, np.ndarray], languages) -> dict[str, np.ndarray]:
    means = {lang: vectors[lang].mean(axis=0).astype(np.float32) for lang in languages}
    means[risk.GLOBAL] = np.mean(np.stack(list(means.values())), axis=0).astype(np.float32)
    return means


def language_axes(x: np.ndarray, sentences: list[str], r: int) -> np.ndarray:
    """The ``r`` main directions (r, d) in which translations of one sentence differ.

    Each row minus its sentence's mean is what the language alone adds; no risk
    labels are used.  Removing them from the raw vectors before centring is the
    same as removing them after (the projection is linear).
    """
    ids = np.asarray(sentences, dtype=object)
    dev = np.asarray(x, dtype=np.float64).copy()
    for s in set(sentences):
        mask = ids == s
        dev[mask] -= dev[mask].mean(axis=0)
    return np.linalg.svd(dev, full_matrices=False)[2][:r].astype(np.float32)


def _project(x: np.ndarray, axes: np.ndarray | None) -> np.ndarray:
    if axes is None:
        return x
    out = x - (x @ axes.T) @ axes
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def candidate(name, train, x, test, xt, transfer, xtr, axes=None, means_for=None, weight=1.0, **kw):
    """One candidate: nested CV, leave-one-language-out, then test and transfer once.

    ``means_for(languages)`` gives reference means for those languages;
    ``weight`` multiplies the linear half of the combined score.
    """
    original = risk.combined_score
    if weight != 1.0:
        risk.combined_score = lambda m, lin, sc: (
            (m - sc[0]) / sc[1] + weight * (lin - sc[2]) / sc[3]
        )
    try:
        x, xt, xtr = _project(x, axes), _project(xt, axes), _project(xtr, axes)
        main = sorted({c["lang"] for c in train})
        ref = {"reference_means": means_for(main)} if means_for else {}
        print(f"\n{name}")
        dis: list = []
        pred = _shipped_nested(x, train, distress=dis, **ref, **kw)
        _line("  nested CV", train, pred)
        y_dis = np.array([bool(c["distressing"]) for c in train])
        print(f"{'  nested CV distressing':<34}all {_rate(dis[0], y_dis)}")
        parts = []
        for held in main:  # the held language is screened as one without a stored mean
            tr = np.array([c["lang"] != held for c in train])
            others = [lang for lang in main if lang != held]
            ref_h = {"reference_means": means_for(others)} if means_for else {}
            model = _fit(x[tr], [c for c, t in zip(train, tr, strict=True) if t], **ref_h, **kw)
            cases = [c for c, t in zip(train, tr, strict=True) if not t]
            got = risk.RiskDetector(model, use_lexicon=False).screen(
                [c["text"] for c in cases], ["xx"] * len(cases), x[~tr]
            )
            parts.append(f"{held} {_rf(screening_scores(cases, got))}".replace(" / ", "/"))
        print(f"{'  leave one language out':<34}" + "  ".join(parts))
        det = risk.RiskDetector(_fit(x, train, **ref, **kw))
        for title, cases, v in (("test split", test, xt), ("transfer", transfer, xtr)):
            got = det.screen([c["text"] for c in cases], [c["lang"] for c in cases], v)
            print(f"  {title + ', with lexicon':<32}" + _figures(cases, got))
    finally:
        risk.combined_score = original


def candidates(train, x, test, xt, transfer, xtr, data: Path) -> None:
    print("\n## Candidates (issue 10, third round); recall/false alarms")
    args = (train, x, test, xt, transfer, xtr)
    candidate("shipped method (training answers' own language means)", *args)
    if (data / "sib200").is_dir():
        sib = _sib_vectors(data)
        sib_x = {lang: v for lang, (v, _) in sib.items()}
        candidate(
            "centred on SIB-200 language means (ordinary text, no labels)",
            *args,
            means_for=lambda langs: _means_of(sib_x, langs),
        )
        all_x = np.vstack([v for v, _ in sib.values()])
        all_ids = [i for _, ids in sib.values() for i in ids]
        for r in (8, 32):
            candidate(
                f"SIB-200 translation axes removed, r={r}",
                *args,
                axes=language_axes(all_x, all_ids, r),
            )
    else:
        print(f"(no {data / 'sib200'}: the SIB-200 candidates are skipped)")
    ideas = [(risk.TRAIN_ONLY_ID.fullmatch(c["id"]), i) for i, c in enumerate(train)]
    rows = [(m.group(1), i) for m, i in ideas if m]
    counts: dict[str, int] = {}
    for idea, _ in rows:
        counts[idea] = counts.get(idea, 0) + 1
    rows = [(idea, i) for idea, i in rows if counts[idea] > 1]
    candidate(
        f"own translated training ideas' axes removed, r=8 ({len(rows)} answers)",
        *args,
        axes=language_axes(x[[i for _, i in rows]], [idea for idea, _ in rows], 8),
    )
    candidate("cues fitted after the vectors", *args, cues_after=True)
    candidate("linear half weighted 0.5", *args, weight=0.5)
    candidate("linear half weighted 2", *args, weight=2.0)
    by_language = [dict(c, style=f"{c['lang']}-{c.get('style') or 'other'}") for c in train]
    candidate("negative groups per language", by_language, *args[1:])


def main() -> None:
    verbose = "-v" in sys.argv
    cases, transfer = load_cases()
    split = risk_split(cases)
    train = [c for c in cases if split[c["id"]] == "train"]
    test = [c for c in cases if split[c["id"]] == "test"]
    print(
        f"labelled answers: {len(cases)} (train {len(train)}, test {len(test)}), "
        f"transfer {len(transfer)} ({', '.join(sorted({c['lang'] for c in transfer})) or 'none'})"
    )
    model = risk.read_model(risk.MODEL_FILE)
    stale = model.train_digest != risk.ids_digest([c["id"] for c in train])
    print(
        f"shipped model: {model.vectoriser}, {len(model.vectors)} training answers "
        f"({int(model.positive.sum())} with risk); class-wise kNN K={model.k} (negative groups "
        f"{', '.join(model.group_names)}) + logistic regression; risk threshold (combined) "
        f"{model.threshold:.4f} = score {risk.THRESHOLD} (slope {model.slope:.1f}), kinds listed "
        f"from kNN margin {model.kind_threshold:.4f}; distressing kNN K={model.distress_k}, "
        f"threshold {model.distress_threshold:.4f}; a language without a stored mean: the "
        "global mean, whatever the batch"
    )
    if stale:
        print(
            "WARNING: the shipped model was not built from this train split: rebuild it with"
            " python benchmarks/build_risk_model.py"
        )
    dets = {
        "lexicon": risk.RiskDetector(None),
        "model": risk.RiskDetector(model, use_lexicon=False),
        "combined": risk.RiskDetector(model),
    }
    xs = embed_cases(test + transfer)
    x_test, x_transfer = xs[: len(test)], xs[len(test) :]
    evaluate("TEST split", test, x_test, dets, verbose)
    if transfer:
        evaluate(
            "TRANSFER languages (each file screened at once)",
            transfer,
            x_transfer,
            dets,
            verbose,
        )
        # the app screens one or a few answers at a time: this must give the same screenings
        one = [
            dets["combined"].screen([c["text"]], [c["lang"]], x_transfer[i : i + 1])[0]
            for i, c in enumerate(transfer)
        ]
        parts = []
        for lang in sorted({c["lang"] for c in transfer}):
            idx = [i for i, c in enumerate(transfer) if c["lang"] == lang]
            sc = screening_scores([transfer[i] for i in idx], [one[i] for i in idx])
            parts.append(f"{lang} {_rf(sc)}")
        print("one answer at a time (global mean), combined: " + ",  ".join(parts))

    det = dets["combined"]
    texts, langs = [c["text"] for c in test], [c["lang"] for c in test]
    det.screen(texts, langs, x_test)
    t0 = time.perf_counter()
    for _ in range(5):
        det.screen(texts, langs, x_test)
    per = (time.perf_counter() - t0) / (5 * len(test)) * 1000
    t0 = time.perf_counter()
    for i in range(len(test)):
        det.screen(texts[i : i + 1], langs[i : i + 1], x_test[i : i + 1])
    one = (time.perf_counter() - t0) / len(test) * 1000
    print(f"\nscoring time (vectors given): {per:.3f} ms per answer in a batch, {one:.3f} ms alone")

    if "--methods" in sys.argv:
        methods(train, embed_cases(train), transfer, x_transfer)
    if "--candidates" in sys.argv:
        data = ROOT.parent / "shared" / "data"
        if "--data-dir" in sys.argv:
            data = Path(sys.argv[sys.argv.index("--data-dir") + 1])
        candidates(train, embed_cases(train), test, x_test, transfer, x_transfer, data)


if __name__ == "__main__":
    main()
