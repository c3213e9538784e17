"""Prepare every SQL statement of the store modules on PostgreSQL.

A check that cannot drift from the code: the statements are read from the store's
source with `ast` (the string passed to each execute/fetch call, with module
constants and simple local assignments filled in), `?` placeholders become `$1,
$2, …`, and each is prepared (parsed, planned, parameter types inferred) on a
PostgreSQL database that has the PostgreSQL migrations applied. Nothing runs.

    python -m benchmarks.pg_statements postgresql://user@127.0.0.1:55432/postgres

The database named must be empty or disposable: the migrations are applied in a
fresh schema that is dropped afterwards. Statements built at run time from
values the source does not show (an f-string over a local list of conditions)
are counted as "not resolved"; the store and web tests on PostgreSQL cover those.
SQLite-only statements (PRAGMA, FTS5) are expected to fail and are listed apart
when their call is in a SQLite branch (`dialect == "sqlite"` / the sqlite table).
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import importlib
import secrets
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

CALLS = {
    "execute",
    "executemany",
    "execute_fetchall",
    "fetch_all",
    "fetch_one",
    "fetch_one_quick",
    "quick_one",
    "quick_all",
}
#: Modules whose SQL belongs to one engine only (connection settings, the backends).
SKIP = {"db", "postgres", "__init__"}
#: Functions that only ever run on SQLite: the file backup (PostgreSQL has pg_dump),
#: and the FTS5 vocabulary table `indexed_terms` reads on SQLite.
SQLITE_ONLY = {"maintenance.backup", "search._vocab"}
#: SQL chosen by engine (`dialect` in store.search): checked with each engine's value.
DIALECTS = ("postgresql", "sqlite")


@dataclass
class Statement:
    module: str
    line: int
    sql: str | None  # None: not resolved statically
    sqlite_only: bool = False


def to_dollar(sql: str) -> str:
    """`?` placeholders outside quotes become $1, $2, …"""
    out: list[str] = []
    n = 0
    quote: str | None = None
    for ch in sql:
        if quote:
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "?":
            n += 1
            out.append(f"${n}")
            continue
        out.append(ch)
    return "".join(out)


class _Marks(ast.NodeTransformer):
    """`"?" * len(values)` (placeholders for a list) stands for two placeholders."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        if (
            isinstance(node.op, ast.Mult)
            and isinstance(node.left, ast.Constant)
            and node.left.value == "?"
        ):
            return ast.copy_location(ast.Constant("??"), node)
        return self.generic_visit(node)


