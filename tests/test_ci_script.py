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
