"""Packaged stop-word lists for the supported languages.

- en: scikit-learn's ``ENGLISH_STOP_WORDS`` (318 words).  The ``stop-words``
  package's English list (1,333 words) also removes content words that matter
  in answers about services ("home", "work", "help", "need", "problem"), so it
  is not used for English.
- es, fr, ar: the ``stop-words`` package (652 / 348 / 162 words).

Lists are lower-cased; apostrophe forms are split into their parts too
("j'ai" → "j", "ai") to match the tokeniser.
"""

from __future__ import annotations

import functools
import re

_STOP_WORDS_NAMES = {"es": "spanish", "fr": "french", "ar": "arabic"}


@functools.lru_cache(maxsize=8)
def stop_words(language: str) -> frozenset[str]:
    """Stop words for ``language`` (empty for languages without a list)."""
    if language == "en":
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        words = set(ENGLISH_STOP_WORDS)
    elif language in _STOP_WORDS_NAMES:
        from stop_words import get_stop_words

        words = set(get_stop_words(_STOP_WORDS_NAMES[language]))
    else:
        return frozenset()
    out = set()
    for w in words:
        w = w.lower()
        out.add(w)
        out.update(p for p in re.split(r"['’]", w) if p)
    return frozenset(out)


def all_stop_words(
    languages: list[str] | tuple[str, ...] = ("en", "es", "fr", "ar"),
) -> frozenset[str]:
    return frozenset().union(*(stop_words(lang) for lang in languages))
