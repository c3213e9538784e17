"""The pure steering helpers on plain numbers: new themes among "other" answers,
what a fresh start carries over, parent themes, readable names."""

from __future__ import annotations

import numpy as np

from codesign.analysis.steering import (
    carry_over,
    find_new_themes,
    group_themes,
    mean_pairwise,
    theme_terms_and_name,
    tightness_bar,
)


def _around(axis: int, n: int, dim: int, seed: int, spread: float = 0.1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=spread, size=(n, dim))
    x[:, axis] += 1.0
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_a_late_topic_among_scattered_answers_is_one_new_theme() -> None:
    dim = 12
    topic = _around(0, 30, dim, seed=1)
    rng = np.random.default_rng(2)
    scattered = rng.normal(size=(15, dim))
    scattered /= np.linalg.norm(scattered, axis=1, keepdims=True)
    x = np.vstack([topic, scattered])
    texts = [f"ramp {i}" for i in range(30)] + [f"other {i}" for i in range(15)]
    bar = tightness_bar([_around(a, 20, dim, seed=a) for a in (3, 4, 5)])
    groups = find_new_themes(x, texts, bar)
    assert len(groups) == 1
    assert set(groups[0]) <= set(range(30))  # the scattered answers stay in "other"
    assert len(groups[0]) >= 27  # (an answer far out from the topic may stay there too)
    # the same rows in another order give the same groups (of the same rows)
    order = np.random.default_rng(3).permutation(len(x))
    again = find_new_themes(x[order], [texts[i] for i in order], bar)
    assert [sorted(int(order[r]) for r in g) for g in again] == [sorted(g) for g in groups]


def test_nothing_new_when_other_is_only_scattered_or_too_few() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(40, 12))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    assert find_new_themes(x, [str(i) for i in range(40)], bar=0.6) == []
    assert find_new_themes(_around(0, 4, 12, seed=1), list("abcd"), bar=0.5) == []


def test_mean_pairwise_similarity() -> None:
    same = np.tile([[1.0, 0.0]], (5, 1))
    assert abs(mean_pairwise(same) - 1.0) < 1e-9
    assert mean_pairwise(np.array([[1.0, 0.0], [0.0, 1.0]])) == 0.0


def test_a_fresh_start_keeps_names_and_placements_where_answers_stay_together() -> None:
    old = {10: {1, 2, 3, 4}, 11: {5, 6, 7, 8}, 12: {9, 20}}
    new = [{1, 2, 3, 9}, {5, 6, 30, 31, 32, 33}, {7, 8, 20}]
    carried = carry_over(old, touched={10, 11, 12}, new=new, person_placed={2: 10, 6: 11, 9: None})
    # theme 10's answers stay together (3 of 4, and 3 of the new theme's 4): its name goes on
    assert carried.names == {0: 10}
    # theme 11 is split up (2 of 4, and 2 of the new theme's 6): its name is not kept
    assert 1 not in carried.names
    assert carried.placements == {2: 0}  # "other" and lost themes keep no placement
    # a theme nobody touched carries its place but not a name
    untouched = carry_over(old, touched=set(), new=new, person_placed={2: 10})
    assert untouched.names == {} and untouched.placements == {2: 0}


def test_each_fresh_theme_takes_one_old_name_at_most() -> None:
    old = {1: {1, 2}, 2: {3, 4, 5}}
    carried = carry_over(old, {1, 2}, [{1, 2, 3, 4, 5}], {})
    assert list(carried.names.values()) == [2]  # the one sharing most


def test_parent_themes_group_close_centres_and_are_numbered_by_size() -> None:
    centres = np.vstack([_around(0, 7, 8, seed=1), _around(1, 7, 8, seed=2)])
    sizes = [5] * 7 + [50] * 7
    groups = group_themes(centres, sizes)
    assert len(set(groups)) >= 2
    assert set(groups[:7]).isdisjoint(groups[7:])
    assert groups[7] == 0  # the group holding more answers comes first


def test_a_hand_made_theme_is_named_from_its_own_answers() -> None:
    docs = [
        "The ramp at the entrance is too steep for my wheelchair",
        "Please build a ramp at the entrance",
        "No ramp, so I can't get in with a wheelchair",
    ]
    rest = ["The bus ticket costs too much", "Evening appointments would help"] * 3
    terms, name = theme_terms_and_name(
        docs, ["en"] * 3, [True] * 3, rest, ["en"] * 6, "en", [0.9, 0.8, 0.7]
    )
    assert "ramp" in terms
    assert "ramp" in name.lower() and name.rstrip("…").lower() in " ".join(docs).lower()
    _, unquotable = theme_terms_and_name(docs, ["en"] * 3, [False] * 3, rest, ["en"] * 6, "en")
    assert unquotable and all(d.lower() not in unquotable.lower() for d in docs)
