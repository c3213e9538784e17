"""Real-browser fixtures: the real server in a subprocess, one Chromium per package.

The server is started exactly as a person would start it (`codesign serve --demo`)
on a temporary database and a free port. Chromium is the system one: these tests
never download a browser. Every test gets its own browser context (fresh cookies,
a 360 px phone viewport) so participants never share a session. How each is
started: tests/browser/harness.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import harness


@pytest.fixture(scope="package")
def neutral_site() -> Iterator[str]:
    with harness.neutral_site() as site:
        yield site


@pytest.fixture(scope="package")
def server_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the server keeps its database (`b.db`) and log (`server.log`)."""
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="package")
def server(server_folder: Path, neutral_site: str) -> Iterator[str]:
    """The real site with the demo round; yields its base URL."""
    env = harness.server_environment(
        CODESIGN_EXIT_URL=neutral_site + "weather",
        # The suite checks many codes from one address; the real limit is tested elsewhere.
        CODESIGN_CODE_ATTEMPTS_PER_MINUTE="10000",
        CODESIGN_PUBLIC_POSTS_PER_MINUTE="10000",
    )
    with harness.serve(
        server_folder / "b.db", server_folder / "server.log", demo=True, env=env
    ) as base:
        yield base


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    """One headless Chromium for the whole package (launching costs about a second)."""
    with harness.chromium() as instance:
        yield instance


@pytest.fixture
def context(browser, server: str) -> Iterator[object]:
    """A fresh phone-sized browser with JavaScript on."""
    ctx = harness.open_context(browser, server)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context) -> object:
    return context.new_page()


@pytest.fixture
def nojs_context(browser, server: str) -> Iterator[object]:
    """A fresh phone-sized browser with JavaScript switched off."""
    ctx = harness.open_context(browser, server, javascript=False)
    yield ctx
    ctx.close()
