"""Group vectors into themes (deterministic).

Method: Ward agglomerative clustering on L2-normalised vectors.  Measured on
Banking77 (k=77) with e5 + TF-IDF features, Ward gave NMI 0.768 against 0.749
for k-means++ and 0.770 for k-means started from Ward's centres; on mixed
SIB-200 the k-means refinement dropped co-themed translation pairs from ~99%
to ~89%, so plain Ward is used.  Ward needs all pairwise distances, so above
``WARD_SAMPLE`` answers the tree is built on an evenly spread, order-free
sample (answers sorted by their vector bytes hash) and the others join the
nearest Ward centre.

Choosing k (when the caller does not give one): cut the Ward tree at every k
in ``[5, min(30, n // 5)]`` and compute the mean cosine silhouette of each
cut (on up to 2,000 sampled answers, one distance matrix for all cuts).  On
this kind of data the silhouette keeps creeping upwards as k grows (it picked
130 for Banking77's 77 classes), so taking its maximum over-splits.  The rule
is the *parsimony* (one-standard-error-like) rule: take the **smallest k whose
silhouette is within ``K_TOLERANCE`` (0.01) of the best silhouette in the
range**.  A board reads fewer, broader themes more easily, and an extra theme
has to earn its place by a real gain in separation.  Fewer than 10 answers
give a single theme; fewer than 25 use ``[2, n // 5]``.
"""

from __future__ import annotations

import hashlib

import numpy as np

WARD_SAMPLE = 3500
SILHOUETTE_SAMPLE = 2000
K_MIN, K_MAX = 5, 30
K_TOLERANCE = 0.01


def _row_order(x: np.ndarray) -> np.ndarray:
    """A permutation of rows that depends only on the rows' contents."""
    digests = [hashlib.blake2b(r.tobytes(), digest_size=8).digest() for r in x]
    return np.array(sorted(range(len(digests)), key=lambda i: (digests[i], i)), dtype=np.int64)


def ward_linkage(x: np.ndarray) -> np.ndarray:
    from scipy.cluster.hierarchy import ward

    return ward(x.astype(np.float64))


def cut(linkage: np.ndarray, n: int, k: int) -> np.ndarray:
    """Labels ``0..k-1`` for the ``k``-cluster cut of a scipy linkage over ``n`` points.

    Labels are numbered by first appearance, so they depend only on the tree.
    """
    k = max(1, min(k, n))
    parent = list(range(2 * n - 1))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for step in range(n - k):
        a, b = int(linkage[step, 0]), int(linkage[step, 1])
        parent[find(a)] = n + step
        parent[find(b)] = n + step
    roots = [find(i) for i in range(n)]
    mapping: dict[int, int] = {}
    return np.array([mapping.setdefault(r, len(mapping)) for r in roots], dtype=np.int64)


def centroids(x: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    c = np.zeros((k, x.shape[1]), dtype=np.float64)
    np.add.at(c, labels, x)
    norms = np.linalg.norm(c, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return c / norms


def _silhouette_curve(x: np.ndarray, linkage: np.ndarray, ks: list[int]) -> dict[int, float]:
    from sklearn.metrics import silhouette_score

    n = x.shape[0]
    if n > SILHOUETTE_SAMPLE:
        idx = np.linspace(0, n - 1, SILHOUETTE_SAMPLE).round().astype(np.int64)
    else:
        idx = np.arange(n)
    xs = x[idx].astype(np.float64)
    dist = np.clip(1.0 - xs @ xs.T, 0.0, 2.0)
    np.fill_diagonal(dist, 0.0)
    out = {}
    for k in ks:
        lab = cut(linkage, n, k)[idx]
        if len(np.unique(lab)) < 2:
            out[k] = -1.0
            continue
        out[k] = float(silhouette_score(dist, lab, metric="precomputed"))
    return out


def choose_k(x: np.ndarray, linkage: np.ndarray) -> tuple[int, str, dict[int, float]]:
    """Automatic k by the parsimony rule (see the module docstring)."""
    n = x.shape[0]
    if n < 10:
        return 1, "fewer than 10 answers: one theme", {}
    lo, hi = (K_MIN, min(K_MAX, n // 5)) if n >= 25 else (2, max(2, n // 5))
    ks = list(range(lo, max(lo, hi) + 1))
    curve = _silhouette_curve(x, linkage, ks)
    best = max(curve.values())
    k = min(kk for kk, s in curve.items() if s >= best - K_TOLERANCE)
    how = (
        f"auto: smallest k in [{lo}, {ks[-1]}] with silhouette within {K_TOLERANCE} "
        f"of the best ({best:.3f})"
    )
    return k, how, curve


def cluster(x: np.ndarray, k: int | None = None) -> tuple[np.ndarray, int, str]:
    """Partition rows of ``x`` (L2-normalised) into themes.

    Returns ``(labels, k, how)``.  Labels are ``0..k-1`` in arbitrary but
    deterministic order; the caller renumbers by size.  The result does not
    depend on the order of the rows.
    """
    n = x.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64), 0, "no answers"
    if n == 1:
        return np.zeros(1, dtype=np.int64), 1, "one answer"
    order = _row_order(x)
    xo = x[order]
    if n > WARD_SAMPLE:
        sample = np.linspace(0, n - 1, WARD_SAMPLE).round().astype(np.int64)
    else:
        sample = np.arange(n)
    xs = xo[sample]
    link = ward_linkage(xs)
    if k is None:
        k, how, _ = choose_k(xs, link)
    else:
        how = "given"
    k = max(1, min(int(k), len(sample)))
    lab_s = cut(link, len(sample), k)
    if len(sample) < n:
        c = centroids(xs, lab_s, k)
        lab = np.argmax(xo @ c.T, axis=1)
        lab[sample] = lab_s
    else:
        lab = lab_s
    labels = np.empty(n, dtype=np.int64)
    labels[order] = lab
    return labels, k, how
