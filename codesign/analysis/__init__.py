"""Theming engine: redact, detect language, vectorise, cluster, label, assign, flag.

A pure package: synchronous, deterministic functions over plain lists (no
database, no web).  Main entry points:

- :func:`theme_answers` — theme the answers to one question;
- :func:`assign_answers` — place new answers in themes a person has edited;
- :func:`redact` — replace personal details by placeholders;
- :func:`flag` — phrases that a person should look at (never a diagnosis);
- :func:`load_detector` — the risk detector (e5 neighbours + the phrases) for
  a vectoriser's vectors; :meth:`RiskDetector.screen` gives a :class:`Screening`;
- :func:`detect_language`.
"""

from .assign import assign_answers, assign_vectors, saved_themes
from .flags import flag, is_risk
from .language import detect_language, normalise_language
from .pipeline import theme_answers
from .redact import redact
from .risk import RiskDetector, load_detector
from .types import (
    OTHER,
    Assignment,
    Flag,
    Member,
    Redacted,
    Redaction,
    RiskReason,
    SavedTheme,
    Screening,
    Theme,
    ThemeResult,
)
from .vectorise import DiskCache, E5Vectoriser, TfidfVectoriser, default_vectoriser, embed

__all__ = [
    "OTHER",
    "Assignment",
    "DiskCache",
    "E5Vectoriser",
    "Flag",
    "Member",
    "Redacted",
    "Redaction",
    "RiskDetector",
    "RiskReason",
    "SavedTheme",
    "Screening",
    "TfidfVectoriser",
    "Theme",
    "ThemeResult",
    "assign_answers",
    "assign_vectors",
    "default_vectoriser",
    "detect_language",
    "embed",
    "flag",
    "is_risk",
    "load_detector",
    "normalise_language",
    "redact",
    "saved_themes",
    "theme_answers",
]
