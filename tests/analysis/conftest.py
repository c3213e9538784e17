from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).parent / "fixtures"


class TableVectoriser:
    """A fake, cacheable vectoriser: vectors looked up by text (unknown → hashed)."""

    cacheable = True

    def __init__(self, table: dict[str, np.ndarray], dim: int = 8) -> None:
        self.name = "fake-table/1"
        self.table = table
        self.dim = dim
        self.calls = 0
        self.embedded: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.embedded += list(texts)
        out = []
        for t in texts:
            if t in self.table:
                v = np.asarray(self.table[t], dtype=np.float64)
            else:
                seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:4], "little")
                v = np.random.default_rng(seed).normal(size=self.dim)
            out.append(v / np.linalg.norm(v))
        return np.asarray(out, dtype=np.float32)


def groups_table(groups: int = 3, per_group: int = 8, dim: int = 8, noise: float = 0.05):
    """Texts "g{i} answer {j}" clustered around axis i; returns (texts, table, truth)."""
    rng = np.random.default_rng(0)
    texts, table, truth = [], {}, []
    for g in range(groups):
        for j in range(per_group):
            t = f"group{g} answer {j} " + " ".join(f"word{g}x{m}" for m in range(3))
            v = np.zeros(dim)
            v[g] = 1.0
            v += rng.normal(scale=noise, size=dim)
            texts.append(t)
            table[t] = v
            truth.append(g)
    return texts, table, truth


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def table_vectoriser():
    return TableVectoriser


@pytest.fixture
def make_groups():
    return groups_table
