"""Watching a round: live counts, agreement charts, exports, the QR code.

Plain values in and out; the web layer turns them into pages and downloads.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterable
from typing import Any

import msgspec
import segno

from codesign.models import AGREEMENT_VALUES, PREFER_NOT, Round, StaffUser
from codesign.services.accounts import clean_text
from codesign.store import audit
from codesign.store.db import Database, utcnow
from codesign.store.staff_rounds import watching as store

SCALE: tuple[str, ...] = (*AGREEMENT_VALUES, PREFER_NOT)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Bar(msgspec.Struct, frozen=True):
    value: str
    count: int
    percent: int
    label: str = ""  # a choice's label in the round's main language ("" on the agreement scale)


class QuestionStat(msgspec.Struct, frozen=True):
    section: int
    section_title: str
    number: str
    prompt: str
    kind: str
    answered: int
    bars: list[Bar]


class Dashboard(msgspec.Struct, frozen=True):
    in_progress: int
    submitted: int
    withdrawn: int
    by_locale: list[tuple[str, int]]
    questions: list[QuestionStat]

    @property
    def started(self) -> int:
        return self.in_progress + self.submitted + self.withdrawn


async def dashboard(db: Database, round_: Round) -> Dashboard:
    counts = await store.participation_counts(db, round_.id)
    by_status: dict[str, int] = {}
    by_locale: dict[str, int] = {}
    for status, locale, n in counts:
        by_status[status] = by_status.get(status, 0) + n
        if status != "withdrawn":
            by_locale[locale] = by_locale.get(locale, 0) + n
    answers = await store.answer_counts(db, round_.id)
    questions = []
    default = round_.default_locale
    for section in round_.sections:
        st = section.texts.get(default)
        for question in section.questions:
            qt = question.texts.get(default)
            per_value = answers.get(question.id, {})
            answered = sum(per_value.values())
            bars = []
            if question.kind == "agreement":
                for value in SCALE:
                    n = per_value.get(value, 0)
                    share = n / answered if answered else 0.0
                    bars.append(Bar(value, n, round(share * 100)))
            elif question.is_choice:
                bars = choice_bars(question, per_value, answered, default)
            questions.append(
                QuestionStat(
                    section=section.position,
                    section_title=st.title if st else "",
                    number=f"{section.position}.{question.position}",
                    prompt=qt.prompt if qt else "",
                    kind=question.kind,
                    answered=answered,
                    bars=bars,
                )
            )
    return Dashboard(
        in_progress=by_status.get("started", 0),
        submitted=by_status.get("submitted", 0),
        withdrawn=by_status.get("withdrawn", 0),
        by_locale=sorted(by_locale.items(), key=lambda item: -item[1]),
        questions=questions,
    )


def choice_bars(question, per_value: dict[str, int], answered: int, locale: str) -> list[Bar]:
    """One bar per choice and one for "prefer not to say". Shares are of the people who
    answered, so a multiple choice's shares can add up to more than 100 %."""
    per_option: dict[str, int] = {}
    for value, n in per_value.items():
        for part in value.split(","):
            per_option[part] = per_option.get(part, 0) + n
    bars = []
    for option in question.options:
        n = per_option.get(str(option.id), 0)
        share = n / answered if answered else 0.0
        bars.append(
            Bar(
                str(option.id),
                n,
                round(share * 100),
                option.labels.get(locale) or option.label(locale),
            )
        )
    n = per_option.get(PREFER_NOT, 0)
    share = n / answered if answered else 0.0
    bars.append(Bar(PREFER_NOT, n, round(share * 100)))
    return bars


def choice_labels(round_: Round) -> dict[int, dict[str, str]]:
    """question id → {option id: label in the round's main language} for choice questions."""
    return {
        q.id: {str(o.id): o.label(round_.default_locale) for o in q.options}
        for s in round_.sections
        for q in s.questions
        if q.is_choice
    }


def choice_text(labels: dict[str, str], value: str | None) -> str | None:
    """A choice answer for people: labels in the question's order joined by "; ", or
    prefer_not as it is stored."""
    if value is None or value == PREFER_NOT:
        return value
    ids = set(value.split(","))
    return "; ".join(label for option_id, label in labels.items() if option_id in ids)


