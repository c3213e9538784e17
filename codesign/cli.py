"""Command line: `codesign serve`, `codesign themes` …"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from litestar import Litestar


def workers_refused(workers: int, database_url: str | None, demo: bool) -> str | None:
    """Why `serve --workers N` can't run here, or None when it can."""
    from codesign.settings import is_postgres_url

    if workers < 1:
        return "--workers must be 1 or more"
    if workers == 1:
        return None
    if not is_postgres_url(database_url):
        # The app batches every write through one writer inside its process (group
        # commit); a second process would fight it for SQLite's one write lock, which
        # measured no faster and made slow saves several times slower.
        return (
            "several workers need a PostgreSQL database (CODESIGN_DATABASE_URL="
            "postgresql://...). On SQLite one process is the only writer: it batches every"
            " save into one commit, and a second process would wait for SQLite's single"
            " write lock instead of helping. Serve with one worker (the default)."
        )
    if demo:
        return "--demo makes its round and accounts in one process: serve it with one worker"
    return None


def replica_app() -> Litestar:
    """uvicorn's factory for `serve --workers N`: one worker process's app, every
    setting from the environment."""
    from codesign.settings import from_env
    from codesign.web.app import create_app

    return create_app(from_env())


def _serve(args: argparse.Namespace) -> int:
    import gc

    import uvicorn

    from codesign.settings import from_env
    from codesign.web.app import create_app

    refused = workers_refused(args.workers, os.environ.get("CODESIGN_DATABASE_URL"), args.demo)
    if refused:
        print(f"codesign serve: {refused}", file=sys.stderr)
        return 2
    try:
        settings = from_env(db_path=args.db) if args.db else from_env()
        if settings.database_url:
            from codesign.store.postgres import require_asyncpg

            require_asyncpg()
    except (ValueError, RuntimeError) as exc:  # refused or missing: say so, no traceback
        raise SystemExit(f"codesign: {exc}") from None
    print(
        f"codesign: serving on http://{args.host}:{args.port}/"
        + (f" with {args.workers} workers" if args.workers > 1 else "")
        + ("  (demo round at /r/demo)" if args.demo else ""),
        flush=True,
    )
    common = {
        "host": args.host,
        "port": args.port,
        "log_level": args.log_level,
        "access_log": False,
        # Only a named proxy may say who the client is: rate limits are per address.
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": settings.trusted_proxies or None,
    }
    if args.workers > 1:
        # Separate processes (uvicorn's supervisor restarts one that dies), each making
        # its own app from the environment; they share only the PostgreSQL database.
        uvicorn.run("codesign.cli:replica_app", factory=True, workers=args.workers, **common)
        return 0
    app = create_app(settings, demo=args.demo, demo_staff=args.demo)
    # Modules, catalogues and the app live as long as the process: keep them out of
    # the collector's full passes, whose pauses otherwise show in save latency.
    gc.freeze()
    # One process: on SQLite it is the one writer, batching writes inside the process.
    uvicorn.run(app, **common)
    return 0


def _database(args: argparse.Namespace):  # -> Database | PostgresDatabase
    """The database the commands work on: CODESIGN_DATABASE_URL's, else the SQLite file."""
    from codesign.settings import check_database_url
    from codesign.store.db import open_database

    url = os.environ.get("CODESIGN_DATABASE_URL", "").strip()
    check_database_url(url)
    return open_database(args.db or "codesign.db", url)


def _read_password(args: argparse.Namespace) -> str:
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password (12 characters or more): ")
    if getpass.getpass("The same password again: ") != first:
        raise SystemExit("codesign: the two passwords were different; nothing was changed")
    return first


def _account_command(args: argparse.Namespace) -> int:
    import asyncio

    from codesign.services.accounts import AccountError, AccountService
    from codesign.store import secrets as secret_store

    password = _read_password(args)

    async def run() -> str:
        db = _database(args)
        await db.connect()
        try:
            service = AccountService(db, await secret_store.get_or_create(db, "staff_key"))
            if args.command == "create-user":
                user = await service.create_user(args.email, args.role, password)
                return f"codesign: created {user.email} ({user.role})"
            user = await service.set_password(args.email, password)
            return f"codesign: new password set for {user.email}; their sessions have ended"
        finally:
            await db.close()

    try:
        print(asyncio.run(run()))
    except AccountError as exc:
        print(f"codesign: {exc.message}", file=sys.stderr)
        return 1
    return 0


