"""Recall and false-alarm rate of the risk/distress flags on the labelled fixture set.

Run from the repo root: ``python benchmarks/flags_eval.py [-v]``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from codesign.analysis.evaluate import flag_scores  # noqa: E402

CASES = ROOT / "tests/analysis/fixtures/flag_cases.json"


def main() -> None:
    cases = json.loads(CASES.read_text(encoding="utf-8"))
    by_lang: dict[str, list[dict]] = {}
    for c in cases:
        by_lang.setdefault(c["lang"], []).append(c)
    for lang, group in [("all", cases), *sorted(by_lang.items())]:
        s = flag_scores(group)
        print(
            f"{lang:>3}: cases={s['cases']} positives={s['positives']} "
            f"negatives={s['negatives']} recall={s['recall']:.3f} "
            f"typed_recall={s['typed_recall']:.3f} false_alarm_rate={s['false_alarm_rate']:.3f}"
        )
    if "-v" in sys.argv:
        s = flag_scores(cases)
        for m in s["misses"]:
            print("MISS", m)
        for a in s["alarms"]:
            print("ALARM", a)


if __name__ == "__main__":
    main()
