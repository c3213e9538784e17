"""The demo round: a realistic draft policy for a community support service, in
English, Spanish, French and Arabic (texts in ``round.json``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from codesign.demo import content
from codesign.models import (
    NewQuestion,
    NewRound,
    NewSection,
    QuestionText,
    RoundText,
    SectionText,
    SupportContact,
)
from codesign.store import rounds as round_store
from codesign.store.db import Database

DEMO_SLUG = "demo"


def build_demo_round(now: datetime | None = None) -> NewRound:
    """The demo round's content, open now and for eight weeks."""
    now = now or datetime.now(UTC)
    texts = content("round")
    locales = list(texts["round"])

    def question(kind: str, key: str) -> NewQuestion:
        return NewQuestion(kind, {loc: QuestionText(loc, **texts[key][loc]) for loc in locales})

    return NewRound(
        slug=DEMO_SLUG,
        status="open",
        default_locale="en",
        locales=locales,
        timezone="Europe/London",
        region="GB",  # a UK round: 23 February 2027, 08:09
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(weeks=8),
        response_due=(now + timedelta(weeks=12)).date(),
        minutes_estimate=10,
        texts={loc: RoundText(locale=loc, **texts["round"][loc]) for loc in locales},
        contacts={loc: [SupportContact(**c) for c in texts["contacts"][loc]] for loc in locales},
        sections=[
            NewSection(
                texts={loc: SectionText(locale=loc, **section[loc]) for loc in locales},
                questions=[
                    question("agreement", "agreement_question"),
                    question("open_text", "change_question"),
                ],
            )
            for section in texts["sections"]
        ],
    )


async def ensure_demo_round(db: Database) -> bool:
    """Create the demo round unless it exists. Returns True when it was created."""
    if await round_store.round_exists(db, DEMO_SLUG):
        return False
    await round_store.create_round(db, build_demo_round())
    return True
