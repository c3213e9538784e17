"""The CI script's README test command stops CI when it fails, wherever it stands.

Under `set -e`, a failure of any command of an `a && b` list but the last is ignored:
once the README's command is no longer the script's last line, a failed
`pip install` would skip the SQLite pass and CI would go on to the PostgreSQL pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README_COMMAND = "pip install -e '.[test]' && python -m pytest"


def _readme_line() -> str:
    lines = [
        line
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.startswith(README_COMMAND)
    ]
    assert len(lines) == 1, "the README's test command is run once, as it is written"
    return lines[0]


@pytest.mark.parametrize(("pip", "pytest_status"), [(3, 0), (0, 4)])
def test_a_failing_readme_command_stops_ci(tmp_path, pip, pytest_status) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    for name, status in (("pip", pip), ("python", pytest_status)):
        stub = tmp_path / name
        stub.write_text(f"#!/bin/sh\nexit {status}\n", encoding="ascii")
        stub.chmod(0o755)
    script = f"set -euo pipefail\n{_readme_line()}\necho REACHED-THE-NEXT-LINE\n"
    result = subprocess.run(  # noqa: S603 - a fixed script with stubbed commands
        [bash, "-c", script],
        env={**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert "REACHED-THE-NEXT-LINE" not in result.stdout
    assert result.returncode == (pip or pytest_status)


def _function(name: str) -> str:
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    start = text.index(f"{name}() {{")
    return text[start : text.index("\n}\n", start) + 3]


def test_the_server_programs_are_found_where_initdb_is(tmp_path) -> None:
    # postgresql-client-N also makes /usr/lib/postgresql/N/bin (psql, pg_dump): a
    # client alone, or a newer client beside the server, is not a server to start.
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    root = tmp_path / "postgresql"
    for version, programs in (("15", ["initdb", "pg_ctl", "psql"]), ("16", ["psql", "pg_dump"])):
        (root / version / "bin").mkdir(parents=True)
        for program in programs:
            (root / version / "bin" / program).write_text("", encoding="ascii")
    function = _function("postgres_bin").replace("/usr/lib/postgresql", str(root))
    found = subprocess.run(  # noqa: S603 - the script's own function, on a made-up tree
        [bash, "-c", f"set -euo pipefail\n{function}\npostgres_bin"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.stdout.strip() == str(root / "15" / "bin")
    (root / "15" / "bin" / "initdb").unlink()
    none = subprocess.run(  # noqa: S603 - as above
        [bash, "-c", f'{function}\n[ -z "$(postgres_bin)" ] && echo NONE'],
        capture_output=True,
        text=True,
        check=False,
    )
    assert none.stdout.strip() == "NONE"
