"""Pure helpers for steering themes by hand: naming a hand-made theme, finding new
themes among the "other" answers, carrying a person's work over a fresh start,
grouping many themes under parent themes, and an answer's second theme.

Vectors are in the theme space of the question's last theming (language-centred,
unit rows), as in :mod:`codesign.analysis.assign`. Everything is deterministic:
rows are ordered by their text before clustering, ties are broken by position.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import msgspec
import numpy as np

from .label import class_tfidf, make_label, phrase_label

#: A new theme found in "other" needs at least this many answers.
MIN_NEW_THEME = 5
#: Clustering "other" looks at this many answers at most (pairwise distances).
MAX_OTHER = 4000
#: Above this many themes they are shown under parent themes.
GROUP_ABOVE = 12
#: About this many themes per parent theme.
PER_GROUP = 5
#: A second theme is kept when, written as a mix of its two themes' centres, the answer
#: carries at least this share of the second one's weight against its own theme's
#: (measured on the demo round with the multilingual model: two-topic answers 0.49–0.59,
#: single-topic answers ≤ 0.43, and then below the bar of any theme).
SECOND_SHARE = 0.45
#: A fresh start keeps a person's name when this share of the old theme's answers
#: (and of the new theme's) are the same answers.
CARRY_OVERLAP = 0.5


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms


def mean_pairwise(x: np.ndarray) -> float:
    """Mean cosine similarity between distinct unit rows (1.0 for one row)."""
    n = len(x)
    if n < 2:
        return 1.0
    s = x.sum(axis=0)
    return float((s @ s - n) / (n * (n - 1)))


def theme_terms_and_name(
    docs: Sequence[str],
    languages: Sequence[str],
    quotable: Sequence[bool],
    rest: Sequence[str],
    rest_languages: Sequence[str],
    name_language: str,
    closeness: Sequence[float] | None = None,
) -> tuple[list[str], str]:
    """Key terms (weighed against the question's other answers) and a readable name
    taken from the group's own answers (as the engine names themes)."""
    langs = sorted(set(languages) | set(rest_languages))
    weighed = class_tfidf([list(docs), list(rest) or [""]], langs, top=8)
    terms = [w for w, _ in weighed[0]]
    if not docs:
        return terms, make_label(terms)
    label = phrase_label(
        list(docs),
        [lang or "" for lang in languages],
        terms,
        name_language,
        closeness=list(closeness) if closeness is not None else None,
        quotable=list(quotable),
    )
    return terms, label


def tightness_bar(groups: Sequence[np.ndarray]) -> float:
    """How alike the answers of a real theme are: the lower quartile of the existing
    themes' mean pairwise similarity (0.5 when there are none)."""
    values = [mean_pairwise(g) for g in groups if len(g) >= 2]
    if not values:
        return 0.5
    return float(np.quantile(np.asarray(values), 0.25))


def find_new_themes(
    x: np.ndarray, texts: Sequence[str], bar: float, min_size: int = MIN_NEW_THEME
) -> list[list[int]]:
    """Groups of rows (of the "other" answers) at least as alike as a real theme.

    Average-linkage clustering on cosine distance, cut where the answers of two
    groups are on average less alike than ``bar``; a group is kept when it has
    ``min_size`` answers and its own mean pairwise similarity reaches ``bar``.
    Rows in no kept group stay in "other". Largest group first.
    """
    n = len(x)
    if n < min_size:
        return []
    order = sorted(range(n), key=lambda i: (texts[i], i))[:MAX_OTHER]
    xo = _unit(np.asarray(x, dtype=np.float64)[order])
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    dist = np.clip(pdist(xo, metric="cosine"), 0.0, 2.0)
    tree = linkage(dist, method="average")
    labels = fcluster(tree, t=max(0.0, 1.0 - bar), criterion="distance")
    groups: dict[int, list[int]] = {}
    for pos, lab in enumerate(labels):
        groups.setdefault(int(lab), []).append(pos)
    kept = []
    for members in groups.values():
        if len(members) >= min_size and mean_pairwise(xo[members]) >= bar:
            kept.append(sorted(order[p] for p in members))
    kept.sort(key=lambda rows: (-len(rows), rows[0]))
    return kept


def second_themes(
    x: np.ndarray,
    centres: np.ndarray,
    own: Sequence[int],
    threshold: float,
    share: float = SECOND_SHARE,
) -> list[int | None]:
    """Per answer, a second theme (row of ``centres``) when it clearly raises that topic too.

    ``x[i]``: answer i's vector, in the space of the centres; ``own[i]``: its theme's row
    (-1 for "other", which gets none). The best other theme must be above ``threshold``
    (the bar an answer must pass to be in any theme), and the answer must be explained as
    a mix of both: least squares of x[i] on the two unit centres, the second weighing at
    least ``share`` of the first. Nearness alone is not enough: two related themes (how
    long data is kept / who reads a file) are near each other for every answer in
    either, while an answer about bus fares *and* interpreters sits between two
    unrelated centres, fairly far from both.
    """
    out: list[int | None] = []
    if centres.shape[0] < 2:
        return [None] * len(own)
    unit = centres / np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
    sims = x @ unit.T
    for i, j in enumerate(own):
        if j < 0:
            out.append(None)
            continue
        row = sims[i].astype(np.float64).copy()
        row[j] = -np.inf
        k = int(np.argmax(row))
        if row[k] < threshold:
            out.append(None)
            continue
        pair = np.stack([unit[j], unit[k]], axis=1).astype(np.float64)
        weights, *_ = np.linalg.lstsq(pair, x[i].astype(np.float64), rcond=None)
        mine, other = float(weights[0]), float(weights[1])
        out.append(k if mine > 0 and other >= share * mine else None)
    return out


class Carried(msgspec.Struct, frozen=True):
    names: dict[int, int]  # new theme index → old theme id whose name (and response) it takes
    placements: dict[int, int]  # answer id → new theme index (a person placed it before)


def carry_over(
    old: dict[int, set[int]],
    touched: set[int],
    new: Sequence[set[int]],
    person_placed: dict[int, int | None],
) -> Carried:
    """What a fresh start keeps of a person's work.

    ``old``: old theme id → its answers; ``touched``: old themes a person named or
    made; ``new``: the fresh themes' answers; ``person_placed``: answers a person
    placed → the old theme they put it in (None: "other"). An old theme carries
    over to the new theme holding most of its answers when at least
    ``CARRY_OVERLAP`` of the old theme's answers and of the new theme's are the
    same answers (the same answers stay together); each new theme takes one old
    theme at most (the one sharing most). A person's placement follows its old
    theme to that new theme; a placement in "other" stays in "other".
    """
    candidates = []
    for old_id, members in old.items():
        if not members:
            continue
        best, shared = None, 0
        for t, fresh in enumerate(new):
            common = len(members & fresh)
            if common > shared:
                best, shared = t, common
        if best is None:
            continue
        if shared >= CARRY_OVERLAP * len(members) and shared >= CARRY_OVERLAP * len(new[best]):
            candidates.append((shared, old_id, best))
    mapping: dict[int, int] = {}  # old id → new index
    taken: set[int] = set()
    for _shared, old_id, best in sorted(candidates, key=lambda c: (-c[0], c[1])):
        if best not in taken:
            taken.add(best)
            mapping[old_id] = best
    names = {t: old_id for old_id, t in mapping.items() if old_id in touched}
    placements = {
        aid: mapping[theme]
        for aid, theme in person_placed.items()
        if theme is not None and theme in mapping
    }
    return Carried(names=names, placements=placements)


def group_themes(centroids: np.ndarray, sizes: Sequence[int]) -> list[int]:
    """A parent group for each theme (0-based, numbered by size) from the themes' centres.

    Ward clustering of the unit centres into about one group per ``PER_GROUP``
    themes (at least 2); groups are numbered by the answers they hold, largest first.
    """
    n = len(centroids)
    if n <= 1:
        return [0] * n
    k = max(2, min(n - 1, math.ceil(n / PER_GROUP)))
    from scipy.cluster.hierarchy import fcluster, linkage

    x = _unit(np.asarray(centroids, dtype=np.float64))
    tree = linkage(x, method="ward")
    labels = fcluster(tree, t=k, criterion="maxclust")
    weight: Counter[int] = Counter()
    first: dict[int, int] = {}
    for i, lab in enumerate(labels):
        weight[int(lab)] += int(sizes[i])
        first.setdefault(int(lab), i)
    order = sorted(weight, key=lambda lab: (-weight[lab], first[lab]))
    renum = {lab: g for g, lab in enumerate(order)}
    return [renum[int(lab)] for lab in labels]