def _backup(args: argparse.Namespace) -> int:
    from codesign.store.maintenance import backup

    if os.environ.get("CODESIGN_DATABASE_URL"):
        print("codesign backup: for PostgreSQL, use pg_dump", file=sys.stderr)
        return 2
    source = args.db or "codesign.db"
    if not os.path.exists(source):
        print(f"codesign backup: no database at {source}", file=sys.stderr)
        return 2
    try:
        pages = backup(source, args.path)
    except FileExistsError as exc:
        print(f"codesign backup: {exc}", file=sys.stderr)
        return 2
    print(f"codesign: backed up {source} to {args.path} ({pages} pages, integrity ok)")
    return 0


def _purge(args: argparse.Namespace) -> int:
    import asyncio

    from codesign.services.retention import purge

    async def run() -> int:
        db = _database(args)
        await db.connect()
        try:
            return await purge(db, actor="codesign purge")
        finally:
            await db.close()

    print(f"codesign: deleted {asyncio.run(run())} answers past their round's retention period")
    return 0


def _demo_answers(args: argparse.Namespace) -> int:
    """Generated feedback in four languages on the demo round (demos, browser tests)."""
    import asyncio

    from codesign.demo.answers import fill_round, generate
    from codesign.store import rounds as round_store

    async def run() -> int:
        db = _database(args)
        await db.connect()
        try:
            round_ = await round_store.load_round(db, args.slug)
            if round_ is None:
                return -1
            question = next(
                q.id for s in round_.sections for q in s.questions if q.kind == "open_text"
            )
            made = await fill_round(
                db,
                round_,
                generate(args.count, seed=args.seed),
                question_id=question,
                opinions=True,
            )
            return len(made)
        finally:
            await db.close()

    made = asyncio.run(run())
    if made < 0:
        print(
            f"codesign demo-answers: no round {args.slug!r} (start once with --demo)",
            file=sys.stderr,
        )
        return 2
    print(f"codesign: added {made} submitted answers to /r/{args.slug}")
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
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (default 1; more only with a PostgreSQL CODESIGN_DATABASE_URL)",
    )
    serve.set_defaults(run=_serve)

    db_help = "SQLite file (default: $CODESIGN_DB or ./codesign.db)"
    demo_answers = sub.add_parser(
        "demo-answers",
        help="add generated, submitted answers in four languages to the demo round",
        description=(
            "Adds COUNT participations to the demo round, each with a written answer to its"
            " first written question (English, Spanish, French, Arabic in turn; some with"
            " personal details to redact, a few flagged) and agreement answers in every"
            " section. Deterministic for a seed. For demos of the review board and its tests;"
            " safe while the site runs."
        ),
    )
    demo_answers.add_argument("--count", type=int, default=300)
    demo_answers.add_argument("--seed", type=int, default=0)
    demo_answers.add_argument("--slug", default="demo")
    demo_answers.add_argument("--db", default=os.environ.get("CODESIGN_DB"), help=db_help)
    demo_answers.set_defaults(run=_demo_answers)
    create = sub.add_parser("create-user", help="create a staff account")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=["admin", "organizer", "board"])
    set_password = sub.add_parser("set-password", help="set a staff account's password")
    set_password.add_argument("--email", required=True)
    for command in (create, set_password):
        command.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )
        command.add_argument("--db", default=os.environ.get("CODESIGN_DB"), help=db_help)
        command.set_defaults(run=_account_command)

    backup = sub.add_parser(
        "backup", help="copy the database to PATH (safe while the site is serving)"
    )
    backup.add_argument("path", help="the new backup file")
    backup.add_argument("--db", default=os.environ.get("CODESIGN_DB"), help=db_help)
    backup.set_defaults(run=_backup)
    purge = sub.add_parser("purge", help="delete answers past each round's retention period")
    purge.add_argument("--db", default=os.environ.get("CODESIGN_DB"), help=db_help)
    purge.set_defaults(run=_purge)

    sub.add_parser(
        "themes", help="theme free-text answers in a CSV/TSV file (see `codesign themes --help`)"
    )
    sub.add_parser(
        "flags", help="screen answers in a CSV/TSV file for risk (see `codesign flags --help`)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # The analysis commands own their parsers (they are usable without the web app).
    if argv and argv[0] == "themes":
        from codesign.analysis.command import main as themes_main

        return themes_main(argv[1:])
    if argv and argv[0] == "flags":
        from codesign.analysis.flags_command import main as flags_main

        return flags_main(argv[1:])
    args = build_parser().parse_args(argv)
    return int(args.run(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
