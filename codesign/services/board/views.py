"""What the board's pages show of a question's themes, and where its questions are."""

from __future__ import annotations

import msgspec

from codesign.models import AnswerRow, Round, Run


class Split(msgspec.Struct, frozen=True):
    value: str
    count: int
    percent: int


class ThemeCard(msgspec.Struct, frozen=True):
    id: int
    label: str
    terms: list[str]
    size: int
    percent: int
    agreement: list[Split]
    quotes: list[AnswerRow]
    edited_by: str | None
    small: bool


class QuestionView(msgspec.Struct, frozen=True):
    question_id: int
    total: int
    placed: int
    themes: list[ThemeCard]  # at or above the threshold, largest first
    small: list[ThemeCard]  # below the threshold: counted under "other"
    other: int  # in "other / unclear", small themes included
    run: Run | None
    threshold: int


AGREEMENT_ORDER = ("1", "2", "3", "4", "5", "prefer_not")


def agreement_splits(counts: dict[str, int]) -> list[Split]:
    """Each agreement value given, with its count and share, in the board's reading order."""
    total = sum(counts.values())
    return [
        Split(v, counts.get(v, 0), round(100 * counts.get(v, 0) / total) if total else 0)
        for v in AGREEMENT_ORDER
        if counts.get(v, 0)
    ]


def agreement_question(round_: Round, question_id: int) -> int | None:
    """The agreement question of the section an open-text question is in."""
    for section in round_.sections:
        if any(q.id == question_id for q in section.questions):
            for q in section.questions:
                if q.kind == "agreement":
                    return q.id
    return None


def open_questions(round_: Round) -> list[tuple[int, int, str]]:
    """(question id, section position, prompt) of every open-text question."""
    out = []
    for section in round_.sections:
        for q in section.questions:
            if q.kind == "open_text":
                text = q.texts.get(round_.default_locale)
                out.append((q.id, section.position, text.prompt if text else ""))
    return out
