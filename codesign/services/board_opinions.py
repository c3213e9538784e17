"""The opinion overview: how each section's agreement question was answered, and groups
of people who answered alike (`codesign.analysis.opinions`), for the board."""

from __future__ import annotations

import asyncio

import msgspec

from codesign.analysis.opinions import (
    Distribution,
    OpinionGroups,
    distribution,
    opinion_groups,
    score,
)
from codesign.models import Round
from codesign.services.board.service import BoardService
from codesign.services.board.views import Split
from codesign.store.board import reading as theme_store


class SectionInfo(msgspec.Struct, frozen=True):
    position: int
    title: str
    question_id: int
    distribution: Distribution
    splits: list[Split]  # every value, in the order the board reads them


class OpinionOverview(msgspec.Struct, frozen=True):
    sections: list[SectionInfo]
    groups: OpinionGroups
    threshold: int


def agreement_sections(round_: Round) -> list[tuple[int, str, int]]:
    """(section position, title in the default language, agreement question id)."""
    out = []
    for section in round_.sections:
        for q in section.questions:
            if q.kind == "agreement":
                text = section.texts.get(round_.default_locale)
                out.append((section.position, text.title if text else "", q.id))
                break
    return out


def _splits(d: Distribution) -> list[Split]:
    total = d.answered
    return [Split(v, n, round(100 * n / total) if total else 0) for v, n in d.counts.items()]


async def opinion_overview(service: BoardService, round_: Round) -> OpinionOverview:
    settings = await service.settings(round_.id)
    sections = agreement_sections(round_)
    column = {qid: j for j, (_p, _t, qid) in enumerate(sections)}
    answers: dict[int, list[str | None]] = {}
    for participation, question, value in await theme_store.agreement_matrix(service.db, round_.id):
        if question in column:
            answers.setdefault(participation, [None] * len(sections))[column[question]] = value
    people = [answers[p] for p in sorted(answers)]
    rows = [[score(v) for v in row] for row in people]
    groups = await asyncio.to_thread(
        opinion_groups, rows, len(sections), min_group=settings.anonymity_threshold
    )
    return OpinionOverview(
        sections=[
            SectionInfo(
                position=position,
                title=title,
                question_id=qid,
                distribution=(d := distribution([row[j] for row in people])),
                splits=_splits(d),
            )
            for j, (position, title, qid) in enumerate(sections)
        ],
        groups=groups,
        threshold=settings.anonymity_threshold,
    )
