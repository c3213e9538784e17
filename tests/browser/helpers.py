"""What the browser tests share: translations, keyboard moves, axe and layout checks."""

from __future__ import annotations

import re
from typing import Any

from codesign.i18n import translations_for

CODE_PATTERN = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


def t(lang: str, message: str) -> str:
    """The interface text a participant reading `lang` sees for an English message id."""
    return translations_for(lang).gettext(message)


# --- keyboard -------------------------------------------------------------------------

_DESCRIBE_FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "<body>";
  const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim();
  return `<${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}> ${text.slice(0, 40)}`;
}"""


def focused_matches(page: Any, selector: str) -> bool:
    return page.evaluate(
        "sel => !!document.activeElement && document.activeElement.matches(sel)", selector
    )


def tab_to(page: Any, selector: str, *, backwards: bool = False, limit: int = 60) -> None:
    """Press Tab (or Shift+Tab) until the focused element matches `selector`.

    Fails with the path focus took, so a broken tab order is easy to see.
    """
    key = "Shift+Tab" if backwards else "Tab"
    path = []
    for _ in range(limit):
        page.keyboard.press(key)
        if focused_matches(page, selector):
            return
        path.append(page.evaluate(_DESCRIBE_FOCUS))
    raise AssertionError(
        f"{key} never reached {selector!r} on {page.url} after {limit} presses; "
        f"focus went: " + " → ".join(path)
    )


def press_and_wait(page: Any, key: str, url_pattern: str | re.Pattern[str]) -> None:
    """Press a key that navigates (Enter on a link or button) and wait for the next page."""
    with page.expect_navigation(url=url_pattern):
        page.keyboard.press(key)


# --- axe-core -------------------------------------------------------------------------

_axe = None


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Every axe-core violation on the page as it is now (all default rules)."""
    global _axe
    if _axe is None:
        from axe_playwright_python.sync_playwright import Axe

        _axe = Axe()
    results = _axe.run(page)
    return results.response["violations"]


def describe_violations(where: str, violations: list[dict[str, Any]]) -> list[str]:
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(
                f"{where}: {violation['id']} ({violation.get('impact')}) at {target} – "
                f"{violation['help']}"
            )
    return lines


# --- layout ---------------------------------------------------------------------------


_TOO_WIDE = """w => [...document.querySelectorAll("body *")]
  .filter(el => {
    const box = el.getBoundingClientRect();
    return box.right > w + 0.5 || box.left < -0.5;
  })
  .slice(0, 5)
  .map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
             + (typeof el.className === "string" && el.className ? "." + el.className : ""))"""


def horizontal_overflow(page: Any, width: int = 320) -> list[str]:
    """Problems if the page scrolls sideways at `width` CSS pixels (WCAG 1.4.10 Reflow)."""
    size = page.viewport_size
    page.set_viewport_size({"width": width, "height": size["height"]})
    try:
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width <= width:
            return []
        wide = page.evaluate(_TOO_WIDE, width)
        return [f"scrollWidth {scroll_width} > {width}; too wide: {', '.join(wide)}"]
    finally:
        page.set_viewport_size(size)


def html_language(page: Any) -> tuple[str | None, str | None]:
    return (
        page.get_attribute("html", "lang"),
        page.get_attribute("html", "dir"),
    )


# --- what the server holds ------------------------------------------------------------


def visit_id(context: Any) -> str:
    """This browser's participation (the cookie's value), to look its answers up."""
    for cookie in context.cookies():
        if re.fullmatch(r"cs_\d+", cookie["name"]):
            return cookie["value"]
    raise AssertionError("this browser has no participation cookie")


def stored_answers(db_path: Any, public_id: str) -> dict[int, str | None]:
    """What the database holds for one participation: question id -> value or text.

    Read straight from the server's SQLite file (WAL mode lets a reader look while
    the server writes), so a test sees what was really saved, not what a page says.
    """
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
        rows = conn.execute(
            "SELECT a.question_id, COALESCE(a.text, a.value) FROM answers a"
            " JOIN participations p ON p.id = a.participation_id WHERE p.public_id = ?",
            (public_id,),
        ).fetchall()
    return dict(rows)


#: Staff phones' authenticator apps, by (site, email): set up once per server, then kept.
_APPS: dict[tuple[str, str], list[Any]] = {}


def _next_code(key: tuple[str, str]) -> str:
    import time

    totp, last, recovery = _APPS[key]
    now = int(time.time()) // 30
    for step in (now, now + 1):
        if step > last:
            _APPS[key][1] = step
            return totp.at(step * 30)
    return recovery.pop()


def sign_in_with_password(page: Any, email: str, password: str) -> None:
    """The staff sign-in page's first step, as a person fills it in."""
    page.goto("/staff/sign-in")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("#sign-in-form button[type=submit]")


def finish_staff_sign_in(page: Any, email: str) -> None:
    """After the password: set up two-step sign-in when asked (as a person would, from the
    key shown as text), or type the app's code."""
    from urllib.parse import urlsplit

    import pyotp

    key = (urlsplit(page.url).netloc, email)
    if "/staff/two-factor" in page.url:
        secret = re.sub(r"\s", "", page.inner_text("#totp-secret"))
        totp = pyotp.TOTP(secret)
        import time

        step = int(time.time()) // 30
        page.fill("#code", totp.at(step * 30))
        with page.expect_navigation():
            page.click("#two-factor-form button[type=submit]")
        codes = page.locator("#recovery-codes li").all_inner_texts()
        _APPS[key] = [totp, step, codes]
        with page.expect_navigation():
            page.click("main a.button")
    if "/staff/sign-in/code" in page.url:
        page.fill("#code", _next_code(key))
        with page.expect_navigation():
            page.click("#code-form button[type=submit]")
