from __future__ import annotations

import numpy as np

from codesign.analysis.pipeline import theme_answers
from codesign.analysis.types import OTHER
from codesign.analysis.vectorise import DiskCache, TfidfVectoriser, cache_key, embed


def _partition(result, texts):
    """Themes as sets of texts (independent of row order)."""
    return sorted(sorted(texts[r] for r in t.rows) for t in result.themes), sorted(
        texts[r] for r in result.other
    )


def test_recovers_groups_and_numbers_themes_by_size(table_vectoriser, make_groups):
    texts, table, truth = make_groups(groups=3, per_group=8)
    # make group 2 the largest
    extra = [f"group2 extra {i}" for i in range(4)]
    for t in extra:
        table[t] = table[texts[-1]]
    texts2, truth2 = texts + extra, truth + [2] * 4
    r = theme_answers(
        texts2,
        ["en"] * len(texts2),
        k=3,
        vectoriser=table_vectoriser(table),
        detect=False,
        lexical_weight=0,
    )
    assert r.k == 3 and r.k_method == "given"
    assert [t.size for t in r.themes] == sorted((t.size for t in r.themes), reverse=True)
    # theme 0 is the big group 2; every theme is pure
    assert {truth2[i] for i in r.themes[0].rows} == {2}
    for t in r.themes:
        assert len({truth2[i] for i in t.rows}) == 1
        assert 1 <= len(t.quotes) <= 3 and all(q in texts2 for q in t.quotes)
    assert r.vectoriser == "fake-table/1" and r.seconds >= 0 and -1 <= r.quality <= 1


def test_same_input_same_themes_any_row_order(table_vectoriser, make_groups):
    texts, table, _ = make_groups(groups=4, per_group=6, noise=0.3)
    a = theme_answers(texts, None, vectoriser=table_vectoriser(table), detect=False)
    b = theme_answers(texts, None, vectoriser=table_vectoriser(table), detect=False)
    perm = list(np.random.default_rng(1).permutation(len(texts)))
    shuffled = [texts[i] for i in perm]
    c = theme_answers(shuffled, None, vectoriser=table_vectoriser(table), detect=False)
    strip = lambda r: (r.k, r.k_method, r.quality, r.themes, r.members, r.other)  # noqa: E731
    assert strip(a) == strip(b)
    assert _partition(a, texts) == _partition(c, shuffled)
    assert [t.label for t in a.themes] == [t.label for t in c.themes]


def test_far_answer_goes_to_other(table_vectoriser, make_groups):
    texts, table, _ = make_groups(groups=3, per_group=10)
    odd = "something unrelated entirely"
    v = np.zeros(8)
    v[7] = 1.0
    v[:3] = -0.2  # far from every group
    table[odd] = v
    r = theme_answers(
        texts + [odd], None, k=3, vectoriser=table_vectoriser(table), detect=False, lexical_weight=0
    )
    assert r.members[-1].theme == OTHER
    assert r.other == [len(texts)]
    assert sum(t.size for t in r.themes) == len(texts)


def test_between_two_themes_gets_secondary(table_vectoriser, make_groups):
    texts, table, _ = make_groups(groups=6, per_group=10, noise=0.25)
    both = "half about group0 half about group1"
    v = np.zeros(8)
    v[0], v[1] = 1.0, 1.0
    table[both] = v
    r = theme_answers(
        texts + [both],
        None,
        k=6,
        vectoriser=table_vectoriser(table),
        detect=False,
        lexical_weight=0,
    )
    m = r.members[-1]
    assert m.theme != OTHER and m.secondary is not None and m.secondary != m.theme
    # most clean members have no secondary theme
    assert sum(x.secondary is not None for x in r.members[:-1]) <= 6


def test_automatic_k_is_readable(table_vectoriser, make_groups):
    texts, table, truth = make_groups(groups=6, per_group=12, noise=0.1)
    r = theme_answers(texts, None, vectoriser=table_vectoriser(table), detect=False)
    assert r.k_method.startswith("auto")
    assert r.k == 6
    assert 5 <= r.k <= 30


def test_language_centring_removes_language_offset(table_vectoriser):
    # two topics x two languages; each language adds its own offset
    rng = np.random.default_rng(3)
    texts, langs, table, topic = [], [], {}, []
    for lang, offset_axis in (("en", 5), ("es", 6)):
        for tp in (0, 1):
            for j in range(12):
                t = f"{lang} topic{tp} {j}"
                v = np.zeros(8)
                v[tp] = 1.0
                v[offset_axis] = 3.0  # language dominates raw similarity
                table[t] = v + rng.normal(scale=0.05, size=8)
                texts.append(t)
                langs.append(lang)
                topic.append(tp)
    r = theme_answers(
        texts, langs, k=2, vectoriser=table_vectoriser(table), detect=False, lexical_weight=0
    )
    for t in r.themes:
        assert len({topic[i] for i in t.rows}) == 1  # themes follow topic, not language
        assert {langs[i] for i in t.rows} == {"en", "es"}


def test_vectors_are_cached_and_not_recomputed(table_vectoriser, make_groups, tmp_path):
    texts, table, _ = make_groups(groups=2, per_group=5)
    vec = table_vectoriser(table)
    cache = DiskCache(tmp_path)
    x1, new1 = embed(texts + texts[:2], vec, cache)
    assert new1 == len(texts)  # duplicates embedded once
    cache.save()
    reloaded = DiskCache(tmp_path)
    vec2 = table_vectoriser(table)
    x2, new2 = embed(texts, vec2, reloaded)
    assert new2 == 0 and vec2.calls == 0
    np.testing.assert_allclose(x1[: len(texts)], x2)
    assert cache_key("m", "a  b\n") == cache_key("m", "a b")
    assert cache_key("m", "a b") != cache_key("other-model", "a b")
    r = theme_answers(texts, None, vectoriser=vec2, cache=reloaded, detect=False)
    assert vec2.calls == 0 and r.n == len(texts)


def test_redacts_before_vectorising_and_quoting(table_vectoriser, make_groups):
    texts, table, _ = make_groups(groups=2, per_group=6)
    secret = "call me on 07911 123456 about the rent"
    vec = table_vectoriser(table)
    r = theme_answers(
        texts + [secret], ["en"] * (len(texts) + 1), k=2, vectoriser=vec, detect=False
    )
    assert all("07911" not in t for t in vec.embedded)
    assert "call me on [phone] about the rent" in vec.embedded
    for t in r.themes:
        assert all("07911" not in q for q in t.quotes)


def test_tfidf_fallback_runs_and_names_itself(fixtures_dir):
    import csv

    with open(fixtures_dir / "answers_small.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    texts = [r["text"] for r in rows]
    r = theme_answers(texts, [r["language"] for r in rows], k=4, vectoriser=TfidfVectoriser())
    assert r.vectoriser.startswith("tfidf-svd200/scikit-learn-")
    assert r.k == 4 and r.n == 40
    assert sum(t.size for t in r.themes) + len(r.other) == 40
