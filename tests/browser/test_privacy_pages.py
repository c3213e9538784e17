"""The page states issue 11 (parts 3 and 4) added, in every language, as a phone sees them.

- a closed round and a published one: the closed round's page (with the way to
  withdraw), the withdraw page, its confirmation and the withdrawn page;
- error pages of a round, which now carry its support contacts;
- the code page once a code was shown (another tab got it), and a new code;
- staff deleting a paper response: finding it, confirming, done.

Each is checked with axe-core at 360 px, for sideways scrolling at 320 px and
for `<html lang dir>`; screenshots of each state are kept for people to look at.
"""

from __future__ import annotations

import asyncio
import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import msgspec
import pytest

from codesign.demo.round import build_demo_round
from codesign.models import AnswerInput
from codesign.services.participation import hash_code, new_code
from codesign.store import participations
from codesign.store import rounds as round_store
from codesign.store import secrets as secret_store
from codesign.store.db import Database
from tests.browser.harness import LANGUAGES, RTL, cli, open_context
from tests.browser.helpers import (
    CODE_PATTERN,
    axe_violations,
    describe_violations,
    finish_staff_sign_in,
    horizontal_overflow,
    html_language,
)

pytestmark = pytest.mark.browser

SCREENSHOTS = Path("/tmp/codesign-privacy-screens")
PASSWORD = "a calm long passphrase for privacy"
ADMIN = "admin@privacy-test.invalid"


