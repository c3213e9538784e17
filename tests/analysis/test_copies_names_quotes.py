"""Themes that hold up on real data: copied answers, readable names, distinct quotes."""

from __future__ import annotations

import numpy as np

from codesign.analysis.duplicates import copy_groups, copy_key
from codesign.analysis.label import describe_again, is_quotable_text, phrase_label
from codesign.analysis.pipeline import theme_answers
from codesign.analysis.types import OTHER

# three topics, each answered in English and French (one vector axis per topic)
TOPICS = {
    0: (
        [
            "The waiting room needs a play corner for children",
            "Children get bored in the waiting room, toys would help",
            "A corner with toys and books for kids while we wait",
            "My kids need something to do in the waiting room",
            "Please add games for children in the waiting area",
        ],
        [
            "La salle d'attente a besoin d'un coin jeux pour les enfants",
            "Les enfants s'ennuient dans la salle d'attente",
            "Des jouets pour les enfants pendant l'attente",
            "Un coin avec des livres pour les petits",
        ],
    ),
    1: (
        [
            "Please open the office on Saturday mornings",
            "I work all week so evening hours would help me",
            "Opening later on weekdays would let me come after work",
            "The opening hours do not fit people who work",
            "Could the office open at weekends",
        ],
        [
            "Merci d'ouvrir le bureau le samedi matin",
            "Je travaille toute la semaine, des horaires le soir m'aideraient",
            "Les horaires ne conviennent pas aux gens qui travaillent",
            "Le bureau pourrait ouvrir le week-end",
        ],
    ),
    2: (
        [
            "The forms are too long and hard to read",
            "I could not understand the letter about my benefits",
            "Shorter forms in plain words please",
            "The application form asks the same thing three times",
            "Letters use words I do not know",
        ],
        [
            "Les formulaires sont trop longs et difficiles à lire",
            "Je n'ai pas compris la lettre sur mes droits",
            "Des formulaires plus courts avec des mots simples",
            "Le formulaire demande trois fois la même chose",
        ],
    ),
}


def _vector(topic: int, seed: int, noise: float = 0.12) -> np.ndarray:
    v = np.zeros(8)
    v[topic] = 1.0
    return v + np.random.default_rng(seed).normal(scale=noise, size=8)


def _round() -> tuple[list[str], list[str], dict[str, np.ndarray], list[int]]:
    texts, langs, table, truth = [], [], {}, []
    seed = 0
    for topic, (en, fr) in TOPICS.items():
        for lang, group in (("en", en), ("fr", fr)):
            for t in group:
                seed += 1
                texts.append(t)
                langs.append(lang)
                table[t] = _vector(topic, seed)
                truth.append(topic)
    return texts, langs, table, truth


def _with_copies(texts, langs, table, truth, sentence: str, copies: int):
    """``sentence`` copied ``copies`` times, as typed again (case, punctuation vary)."""
    i = texts.index(sentence)
    variants = [sentence, sentence.lower(), sentence + ".", sentence.upper() + "!"]
    base = table[sentence]
    t2, l2, tr2 = list(texts), list(langs), list(truth)
    for c in range(copies):
        v = variants[c % len(variants)]
        # a copy's vector is all but the original's (the model sees case and punctuation)
        table.setdefault(v, base + np.random.default_rng(1000 + c % 4).normal(scale=0.01, size=8))
        t2.append(v)
        l2.append(langs[i])
        tr2.append(truth[i])
    return t2, l2, tr2


def _partition(result, texts, rows):
    return sorted(sorted(texts[r] for r in t.rows if r in rows) for t in result.themes), sorted(
        texts[r] for r in result.other if r in rows
    )


