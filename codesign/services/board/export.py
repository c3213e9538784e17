"""Themed feedback out of the workspace: CSV / JSON for the minutes, the printable
report, and the public outcomes page ("you said, we did")."""

from __future__ import annotations

import io
import json

import msgspec

from codesign.models import Round, StaffUser, ThemeResponse
from codesign.services.board.service import BoardService
from codesign.services.board.views import ThemeCard, open_questions
from codesign.services.board_opinions import OpinionOverview, opinion_overview
from codesign.services.watching import csv_writer, neutralise
from codesign.store import audit
from codesign.store.board import answers as answer_store
from codesign.store.board import outcomes as outcome_store
from codesign.store.board import reading as theme_store
from codesign.store.db import utcnow

WITHHELD = "[withheld: on the safeguarding lead's list]"
ANSWER_COLUMNS = (
    "row_type",
    "question_id",
    "question",
    "answer_id",
    "theme_id",
    "theme",
    "answer_text_redacted",
    "language",
    "flags",
    "assigned_by",
    "assigned_by_user",
    "assigned_at",
    "answers",
    "share_percent",
    "response_locale",
    "response",
    # The opinion overview: one row per section for everyone, one per section and group.
    "section",
    "group",
    "agree_percent",
    "disagree_percent",
    "marks_group_out",
)


def opinion_rows(overview: OpinionOverview) -> list[dict]:
    """The opinion overview in the long form a spreadsheet can pivot."""
    rows = []
    for j, s in enumerate(overview.sections):
        counts, answered = s.distribution.counts, s.distribution.answered
        rows.append(
            {
                "row_type": "section_agreement",
                "question_id": s.question_id,
                "question": s.title,
                "section": s.position,
                "group": "everyone",
                "answers": answered,
                "agree_percent": round(100 * (counts["4"] + counts["5"]) / answered)
                if answered
                else 0,
                "disagree_percent": round(100 * (counts["1"] + counts["2"]) / answered)
                if answered
                else 0,
            }
        )
        for g in overview.groups.groups if overview.groups.k > 1 else []:
            gs = g.sections[j]
            rows.append(
                {
                    "row_type": "opinion_group",
                    "question_id": s.question_id,
                    "question": s.title,
                    "section": s.position,
                    "group": f"group {g.index + 1}",
                    "answers": gs.answered,
                    "agree_percent": gs.agree,
                    "disagree_percent": gs.disagree,
                    "marks_group_out": "yes" if any(m.section == j for m in g.marks) else "no",
                }
            )
    return rows


class ReportQuestion(msgspec.Struct, frozen=True):
    question_id: int
    section: int
    prompt: str
    total: int
    themes: list[ThemeCard]
    other: int
    responses: dict[int, dict[str, ThemeResponse]]


async def report(service: BoardService, user: StaffUser, round_: Round) -> list[ReportQuestion]:
    out = []
    for qid, section, prompt in open_questions(round_):
        view = await service.question_view(round_, qid)
        out.append(
            ReportQuestion(
                question_id=qid,
                section=section,
                prompt=prompt,
                total=view.placed,
                themes=view.themes,
                other=view.other,
                responses=await outcome_store.responses_for(service.db, [qid]),
            )
        )
    await audit.add(
        service.db, user.email, "board_report_viewed", "", user_id=user.id, round_id=round_.id
    )
    return out


async def export(service: BoardService, user: StaffUser, round_: Round, fmt: str) -> str:
    """One row per answer (redacted, with its theme) and one per theme (counts, responses)."""
    prompts = {qid: prompt for qid, _s, prompt in open_questions(round_)}
    answers = [
        {
            "row_type": "answer",
            "question_id": r["question_id"],
            "question": prompts.get(r["question_id"], ""),
            "answer_id": r["answer_id"],
            "theme_id": r["theme_id"],
            "theme": r["theme_label"] or "other",
            # A risk-flagged answer goes to the safeguarding lead, never into the minutes.
            "answer_text_redacted": WITHHELD if r["risk"] else (r["redacted"] or ""),
            "language": r["language"] or "",
            "flags": r["flags"] or "",
            "assigned_by": r["assigned_by"],
            "assigned_by_user": r["assigned_by_user"] or "",
            "assigned_at": r["assigned_at"] or "",
        }
        for r in await answer_store.export_rows(service.db, round_.id)
    ]
    themes = []
    for qid in prompts:
        view = await service.question_view(round_, qid)
        responses = await outcome_store.responses_for(service.db, [qid])
        for card in view.themes + view.small:
            themes.append(
                {
                    "row_type": "theme",
                    "question_id": qid,
                    "question": prompts[qid],
                    "theme_id": card.id,
                    "theme": card.label,
                    "answers": card.size,
                    "share_percent": card.percent,
                    "below_threshold": card.small,
                    "responses": {
                        loc: {"title": r.title, "response": r.text}
                        for loc, r in sorted(responses.get(card.id, {}).items())
                    },
                }
            )
    overview = await opinion_overview(service, round_)
    await audit.add(
        service.db,
        user.email,
        "themes_exported",
        f"{fmt}, {len(answers)} answers, {len(themes)} themes",
        user_id=user.id,
        round_id=round_.id,
    )
    if fmt == "json":
        return json.dumps(
            {
                "round": {"id": round_.id, "slug": round_.slug},
                "exported_at": utcnow().isoformat(),
                "personal_details": "redacted",
                "themes": themes,
                "answers": answers,
                "opinions": {
                    "sections": [
                        {
                            "section": sec.position,
                            "title": sec.title,
                            "question_id": sec.question_id,
                            **msgspec.to_builtins(sec.distribution),
                        }
                        for sec in overview.sections
                    ],
                    "groups": msgspec.to_builtins(overview.groups.groups)
                    if overview.groups.k > 1
                    else [],
                    "anonymity_threshold": overview.threshold,
                },
            },
            ensure_ascii=False,
            indent=1,
        )
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(ANSWER_COLUMNS)
    for theme in themes:
        rows = [{**theme, "response_locale": "", "response": ""}]
        for loc, r in theme["responses"].items():
            rows.append({**theme, "response_locale": loc, "response": r["response"]})
        for row in rows:
            writer.writerow([neutralise(row.get(c, "")) for c in ANSWER_COLUMNS])
    for row in answers + opinion_rows(overview):
        writer.writerow([neutralise(row.get(c, "")) for c in ANSWER_COLUMNS])
    return out.getvalue()


# The public outcomes page -------------------------------------------------------------

#: A theme made mostly of answers that may show risk is never published.
HELD_BACK_SHARE = 0.5


def held_back(size: int, risky: int) -> bool:
    return size > 0 and risky / size > HELD_BACK_SHARE


class HeldBack(msgspec.Struct, frozen=True):
    question_id: int
    theme_id: int
    label: str
    size: int
    risky: int


async def held_back_themes(service: BoardService, round_: Round) -> list[HeldBack]:
    """Themes kept off the outcomes page because most of their answers may show risk."""
    out = []
    for qid, _section, _prompt in open_questions(round_):
        risky = await theme_store.risky_members(service.db, qid)
        if not risky:
            continue
        for t in await theme_store.themes_for(service.db, qid):
            if held_back(t.size, risky.get(t.id, 0)):
                out.append(HeldBack(qid, t.id, t.label, t.size, risky[t.id]))
    return out


# What the public outcomes page shows: codesign.services.publishing.outcomes_view.
