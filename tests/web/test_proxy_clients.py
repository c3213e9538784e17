"""Behind a trusted reverse proxy, rate limits count each participant, not the proxy.

Starts `codesign serve` for real: the forwarded address is uvicorn's business,
set up by the command line, below the app.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(tmp_path: Path, trusted: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {
        **os.environ,
        "CODESIGN_CODE_ATTEMPTS_PER_MINUTE": "2",
        "CODESIGN_TRUSTED_PROXIES": trusted,
        "CODESIGN_BACKGROUND_EMBEDDING": "0",
    }
    process = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "codesign.cli", "serve", "--demo", "--db",
         str(tmp_path / "site.db"), "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(process.stderr.read().decode()[-2000:])
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    pytest.fail("the server did not start")


def _code_checks(base: str, forwarded_for: str, tries: int) -> list[int]:
    with httpx.Client(base_url=base) as client:
        page = client.get("/r/demo/resume")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
        return [
            client.post(
                "/r/demo/resume",
                data={"_csrf_token": token, "code": "AAAA-BBBB-CCCC"},
                headers={"x-forwarded-for": forwarded_for},
            ).status_code
            for _ in range(tries)
        ]


@pytest.mark.parametrize("trusted", ["127.0.0.1", ""])
def test_limits_follow_the_forwarded_address_only_from_a_trusted_proxy(tmp_path, trusted):
    process, base = _serve(tmp_path, trusted)
    try:
        first = _code_checks(base, "203.0.113.7", 3)
        second = _code_checks(base, "198.51.100.9", 1)
    finally:
        process.terminate()
        process.wait(10)
    assert first == [422, 422, 429]
    # Another participant behind the same proxy: their own count, if the proxy is trusted;
    # an untrusted X-Forwarded-For is ignored (anyone could send one).
    assert second == ([422] if trusted else [429])


@pytest.mark.parametrize("trusted", ["*", "10.0.0.5, *", "0.0.0.0/0"])
def test_trusting_every_address_as_a_proxy_is_refused(tmp_path, trusted):
    from codesign.settings import Settings, from_env

    with pytest.raises(ValueError, match="CODESIGN_TRUSTED_PROXIES must list"):
        from_env({"CODESIGN_TRUSTED_PROXIES": trusted})
    with pytest.raises(ValueError, match="not '\\*'"):
        Settings(trusted_proxies=trusted)
    assert from_env({"CODESIGN_TRUSTED_PROXIES": "10.0.0.5"}).trusted_proxies == "10.0.0.5"
    # The server says why and does not start.
    refused = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "codesign.cli", "serve", "--db", str(tmp_path / "x.db")],
        cwd=ROOT, env={**os.environ, "CODESIGN_TRUSTED_PROXIES": trusted},
        capture_output=True, text=True, check=False,
    )
    assert refused.returncode != 0
    assert "CODESIGN_TRUSTED_PROXIES must list" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (tmp_path / "x.db").exists()
