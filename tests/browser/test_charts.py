"""Charts of answers (the one `count_bars` macro): numbers in words beside every bar, a
bar as long as its share, mirrored in Arabic, and still readable in forced colours.

Checked on the organizer's dashboard, one of the pages that use the macro, on a site
of its own (the demo round with generated answers), so other tests' answers don't mix in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.browser import harness
from tests.browser.helpers import axe_violations, describe_violations, sign_in_with_password

pytestmark = pytest.mark.browser

ORGANIZER = "organizer@demo.codesign.invalid"
PASSWORD = "a calm long passphrase for charts"

#: Per row of the first chart: its numbers as text, and where its bar and track are drawn.
_ROWS = """() => [...document.querySelector("table.bars").tBodies[0].rows].map(row => {
  const box = el => { const b = el.getBoundingClientRect();
                      return {left: b.left, right: b.right, width: b.width, height: b.height}; };
  const svg = row.querySelector("svg.bar-chart");
  const bar = svg.querySelector("rect.bar"), track = svg.querySelector("rect.bar-track");
  const style = getComputedStyle(svg);
  return {answer: row.cells[0].innerText.trim(), numbers: row.cells[2].innerText.trim(),
          hidden: svg.getAttribute("aria-hidden"), bar: box(bar), track: box(track),
          barFill: getComputedStyle(bar).fill, trackFill: getComputedStyle(track).fill,
          outline: style.outlineStyle + " " + style.outlineWidth};
})"""


@pytest.fixture(scope="module")
def charts_site(tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("charts")
    db = str(folder / "c.db")
    with harness.serve(db, folder / "server.log", demo=True) as base:
        harness.cli("set-password", "--email", ORGANIZER, "--password-stdin", "--db", db,
                    stdin=PASSWORD)  # fmt: skip
        harness.cli("demo-answers", "--count", "60", "--seed", "3", "--db", db)
        yield base


def _dashboard(browser, site: str, lang: str):
    context = harness.open_context(browser, site, locale=lang)
    page = context.new_page()
    sign_in_with_password(page, ORGANIZER, PASSWORD)
    page.goto(f"/staff/rounds/1/dashboard?lang={lang}")
    return context, page


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_chart_says_its_numbers_and_draws_each_share(browser, charts_site, lang) -> None:
    context, page = _dashboard(browser, charts_site, lang)
    try:
        rows = page.evaluate(_ROWS)
        assert len(rows) >= 5, rows  # the agreement scale, prefer-not included
        total = 0
        for row in rows:
            found = re.fullmatch(r"(\d+) \((\d+)%\)", row["numbers"])
            assert found and row["answer"], row  # the table says it in words
            assert row["hidden"] == "true"  # so screen readers don't also read a picture
            count, percent = int(found[1]), int(found[2])
            total += count
            # The bar is as long as its share of the track (to a pixel), and as tall.
            track = row["track"]
            assert abs(row["bar"]["width"] - track["width"] * percent / 100) <= 1, row
            assert row["bar"]["height"] == track["height"] >= 10, row
            # It grows from where reading starts: the left in English, the right in Arabic.
            if percent:
                start = "right" if lang == "ar" else "left"
                assert abs(row["bar"][start] - track[start]) <= 0.5, row
        assert total > 0
        assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
        problems = describe_violations(f"dashboard ({lang})", axe_violations(page))
        assert not problems, "\n".join(problems)
    finally:
        context.close()


def test_a_chart_keeps_its_shape_in_forced_colours(browser, charts_site) -> None:
    context, page = _dashboard(browser, charts_site, "en")
    try:
        page.emulate_media(forced_colors="active")
        for row in page.evaluate(_ROWS):
            # Without its own colours the bar must still differ from its track, and the
            # track's full length is outlined, so "how much of the whole" still reads.
            assert row["barFill"] != row["trackFill"], row
            assert row["outline"].startswith("solid") and row["outline"] != "solid 0px", row
        problems = describe_violations("dashboard (forced colours)", axe_violations(page))
        assert not problems, "\n".join(problems)
    finally:
        context.close()
