"""Opinion groups: who answered the agreement questions alike (as Pol.is does for votes).

Pure and deterministic: plain lists in, msgspec structs out; no database, no web.

Input is a participant × section matrix of agreement scores 1–5, with ``None``
(or NaN) where a person skipped the section or chose "prefer not to say".
Only people who answered at least ``min_answers`` sections are grouped. A gap
is filled with the section's mean, which puts that person at the centre of that
section: it neither pulls them towards nor away from any group.

The filled matrix is centred, projected onto its first principal components
(PCA) and clustered with k-means for k = 2 … ``max_k``; k is chosen by the
silhouette of the projection (seeded, sampled for large inputs). A k whose
smallest group is below ``min_group`` people is never chosen, so a small group
can't be singled out. Without a clear structure (silhouette below
``MIN_SILHOUETTE``) everyone is one group.

Groups are then described by what people actually answered (never the
imputed values): per section, each group's mean score and its shares who agree
(4–5) and disagree (1–2). A section where every group leans the same way and
the groups' means are close is *consensus*; the sections where the groups'
means are furthest apart are where they *differ most*. What *marks a group out*
is where its own mean is furthest from everyone else's who was grouped: the
board reads "this group agrees more with section 3 than the others" rather than
a bare group number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec
import numpy as np

#: Agreement values in the order the board reads them; "prefer_not" is not a score.
VALUES = ("1", "2", "3", "4", "5", "prefer_not")
SEED = 0
MIN_SILHOUETTE = 0.15
#: Groups' means at most this far apart, all on the same side: consensus.
CONSENSUS_SPREAD = 0.75
#: Groups' means at least this far apart: a section where they differ.
DIFFER_SPREAD = 1.0
#: A group's mean at least this far from the others' mean: a section that marks it out.
MARK_DIFFERENCE = 0.75
#: At most this many such sections per group, furthest first (a board reads two or three).
MARKS_PER_GROUP = 3
SILHOUETTE_SAMPLE = 2000


class Distribution(msgspec.Struct, frozen=True):
    counts: dict[str, int]  # value → people ("1" … "5", "prefer_not")
    answered: int  # everyone with a value, "prefer not to say" included
    mean: float | None  # over 1–5 only


class GroupSection(msgspec.Struct, frozen=True):
    answered: int  # people in the group who gave a score here
    mean: float | None
    agree: int  # percent of `answered` at 4–5
    disagree: int  # percent at 1–2


class Mark(msgspec.Struct, frozen=True):
    section: int  # index into the input's sections
    difference: float  # the group's mean minus the others' mean (positive: agrees more)
    agree: int  # percent of the group who answered the section at 4–5
    disagree: int  # … at 1–2
    others_agree: int  # the same among everyone else who was grouped
    others_disagree: int


class Group(msgspec.Struct, frozen=True):
    index: int  # 0 = the largest group
    size: int
    sections: list[GroupSection]  # one per section, in input order
    marks: list[Mark] = []  # where it differs most from the others, furthest first


class Contrast(msgspec.Struct, frozen=True):
    section: int  # index into the input's sections
    spread: float  # largest minus smallest group mean
    lean: str  # "agree", "disagree" or "mixed" (all groups' side)


class OpinionGroups(msgspec.Struct, frozen=True):
    participants: int  # rows given
    grouped: int  # rows with enough answers to be grouped
    k: int  # 0: too few people; 1: no clear groups
    silhouette: float | None
    groups: list[Group]
    labels: list[int | None]  # per input row: its group's index, None if not grouped
    consensus: list[Contrast]  # closest first
    differ: list[Contrast]  # furthest apart first


def score(value: str | None) -> float:
    """An agreement answer as a number; NaN for "prefer not to say", a skip or anything else."""
    if value in VALUES[:5]:
        return float(value)  # type: ignore[arg-type]
    return math.nan


def distribution(values: Sequence[str | None]) -> Distribution:
    """How one section's agreement question was answered."""
    counts = {v: 0 for v in VALUES}
    for v in values:
        if v in counts:
            counts[v] += 1
    scored = [int(v) * c for v, c in counts.items() if v != "prefer_not"]
    n_scored = sum(c for v, c in counts.items() if v != "prefer_not")
    return Distribution(
        counts=counts,
        answered=sum(counts.values()),
        mean=round(sum(scored) / n_scored, 2) if n_scored else None,
    )


def _matrix(rows: Sequence[Sequence[float | None]], sections: int) -> np.ndarray:
    x = np.full((len(rows), sections), np.nan, dtype=np.float64)
    for i, row in enumerate(rows):
        for j, v in enumerate(row[:sections]):
            if v is not None and not (isinstance(v, float) and math.isnan(v)):
                x[i, j] = float(v)
    return x


def _impute(x: np.ndarray) -> np.ndarray:
    filled = x.copy()
    with np.errstate(all="ignore"):
        means = np.nanmean(x, axis=0) if len(x) else np.zeros(x.shape[1])
    means = np.where(np.isnan(means), 3.0, means)  # a section nobody scored: the midpoint
    gaps = np.isnan(filled)
    filled[gaps] = np.take(means, np.nonzero(gaps)[1])
    return filled