class _Finder(ast.NodeVisitor):
    def __init__(self, module_name: str, namespace: dict) -> None:
        self.module = module_name
        self.namespace = dict(namespace)
        self.found: list[Statement] = []
        self._locals: list[dict[str, ast.expr]] = [{}]
        self._functions: list[str] = []
        self._sqlite_branch = 0

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._locals.append({})
        self._functions.append(node.name)
        sqlite_only = f"{self.module}.{node.name}" in SQLITE_ONLY
        self._sqlite_branch += sqlite_only
        self.generic_visit(node)
        self._sqlite_branch -= sqlite_only
        self._functions.pop()
        self._locals.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self._locals[-1][target.id] = node.value
        self.generic_visit(node)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        """A loop over constant values: its statements are checked with each value."""
        try:
            values = list(ast.literal_eval(node.iter))
        except (ValueError, TypeError, SyntaxError):
            values = []
        names = [n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)]
        if not values or not names:
            self.generic_visit(node)
            return
        saved = dict(self.namespace)
        for value in values:
            bind = ast.Module([ast.Assign([node.target], ast.Constant(value))], [])
            # Binds the loop's constant target for the body.
            exec(compile(ast.fix_missing_locations(bind), self.module, "exec"), self.namespace)  # noqa: S102
            for child in node.body:
                self.visit(child)
        self.namespace = saved
        for child in node.orelse:
            self.visit(child)

    visit_AsyncFor = visit_For  # noqa: N815

    def visit_If(self, node: ast.If) -> None:
        text = ast.unparse(node.test)
        sqlite = "sqlite" in text and "==" in text
        postgres = "postgresql" in text and "==" in text
        if sqlite:
            self._sqlite_branch += 1
        for child in node.body:
            self.visit(child)
        if sqlite:
            self._sqlite_branch -= 1
        if postgres:
            self._sqlite_branch += 1
        for child in node.orelse:
            self.visit(child)
        if postgres:
            self._sqlite_branch -= 1
        self.visit(node.test)

    def _value(self, expr: ast.expr, depth: int = 0) -> str | None:
        if depth > 5:
            return None
        tree = ast.fix_missing_locations(ast.parse(ast.unparse(expr), mode="eval"))
        expr = _Marks().visit(tree).body
        try:
            value = eval(compile(ast.Expression(expr), self.module, "eval"), dict(self.namespace))  # noqa: S307
        except NameError as missing:
            name = missing.name
            assigned = self._locals[-1].get(name) if name else None
            if isinstance(assigned, ast.IfExp):  # a clause added when a flag is set
                assigned = assigned.body
            if assigned is None:
                return None
            inner = self._value(assigned, depth + 1)
            if inner is None:
                return None
            namespace = dict(self.namespace)
            namespace[name] = inner
            try:
                value = eval(compile(ast.Expression(expr), self.module, "eval"), namespace)  # noqa: S307
            except Exception:
                return None
        except Exception:
            return None
        return value if isinstance(value, str) else None

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in CALLS and node.args:
            sql = self._value(node.args[0])
            if sql is None and "dialect" in ast.unparse(node.args[0]):
                for dialect in DIALECTS:
                    self.namespace["dialect"] = dialect
                    self.found.append(
                        Statement(
                            self.module,
                            node.lineno,
                            self._value(node.args[0]),
                            sqlite_only=self._sqlite_branch > 0 or dialect == "sqlite",
                        )
                    )
                    del self.namespace["dialect"]
            else:
                self.found.append(
                    Statement(self.module, node.lineno, sql, sqlite_only=self._sqlite_branch > 0)
                )
        self.generic_visit(node)


def statements() -> list[Statement]:
    """Every SQL statement of the store modules, in source order."""
    folder = Path(importlib.import_module("codesign.store").__file__).parent
    found: list[Statement] = []
    for path in sorted(folder.glob("*.py")):
        if path.stem in SKIP:
            continue
        module = importlib.import_module(f"codesign.store.{path.stem}")
        finder = _Finder(path.stem, vars(module))
        finder.visit(ast.parse(path.read_text(encoding="utf-8")))
        found += finder.found
    return found


def postgres_migrations() -> list[tuple[str, str]]:
    folder = resources.files("codesign.store") / "migrations" / "postgresql"
    files = [e for e in folder.iterdir() if e.name.endswith(".sql") and e.name[:4].isdigit()]
    return [(e.name, e.read_text(encoding="utf-8")) for e in sorted(files, key=lambda e: e.name)]


async def check(url: str, verbose: bool) -> int:
    import asyncpg

    conn = await asyncpg.connect(url)
    schema = "pgstmt_" + secrets.token_hex(4)
    failures = 0
    try:
        await conn.execute(f"CREATE SCHEMA {schema}")
        await conn.execute(f"SET search_path = {schema}, public")
        for _name, sql in postgres_migrations():
            await conn.execute(sql)
        found = statements()
        ok = unresolved = expected = 0
        for s in found:
            where = f"{s.module}.py:{s.line}"
            if s.sql is None:
                unresolved += 1
                if verbose:
                    print(f"not resolved  {where}")
                continue
            try:
                await conn.prepare(to_dollar(s.sql))
            except Exception as exc:  # noqa: BLE001 - every failure is reported
                if s.sqlite_only:
                    expected += 1
                    if verbose:
                        print(f"sqlite only   {where}: {type(exc).__name__}")
                    continue
                failures += 1
                print(f"FAILS         {where}: {type(exc).__name__}: {exc}")
                if verbose:
                    print(f"              {s.sql}")
            else:
                ok += 1
        resolved = len(found) - unresolved
        print(
            f"{len(found)} statements: {resolved} resolved from the source, {ok} prepare on"
            f" PostgreSQL, {failures} fail, {expected} SQLite-only (in a sqlite branch),"
            f" {unresolved} built at run time (not checked here)"
        )
    finally:
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await conn.close()
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="postgresql://… of a disposable database")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    return 1 if asyncio.run(check(args.url, args.verbose)) else 0


if __name__ == "__main__":
    sys.exit(main())
