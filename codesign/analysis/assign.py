"""Place new answers into themes a person has already worked on.

Saved themes are never renumbered, relabelled or moved: each new answer goes to
the saved theme with the most similar prototype, or to "other" (-1) when even
that similarity is below the threshold saved with the run.  A theme's
prototypes are its ``centroids`` (a merged theme keeps one per original theme)
plus the normalised mean of its ``member_vectors`` (what a person put in it
after splitting or moving answers).  Vectors must be in the run's theme space:
same vectoriser, centred with the run's ``language_means``.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence

import numpy as np

from .pipeline import centre, prepare
from .types import OTHER, Assignment, SavedTheme, ThemeResult
from .vectorise import Vectoriser, default_vectoriser, embed


def saved_themes(result: ThemeResult) -> list[SavedTheme]:
    """The themes of a run as saveable structs (what a person then edits)."""
    return [SavedTheme(id=t.id, label=t.label, centroids=[t.centroid]) for t in result.themes]


def _prototypes(themes: Sequence[SavedTheme]) -> tuple[np.ndarray, np.ndarray]:
    vecs, owners = [], []
    for i, theme in enumerate(themes):
        protos = [np.asarray(c, dtype=np.float64) for c in theme.centroids]
        if theme.member_vectors:
            protos.append(np.asarray(theme.member_vectors, dtype=np.float64).mean(axis=0))
        if not protos:
            raise ValueError(f"saved theme {theme.id} has neither centroids nor member vectors")
        for p in protos:
            norm = np.linalg.norm(p)
            vecs.append(p / norm if norm else p)
            owners.append(i)
    return np.stack(vecs), np.asarray(owners)


def assign_vectors(
    vectors: np.ndarray, themes: Sequence[SavedTheme], threshold: float
) -> list[Assignment]:
    """Assign already-centred vectors (one row per new answer) to saved themes."""
    if not themes:
        return [Assignment(i, OTHER, "other", 0.0) for i in range(len(vectors))]
    protos, owners = _prototypes(themes)
    sims = np.asarray(vectors, dtype=np.float64) @ protos.T
    per_theme = np.full((len(vectors), len(themes)), -np.inf)
    for j in range(len(themes)):
        per_theme[:, j] = sims[:, owners == j].max(axis=1)
    out = []
    for i, row in enumerate(per_theme):
        order = np.lexsort((np.arange(len(themes)), -row))  # ties: first saved theme
        best = int(order[0])
        score = float(row[best])
        if score < threshold:
            out.append(Assignment(i, OTHER, "other", round(score, 4)))
            continue
        secondary = None
        if len(order) > 1 and row[order[1]] >= threshold and row[best] - row[order[1]] < 0.02:
            secondary = themes[int(order[1])].id
        out.append(Assignment(i, themes[best].id, themes[best].label, round(score, 4), secondary))
    return out


def assign_answers(
    texts: Sequence[str],
    themes: Sequence[SavedTheme],
    *,
    language_means: dict[str, list[float]],
    threshold: float,
    locales: Sequence[str | None] | None = None,
    vectoriser: Vectoriser | None = None,
    cache: MutableMapping[str, np.ndarray] | None = None,
    detect: bool = True,
) -> list[Assignment]:
    """Redact, embed and centre new answers, then assign them (see module doc).

    ``language_means`` and ``threshold`` come from the run the themes were made
    in (``ThemeResult.language_means`` / ``.other_threshold``).  The vectoriser
    must be the one of that run and must be cacheable (the TF-IDF fallback's
    space is refitted per run, so its themes cannot take new answers this way).
    """
    vectoriser = vectoriser or default_vectoriser()
    if not vectoriser.cacheable:
        raise ValueError(f"{vectoriser.name} is fitted per run; re-theme instead of assigning")
    languages, redacted = prepare(texts, locales, detect=detect)
    x, _ = embed(redacted, vectoriser, cache)
    means = {k: np.asarray(v, dtype=np.float64) for k, v in language_means.items()}
    if "*" not in means:
        means["*"] = np.mean(np.stack(list(means.values())), axis=0)
    xc = centre(x.astype(np.float64), languages, means)
    return assign_vectors(xc, themes, threshold)
