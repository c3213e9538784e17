"""Plain-language check: a reading-ease figure, long sentences and long words. Advice only.

Syllables come from pyphen's hyphenation dictionaries (bundled, no network);
the formulas are the usual ones for each language:

- English: Flesch reading ease;
- Spanish: Fernández Huerta;
- French: Kandel and Moles (Flesch adapted to French).

Arabic has no such dictionary here: we still list long sentences, with no figure.
"""

from __future__ import annotations

import re
from functools import cache

import msgspec
import pyphen

from codesign.i18n import N_

LONG_SENTENCE_WORDS = 20
LONG_WORD_SYLLABLES = 4
_DICTIONARIES = {"en": "en_GB", "es": "es", "fr": "fr"}
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?؟…])\s+|\n+")
_MARKDOWN = re.compile(r"^\s*(?:[-*+]|\d+[.)]|#+|>)\s+|[*_`#>]+", re.MULTILINE)


class Readability(msgspec.Struct, frozen=True):
    score: int | None  # 0 (hard) – 100 (easy); None where we can't measure the language
    level: str  # a message id, "" when there is no score
    words: int
    sentences: int
    long_sentences: list[str]
    long_words: list[str]

    @property
    def words_per_sentence(self) -> int:
        return round(self.words / self.sentences) if self.sentences else 0


@cache
def _dictionary(locale: str) -> pyphen.Pyphen | None:
    name = _DICTIONARIES.get(locale)
    return pyphen.Pyphen(lang=name) if name else None


def _syllables(word: str, dictionary: pyphen.Pyphen) -> int:
    # Hyphenation points undercount a little (no break near word ends): fine for advice.
    return max(1, len(dictionary.positions(word.lower())) + 1)


def _level(score: int) -> str:
    if score >= 80:
        return N_("easy to read")
    if score >= 60:
        return N_("fairly easy to read")
    if score >= 50:
        return N_("fairly hard to read")
    return N_("hard to read")


def plain_text(markdown: str) -> str:
    return _MARKDOWN.sub("", markdown)


def check(text: str, locale: str) -> Readability | None:
    """None for an empty text."""
    plain = plain_text(text).strip()
    if not plain:
        return None
    sentences = [s.strip() for s in _SENTENCE_END.split(plain) if _WORD.search(s)]
    words = _WORD.findall(plain)
    long_sentences = [s for s in sentences if len(_WORD.findall(s)) > LONG_SENTENCE_WORDS]
    dictionary = _dictionary(locale)
    if dictionary is None or not words:
        return Readability(None, "", len(words), len(sentences), long_sentences, [])
    syllables = [_syllables(w, dictionary) for w in words]
    per_sentence = len(words) / max(1, len(sentences))
    per_word = sum(syllables) / len(words)
    if locale == "es":
        raw = 206.84 - 0.60 * (per_word * 100) - 1.02 * per_sentence
    elif locale == "fr":
        raw = 207 - 1.015 * per_sentence - 73.6 * per_word
    else:
        raw = 206.835 - 1.015 * per_sentence - 84.6 * per_word
    score = max(0, min(100, round(raw)))
    long_words: list[str] = []
    for word, count in zip(words, syllables, strict=True):
        if count >= LONG_WORD_SYLLABLES and word.lower() not in (w.lower() for w in long_words):
            long_words.append(word)
    return Readability(
        score, _level(score), len(words), len(sentences), long_sentences, long_words[:12]
    )
