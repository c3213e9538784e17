"""`codesign serve --workers N`: several processes only where they share PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from codesign import cli

ROOT = Path(__file__).resolve().parents[1]


def test_several_workers_on_sqlite_are_refused_with_the_reason(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CODESIGN_DATABASE_URL"}
    refused = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "codesign.cli", "serve", "--workers", "2",
         "--db", str(tmp_path / "x.db")],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=60,
    )
    assert refused.returncode == 2
    assert "several workers need a PostgreSQL database" in refused.stderr
    assert "one process is the only writer" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize(
    ("workers", "url", "demo", "allowed"),
    [
        (1, None, False, True),
        (1, None, True, True),
        (2, None, False, False),
        (2, "sqlite:///codesign.db", False, False),
        (4, "postgresql://app@db.internal/codesign", False, True),
        (2, "postgres://db/codesign", False, True),
        (2, "postgresql://db/codesign", True, False),  # the demo is one process's
        (0, "postgresql://db/codesign", False, False),
    ],
)
def test_which_worker_counts_are_allowed(workers, url, demo, allowed) -> None:
    assert (cli.workers_refused(workers, url, demo) is None) is allowed


def test_several_workers_on_postgresql_run_uvicorn_with_a_factory(monkeypatch) -> None:
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    monkeypatch.setenv("CODESIGN_DATABASE_URL", "postgresql://app@db.internal/codesign")
    monkeypatch.setenv("CODESIGN_TRUSTED_PROXIES", "10.0.0.5")
    assert cli.main(["serve", "--workers", "3", "--port", "8123"]) == 0
    ((app, options),) = calls
    # Each worker process makes its own app (an app object can't cross processes).
    assert app == "codesign.cli:replica_app" and options["factory"] is True
    assert options["workers"] == 3 and options["port"] == 8123
    assert options["proxy_headers"] is True and options["forwarded_allow_ips"] == "10.0.0.5"