def neutralise(cell: object) -> str | int | float:
    """A CSV cell a spreadsheet shows as text, never runs as a formula (numbers stay numbers)."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return cell
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_writer(out: io.StringIO) -> Any:
    """Every text cell in quotes: a spreadsheet that splits on ";" (the French, Spanish and
    German default) then keeps "a;=1+1" whole instead of starting a cell with "="."""
    return csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)


EXPORT_COLUMNS = (
    "response",
    "status",
    "source",
    "response_language",
    "may_quote",
    "submitted_at",
    "section",
    "question",
    "question_id",
    "kind",
    "question_text",
    "agreement",
    "choice",
    "choice_ids",
    "answer_text",
    "answer_language",
    "saved_at",
    "text_redacted",
)


def _redactor():
    try:
        from codesign.analysis.redact import redact
    except ImportError:  # the theming engine is optional: export raw, and say so
        return None
    return redact


async def export(db: Database, user: StaffUser, round_: Round, fmt: str) -> tuple[str, int]:
    """The round's answers (not withdrawn) as CSV or JSON text, and the number of rows."""
    redact = _redactor()
    prompts = {
        q.id: (
            q.texts.get(round_.default_locale).prompt if q.texts.get(round_.default_locale) else ""
        )
        for s in round_.sections
        for q in s.questions
    }
    found = await store.export_rows(db, round_.id)
    # Redaction is CPU work: keep it off the event loop.
    rows = await asyncio.to_thread(_export_rows, found, prompts, redact, choice_labels(round_))
    await audit.add(
        db,
        user.email,
        "answers_exported",
        clean_text(f"{fmt}, {len(rows)} rows" + ("" if redact else ", raw text")),
        user_id=user.id,
        round_id=round_.id,
    )
    if fmt == "json":
        document = {
            "round": {"id": round_.id, "slug": round_.slug, "status": round_.status},
            "exported_at": utcnow().isoformat(),
            "personal_details": "redacted" if redact else "raw (not redacted)",
            "answers": rows,
        }
        return json.dumps(document, ensure_ascii=False, indent=1), len(rows)
    return to_csv(rows), len(rows)


def _export_rows(
    found: list[dict],
    prompts: dict[int, str],
    redact,
    choices: dict[int, dict[str, str]] | None = None,
) -> list[dict]:
    """Export rows. A choice answer fills `choice` (labels in the round's main language,
    several joined by "; ") and `choice_ids` (as stored: "12", "12,15" or prefer_not)."""
    choices = choices or {}
    rows = []
    for r in found:
        labels = choices.get(r["question_id"])
        text = r["text"]
        if text and redact is not None:
            text = redact(text, r["locale"]).text
        rows.append(
            {
                "response": r["response"],
                "status": r["status"],
                # How the response came in: typed in from a paper form, or online.
                "source": "paper" if r.get("source") == "paper" else "online",
                "response_language": r["response_locale"],
                "may_quote": bool(r["may_quote"]),
                "submitted_at": r["submitted_at"],
                "section": r["section"],
                "question": f"{r['section']}.{r['question_position']}",
                "question_id": r["question_id"],
                "kind": r["kind"],
                "question_text": prompts.get(r["question_id"], ""),
                "agreement": r["value"] if labels is None else None,
                "choice": choice_text(labels, r["value"]) if labels is not None else None,
                "choice_ids": r["value"] if labels is not None else None,
                "answer_text": text,
                "answer_language": r["locale"],
                "saved_at": r["saved_at"],
                "text_redacted": redact is not None,
            }
        )
    return rows


def to_csv(rows: Iterable[dict]) -> str:
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                neutralise(("yes" if row[c] else "no") if isinstance(row[c], bool) else row[c])
                for c in EXPORT_COLUMNS
            ]
        )
    return out.getvalue()


def qr_png(url: str) -> bytes:
    """The link as a QR code PNG (segno writes PNG itself), large enough to print."""
    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    code.save(out, kind="png", scale=16, border=4, dark="#000", light="#fff")
    return out.getvalue()


def qr_svg(url: str) -> str:
    """The link as a QR code, an SVG that scales to any size (for screens and posters)."""
    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        scale=8,
        border=4,
        xmldecl=True,
        svgns=True,
        title="QR code",
        dark="#000",
        light="#fff",
    )
    return out.getvalue().decode()
