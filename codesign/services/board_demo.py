"""Generated feedback for demos, tests and benchmarks: answers in four languages.

Deterministic for a seed. Each topic has a few phrasings per language; some
answers carry personal details (to be redacted) and a few are flagged.
"""

from __future__ import annotations

import random
import secrets

from codesign.models import AnswerInput, Round
from codesign.store import participations
from codesign.store.db import Database

TOPICS: dict[str, dict[str, list[str]]] = {
    "times": {
        "en": [
            "Appointments in the evening would help, I work all day",
            "Please offer appointment times after work or on Saturday",
            "The opening hours are too short for people who work",
        ],
        "es": [
            "Citas por la tarde ayudarían, trabajo todo el día",
            "Por favor ofrezcan horarios de cita después del trabajo o el sábado",
        ],
        "fr": [
            "Des rendez-vous le soir m'aideraient, je travaille toute la journée",
            "Proposez des horaires de rendez-vous après le travail ou le samedi",
        ],
        "ar": [
            "المواعيد في المساء ستساعدني، أعمل طوال اليوم",
            "أرجو مواعيد بعد العمل أو يوم السبت",
        ],
    },
    "transport": {
        "en": [
            "The bus fare to the office is too expensive for me",
            "Help with travel costs, the bus ticket costs too much",
            "The office is far from the bus stop and hard to reach",
        ],
        "es": [
            "El billete de autobús a la oficina es demasiado caro",
            "Ayuda con el transporte, el autobús cuesta mucho",
        ],
        "fr": [
            "Le ticket de bus pour aller au bureau coûte trop cher",
            "Aidez-nous pour le transport, le bus est trop cher",
        ],
        "ar": ["تذكرة الحافلة إلى المكتب غالية جدا", "ساعدونا في تكاليف المواصلات، الحافلة مكلفة"],
    },
    "interpreter": {
        "en": [
            "I need an interpreter at every appointment, not my child",
            "Please book an interpreter so I understand the letters",
        ],
        "es": [
            "Necesito un intérprete en cada cita, no mi hijo",
            "Por favor reserven un intérprete para entender las cartas",
        ],
        "fr": [
            "J'ai besoin d'un interprète à chaque rendez-vous, pas mon enfant",
            "Réservez un interprète pour que je comprenne les lettres",
        ],
        "ar": ["أحتاج مترجما في كل موعد وليس ابني", "أرجو حجز مترجم حتى أفهم الرسائل"],
    },
    "childcare": {
        "en": [
            "There is nowhere for my kids while I am at the appointment",
            "A play corner or childcare during meetings would help parents",
        ],
        "es": [
            "No tengo dónde dejar a mis hijos durante la cita",
            "Un rincón de juegos para los niños ayudaría a los padres",
        ],
        "fr": [
            "Je n'ai personne pour garder mes enfants pendant le rendez-vous",
            "Un coin jeux pour les enfants aiderait les parents",
        ],
        "ar": ["لا يوجد مكان لأطفالي أثناء الموعد", "ركن لعب للأطفال سيساعد الآباء والأمهات"],
    },
    "privacy": {
        "en": [
            "Who can read my file? I want to know who sees my data",
            "Tell me how long you keep my personal data and who sees it",
        ],
        "es": [
            "¿Quién puede leer mi expediente? Quiero saber quién ve mis datos",
            "Díganme cuánto tiempo guardan mis datos personales",
        ],
        "fr": [
            "Qui peut lire mon dossier ? Je veux savoir qui voit mes données",
            "Dites-moi combien de temps vous gardez mes données personnelles",
        ],
        "ar": [
            "من يستطيع قراءة ملفي؟ أريد أن أعرف من يرى بياناتي",
            "أخبروني كم من الوقت تحتفظون ببياناتي الشخصية",
        ],
    },
}
EXTRAS = {
    "en": [
        " You can email me at sam.jones{n}@example.org",
        " Call me on 07700 900{n:03d}",
        "",
        "",
        "",
    ],
    "es": [" Mi correo es ana{n}@example.com", "", "", ""],
    "fr": [" Mon numéro est 06 12 34 {n:02d} 78", "", "", ""],
    "ar": ["", "", ""],
}
FLAGGED = {
    "en": "I don't feel safe at home and my partner hits me",
    "es": "No me siento segura en casa",
    "fr": "Je ne me sens pas en sécurité chez moi",
    "ar": "لا أشعر بالأمان في البيت",
}


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
