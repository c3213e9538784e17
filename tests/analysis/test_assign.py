from __future__ import annotations

import numpy as np

from codesign.analysis.assign import assign_answers, assign_vectors, saved_themes
from codesign.analysis.pipeline import theme_answers
from codesign.analysis.types import OTHER, SavedTheme


def _run(table_vectoriser, make_groups):
    texts, table, truth = make_groups(groups=3, per_group=10)
    vec = table_vectoriser(table)
    r = theme_answers(texts, None, k=3, vectoriser=vec, detect=False, lexical_weight=0)
    return texts, table, truth, vec, r


def _group_of_theme(r, truth):
    return {t.id: truth[t.rows[0]] for t in r.themes}


def test_new_answers_join_saved_themes_without_reshuffling(table_vectoriser, make_groups):
    texts, table, truth, vec, r = _run(table_vectoriser, make_groups)
    group = _group_of_theme(r, truth)
    theme_of_group = {g: tid for tid, g in group.items()}
    saved = saved_themes(r)
    rng = np.random.default_rng(9)
    new = []
    for g in (0, 1, 2, 0):
        t = f"new answer about group {g} #{len(new)}"
        v = np.zeros(8)
        v[g] = 1.0
        table[t] = v + rng.normal(scale=0.05, size=8)
        new.append((t, g))
    got = assign_answers(
        [t for t, _ in new],
        saved,
        language_means=r.language_means,
        threshold=r.other_threshold,
        vectoriser=vec,
        detect=False,
    )
    assert [a.theme for a in got] == [theme_of_group[g] for _, g in new]
    assert [a.index for a in got] == [0, 1, 2, 3]


def test_renamed_and_merged_themes_stay_as_a_person_left_them(table_vectoriser, make_groups):
    texts, table, truth, vec, r = _run(table_vectoriser, make_groups)
    group = _group_of_theme(r, truth)
    by_group = {g: t for t in r.themes for g in [group[t.id]]}
    # a person renames group 0's theme and merges groups 1 and 2 into one theme id 40
    saved = [
        SavedTheme(id=by_group[0].id, label="Rent is too high", centroids=[by_group[0].centroid]),
        SavedTheme(
            id=40,
            label="Transport and forms",
            centroids=[by_group[1].centroid, by_group[2].centroid],
        ),
    ]
    rng = np.random.default_rng(4)
    new = []
    for g in (2, 0, 1):
        t = f"another one on {g}"
        v = np.zeros(8)
        v[g] = 1.0
        table[t] = v + rng.normal(scale=0.05, size=8)
        new.append(t)
    odd = "nothing like any theme"
    v = np.zeros(8)
    v[6] = 1.0
    table[odd] = v
    got = assign_answers(
        new + [odd],
        saved,
        language_means=r.language_means,
        threshold=r.other_threshold,
        vectoriser=vec,
        detect=False,
    )
    assert [(a.theme, a.label) for a in got[:3]] == [
        (40, "Transport and forms"),
        (by_group[0].id, "Rent is too high"),
        (40, "Transport and forms"),
    ]
    assert got[3].theme == OTHER
    # the saved structs are untouched
    assert saved[0].label == "Rent is too high" and saved[1].id == 40


def test_split_theme_uses_member_vectors():
    a = np.array([1.0, 0.0, 0.0])
    b = np.array([0.0, 1.0, 0.0])
    # one old theme was split by a person into two, each defined by its members
    saved = [
        SavedTheme(id=7, label="split A", member_vectors=[list(a), list(a * 0.9 + b * 0.1)]),
        SavedTheme(id=8, label="split B", member_vectors=[list(b)]),
    ]
    got = assign_vectors(np.array([[0.95, 0.05, 0.0], [0.1, 0.99, 0.0], [0, 0, 1.0]]), saved, 0.5)
    assert [a.theme for a in got] == [7, 8, OTHER]