def test_copied_answers_count_by_weight_but_do_not_crowd_out_the_rest(table_vectoriser):
    texts, langs, table, truth = _round()
    plain = theme_answers(texts, langs, k=3, vectoriser=table_vectoriser(table), detect=False)
    copied = "The forms are too long and hard to read"
    t2, l2, _ = _with_copies(texts, langs, table, truth, copied, 60)
    dup = theme_answers(t2, l2, k=3, vectoriser=table_vectoriser(table), detect=False)
    original = set(range(len(texts)))
    # the same three themes for the original answers, and no more of them in Other
    assert _partition(dup, t2, original) == _partition(plain, texts, original)
    assert len([r for r in dup.other if r in original]) <= len(plain.other)
    # every theme still holds both languages (copies do not pull one apart)
    for theme in dup.themes:
        assert {l2[r] for r in theme.rows} == {"en", "fr"}
    # the copies count: the forms theme is now the largest, with all 61 answers
    forms = dup.themes[0]
    assert copied in [t2[r] for r in forms.rows]
    assert forms.size == 9 + 60 and forms.distinct == 9
    # and its card quotes the sentence once, said by 61 people
    assert forms.quotes.count(copied) == 1
    assert forms.quote_counts[forms.quotes.index(copied)] == 61
    assert len(set(map(copy_key, forms.quotes))) == len(forms.quotes)


def test_copies_are_found_by_text_and_close_vectors_not_by_meaning_alone():
    texts = [
        "The waiting room needs toys.",
        "the waiting room needs toys",
        "  THE WAITING ROOM NEEDS TOYS!",
        "The waitng room needs toys",  # a typo: near-identical
        "The waiting room needs no toys",  # one word changes the meaning
        "I need 3 hours of help",
        "I need 4 hours of help",
        "La salle d'attente a besoin de jouets",  # a translation is not a copy
    ]
    v = np.zeros((len(texts), 4))
    v[:, 0] = 1.0
    v[3, 1] = 0.1  # cosine 0.995 to the others
    v[4, 1] = 0.5  # cosine 0.89-0.93: the model sees the "no"
    v[5:7, 2] = 1.0
    v[7, 1] = 0.05
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    rep = copy_groups(texts, v)
    assert rep[0] == rep[1] == rep[2] == rep[3]
    assert texts[rep[0]] in texts[:4]
    assert rep[4] == 4 and rep[5] == 5 and rep[6] == 6 and rep[7] == 7
    # without vectors, only text that matches once case and punctuation go
    rep_text = copy_groups(texts)
    assert rep_text[0] == rep_text[1] == rep_text[2] and rep_text[3] == 3
    # the same groups whatever the order
    perm = [5, 2, 7, 0, 3, 6, 1, 4]
    rep_p = copy_groups([texts[i] for i in perm], v[perm])

    def groups(r, tx):
        return sorted(sorted(tx[i] for i in range(len(tx)) if r[i] == g) for g in set(r))

    assert groups(rep, texts) == groups(rep_p, [texts[i] for i in perm])


def test_formulas_near_empty_and_flagged_answers_are_never_quotes_or_names(table_vectoriser):
    texts, langs, table, truth = _round()
    centre = np.zeros(8)
    centre[1] = 1.0
    junk = ['=HYPERLINK("http://x.example","open hours")', "ok", "[name]", "+SUM(A1:A3)"]
    flagged = "Opening hours matter, he waits for me outside the office"
    for t in junk + [flagged]:
        table[t] = centre  # right at the centre of the opening-hours theme
    t2 = texts + junk + [flagged]
    l2 = langs + ["en"] * 5
    quotable = [True] * len(texts) + [True] * len(junk) + [False]
    r = theme_answers(
        t2, l2, k=3, vectoriser=table_vectoriser(table), detect=False, quotable=quotable
    )
    hours = next(t for t in r.themes if t2.index(flagged) in t.rows)
    assert hours.quotes and len(hours.quotes) == 3
    for q in hours.quotes:
        assert q not in junk and q != flagged
    assert "HYPERLINK" not in hours.label and "waits for me" not in hours.label
    assert not is_quotable_text("=1+1") and not is_quotable_text("...")
    assert is_quotable_text("- more staff (at weekends) please")
    assert is_quotable_text("I called the NHS (twice) and nobody answered")


