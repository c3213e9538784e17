"""Find copied answers: identical and near-identical texts (deterministic).

Real rounds hold copies — a sentence passed round a group, a paper batch typed
in twice.  Clustered as separate answers, 30 copies of one sentence pull a
theme's centre (and each language's mean vector) towards themselves and crowd
the other answers out.  So the pipeline themes each *group of copies* once and
counts it by its weight afterwards.

Two answers are copies when their **keys** match (case, accents on Latin
letters, punctuation and spacing ignored), or when their vectors are very close
(cosine ≥ ``NEAR_COSINE``) *and* their keys differ by a few characters
(``difflib`` ratio ≥ ``NEAR_RATIO``) *and* they hold the same numbers.  All
three are needed: translations and paraphrases can have close vectors but
different words; answers that differ by one "not" or "quiet" for "play" have
close characters, but e5-small puts them below 0.96 (measured: 0.947, 0.955),
while a typo, a dropped "the" or lost punctuation stay above (0.958–0.986).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

import numpy as np

NEAR_COSINE = 0.96
NEAR_RATIO = 0.9
_BLOCK = 1024
_NOT_WORD = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\d+")


def copy_key(text: str) -> str:
    """What is left of an answer once case, Latin accents, punctuation and spacing go."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    # drop combining marks on Latin letters only (Arabic marks change little, keep them)
    folded = "".join(
        c for c in folded if not (unicodedata.combining(c) and "\u0300" <= c <= "\u036f")
    )
    return _NOT_WORD.sub(" ", folded).strip()


def copy_groups(texts: Sequence[str], vectors: np.ndarray | None = None) -> list[int]:
    """For each row, the row that stands for its group of copies (its representative).

    The representative is the group's most common exact text (ties: the smallest
    text, then the first row holding it), so groups and representatives depend only
    on the texts, not on their order.  ``vectors`` (L2-normalised rows) enable the
    near-identical test; without them only matching keys are copies.
    """
    n = len(texts)
    keys = [copy_key(t) for t in texts]
    # one slot per distinct non-empty key; empty keys ("", "!!!") stay alone per text
    slot_of: dict[str, int] = {}
    slot_rows: list[list[int]] = []
    for i, k in enumerate(keys):
        name = k if k else "\0" + texts[i]
        if name not in slot_of:
            slot_of[name] = len(slot_rows)
            slot_rows.append([])
        slot_rows[slot_of[name]].append(i)
    m = len(slot_rows)
    parent = list(range(m))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    if vectors is not None and m > 1 and len(vectors) == n:
        first = np.array([rows[0] for rows in slot_rows], dtype=np.int64)
        xs = np.asarray(vectors, dtype=np.float32)[first]
        slot_key = [keys[r] for r in first]
        lengths = np.array([len(k) for k in slot_key], dtype=np.float32)
        # Two keys can reach NEAR_RATIO only when their lengths are close
        # (2·min ≥ NEAR_RATIO·(la + lb)), so with the slots sorted by length each
        # is compared with the few slots of similar length after it (each pair
        # once), not with all of them: near-linear instead of all pairs.
        by_len = np.argsort(lengths, kind="stable")
        sorted_len = lengths[by_len]
        reach = (2.0 - NEAR_RATIO) / NEAR_RATIO  # longest partner / shortest
        for lo in range(0, m, _BLOCK):
            hi = min(lo + _BLOCK, m)
            end = int(np.searchsorted(sorted_len, sorted_len[hi - 1] * reach * 1.0001, "right"))
            rows_s = by_len[lo:hi]
            cols_s = by_len[lo:end]
            sims = xs[rows_s] @ xs[cols_s].T
            la, lb = lengths[rows_s][:, None], lengths[cols_s][None, :]
            # each pair once: a partner comes later in length order
            near = (sims >= NEAR_COSINE) & (
                np.arange(lo, end)[None, :] > np.arange(lo, hi)[:, None]
            )
            near &= 2 * np.minimum(la, lb) >= NEAR_RATIO * (la + lb)
            near &= (la > 0) & (lb > 0)
            for i, j in zip(*np.nonzero(near), strict=True):
                # in slot order, as difflib's ratio is not symmetric
                a, b = sorted((int(rows_s[i]), int(cols_s[j])))
                ka, kb = slot_key[a], slot_key[b]
                if _DIGITS.findall(ka) != _DIGITS.findall(kb):
                    continue  # "3 hours" and "4 hours" are different answers
                matcher = difflib.SequenceMatcher(None, ka, kb, autojunk=False)
                if matcher.quick_ratio() >= NEAR_RATIO and matcher.ratio() >= NEAR_RATIO:
                    ra, rb = find(a), find(b)
                    if ra != rb:
                        parent[max(ra, rb)] = min(ra, rb)
    members: dict[int, list[int]] = {}
    for s in range(m):
        members.setdefault(find(s), []).extend(slot_rows[s])
    rep = [0] * n
    for rows in members.values():
        counts = Counter(texts[r] for r in rows)
        best = min(counts, key=lambda t: (-counts[t], t))
        chosen = min(r for r in rows if texts[r] == best)
        for r in rows:
            rep[r] = chosen
    return rep
