"""Describe themes: key terms (class-based TF-IDF), a short label, quotes.

Class-based TF-IDF (as in BERTopic): all answers of a theme form one document;
a term's weight in theme c is ``tf(t, c) / words(c) * log(1 + A / f(t))``,
where ``A`` is the mean number of words per theme and ``f(t)`` the term's
frequency over all themes.  Terms are lower-cased words (unigrams and
bigrams) with the stop words of every supported language present removed,
placeholders (``[name]`` …) and numbers dropped.  The label joins the top
three terms, skipping a word already inside a chosen bigram.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from .stopwords import all_stop_words

_PLACEHOLDER = re.compile(r"\[[^\]]{1,40}\]")
_CONTRACTION = re.compile(r"([a-z]+?)(n['’]t|['’](?:s|re|ve|ll|d|m))")
_ALEF = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا"})


def _is_stop(word: str, stop: frozenset[str]) -> bool:
    """Stop word, also when it differs only by apostrophes or Arabic hamza on alef.

    (The packaged Arabic list is written without hamza: "ان", "الى", "او".)
    """
    if len(word) <= 1 or word in stop or word.strip("'’") in stop:
        return True
    if word.translate(_ALEF) in stop:
        return True
    # English contractions: "didn't", "hasn't", "it's", "you're" (not "john's")
    m = _CONTRACTION.fullmatch(word)
    return bool(m) and (m.group(2) in ("n't", "n’t") or m.group(1) in stop)


_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’-][^\W\d_])*")


def tokens(text: str, stop: frozenset[str]) -> list[str]:
    words = [w.lower() for w in _WORD.findall(_PLACEHOLDER.sub(" ", text))]
    return [w for w in words if not _is_stop(w, stop)]


def _terms_of(text: str, stop: frozenset[str]) -> list[str]:
    """Unigrams and bigrams of adjacent non-stop words."""
    out = []
    for chunk in re.split(r"[.,;:!?()\"«»“”؛،؟\n]+", _PLACEHOLDER.sub(".", text)):
        words = [w.lower() for w in _WORD.findall(chunk)]
        kept: list[str | None] = [None if _is_stop(w, stop) else w for w in words]
        out += [w for w in kept if w]
        out += [f"{a} {b}" for a, b in zip(kept, kept[1:], strict=False) if a and b]
    return out


def class_tfidf(
    docs_by_theme: list[list[str]], languages: list[str], top: int = 8
) -> list[list[tuple[str, float]]]:
    """Top terms with weights for each theme (a theme = a list of answers)."""
    stop = all_stop_words(tuple(sorted(set(languages) & {"en", "es", "fr", "ar"})) or ("en",))
    counts = [Counter(t for doc in docs for t in _terms_of(doc, stop)) for docs in docs_by_theme]
    total = Counter()
    for c in counts:
        total.update(c)
    words_per_class = [sum(v for t, v in c.items() if " " not in t) for c in counts]
    avg = max(1.0, sum(words_per_class) / max(1, len(counts)))
    result = []
    for c, nwords in zip(counts, words_per_class, strict=True):
        scored = []
        for term, tf in c.items():
            if tf < 2 and len(c) > 20:
                continue  # a term used once says little about a big theme
            weight = (tf / max(1, nwords)) * math.log(1 + avg / total[term])
            if " " in term:
                weight *= 0.9  # prefer a bigram only when it is nearly as strong
            scored.append((term, weight))
        scored.sort(key=lambda tw: (-tw[1], tw[0]))
        result.append([(t, round(w, 6)) for t, w in scored[:top]])
    return result


def make_label(terms: list[str], n: int = 3) -> str:
    chosen: list[str] = []
    for term in terms:
        words = set(term.split())
        if any(words <= set(c.split()) or set(c.split()) <= words for c in chosen):
            continue
        chosen.append(term)
        if len(chosen) == n:
            break
    return " / ".join(chosen) if chosen else "(no common terms)"


def describe_again(
    docs_by_theme: list[list[str]],
    languages: list[str],
    labels: list[str],
    old_terms: list[list[str]],
    top: int = 8,
    *,
    doc_languages: list[list[str]] | None = None,
    language: str | None = None,
    model_made: list[bool] | None = None,
) -> list[tuple[list[str], str]]:
    """Terms and labels of themes from the answers they hold now (after some left).

    A label still equal to the one made from the old terms, or one marked in
    ``model_made``, was made by the model, so it is made again from the answers
    left — a name taken from an answer must go when that answer goes.  With
    ``doc_languages`` (per answer) the new name is a phrase in ``language``
    (:func:`phrase_label`), else key terms.  Any other label was written by a
    person and is kept.  A theme holding nothing gets no terms.
    """
    weighed = class_tfidf(docs_by_theme, languages, top=top)
    out = []
    for t, (docs, terms, label, old) in enumerate(
        zip(docs_by_theme, weighed, labels, old_terms, strict=True)
    ):
        words = [w for w, _ in terms] if docs else []
        made_by_model = label == make_label(old) or bool(model_made and model_made[t])
        if not made_by_model:
            out.append((words, label))
        elif doc_languages is not None and docs:
            lang = language or Counter(doc_languages[t]).most_common(1)[0][0]
            out.append((words, phrase_label(docs, doc_languages[t], words, lang)))
        else:
            out.append((words, make_label(words)))
    return out


# A spreadsheet formula (=HYPERLINK(...), +cmd, @SUM) pasted into a box, or a cell
# reference: never shown to a board or the public as someone's words.
_FORMULA = re.compile(r"^\s*[=@]|^\s*[+\-]\s*[A-Za-z_.]+\s*\(|=\s*[A-Za-z_.]+\s*\(")
MIN_QUOTE_LETTERS = 12
MIN_QUOTE_WORDS = 3


def is_quotable_text(text: str) -> bool:
    """Whether an answer can stand as a quote or a name: real words, not a formula.

    Near-empty answers ("ok", "...", "[name]") and formula-like ones are not.
    """
    if _FORMULA.search(text):
        return False
    bare = _PLACEHOLDER.sub(" ", text)
    words = _WORD.findall(bare)
    return len(words) >= MIN_QUOTE_WORDS and sum(len(w) for w in words) >= MIN_QUOTE_LETTERS


NAME_MAX_WORDS = 9
_CLAUSE = re.compile(r"(?<=[.!?؟;؛:\n])\s+|\s+[-–—]\s+")


def _shorten(text: str, stop: frozenset[str], terms: list[str]) -> str:
    """The clause of ``text`` that holds most key terms, cut to a few words."""
    clauses = [c.strip(" \t\n-–—\"'«»“”") for c in _CLAUSE.split(text)]
    clauses = [c for c in clauses if len(_WORD.findall(c)) >= 2] or [text.strip()]
    wanted = set(terms)

    def hits(clause: str) -> int:
        return len(wanted & set(_terms_of(clause, stop)))

    best = max(clauses, key=lambda c: (hits(c), -clauses.index(c)))
    words = best.split()
    if len(words) > NAME_MAX_WORDS:
        best = " ".join(words[:NAME_MAX_WORDS]).rstrip(",;:،؛") + "…"
    best = best.rstrip(" .;:؛")
    return best[:1].upper() + best[1:] if best[:1].islower() else best


def phrase_label(
    docs: list[str],
    doc_languages: list[str],
    terms: list[str],
    language: str,
    *,
    closeness: list[float] | None = None,
    quotable: list[bool] | None = None,
) -> str:
    """A short readable name for a theme, taken from its own answers.

    Candidates are the theme's quotable answers written in ``language`` (the
    round's main language); when it has none, those in the theme's most common
    language.  Each candidate scores its closeness to the theme's centre (when
    given) plus 0.03 per key term it holds, minus 0.01 per word beyond 15 (long
    answers make poor names).  The best one's clause richest in key terms,
    cut to ``NAME_MAX_WORDS`` words, is the name.  With no candidate at all the
    name falls back to the key terms.
    """
    ok = [
        i for i, d in enumerate(docs) if is_quotable_text(d) and (quotable is None or quotable[i])
    ]
    if not ok:
        return make_label(terms)
    pick = [i for i in ok if doc_languages[i] == language]
    if not pick:
        counts = Counter(doc_languages[i] for i in ok)
        top = min(counts, key=lambda lang: (-counts[lang], lang))
        pick = [i for i in ok if doc_languages[i] == top]
    lang = doc_languages[pick[0]]
    stop = all_stop_words(tuple(sorted({lang} & {"en", "es", "fr", "ar"})) or ("en",))
    wanted = set(terms)

    def score(i: int) -> tuple[float, str]:
        words = len(docs[i].split())
        s = (closeness[i] if closeness is not None else 0.0) + 0.03 * len(
            wanted & set(_terms_of(docs[i], stop))
        )
        return (-(s - 0.01 * max(0, words - 15)), docs[i])

    best = min(pick, key=score)
    return _shorten(docs[best], stop, terms) or make_label(terms)
