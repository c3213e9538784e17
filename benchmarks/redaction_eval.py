"""Recall and false-redaction rate of the redactor on the labelled fixture set.

Run from the repo root: ``python benchmarks/redaction_eval.py [-v]``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from codesign.analysis.evaluate import redaction_scores  # noqa: E402

CASES = ROOT / "tests/analysis/fixtures/redaction_cases.json"


def main() -> None:
    cases = json.loads(CASES.read_text(encoding="utf-8"))
    by_lang: dict[str, list[dict]] = {}
    for c in cases:
        by_lang.setdefault(c["lang"], []).append(c)
    for lang, group in [("all", cases), *sorted(by_lang.items())]:
        s = redaction_scores(group)
        print(
            f"{lang:>3}: cases={s['cases']} items={s['items']} negatives={s['negatives']} "
            f"recall={s['recall']:.3f} typed_recall={s['typed_recall']:.3f} "
            f"false_redactions={s['false_redactions']} "
            f"false_redaction_rate={s['false_redaction_rate']:.3f} "
            f"negatives_with_redaction={s['negatives_with_redaction']:.3f}"
        )
    if "-v" in sys.argv:
        s = redaction_scores(cases)
        for m in s["misses"]:
            print("MISS", m)
        for f in s["false"]:
            print("FALSE", f)


if __name__ == "__main__":
    main()
