"""A fast, deterministic stand-in for the embedding model, and round filling."""

from __future__ import annotations

import hashlib

import numpy as np

from codesign.demo.answers import TOPICS


class TopicVectoriser:
    """Cacheable: a text's vector depends only on the text (topic axis + a little noise)."""

    cacheable = True
    name = "fake-topics/1"

    def __init__(self) -> None:
        self.embedded: list[str] = []
        self.topics = sorted(TOPICS)

    def embed(self, texts: list[str]) -> np.ndarray:
        self.embedded += list(texts)
        dim = len(self.topics) + 4
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
            v = np.random.default_rng(seed).normal(scale=0.08, size=dim)
            for base in (p for ps in TOPICS.values() for lang in ps.values() for p in lang):
                if text.startswith(base[:20]):
                    v[self.topics.index(self._topic_of(base))] += 1.0
                    break
            else:
                v[-1] += 1.0
            out[i] = v / np.linalg.norm(v)
        return out

    @staticmethod
    def _topic_of(base: str) -> str:
        for topic, langs in TOPICS.items():
            if any(base in ps for ps in langs.values()):
                return topic
        return ""
