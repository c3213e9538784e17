"""Language of each answer.

Detector: ``py3langid`` (a maintained fork of langid.py; naive Bayes over byte
n-grams, its model ships inside the 4.6 MB wheel, pure Python + numpy, no
download at run time).  ``lingua-language-detector`` is more accurate on very
short text but its wheel is ~96 MB (all 75 languages' models) on top of the
91 MB embedding model; for the four languages this project supports, the
participant's chosen locale settles the short, ambiguous cases, which is where
lingua's edge lies.  ``benchmarks/themes.py --langid`` measures accuracy on
SIB-200 sentences cut to a few words.

The detector is restricted to a set of widely used languages (so that two
Spanish words are not called Galician or Occitan), and the locale prior wins
whenever the detector's normalised confidence is below ``PRIOR_WINS_BELOW``.
"""

from __future__ import annotations

import functools
import re

SUPPORTED = ("en", "es", "fr", "ar")
"""Languages with redaction placeholders, stop words and flag lexicons."""

# Candidate languages for the detector: the supported four plus the languages
# most often confused with them (or most likely in the same services).
CANDIDATES = ("en", "es", "fr", "ar", "pt", "it", "de", "nl", "ca", "ro", "fa", "ur", "tr")

PRIOR_WINS_BELOW = 0.90
_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")
_LATIN = re.compile(r"[A-Za-zÀ-ÿ]")
_LETTER = re.compile(r"[^\W\d_]")

# FLORES-200 / SIB-200 codes (and a few common spellings) to ISO 639-1.
_CODE_MAP = {
    "eng": "en",
    "english": "en",
    "spa": "es",
    "spanish": "es",
    "español": "es",
    "espanol": "es",
    "fra": "fr",
    "fre": "fr",
    "french": "fr",
    "français": "fr",
    "francais": "fr",
    "arb": "ar",
    "ara": "ar",
    "arabic": "ar",
    "العربية": "ar",
}


def normalise_language(code: str | None) -> str:
    """Map a locale or data-set language code to a short key.

    ``"eng_Latn"`` → ``"en"``, ``"es-MX"`` → ``"es"``, ``"fr_FR"`` → ``"fr"``.
    Anything unknown is returned lower-cased as an opaque key (still usable for
    language-centring); ``None`` or blank gives ``""``.
    """
    if not code:
        return ""
    c = code.strip().lower()
    if not c:
        return ""
    head = re.split(r"[-_ ]", c, maxsplit=1)[0]
    if head in _CODE_MAP:
        return _CODE_MAP[head]
    if c in _CODE_MAP:
        return _CODE_MAP[c]
    if len(head) == 2 and head.isalpha():
        return head
    return c


@functools.lru_cache(maxsize=2)
def _identifier(latin: bool):
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages([c for c in CANDIDATES if (c not in _ARABIC_SCRIPT) == latin])
    return ident


_ARABIC_SCRIPT = ("ar", "fa", "ur")


def detect_language(text: str, prior: str | None = None) -> tuple[str, float]:
    """Return ``(language, confidence)`` for one answer.

    ``prior`` is the participant's chosen locale; it is returned when the text
    has too few letters to judge or the detector is unsure.  The script decides
    first (Arabic-script text is Arabic unless the detector is sure it is
    Persian or Urdu); then py3langid picks among the candidate languages of that
    script.  Confidence is the detector's normalised probability, 0.0 when the
    text gave nothing to go on.  Returns ``""`` when there is neither evidence
    nor a prior.
    """
    prior_key = normalise_language(prior)
    letters = _LETTER.findall(text or "")
    if len(letters) < 2:
        return prior_key, 0.0
    arabic = len(_ARABIC.findall(text))
    latin = len(_LATIN.findall(text))
    if arabic > latin:
        lang, p = _identifier(False).classify(text)
        if lang != "ar" and p >= PRIOR_WINS_BELOW:
            return str(lang), float(p)
        return (prior_key if prior_key in _ARABIC_SCRIPT else "ar"), float(p)
    lang, p = _identifier(True).classify(text)
    p = float(p)
    n_candidates = len(CANDIDATES) - len(_ARABIC_SCRIPT)
    if p < 1.5 / n_candidates:  # flat distribution: the text carried no signal
        return prior_key, 0.0
    if prior_key and lang != prior_key and p < PRIOR_WINS_BELOW:
        return prior_key, p
    return str(lang), p


def detect_languages(texts: list[str], priors: list[str | None] | None = None) -> list[str]:
    """Language key for each text (see :func:`detect_language`)."""
    if priors is None:
        priors = [None] * len(texts)
    return [detect_language(t, p)[0] for t, p in zip(texts, priors, strict=True)]
