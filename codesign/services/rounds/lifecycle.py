"""A round's life: the statuses it moves through, what may be checked before it moves,
and what participants meet at each moment. Pure."""

from __future__ import annotations

from datetime import datetime

from codesign.i18n import N_, language_name
from codesign.models import Round, RoundSettings, RoundSummary
from codesign.services.errors import FieldError
from codesign.services.rounds.texts import completeness
from codesign.store.db import utcnow


def structure_locked(round_: Round) -> bool:
    """Sections, questions and their default wording change only in a draft."""
    return round_.status != "draft"


def effective_status(round_: Round | RoundSummary, now: datetime | None = None) -> str:
    """What participants meet: "scheduled" before opening, "ended" after the closing date."""
    now = now or utcnow()
    if round_.status == "open":
        if round_.opens_at and now < round_.opens_at:
            return "scheduled"
        if round_.closes_at and now >= round_.closes_at:
            return "ended"
    return round_.status


TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("open",),
    "open": ("closed", "draft"),
    # "published" is the board's publication (services.publishing), with its checklist
    # and confirmation: never a status the round page sets on its own.
    "closed": ("open",),
    "published": (),
}


def status_problems(round_: Round, settings: RoundSettings, target: str) -> list[FieldError]:
    """Why the round can't move to `target` yet; empty when it can."""
    problems: list[FieldError] = []
    if target not in TRANSITIONS.get(round_.status, ()):
        return [FieldError("status", N_("The round can't go there from where it is now."))]
    now = utcnow()
    if target == "open":
        if not round_.sections:
            problems.append(
                FieldError("sections", N_("Add at least one section of the draft."))
            )
        elif any(not s.questions for s in round_.sections):
            problems.append(
                FieldError("sections", N_("Every section needs at least one question."))
            )
        if settings.safeguarding_lead_id is None:
            problems.append(
                FieldError(
                    "lead",
                    N_(
                        "Choose a safeguarding lead in the board settings first: answers "
                        "that may show someone is at risk need a named person to read them."
                    ),
                )
            )
        if round_.closes_at is None or round_.closes_at <= now:
            problems.append(
                FieldError(
                    "settings",
                    N_("The closing date is in the past. Choose a new one in the settings."),
                )
            )
        for locale in settings.wanted_locales:
            done = completeness(round_, locale)
            if locale != round_.default_locale and not done.complete:
                problems.append(
                    FieldError(
                        f"lang-{locale}",
                        N_(
                            "%(language)s is not fully translated: %(count)s texts are "
                            "missing. Finish the translation, or stop offering this "
                            "language in the settings."
                        ),
                        {"language": language_name(locale), "count": len(done.missing)},
                    )
                )
    if target == "draft" and settings.has_answers:
        problems.append(
            FieldError(
                "status",
                N_("People have already answered, so the round can't go back to draft."),
            )
        )
    return problems
