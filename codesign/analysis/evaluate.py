"""Scoring helpers shared by the benchmarks and tests (pure functions)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from .redact import redact


def redaction_scores(cases: Sequence[dict]) -> dict:
    """Score :func:`redact` on labelled cases.

    Each case is ``{"lang", "text", "expect": [[kind, substring], ...]}``; an
    empty ``expect`` is a negative (nothing may be redacted).  An expected item
    counts as found when every character of it lies inside some redaction, and
    as *typed* when that redaction also has the expected kind.  A redaction that
    overlaps no expected item is a false redaction.
    """
    found = typed = total = false_spans = spans = neg = neg_hit = 0
    misses: list[tuple[str, str, str]] = []
    false: list[tuple[str, str]] = []
    for case in cases:
        text = case["text"]
        red = redact(text, case["lang"])
        spans += len(red.redactions)
        wanted = []
        for kind, value in case["expect"]:
            start = text.index(value)
            wanted.append((kind, start, start + len(value)))
        for kind, s, e in wanted:
            total += 1
            cover = [r for r in red.redactions if r.start <= s and r.end >= e]
            cover_chars = np.zeros(e - s, bool)
            for r in red.redactions:
                lo, hi = max(r.start, s), min(r.end, e)
                if lo < hi:
                    cover_chars[lo - s : hi - s] = True
            if cover_chars.all():
                found += 1
                typed += any(r.kind == kind for r in cover) or all(
                    r.kind == kind for r in red.redactions if r.start < e and r.end > s
                )
            else:
                misses.append((case["lang"], kind, text))
        for r in red.redactions:
            if not any(r.start < e and r.end > s for _, s, e in wanted):
                false_spans += 1
                false.append((r.kind, text[r.start : r.end]))
        if not wanted:
            neg += 1
            neg_hit += bool(red.redactions)
    return {
        "cases": len(cases),
        "items": total,
        "negatives": neg,
        "recall": found / total if total else 1.0,
        "typed_recall": typed / total if total else 1.0,
        "false_redactions": false_spans,
        "false_redaction_rate": false_spans / spans if spans else 0.0,
        "negatives_with_redaction": neg_hit / neg if neg else 0.0,
        "misses": misses,
        "false": false,
    }


def flag_scores(cases: Sequence[dict]) -> dict:
    """Recall/precision of :func:`flags.flag` on ``{"lang","text","expect":[kinds]}``.

    A positive case is caught when at least one flag is raised and (for typed
    recall) one of them has an expected kind; a negative case raising any flag
    is a false alarm.
    """
    from .flags import flag

    pos = caught = typed = neg = false_alarm = 0
    misses: list[tuple[str, str]] = []
    alarms: list[tuple[str, str]] = []
    for case in cases:
        got = flag(case["text"], case["lang"])
        kinds = {f.kind for f in got}
        if case["expect"]:
            pos += 1
            if got:
                caught += 1
                typed += bool(kinds & set(case["expect"]))
            else:
                misses.append((case["lang"], case["text"]))
        else:
            neg += 1
            if got:
                false_alarm += 1
                alarms.append((case["lang"], case["text"]))
    return {
        "cases": len(cases),
        "positives": pos,
        "negatives": neg,
        "recall": caught / pos if pos else 1.0,
        "typed_recall": typed / pos if pos else 1.0,
        "false_alarm_rate": false_alarm / neg if neg else 0.0,
        "misses": misses,
        "alarms": alarms,
    }


def pair_rate(labels: Sequence[int], pair_ids: Sequence[object]) -> float:
    """Share of same-``pair_id`` pairs (translations) that got the same label."""
    groups: dict[object, list[int]] = {}
    for lab, pid in zip(labels, pair_ids, strict=True):
        groups.setdefault(pid, []).append(int(lab))
    same = total = 0
    for labs in groups.values():
        for i in range(len(labs)):
            for j in range(i + 1, len(labs)):
                total += 1
                same += labs[i] == labs[j] and labs[i] != -1
    return same / total if total else 0.0


def cluster_metrics(truth: Sequence[object], labels: Sequence[int]) -> dict[str, float]:
    """NMI, ARI and V-measure (the "other" bucket counts as one more cluster)."""
    from sklearn.metrics import (
        adjusted_rand_score,
        normalized_mutual_info_score,
        v_measure_score,
    )

    t = [str(x) for x in truth]
    lab = [int(x) for x in labels]
    return {
        "nmi": round(float(normalized_mutual_info_score(t, lab)), 4),
        "ari": round(float(adjusted_rand_score(t, lab)), 4),
        "v_measure": round(float(v_measure_score(t, lab)), 4),
    }


RISK_TEST_SHARE = 0.3


def risk_split(cases: Sequence[dict], test_share: float = RISK_TEST_SHARE) -> dict[str, str]:
    """``"train"`` or ``"test"`` per case id: a fixed split, stratified by language and kinds.

    Within each stratum (language, sorted kinds or "none"), cases are ordered
    by a hash of their id and the first ``round(test_share × n)`` go to test;
    so the split depends on the ids only, never on file order or a random seed.
    """
    import hashlib

    from .risk import TRAIN_ONLY_ID

    groups: dict[str, list[str]] = {}
    out: dict[str, str] = {}
    for c in cases:
        # Training-only cases (ids "<lang>-n…", more.jsonl) never reach the test split: the
        # test split stays the one measured before them, and as they are partly translations
        # of each other, none can have its translation on the test side.
        if TRAIN_ONLY_ID.fullmatch(c["id"]):
            out[c["id"]] = "train"
            continue
        # Cases added later (ids "<lang>-o…", extra.jsonl) form strata of their own, so
        # adding them never moves an earlier case between train and test.
        later = "/later" if re.fullmatch(r"[a-z]{2}-o\d+", c["id"]) else ""
        key = f"{c['lang']}/{'+'.join(sorted(c['kinds'])) or 'none'}{later}"
        groups.setdefault(key, []).append(c["id"])
    for ids in groups.values():
        ordered = sorted(ids, key=lambda i: hashlib.sha256(f"risk-split:{i}".encode()).digest())
        n_test = round(test_share * len(ordered))
        for rank, i in enumerate(ordered):
            out[i] = "test" if rank < n_test else "train"
    return out


def screening_scores(cases: Sequence[dict], screenings: Sequence) -> dict:
    """Recall and false alarms of risk screenings on ``{"id","kinds","distressing"}`` cases.

    A case with any kind is a positive, caught when screened as risk; per kind
    K, ``recall`` counts its positives caught and ``typed`` those whose listed
    kinds include K.  Distressing is scored the same way against
    ``"distressing"`` (every case without it is a negative for it).
    """
    pos = caught = neg = alarms = 0
    misses: list[str] = []
    false: list[str] = []
    per_kind: dict[str, list[int]] = {}
    d_pos = d_caught = d_neg = d_alarms = 0
    for case, s in zip(cases, screenings, strict=True):
        if case["kinds"]:
            pos += 1
            caught += s.risk
            if not s.risk:
                misses.append(case["id"])
            for kind in case["kinds"]:
                n_caught_typed = per_kind.setdefault(kind, [0, 0, 0])
                n_caught_typed[0] += 1
                n_caught_typed[1] += s.risk
                n_caught_typed[2] += s.risk and kind in s.kinds
        else:
            neg += 1
            alarms += s.risk
            if s.risk:
                false.append(case["id"])
        if case.get("distressing"):
            d_pos += 1
            d_caught += s.distressing
        else:
            d_neg += 1
            d_alarms += s.distressing
    return {
        "positives": pos,
        "negatives": neg,
        "recall": caught / pos if pos else float("nan"),
        "false_alarm_rate": alarms / neg if neg else float("nan"),
        "kinds": {
            kind: {"n": n, "recall": c / n, "typed": t / n}
            for kind, (n, c, t) in sorted(per_kind.items())
        },
        "distressing": {
            "positives": d_pos,
            "negatives": d_neg,
            "recall": d_caught / d_pos if d_pos else float("nan"),
            "false_alarm_rate": d_alarms / d_neg if d_neg else float("nan"),
        },
        "misses": misses,
        "alarms": false,
    }


def twin_rate(
    labels: Sequence[int], pair_ids: Sequence[object], languages: Sequence[str], home: str = "en"
) -> float:
    """Share of translations that share a (non-other) theme with their ``home`` twin.

    Rows with the same ``pair_id`` are translations of one sentence; each row in
    another language counts once, as a hit when its label equals the home row's.
    """
    home_label: dict[object, int] = {}
    for lab, pid, lang in zip(labels, pair_ids, languages, strict=True):
        if lang == home:
            home_label[pid] = int(lab)
    hits = total = 0
    for lab, pid, lang in zip(labels, pair_ids, languages, strict=True):
        if lang != home and pid in home_label:
            total += 1
            hits += int(lab) == home_label[pid] != -1
    return hits / total if total else 0.0


def one_language_themes(
    labels: Sequence[int], languages: Sequence[str], share: float = 0.9
) -> tuple[int, int]:
    """(themes where one language holds at least ``share`` of the answers, themes)."""
    by_theme: dict[int, list[str]] = {}
    for lab, lang in zip(labels, languages, strict=True):
        if lab != -1:
            by_theme.setdefault(int(lab), []).append(lang)
    heavy = sum(
        max(langs.count(x) for x in set(langs)) >= share * len(langs) for langs in by_theme.values()
    )
    return heavy, len(by_theme)
