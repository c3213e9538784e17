"""Pure helpers of the board's analysis, run in worker threads (`asyncio.to_thread`)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

import numpy as np

from codesign.analysis import OTHER, detect_language, redact
from codesign.analysis.assign import assign_vectors
from codesign.analysis.pipeline import centre, language_means, other_threshold
from codesign.analysis.types import SavedTheme
from codesign.analysis.vectorise import normalise_text
from codesign.store.board.preparing import PendingAnswer, Prepared


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def vector_digest(secret: str, text_sha: str) -> str:
    """What stored vectors are keyed by: a keyed hash of the text's SHA-256 (as in
    `cache_key`). Without the secret, a copy of the database can't be searched for
    a sentence someone might have written."""
    return hmac.new(secret.encode(), text_sha.encode(), hashlib.sha256).hexdigest()


def stored_key(secret: str, key: str) -> str:
    """The stored form of a `cache_key` ("<model>|<sha256>" → "<model>|<digest>")."""
    model, _, text_sha = key.rpartition("|")
    return f"{model}|{vector_digest(secret, text_sha)}"


def prepare_answers(answers: Sequence[PendingAnswer], secret: str = "") -> list[Prepared]:
    """Language and redacted text for each answer (the participant's locale is a prior),
    and the digest that will name its vector (`secret`: the installation's vector key).

    Risk flags come from the safeguarding screening, which sees every answer.
    """
    out = []
    for a in answers:
        language = detect_language(a.text, a.locale)[0] or a.locale
        redacted = redact(a.text, language or "en").text
        out.append(
            Prepared(
                id=a.id,
                redacted=redacted,
                language=language,
                prepared_hash=text_hash(a.text),
                vector_digest=vector_digest(secret, text_hash(normalise_text(redacted))),
            )
        )
    return out


def unit_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms


def assign_new(
    vectors: np.ndarray,
    languages: list[str],
    placed_theme: list[int | None],
    new_rows: list[int],
    centroids: dict[int, list[list[float]]],
    means: dict[str, list[float]] | None,
    threshold: float | None,
) -> list[tuple[int, int | None, float]]:
    """Place the rows in `new_rows` into existing themes: (row, theme id or None, score).

    A theme's prototypes are its saved centroids (when the space is the run's:
    `means` given) plus the mean of the answers it holds now, so a theme a
    person built by merging, splitting or moving answers attracts answers like
    the ones it holds. Without the run's means (another vectoriser, or one
    fitted per run) the space is centred afresh and only member means are used.
    """
    if means:
        m = {k: np.asarray(v, dtype=np.float64) for k, v in means.items()}
        if "*" not in m:
            m["*"] = np.mean(np.stack(list(m.values())), axis=0)
    else:
        m = language_means(vectors.astype(np.float64), languages)
    xc = centre(vectors.astype(np.float64), languages, m)
    saved = []
    own_sims = []
    for theme_id in sorted(centroids):
        rows = [i for i, t in enumerate(placed_theme) if t == theme_id]
        protos = [list(c) for c in centroids[theme_id]] if means else []
        if rows:
            mean = unit_rows(xc[rows].mean(axis=0, keepdims=True))[0]
            protos.append(mean.tolist())
            own_sims += list(xc[rows] @ mean)
        if protos:
            saved.append(SavedTheme(id=theme_id, label=str(theme_id), centroids=protos))
    if threshold is None:
        threshold = other_threshold(np.asarray(own_sims)) if len(own_sims) >= 10 else -1.0
    assigned = assign_vectors(xc[new_rows], saved, threshold) if new_rows else []
    return [(new_rows[a.index], None if a.theme == OTHER else a.theme, a.score) for a in assigned]
