"""Generated feedback on a round: answers in four languages (texts in ``answers.json``).

Deterministic for a seed. Each topic has a few phrasings per language; some
answers carry personal details (to be redacted) and a few are flagged.
"""

from __future__ import annotations

import random
import secrets

from codesign.demo import content
from codesign.models import AnswerInput, Round
from codesign.store import participations
from codesign.store.db import Database

#: Phrasings per topic, per language.
TOPICS: dict[str, dict[str, list[str]]] = content("answers")["topics"]
#: Endings per language, some with personal details ("{n}" numbers them).
EXTRAS: dict[str, list[str]] = content("answers")["extras"]
#: One disclosure per language that the safeguarding screening must flag.
FLAGGED: dict[str, str] = content("answers")["flagged"]

#: Two camps for the opinion overview: those who wrote about times or transport
#: agree with the first sections and disagree with the last; the others the
#: opposite; everybody agrees with the middle section.
CAMP_A = {"times", "transport"}


def opinion_values(topic: str, i: int, sections: int) -> list[str | None]:
    """Agreement answers ("1"–"5", "prefer_not", None = skipped) of the i-th generated person."""
    rng = random.Random(i)  # noqa: S311 - demo data, not secrets
    out: list[str | None] = []
    for j in range(sections):
        if j == sections // 2:
            base = 4
        elif (j < sections // 2) == (topic in CAMP_A):
            base = 5
        else:
            base = 1
        roll = rng.random()
        if roll < 0.05:
            out.append(None)
        elif roll < 0.08:
            out.append("prefer_not")
        else:
            out.append(str(min(5, max(1, base + rng.choice((-1, 0, 0, 1))))))
    return out


def generate(
    n: int,
    seed: int = 0,
    languages: tuple[str, ...] = ("en", "es", "fr", "ar"),
    flagged_every: int = 97,
) -> list[tuple[str, str, str]]:
    """(topic, locale, text) for n answers."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    topics = sorted(TOPICS)
    out = []
    for i in range(n):
        locale = languages[i % len(languages)]
        if flagged_every and i % flagged_every == flagged_every - 1:
            out.append(("flagged", locale, FLAGGED[locale]))
            continue
        topic = topics[rng.randrange(len(topics))]
        base = rng.choice(TOPICS[topic][locale])
        extra = rng.choice(EXTRAS[locale]).format(n=i % 1000)
        out.append((topic, locale, base + extra))
    return out


async def fill_round(
    db: Database,
    round_: Round,
    answers: list[tuple[str, str, str]],
    *,
    question_id: int,
    agreement_id: int | None = None,
    may_quote_every: int = 2,
    opinions: bool = False,
) -> list[int]:
    """One submitted participation per answer; returns participation ids.

    With `opinions`, each person also answers every section's agreement question
    (see :func:`opinion_values`), so the opinion overview has groups to find.
    """
    made = []
    agreement_ids = [
        q.id for section in round_.sections for q in section.questions if q.kind == "agreement"
    ]
    for i, (topic, locale, text) in enumerate(answers):
        key = secrets.token_hex(8)
        p = await participations.start(db, round_.id, key, key, locale, False)
        given = [AnswerInput(question_id, text=text)]
        if opinions:
            values = opinion_values(topic, i, len(agreement_ids))
            given += [
                AnswerInput(qid, value=v)
                for qid, v in zip(agreement_ids, values, strict=True)
                if v is not None
            ]
        elif agreement_id is not None:
            given.append(AnswerInput(agreement_id, value=str(1 + i % 5)))
        await participations.save_answers(db, p.id, given, locale)
        await participations.submit(db, p.id, may_quote=(i % may_quote_every == 0))
        made.append(p.id)
    return made
