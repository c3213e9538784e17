"""The demo round: a realistic draft policy for a community support service.

All content is written in English, Spanish, French and Arabic. Texts are kept
per language so translations read as natural text, not word for word.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

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
LOCALES = ("en", "es", "fr", "ar")

ROUND = {
    "en": {
        "title": "Our appointments policy: what would you change?",
        "organisation": "Riverside Community Support",
        "purpose": (
            "We are rewriting how we book appointments, what happens when an appointment "
            "is missed, and how you can complain. We want this policy to work for the "
            "people who use our service, so we are asking you before we decide."
        ),
        "readers": (
            "A review board of six people: three staff members and three people who use "
            "our service. They read every answer. We take out names, phone numbers and "
            "other personal details before they see it."
        ),
        "next_steps": (
            "The board will read all the feedback, group it into themes and answer each "
            "theme. We will publish what you said and what we changed on this site."
        ),
        "data_use": (
            "You don't need to give your name. We don't record your IP address or your "
            "device. We keep your answers for one year, then delete them. You can delete "
            "your answers at any time with your private code."
        ),
    },
}

CONTACTS = {
    "en": [
        SupportContact(
            name="Riverside support line",
            phone="0800 123 4567",
            hours="Monday to Friday, 9am to 5pm",
            url="",
            description="Talk to a support worker about this policy or anything else.",
        ),
        SupportContact(
            name="Samaritans (24 hours)",
            phone="116 123",
            hours="Every day, day and night",
            url="https://www.samaritans.org/",
            description="If you are upset or need someone to listen.",
        ),
    ],
}

AGREE = {
    "en": ("How much do you agree with this part?", ""),
}
CHANGE = {
    "en": (
        "What would you change, add or take out?",
        "You can write as much or as little as you like.",
    ),
}

SECTIONS = [
    {
        "en": {
            "title": "Booking an appointment",
            "body_md": (
                "You can book an appointment in three ways:\n\n"
                "- by phone, Monday to Friday, 9am to 5pm\n"
                "- at our front desk\n"
                "- by text message, and we will call you back within one working day\n\n"
                "We will offer you an appointment **within 10 working days**. If you need "
                "an interpreter, tell us when you book and we will arrange one for free."
            ),
            "content_note": "",
        },
    },
    {
        "en": {
            "title": "If you miss an appointment",
            "body_md": (
                "We know that life can get in the way. If you miss an appointment:\n\n"
                "1. We will send you a text message the same day to check you are okay.\n"
                "2. We will offer you a new appointment.\n"
                "3. If you miss **three appointments in a row** without telling us, we "
                "will write to you to ask if you still want our support. Your place will "
                "stay open for 28 days.\n\n"
                "We will never close your support without trying to contact you first."
            ),
            "content_note": "",
        },
    },
    {
        "en": {
            "title": "Keeping you safe",
            "body_md": (
                "Sometimes we are worried that someone is at risk of harm, for example "
                "from violence at home or from self-harm.\n\n"
                "If that happens, we will talk to you first whenever we safely can. We "
                "may need to share information with other services, such as the police "
                "or a doctor, to keep you or someone else safe. We will tell you what we "
                "shared and why, unless that would put someone in danger."
            ),
            "content_note": (
                "This part talks about violence at home, self-harm and sharing "
                "information to keep people safe. You can skip it."
            ),
        },
    },
    {
        "en": {
            "title": "Making a complaint",
            "body_md": (
                "You can complain in any language, in writing, by phone or in person. "
                "Someone can complain for you if you prefer.\n\n"
                "- We will reply **within 5 working days** to say we have your complaint.\n"
                "- We will give you a full answer **within 20 working days**.\n"
                "- Making a complaint will never affect the support you get."
            ),
            "content_note": "",
        },
    },
    {
        "en": {
            "title": "Your information",
            "body_md": (
                "We keep notes about the support we give you. You can ask to see them at "
                "any time, and we will show you within one month.\n\n"
                "We only share your information with your permission, except to keep "
                "someone safe (see the part called *Keeping you safe*)."
            ),
            "content_note": "",
        },
    },
]


def build_demo_round(now: datetime | None = None) -> NewRound:
    """The demo round's content, open now and for eight weeks."""
    now = now or datetime.now(UTC)
    locales = [loc for loc in LOCALES if loc in ROUND]
    return NewRound(
        slug=DEMO_SLUG,
        status="open",
        default_locale="en",
        locales=locales,
        timezone="Europe/London",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(weeks=8),
        response_due=(now + timedelta(weeks=12)).date() if now else date.today(),
        minutes_estimate=10,
        texts={loc: RoundText(locale=loc, **ROUND[loc]) for loc in locales},
        contacts={loc: CONTACTS[loc] for loc in locales},
        sections=[
            NewSection(
                texts={loc: SectionText(locale=loc, **section[loc]) for loc in locales},
                questions=[
                    NewQuestion(
                        "agreement",
                        {loc: QuestionText(loc, *AGREE[loc]) for loc in locales},
                    ),
                    NewQuestion(
                        "open_text",
                        {loc: QuestionText(loc, *CHANGE[loc]) for loc in locales},
                    ),
                ],
            )
            for section in SECTIONS
        ],
    )


async def ensure_demo_round(db: Database) -> bool:
    """Create the demo round unless it exists. Returns True when it was created."""
    if await round_store.round_exists(db, DEMO_SLUG):
        return False
    await round_store.create_round(db, build_demo_round())
    return True