def test_names_are_a_short_phrase_in_the_rounds_language(table_vectoriser):
    texts, langs, table, _ = _round()
    fr = theme_answers(
        texts, langs, k=3, vectoriser=table_vectoriser(table), detect=False, label_language="fr"
    )
    en = theme_answers(
        texts, langs, k=3, vectoriser=table_vectoriser(table), detect=False, label_language="en"
    )
    english = {t for en_, _ in TOPICS.values() for t in en_}
    french = {t for _, fr_ in TOPICS.values() for t in fr_}
    for result, own in ((fr, french), (en, english)):
        for theme in result.themes:
            assert " / " not in theme.label  # not a keyword list
            assert len(theme.label.split()) <= 10
            # the name comes from one of the theme's own answers in that language
            words = theme.label.rstrip("…").lower()
            sources = [texts[r].lower() for r in theme.rows if texts[r] in own]
            assert any(words in s for s in sources), (theme.label, sources)
    assert fr.settings["name_language"] == "fr" and en.settings["name_language"] == "en"
    # key terms stay as the secondary detail
    assert all(t.terms for t in en.themes)


def test_a_long_answer_is_cut_to_its_clause_with_the_key_terms():
    docs = [
        "Thank you for asking. The waiting room needs a play corner for children, with toys "
        "and books, because my kids get bored and upset when we wait for an hour or more.",
        "A play corner for children",
    ]
    name = phrase_label(docs, ["en", "en"], ["play corner", "children"], "en", closeness=[0.9, 0.5])
    assert name.startswith("The waiting room needs a play corner")
    assert name.endswith("…") and len(name.rstrip("…").split()) <= 9
    # no answer in the board's language: the theme's own most common language, still a phrase
    assert phrase_label(["Un coin jeux pour les enfants"], ["fr"], ["jeux"], "en").startswith("Un")


def test_withdrawn_answer_takes_its_words_out_of_the_name():
    docs = [["Open on Saturday mornings please", "Evening hours would help me a lot"]]
    langs = [["en", "en"]]
    made = phrase_label(docs[0], langs[0], ["saturday"], "en")
    assert made.startswith("Open on Saturday")
    # the Saturday answer is withdrawn: the model's name goes with it, a person's stays
    left = [["Evening hours would help me a lot"]]
    ((terms, label),) = describe_again(
        left, ["en"], [made], [["saturday"]], doc_languages=[["en"]], model_made=[True]
    )
    assert "Saturday" not in label and label.startswith("Evening hours")
    ((_, kept),) = describe_again(
        left, ["en"], ["Opening times"], [["saturday"]], doc_languages=[["en"]], model_made=[False]
    )
    assert kept == "Opening times"


def test_identical_input_identical_output_with_copies_in_any_order(table_vectoriser):
    texts, langs, table, truth = _round()
    t2, l2, _ = _with_copies(texts, langs, table, truth, TOPICS[1][0][0], 25)
    a = theme_answers(t2, l2, vectoriser=table_vectoriser(table), detect=False)
    b = theme_answers(t2, l2, vectoriser=table_vectoriser(table), detect=False)
    assert (a.themes, a.members, a.other, a.k, a.quality) == (
        b.themes,
        b.members,
        b.other,
        b.k,
        b.quality,
    )
    perm = list(np.random.default_rng(7).permutation(len(t2)))
    c = theme_answers(
        [t2[i] for i in perm],
        [l2[i] for i in perm],
        vectoriser=table_vectoriser(table),
        detect=False,
    )
    described = lambda r, tx: [  # noqa: E731
        (t.label, t.size, t.quotes, t.quote_counts, sorted(tx[i] for i in t.rows)) for t in r.themes
    ]
    assert described(a, t2) == described(c, [t2[i] for i in perm])
    assert a.k >= 1 and all(m.theme != OTHER or m.row in a.other for m in a.members)
