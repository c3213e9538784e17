"""Command line: `codesign serve`, `codesign themes` …"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # The theming command owns its own parser (it is usable without the web app).
    if argv and argv[0] == "themes":
        from codesign.analysis.command import main as themes_main

        return themes_main(argv[1:])
    parser = argparse.ArgumentParser(prog="codesign")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("themes", help="theme free-text answers in a CSV/TSV file")
    args = parser.parse_args(argv)
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
