"""The one browser-test harness: the system Chromium, its contexts and the real server.

Every real-browser test (tests/browser, the console tests in tests/web/staff) starts
Chromium, opens contexts and starts `codesign serve` through these functions, so the
launch flags, the "never download a browser" rule, the offline routing and the wait
for /healthz are written once. Fixtures stay in each folder's conftest.py, because
their scope differs: a whole package there, one module in tests/web/staff, whose async
tests must not share a thread with an open browser.
"""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
LANGUAGES = ("en", "es", "fr", "ar")
RTL = {"ar"}
PHONE = {"width": 360, "height": 740}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EXIT_PAGE = "<!doctype html><html lang=en><title>Weather</title><h1>Weather</h1></html>"


def unavailable(reason: str) -> None:
    """No browser: a hard failure in CI, a clear skip on a developer's machine."""
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str | None:
    """`CODESIGN_CHROMIUM` if set (and only it), else the system Chromium."""
    chosen = os.environ.get("CODESIGN_CHROMIUM")
    candidates = [chosen] if chosen else [shutil.which("chromium"), "/usr/bin/chromium"]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- Chromium -------------------------------------------------------------------------


def launch(browser_type: Any, *extra_args: str, **options: Any) -> Any:
    """Another Chromium from a running Playwright (`browser.browser_type`), with the
    usual flags plus `extra_args`."""
    return browser_type.launch(
        executable_path=chromium_path(), args=[*CHROMIUM_ARGS, *extra_args], **options
    )


@contextmanager
def chromium() -> Iterator[Any]:
    """One headless system Chromium (launching costs about a second)."""
    executable = chromium_path()
    if executable is None:
        unavailable(
            "Chromium is not installed (looked for $CODESIGN_CHROMIUM, else `chromium` on PATH "
            "and /usr/bin/chromium); install it with `apt-get install chromium` to run the "
            "browser tests"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the `playwright` Python package is not installed")
    manager = sync_playwright().start()
    try:
        try:
            instance = launch(manager.chromium)
        except Exception as exc:  # noqa: BLE001 - reported as a skip/fail with the reason
            unavailable(f"Chromium at {executable} did not start: {exc}")
        yield instance
        instance.close()
    finally:
        manager.stop()


#: Where "Leave this page" ends up: a stand-in for the neutral site, served on this
#: machine under another site name (localhost, not 127.0.0.1), so nothing leaves it.
#: A real server, not a route: the exit is a server redirect, which routes don't see.
EXIT_PORT = free_port()
EXIT_HOST = f"http://localhost:{EXIT_PORT}/"


class _NeutralPage(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        body = EXIT_PAGE.encode()
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def neutral_site() -> Iterator[str]:
    """The stand-in neutral site at EXIT_HOST while the block runs."""
    site = http.server.ThreadingHTTPServer(("127.0.0.1", EXIT_PORT), _NeutralPage)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        yield EXIT_HOST
    finally:
        site.shutdown()
        site.server_close()


def keep_it_local(base: str):
    """A route handler: the site under test and the neutral site, nothing else."""

    def handle(route) -> None:
        url = route.request.url
        if url.startswith(base):
            route.continue_()
        elif url.startswith(EXIT_HOST):
            route.fulfill(status=200, content_type="text/html", body=EXIT_PAGE)
        else:
            route.abort()

    return handle


def open_context(
    browser: Any,
    server: str,
    *,
    javascript: bool = True,
    width: int = PHONE["width"],
    height: int = PHONE["height"],
    locale: str = "en-GB",
    timeout: int = 10_000,
    **options: Any,
) -> Any:
    """A fresh browser (its own cookies) on `server`, phone-sized unless `width` says
    otherwise, that reaches nothing but this machine. `options` go to new_context
    (has_touch, extra_http_headers…)."""
    context = browser.new_context(
        viewport={"width": width, "height": height},
        java_script_enabled=javascript,
        locale=locale,
        base_url=server,
        **options,
    )
    context.set_default_timeout(timeout)
    context.route("**/*", keep_it_local(server))
    return context


# --- the real server ------------------------------------------------------------------


def cli(*args: str, stdin: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """Run a `codesign` command as a person would; its output."""
    done = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-m", "codesign.cli", *args],
        input=stdin.encode() if stdin is not None else None,
        cwd=REPO,
        env=dict(env) if env is not None else None,
        capture_output=True,
        check=True,
    )
    return done.stdout.decode()


def server_environment(**extra: str) -> dict[str, str]:
    """This process's environment without CODESIGN_DB (a test names its database with
    --db), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k != "CODESIGN_DB"}
    env.update(extra)
    return env


@contextmanager
def serve(
    db: str | Path,
    log_path: str | Path,
    *,
    demo: bool = False,
    env: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """`codesign serve` on a free port with the database `db`, while the block runs;
    yields its base URL once /healthz answers. A server that stops or never answers
    fails the test with its log."""
    port = free_port()
    log_path = Path(log_path)
    command = [sys.executable, "-m", "codesign.cli", "serve"]
    if demo:
        command.append("--demo")
    command += ["--db", str(db), "--port", str(port), "--log-level", "warning"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed arguments, our own CLI
            command,
            cwd=REPO,
            env=dict(env) if env is not None else server_environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"the server stopped while starting:\n{log_path.read_text(errors='replace')}"
                )
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the server did not answer /healthz in 30 s:\n"
                    f"{log_path.read_text(errors='replace')}"
                )
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