def _in_a_thread(work):
    """Playwright's sync API keeps an event loop in this thread: set data up in another."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work()).result()


def _rounds_with_codes(db_path: str) -> dict[str, object]:
    """A closed and a published copy of the demo round, each with sent answers and codes."""

    async def work():
        db = Database(db_path)
        await db.connect()
        key = await secret_store.get_or_create(db, "resume_code_key")
        made: dict[str, object] = {}
        for slug, status in (("closed-demo", "closed"), ("published-demo", "published")):
            await round_store.create_round(
                db, msgspec.structs.replace(build_demo_round(), slug=slug, status=status)
            )
            round_ = await round_store.load_round(db, slug)
            question = round_.sections[0].questions[1].id
            codes = []
            for lang in LANGUAGES:
                start = secrets.token_hex(8)
                p = await participations.start(db, round_.id, start, start, lang, False)
                text = "Evening appointments – مواعيد مسائية"
                given = [AnswerInput(question, text=text)]
                await participations.save_answers(db, p.id, given, lang)
                code = new_code()
                await participations.issue_first_code(db, p.id, hash_code(key, code))
                await participations.submit(db, p.id, may_quote=False)
                codes.append(code)
            made[slug] = codes
            made[f"{slug}-id"] = round_.id
        await db.close()
        return made

    return _in_a_thread(work)


class Inspector:
    def __init__(self, page, lang: str) -> None:
        self.page = page
        self.lang = lang
        self.problems: list[str] = []
        self.checked: list[str] = []

    def check(self, where: str) -> None:
        page, lang = self.page, self.lang
        page.wait_for_load_state("load")
        got, direction = html_language(page)
        expected_dir = "rtl" if lang in RTL else "ltr"
        if got != lang or direction != expected_dir:
            self.problems.append(f"{where}: <html lang={got!r} dir={direction!r}>")
        self.problems += describe_violations(f"{lang} {where}", axe_violations(page))
        self.problems += [f"{lang} {where}: {p}" for p in horizontal_overflow(page, 320)]
        if lang in ("en", "ar"):
            SCREENSHOTS.mkdir(exist_ok=True)
            name = where.replace(" ", "-").replace(",", "")
            page.screenshot(path=str(SCREENSHOTS / f"{lang}-{name}.png"), full_page=True)
        self.checked.append(where)


@pytest.fixture(scope="module")
def privacy_site(server: str, server_folder: Path) -> dict[str, object]:
    made = _rounds_with_codes(str(server_folder / "b.db"))
    cli("create-user", "--email", ADMIN, "--role", "admin", "--password-stdin", "--db",
        str(server_folder / "b.db"), stdin=PASSWORD)  # fmt: skip
    return made


@pytest.mark.parametrize("lang", LANGUAGES)
def test_withdrawing_after_close_and_round_error_pages(page, privacy_site, lang: str) -> None:
    look = Inspector(page, lang)
    index = LANGUAGES.index(lang)
    for slug in ("closed-demo", "published-demo"):
        code = privacy_site[slug][index]
        closed = page.goto(f"/r/{slug}?lang={lang}")
        assert closed is not None and closed.status == 200  # the poster's link still works
        assert page.locator(f"main a[href='/r/{slug}/withdraw']").count() == 1
        assert page.locator(".support li").count() == 2  # the round's support contacts
        look.check(f"{slug} closed")

        page.click(f"main a[href='/r/{slug}/withdraw']")
        page.wait_for_url(f"**/r/{slug}/withdraw")
        look.check(f"{slug} withdraw")
        page.fill("#code", code)
        page.click("#withdraw-panel button[type=submit]")
        page.wait_for_selector("#withdraw-panel .button--warning")
        page.click("#withdraw-panel summary")
        look.check(f"{slug} withdraw confirm")
        page.click("#withdraw-panel .button--warning")
        page.wait_for_url(f"**/r/{slug}/withdraw/done")
        look.check(f"{slug} withdrawn")

    page.goto(f"/r/published-demo/outcomes?lang={lang}")
    assert page.locator("main a[href='/r/published-demo/withdraw']").count() == 1
    look.check("outcomes")

    missing = page.goto(f"/r/demo/s/99?lang={lang}")
    assert missing is not None and missing.status == 404
    assert page.locator(".support li").count() == 2
    look.check("error page in a round (404)")
    unknown = page.goto("/r/demo?lang=xx")
    assert unknown is not None and unknown.status == 404
    assert page.locator(".support li").count() == 2
    look.check("unknown language")  # in the language chosen before

    # The code page once a code was shown (as in a second tab), then a new code.
    page.goto(f"/r/demo?lang={lang}")
    page.check("#consent")
    page.click("#consent-form button[type=submit]")
    page.wait_for_url("**/r/demo/s/1")
    page.fill("textarea", "Más tiempo – وقت أطول")
    page.click("button[value=next]")
    page.wait_for_url("**/r/demo/code?then=2")
    page.goto("/r/demo/code")
    assert page.locator("#resume-code").count() == 0
    look.check("code shown before")
    page.click("#code-panel button[type=submit]")
    page.wait_for_selector("#resume-code")
    assert CODE_PATTERN.fullmatch(page.inner_text("#resume-code").strip())
    look.check("new code")

    assert len(look.checked) == 13
    report = "\n".join(look.problems)
    assert not look.problems, f"{len(look.problems)} problem(s) in {lang!r}:\n{report}"


def test_the_code_never_breaks_inside_a_group(browser, server: str) -> None:
    """At 360 px with text at twice its size, a code wraps only after a dash."""
    context = open_context(browser, server)
    page = context.new_page()
    page.goto("/r/demo?lang=ar")
    page.check("#consent")
    page.click("#consent-form button[type=submit]")
    page.wait_for_url("**/r/demo/s/1")
    page.fill("textarea", "x")
    page.click("button[value=next]")
    page.wait_for_url("**/r/demo/code?then=2")
    # Text at twice its size (CSSOM, which the page's CSP allows, unlike a <style>).
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    lines = page.evaluate(
        """() => [...document.querySelectorAll('#resume-code .code-group')]
                 .map(g => g.getClientRects().length)"""
    )
    tops = page.evaluate(
        """() => [...document.querySelectorAll('#resume-code .code-group')]
                 .map(g => Math.round(g.getBoundingClientRect().top))"""
    )
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "ar-code-at-200-percent.png"), full_page=True)
    context.close()
    assert lines == [1, 1, 1], lines  # each group on one line
    assert len(set(tops)) > 1, tops  # and the code did wrap, between groups


PAPER = (
    "language,may_quote,1.1,1.2\r\n"
    + "".join(f"{lang},no,4,paper words {lang}\r\n" for lang in LANGUAGES)
).encode()


def test_staff_delete_a_paper_response_in_every_language(
    browser, server: str, privacy_site, tmp_path
) -> None:
    round_id = privacy_site["closed-demo-id"]
    problems: list[str] = []
    csv_file = tmp_path / "paper-forms.csv"
    csv_file.write_bytes(PAPER)
    for row, lang in enumerate(LANGUAGES, start=2):
        # Staff pages follow the browser's language (Accept-Language, from its locale).
        context = open_context(browser, server, locale=lang)
        page = context.new_page()
        look = Inspector(page, lang)
        page.goto("/staff/sign-in")
        page.fill("#email", ADMIN)
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("main button[type=submit]")
        finish_staff_sign_in(page, ADMIN)  # admins use two-step sign-in
        page.goto(f"/staff/rounds/{round_id}/paper")
        if row == 2:
            page.set_input_files("#file", str(csv_file))
            page.click("#paper-upload button[type=submit]")
            page.wait_for_selector("#paper-upload button[value=new]")  # checked first
            look.check("paper file checked")
            page.click("#paper-upload button[value=new]")
            page.wait_for_selector("#paper-upload .notice >> text=were added")
            page.goto(f"/staff/rounds/{round_id}/paper")
        look.check("paper page")
        page.fill("#row", str(row))
        page.click("#delete-paper button[type=submit]")
        page.wait_for_selector("#delete-paper .button--warning")
        look.check("paper response found")
        with page.expect_navigation():
            page.click("#delete-paper .button--warning")
        assert "done=paper-deleted" in page.url
        look.check("paper response deleted")
        problems += look.problems
        context.close()
    assert not problems, "\n".join(problems)

