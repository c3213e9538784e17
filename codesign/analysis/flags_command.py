"""``codesign flags INPUT …``: screen the answers in a CSV/TSV file for risk.

Input, usage errors (one line on stderr, exit status 2) and the vector cache
work as for ``codesign themes``.  Where the e5 model cannot load, the phrase
lexicon screens alone and the output names it.  The table never prints an
answer's text: only its row, the kinds, the score and why.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import msgspec

from .command import USAGE_ERROR, UsageError, _Parser, read_table

DISTRESSING = "distressing"


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="codesign flags",
        description="Screen free-text answers in a CSV/TSV file for signs of risk.",
    )
    p.add_argument("input", help="CSV or TSV file (by extension), UTF-8")
    p.add_argument("--text-column", default="text")
    p.add_argument("--language-column", help="participants' chosen language or locale")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def main(argv: list[str]) -> int:
    try:
        return _run(argv)
    except UsageError as exc:
        print(f"codesign flags: error: {exc}", file=sys.stderr)
        return USAGE_ERROR


def _reason(kind: str, source: str, detail: str) -> str:
    if source == "phrase":
        return f"phrase '{detail}'"
    if kind == DISTRESSING:
        return "close to answers that may distress a reader"
    return f"close to answers about {detail}"


def _run(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    columns = [args.text_column] + ([args.language_column] if args.language_column else [])
    table = read_table(Path(args.input), columns)

    from .language import detect_language, normalise_language
    from .risk import load_detector
    from .vectorise import E5_NAME, DiskCache, default_cache_dir, default_vectoriser, embed

    texts = table[args.text_column]
    if args.language_column:
        chosen = [normalise_language(v) for v in table[args.language_column]]
        # a blank cell gives no language: detect that answer's instead
        languages = [c or detect_language(t)[0] for c, t in zip(chosen, texts, strict=True)]
    else:
        languages = [detect_language(t)[0] for t in texts]

    vectoriser = default_vectoriser()
    detector = load_detector(vectoriser.name)
    vectors = None
    if detector.uses_model and vectoriser.name == E5_NAME:
        cache = DiskCache(default_cache_dir())
        vectors, new = embed(texts, vectoriser, cache)
        if new:
            try:
                cache.save()
            except OSError as exc:
                print(f"codesign flags: warning: vector cache not saved: {exc}", file=sys.stderr)
    screenings = detector.screen(texts, languages, vectors)

    if args.json:
        out = {
            "detector": detector.name,
            "rows": [
                {
                    "row": i,
                    "risk": s.risk,
                    "kinds": s.kinds,
                    "distressing": s.distressing,
                    "score": s.score,
                }
                for i, s in enumerate(screenings)
            ],
        }
        sys.stdout.write(msgspec.json.encode(out).decode("utf-8") + "\n")
        return 0

    risky = [i for i, s in enumerate(screenings) if s.risk]
    distressing = [i for i, s in enumerate(screenings) if s.distressing]
    print(
        f"{len(texts)} answers screened by {detector.name}"
        + ("" if detector.uses_model else " (the embedding model could not load)")
        + f": {len(risky)} may show risk, {len(distressing)} may distress a reader."
    )
    shown = sorted(set(risky) | set(distressing))
    if not shown:
        return 0
    print("Flags are a reason for a person to read the answer, never a diagnosis.")
    print(f"\n{'row':>5}  {'score':>5}  {'risk kinds':<28} {'distressing':<11}  why")
    for i in shown:
        s = screenings[i]
        why = "; ".join(dict.fromkeys(_reason(r.kind, r.source, r.detail) for r in s.reasons))
        print(
            f"{i:>5}  {s.score:5.2f}  {', '.join(s.kinds) or '-':<28} "
            f"{'yes' if s.distressing else '-':<11}  {why}"
        )
    print("\n(row: data row in the file, counting from 0 after the header)")
    return 0
