"""Every action the code writes to the audit log has words on the audit page.

A code with no entry in ACTIONS is shown as it is, so admins read "answers_searched"
or "quote_approved" in English code words on a page that is otherwise in their language.
"""

from __future__ import annotations

import re
from pathlib import Path

from codesign.i18n import translations_for
from codesign.web.staff.audit import ACTIONS

CODE = Path(__file__).resolve().parents[3] / "codesign"
#: The helpers that write an audit entry, each with the action as a string literal.
CALL = re.compile(r"(?:audit\.add(?:_in|_folded)?|_audit|_entry)\s*\(")
ACTION = re.compile(r'"([a-z]+(?:_[a-z0-9]+)+)"')
NOT_ACTIONS = {"round_id"}  # a keyword argument's name, not an action


def _written_actions() -> set[str]:
    found: set[str] = set()
    for path in CODE.rglob("*.py"):
        text = path.read_text()
        for call in CALL.finditer(text):
            depth, end = 1, call.end()
            while end < len(text) and depth:
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                end += 1
            found |= set(ACTION.findall(text[call.end() : end]))
    return found - NOT_ACTIONS


def test_every_audit_action_has_words() -> None:
    written = _written_actions()
    assert {"sign_in", "themes_restarted", "quote_approved"} <= written  # the scan works
    assert sorted(written - set(ACTIONS)) == []


def test_audit_action_words_are_translated() -> None:
    for locale in ("es", "fr", "ar"):
        catalogue = translations_for(locale)
        untranslated = [w for w in ACTIONS.values() if catalogue.gettext(w) == w]
        assert untranslated == [], locale