def _cluster(
    y: np.ndarray, max_k: int, min_group: int, seed: int
) -> tuple[np.ndarray, float | None]:
    """Labels (0 = largest group) and the chosen silhouette; all zeros if no clear groups."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    n = len(y)
    best: tuple[float, np.ndarray] | None = None
    if np.ptp(y, axis=0).max(initial=0.0) > 1e-9:
        for k in range(2, max_k + 1):
            if n < 2 * max(min_group, 1) or k >= n:
                break
            labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(y)
            sizes = np.bincount(labels, minlength=k)
            if sizes.min() < min_group or len(set(labels.tolist())) < 2:
                continue
            sil = float(
                silhouette_score(
                    y,
                    labels,
                    sample_size=min(n, SILHOUETTE_SAMPLE),
                    random_state=seed,
                )
            )
            if best is None or sil > best[0] + 1e-9:
                best = (sil, labels)
    if best is None or best[0] < MIN_SILHOUETTE:
        return np.zeros(n, dtype=int), (round(best[0], 3) if best else None)
    sil, labels = best
    # 0 = the largest group; ties broken by the first member's row (deterministic)
    order = sorted(
        set(labels.tolist()), key=lambda g: (-int((labels == g).sum()), int(np.argmax(labels == g)))
    )
    relabel = {g: i for i, g in enumerate(order)}
    return np.asarray([relabel[g] for g in labels.tolist()], dtype=int), round(sil, 3)


def _summary(col: np.ndarray) -> GroupSection:
    col = col[~np.isnan(col)]
    n = len(col)
    return GroupSection(
        answered=n,
        mean=round(float(col.mean()), 2) if n else None,
        agree=round(100 * int((col >= 4).sum()) / n) if n else 0,
        disagree=round(100 * int((col <= 2).sum()) / n) if n else 0,
    )


def _marks(x: np.ndarray, labels: np.ndarray, g: int, mine: list[GroupSection]) -> list[Mark]:
    """The sections where group g's real answers are furthest from everyone else's."""
    others = x[labels != g]
    out = []
    for j, own in enumerate(mine):
        rest = _summary(others[:, j])
        # Two answers on each side at least: one person's answer is no pattern.
        if own.mean is None or rest.mean is None or own.answered < 2 or rest.answered < 2:
            continue
        difference = round(own.mean - rest.mean, 2)
        if abs(difference) >= MARK_DIFFERENCE:
            out.append(
                Mark(
                    section=j,
                    difference=difference,
                    agree=own.agree,
                    disagree=own.disagree,
                    others_agree=rest.agree,
                    others_disagree=rest.disagree,
                )
            )
    out.sort(key=lambda m: (-abs(m.difference), m.section))
    return out[:MARKS_PER_GROUP]


def _describe(x: np.ndarray, labels: np.ndarray, k: int) -> list[Group]:
    groups = []
    for g in range(k):
        part = x[labels == g]
        sections = [_summary(part[:, j]) for j in range(x.shape[1])]
        marks = _marks(x, labels, g, sections) if k > 1 else []
        groups.append(Group(index=g, size=len(part), sections=sections, marks=marks))
    return groups


def _contrasts(groups: list[Group], sections: int) -> tuple[list[Contrast], list[Contrast]]:
    consensus, differ = [], []
    if len(groups) < 2:
        return consensus, differ
    for j in range(sections):
        means = [g.sections[j].mean for g in groups if g.sections[j].mean is not None]
        if len(means) < len(groups):
            continue  # a group said nothing here: no claim either way
        spread = round(max(means) - min(means), 2)
        if all(m >= 3.5 for m in means):
            lean = "agree"
        elif all(m <= 2.5 for m in means):
            lean = "disagree"
        else:
            lean = "mixed"
        item = Contrast(section=j, spread=spread, lean=lean)
        if spread <= CONSENSUS_SPREAD and lean != "mixed":
            consensus.append(item)
        if spread >= DIFFER_SPREAD:
            differ.append(item)
    consensus.sort(key=lambda c: (c.spread, c.section))
    differ.sort(key=lambda c: (-c.spread, c.section))
    return consensus, differ


def opinion_groups(
    rows: Sequence[Sequence[float | None]],
    sections: int,
    *,
    min_answers: int = 2,
    min_group: int = 5,
    max_k: int = 4,
    seed: int = SEED,
) -> OpinionGroups:
    """Group people by how they scored the sections (see the module's docstring)."""
    x = _matrix(rows, sections)
    answered = (~np.isnan(x)).sum(axis=1) if sections else np.zeros(len(rows), dtype=int)
    keep = np.nonzero(answered >= max(1, min(min_answers, sections)))[0]
    labels_out: list[int | None] = [None] * len(rows)
    xs = x[keep]
    if sections < 2 or len(keep) < 2 * max(min_group, 1):
        return OpinionGroups(
            participants=len(rows),
            grouped=0,
            k=0,
            silhouette=None,
            groups=[],
            labels=labels_out,
            consensus=[],
            differ=[],
        )
    filled = _impute(xs)
    centred = filled - filled.mean(axis=0)
    components = min(2, sections, len(keep) - 1)
    # PCA by SVD (deterministic up to sign; the clustering does not depend on the sign)
    _u, _s, vt = np.linalg.svd(centred, full_matrices=False)
    y = centred @ vt[:components].T
    labels, silhouette = _cluster(y, max_k, min_group, seed)
    k = int(labels.max()) + 1
    for row, g in zip(keep.tolist(), labels.tolist(), strict=True):
        labels_out[row] = g
    groups = _describe(xs, labels, k)
    consensus, differ = _contrasts(groups, sections)
    return OpinionGroups(
        participants=len(rows),
        grouped=len(keep),
        k=k,
        silhouette=silhouette,
        groups=groups,
        labels=labels_out,
        consensus=consensus,
        differ=differ,
    )
