"""Command line: `codesign serve`, `codesign themes` …"""

from __future__ import annotations

import argparse
import os
import sys


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from codesign.settings import from_env
    from codesign.web.app import create_app

    settings = from_env(db_path=args.db) if args.db else from_env()
    app = create_app(settings, demo=args.demo)
    print(
        f"codesign: serving on http://{args.host}:{args.port}/"
        + ("  (demo round at /r/demo)" if args.demo else ""),
        flush=True,
    )
    # One worker: SQLite has one writer; the app batches writes inside the process.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=False,
        proxy_headers=False,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codesign", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="start the web site")
    serve.add_argument("--demo", action="store_true", help="create the demo round at /r/demo")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--db",
        default=os.environ.get("CODESIGN_DB"),
        help="SQLite file (default: $CODESIGN_DB or ./codesign.db)",
    )
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    serve.set_defaults(run=_serve)

    sub.add_parser(
        "themes", help="theme free-text answers in a CSV/TSV file (see `codesign themes --help`)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # The theming command owns its own parser (it is usable without the web app).
    if argv and argv[0] == "themes":
        from codesign.analysis.command import main as themes_main

        return themes_main(argv[1:])
    args = build_parser().parse_args(argv)
    return int(args.run(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
