"""Real-browser fixtures: the real server in a subprocess, one Chromium per session.

The server is started exactly as a person would start it (`codesign serve --demo`)
on a temporary database and a free port. Chromium is the system one: these tests
never download a browser. Every test gets its own browser context (fresh cookies,
a 360 px phone viewport) so participants never share a session.
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
from collections.abc import Iterator
from pathlib import Path

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


def _unavailable(reason: str) -> None:
    """No browser: a hard failure in CI, a clear skip on a developer's machine."""
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _chromium_path() -> str | None:
    """`CODESIGN_CHROMIUM` if set (and only it), else the system Chromium."""
    chosen = os.environ.get("CODESIGN_CHROMIUM")
    candidates = [chosen] if chosen else [shutil.which("chromium"), "/usr/bin/chromium"]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


#: Where "Leave this page" ends up: a stand-in for the neutral site, served on this
#: machine under another site name (localhost, not 127.0.0.1), so nothing leaves it.
#: A real server, not a route: the exit is a server redirect, which routes don't see.
EXIT_PORT = _free_port()
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


@pytest.fixture(scope="package")
def neutral_site() -> Iterator[str]:
    site = http.server.ThreadingHTTPServer(("127.0.0.1", EXIT_PORT), _NeutralPage)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    yield EXIT_HOST
    site.shutdown()
    site.server_close()


@pytest.fixture(scope="package")
def server_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the server keeps its database (`b.db`) and log (`server.log`)."""
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="package")
def server(server_folder: Path, neutral_site: str) -> Iterator[str]:
    """The real site with the demo round; yields its base URL."""
    folder = server_folder
    port = _free_port()
    env = dict(os.environ)
    env.pop("CODESIGN_DB", None)
    env["CODESIGN_EXIT_URL"] = neutral_site + "weather"
    # The suite checks many codes from one address; the real limit is tested elsewhere.
    env["CODESIGN_CODE_ATTEMPTS_PER_MINUTE"] = "10000"
    env["CODESIGN_PUBLIC_POSTS_PER_MINUTE"] = "10000"
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed arguments, our own CLI
            [
                sys.executable,
                "-m",
                "codesign.cli",
                "serve",
                "--demo",
                "--db",
                str(folder / "b.db"),
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=REPO,
            env=env,
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


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    """One headless Chromium for the whole session (launching costs about a second)."""
    executable = _chromium_path()
    if executable is None:
        _unavailable(
            "Chromium is not installed (looked for $CODESIGN_CHROMIUM, else `chromium` on PATH "
            "and /usr/bin/chromium); install it with `apt-get install chromium` to run the "
            "browser tests"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the `playwright` Python package is not installed")
    manager = sync_playwright().start()
    try:
        try:
            instance = manager.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except Exception as exc:  # noqa: BLE001 - reported as a skip/fail with the reason
            _unavailable(f"Chromium at {executable} did not start: {exc}")
        yield instance
        instance.close()
    finally:
        manager.stop()


def _keep_it_local(base: str):
    def handle(route) -> None:
        url = route.request.url
        if url.startswith(base):
            route.continue_()
        elif url.startswith(EXIT_HOST):
            route.fulfill(status=200, content_type="text/html", body=EXIT_PAGE)
        else:
            route.abort()

    return handle


def open_context(browser, server: str, *, javascript: bool = True, width: int = 360):
    context = browser.new_context(
        viewport={"width": width, "height": PHONE["height"]},
        java_script_enabled=javascript,
        locale="en-GB",
        base_url=server,
    )
    context.set_default_timeout(10_000)
    context.route("**/*", _keep_it_local(server))
    return context


@pytest.fixture
def context(browser, server: str) -> Iterator[object]:
    """A fresh phone-sized browser with JavaScript on."""
    ctx = open_context(browser, server)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context) -> object:
    return context.new_page()


@pytest.fixture
def nojs_context(browser, server: str) -> Iterator[object]:
    """A fresh phone-sized browser with JavaScript switched off."""
    ctx = open_context(browser, server, javascript=False)
    yield ctx
    ctx.close()
