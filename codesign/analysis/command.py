"""``codesign themes INPUT …``: theme the answers in a CSV/TSV file.

Usage errors (missing file, column, empty or non-UTF-8 file, bad option) print
one line on stderr and exit with status 2.  Vectors are cached under
``$CODESIGN_CACHE_DIR`` or ``./.codesign-cache/`` so a second run on the same
answers embeds nothing.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import msgspec

USAGE_ERROR = 2


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, status 2, no traceback
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="codesign themes", description="Theme free-text answers in a CSV/TSV file.")
    p.add_argument("input", help="CSV or TSV file (by extension), UTF-8")
    p.add_argument("--text-column", default="text")
    p.add_argument("--label-column", help="true labels: report NMI / ARI / V-measure")
    p.add_argument("--language-column", help="participants' chosen language or locale")
    p.add_argument("--k", type=int, help="number of themes (default: chosen automatically)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--assignments-out", help="write a CSV of row,theme (-1 = other)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the vector cache")
    return p


def read_table(path: Path, columns: list[str]) -> dict[str, list[str]]:
    if not path.exists():
        raise UsageError(f"input file not found: {path}")
    if path.is_dir():
        raise UsageError(f"input is a directory, not a file: {path}")
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"input is not UTF-8 (byte {exc.start}): re-save {path.name} as UTF-8"
        ) from None
    if not raw.strip():
        raise UsageError(f"input file is empty: {path}")
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    reader = csv.DictReader(raw.splitlines(), delimiter=delimiter, quoting=quoting)
    header = reader.fieldnames or []
    for col in columns:
        if col not in header:
            raise UsageError(
                f"column {col!r} not in {path.name} (columns: {', '.join(header) or 'none'})"
            )
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise UsageError(f"cannot parse {path.name}: {exc}") from None
    if not rows:
        raise UsageError(f"input file has a header but no rows: {path}")
    return {col: [(r.get(col) or "") for r in rows] for col in columns}


def main(argv: list[str]) -> int:
    try:
        return _run(argv)
    except UsageError as exc:
        print(f"codesign themes: error: {exc}", file=sys.stderr)
        return USAGE_ERROR


def _run(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.k is not None and args.k < 1:
        raise UsageError("--k must be at least 1")
    columns = [args.text_column]
    columns += [c for c in (args.label_column, args.language_column) if c]
    table = read_table(Path(args.input), columns)

    from .evaluate import cluster_metrics
    from .pipeline import theme_answers
    from .vectorise import DiskCache, default_cache_dir, default_vectoriser

    vectoriser = default_vectoriser()
    cache = None if args.no_cache or not vectoriser.cacheable else DiskCache(default_cache_dir())
    locales = table[args.language_column] if args.language_column else None
    result = theme_answers(
        table[args.text_column], locales, k=args.k, vectoriser=vectoriser, cache=cache
    )
    if cache is not None:
        try:
            cache.save()
        except OSError as exc:
            print(f"codesign themes: warning: vector cache not saved: {exc}", file=sys.stderr)
    labels = [m.theme for m in result.members]
    metrics = cluster_metrics(table[args.label_column], labels) if args.label_column else {}

    if args.assignments_out:
        with open(args.assignments_out, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["row", "theme"])
            w.writerows((m.row, m.theme) for m in result.members)

    if args.json:
        out = {
            "vectoriser": result.vectoriser,
            "n": result.n,
            "k": result.k,
            "k_method": result.k_method,
            "seconds": result.seconds,
            "quality": result.quality,
            "other": len(result.other),
            "themes": [
                {"id": t.id, "label": t.label, "size": t.size, "terms": t.terms, "quotes": t.quotes}
                for t in result.themes
            ],
            "metrics": metrics,
        }
        sys.stdout.write(msgspec.json.encode(out).decode("utf-8") + "\n")
        return 0

    print(
        f"{result.n} answers, {result.k} themes ({result.k_method}), "
        f"{len(result.other)} in other; vectoriser {result.vectoriser}; "
        f"quality (silhouette) {result.quality}; {result.seconds:.1f} s"
    )
    if metrics:
        print("metrics: " + ", ".join(f"{k} {v:.3f}" for k, v in metrics.items()))
    for t in result.themes:
        print(f"\n[{t.id}] {t.label}  ({t.size} answers)")
        print("  terms: " + ", ".join(t.terms))
        for q in t.quotes:
            print(f"  - {q}")
    if result.other:
        print(f"\n[-1] other / unclear  ({len(result.other)} answers)")
    return 0
