"""Opinion groups over a participant × section agreement matrix (plain lists in)."""

from __future__ import annotations

import math
import random

from codesign.analysis.opinions import distribution, opinion_groups, score


def two_camps(n: int = 60, seed: int = 1, gaps: float = 0.0) -> list[list[float | None]]:
    """Half agree with sections 0–1 and disagree with 2; half the opposite; all agree on 3."""
    rng = random.Random(seed)
    rows: list[list[float | None]] = []
    for i in range(n):
        camp = i % 2
        base = [5, 5, 1, 4] if camp == 0 else [1, 2, 5, 4]
        row: list[float | None] = [
            min(5, max(1, b + rng.choice((-1, 0, 0, 1)))) if j < 3 else rng.choice((4, 5))
            for j, b in enumerate(base)
        ]
        row = [None if rng.random() < gaps else v for v in row]
        rows.append(row)
    return rows


def test_score_and_distribution_leave_prefer_not_out_of_the_mean() -> None:
    assert score("4") == 4.0
    assert math.isnan(score("prefer_not")) and math.isnan(score(None)) and math.isnan(score("9"))
    d = distribution(["1", "5", "5", "prefer_not", None, "x"])
    assert d.counts == {"1": 1, "2": 0, "3": 0, "4": 0, "5": 2, "prefer_not": 1}
    assert d.answered == 4
    assert d.mean == round(11 / 3, 2)
    assert distribution([]).mean is None


def test_two_camps_are_found_with_consensus_and_difference() -> None:
    rows = two_camps()
    result = opinion_groups(rows, 4, min_group=5)
    assert result.k == 2
    assert result.silhouette is not None and result.silhouette > 0.5
    assert sorted(g.size for g in result.groups) == [30, 30]
    # each camp is one group
    assert len({result.labels[i] for i in range(0, 60, 2)}) == 1
    assert len({result.labels[i] for i in range(1, 60, 2)}) == 1
    assert [c.section for c in result.consensus] == [3]
    assert result.consensus[0].lean == "agree"
    assert {c.section for c in result.differ} == {0, 1, 2}
    assert result.differ[0].spread >= result.differ[-1].spread


def test_deterministic_and_independent_of_row_order_for_sizes() -> None:
    rows = two_camps(seed=4, gaps=0.1)
    first = opinion_groups(rows, 4)
    again = opinion_groups(rows, 4)
    assert first == again
    shuffled = list(reversed(rows))
    other = opinion_groups(shuffled, 4)
    assert [g.size for g in other.groups] == [g.size for g in first.groups]


def test_gaps_are_imputed_and_people_with_too_few_answers_left_out() -> None:
    rows = two_camps(n=40, gaps=0.2)
    rows.append([None, None, None, None])
    rows.append([5.0, None, None, None])
    result = opinion_groups(rows, 4, min_answers=2)
    assert result.labels[-1] is None and result.labels[-2] is None
    assert result.grouped <= 40
    assert result.k == 2
    # group figures are over real answers only: "answered" counts people who scored
    for g in result.groups:
        for s in g.sections:
            assert s.answered <= g.size


def test_nan_and_prefer_not_are_the_same_as_a_gap() -> None:
    rows = two_camps(n=30)
    with_nan = [[math.nan if v == 3 else v for v in r] for r in rows]
    with_none = [[None if v == 3 else v for v in r] for r in rows]
    assert opinion_groups(with_nan, 4) == opinion_groups(with_none, 4)


def test_no_structure_is_one_group_and_too_few_people_no_groups() -> None:
    same = [[4.0, 4.0, 4.0]] * 30
    result = opinion_groups(same, 3)
    assert result.k == 1 and len(result.groups) == 1 and result.groups[0].size == 30
    assert result.consensus == [] and result.differ == []
    few = opinion_groups(two_camps(n=6), 4, min_group=5)
    assert few.k == 0 and few.groups == [] and few.labels == [None] * 6
    assert opinion_groups([[1.0], [5.0]] * 10, 1).k == 0  # one section: nothing to compare


def test_small_groups_are_never_made() -> None:
    rows = two_camps(n=40)
    rows = [r for i, r in enumerate(rows) if i % 2 == 0] + [[1.0, 1.0, 5.0, 4.0]] * 3
    result = opinion_groups(rows, 4, min_group=5)
    assert all(g.size >= 5 for g in result.groups)


def test_large_input_is_quick() -> None:
    import time

    rows = two_camps(n=10_000, gaps=0.1)
    start = time.perf_counter()
    result = opinion_groups(rows, 4)
    assert result.k == 2
    assert time.perf_counter() - start < 10


def test_each_group_is_marked_out_by_the_sections_where_it_differs_from_the_others() -> None:
    rows = two_camps()
    result = opinion_groups(rows, 4, min_group=5)
    by_camp = {result.labels[0]: "first", result.labels[1]: "second"}
    for group in result.groups:
        marks = {m.section: m for m in group.marks}
        # The consensus section (every camp agrees with it) marks nobody out.
        assert 3 not in marks
        assert set(marks) == {0, 1, 2}
        if by_camp[group.index] == "first":
            assert marks[0].difference > 0 and marks[2].difference < 0
            assert marks[0].agree > 80 and marks[0].others_agree < 20
        else:
            assert marks[2].difference > 0 and marks[0].difference < 0
        differences = [abs(m.difference) for m in group.marks]
        assert differences == sorted(differences, reverse=True)


def test_one_group_or_no_groups_has_nothing_to_mark_it_out() -> None:
    result = opinion_groups([[4.0, 4.0, 4.0]] * 30, 3)
    assert result.k == 1
    assert all(g.marks == [] for g in result.groups)
