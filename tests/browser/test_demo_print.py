"""Printing as the demo organizer: the demo banner stays on the screen, off the paper.

The banner ("This is a demo account…") was printed on a sheet of its own: the report
began with an unnumbered page holding only the banner, and the poster, which must be
one A4 sheet, came out as two.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.browser.harness import cli, open_context
from tests.browser.helpers import sign_in_with_password

pytestmark = pytest.mark.browser

ORGANIZER = "organizer@demo.codesign.invalid"
PASSWORD = "a calm long passphrase for printing"


@pytest.fixture(scope="module")
def organizer_site(server: str, server_folder: Path) -> str:
    cli("set-password", "--email", ORGANIZER, "--password-stdin", "--db",
        str(server_folder / "b.db"), stdin=PASSWORD)  # fmt: skip
    return server


def _pages(pdf: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def test_demo_banner_is_not_printed(browser, organizer_site: str) -> None:
    pytest.importorskip("pypdf")
    context = open_context(browser, organizer_site, width=800)
    page = context.new_page()
    sign_in_with_password(page, ORGANIZER, PASSWORD)

    page.goto("/staff/rounds/1/poster")
    assert page.locator(".demo-banner").is_visible(), "the demo account should see its banner"
    page.emulate_media(media="print")
    poster = _pages(page.pdf(format="A4"))
    assert len(poster) == 1, f"the poster printed on {len(poster)} sheets: {poster[0][:120]!r}"
    assert "demo account" not in poster[0]

    page.emulate_media(media="screen")
    page.goto("/staff/rounds/1/board/report")
    page.emulate_media(media="print")
    report = _pages(page.pdf(format="A4"))
    assert "demo account" not in "".join(report)
    # Every sheet carries its number, the first one too.
    total = len(report)
    for number, text in enumerate(report, start=1):
        assert f"{number} / {total}" in text, f"sheet {number} has no page number: {text[:120]!r}"
    context.close()
