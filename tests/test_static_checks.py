"""Static security check: bandit finds nothing of high severity in the package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_bandit_finds_no_high_severity_issue() -> None:
    pytest.importorskip("bandit", reason="bandit is in the test extra")
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "bandit", "-r", "codesign", "-lll", "-q", "-f", "txt"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
