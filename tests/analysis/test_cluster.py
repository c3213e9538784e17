from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import ward

from codesign.analysis import cluster as clustering


def _groups(groups: int, per_group: int, dim: int, noise: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(groups, dim))
    x = np.repeat(centres, per_group, axis=0)
    x = x + rng.normal(scale=noise, size=x.shape)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_theme_agreement_ignores_theme_numbers_and_notices_a_split():
    a = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
    renamed = np.array([2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1])
    assert clustering.theme_agreement(a, renamed) == 1.0
    split = np.array([0, 0, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2])
    assert 0.5 < clustering.theme_agreement(a, split) < 0.9


def test_fast_ward_and_cuts_match_scipy_and_single_cuts():
    x = _groups(5, 12, 16, 0.4)
    link = clustering.ward_linkage(x)
    assert np.allclose(link, ward(x))
    many = clustering.cuts(link, len(x), [1, 3, 5, 60])
    for k, lab in many.items():
        assert len(np.unique(lab)) == k
        assert (lab == clustering.cut(link, len(x), k)).all()


def test_automatic_k_can_go_past_thirty_when_the_themes_are_real():
    # 40 tight groups of 30 answers: the old silhouette rule could not pass 30 themes
    x = _groups(40, 30, 48, 0.25)
    order = clustering._row_order(x)
    k, how, curve = clustering.choose_k(x[order], clustering.ward_linkage(x[order]))
    assert how.startswith("auto")
    assert 36 <= k <= 44


def test_automatic_k_stays_small_without_fine_structure():
    # four broad, overlapping topics: more themes are not reproducible
    x = _groups(4, 150, 32, 0.9, seed=2)
    order = clustering._row_order(x)
    k, _, _ = clustering.choose_k(x[order], clustering.ward_linkage(x[order]))
    assert k <= 8
