"""Flag answers for a person to look at.  Flags are never a diagnosis.

Two purposes:

- *risk*: the answer may disclose risk to the writer or to others
  (``suicide``, ``self_harm``, ``abuse``, ``violence``, ``danger``) — a
  worker should read it and follow the service's safeguarding procedure;
- *distressing*: the answer may distress a reader (graphic or hateful
  language) — a board can be warned before reading it.

Each language (en, es, fr, ar) has a small lexicon of phrases; matching is on
lower-cased, accent-folded text (Arabic: hamza/alef and taa-marbuta folded),
at word starts, so "kill myself" also finds "killing myself" via the stem
``kill`` entries.  Entries are deliberately phrase-level ("want to die", not
"die") to keep false alarms low on everyday text ("my phone died").
``tests/analysis/fixtures/flag_cases.json`` is the labelled set;
``benchmarks/flags_eval.py`` prints recall and the false-alarm rate.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from .types import Flag

RISK_KINDS = ("suicide", "self_harm", "abuse", "violence", "danger")

# Patterns: regular expressions over folded text; "\w*" lets a stem match its forms.
LEXICON: dict[str, dict[str, list[str]]] = {
    "en": {
        "suicide": [
            r"kill(?:ing)? my ?self",
            r"end(?:ed|ing)? (?:my|it) (?:life|all)",
            r"end it all",
            r"suicid\w*",
            r"(?:want|wanted|going|wish) to die",
            r"better off dead",
            r"no reason to live",
            r"take my (?:own )?life",
            r"don'?t want to (?:live|be alive)",
            r"not worth living",
            r"overdose",
        ],
        "self_harm": [
            r"(?:hurt|hurting|harm|harming|cut|cutting|burn|burning) my ?self",
            r"self[- ]harm\w*",
        ],
        "abuse": [
            r"(?:he|she|they|partner|husband|wife|boyfriend|girlfriend|father|mother|dad|mum|mom"
            r"|stepdad|uncle) (?:hits|hit|beats|beat|abuses|abused|rapes|raped|chokes|choked)"
            r" (?:me|us|my|the kids|the children)",
            r"abus(?:e|ed|ive|ing)",
            r"domestic violence",
            r"rap(?:e|ed|ing)\b",
            r"sexual(?:ly)? assault\w*",
            r"molest\w*",
            r"touch(?:es|ed)? me inappropriately",
            r"coercive control",
        ],
        "violence": [
            r"(?:kill|hurt|stab|shoot|attack) (?:him|her|them|someone|somebody|people|you)",
            r"threaten(?:s|ed|ing)? (?:to kill|me|us|my)",
            r"beat(?:s|en)? (?:me|us) up",
            r"(?:a |with a )?(?:knife|gun) (?:to|at) ",
            r"assault(?:ed)?",
        ],
        "danger": [
            r"(?:not|don'?t feel|never feel) safe",
            r"afraid for my life",
            r"scared for my life",
            r"in danger",
            r"nowhere (?:safe )?to (?:go|sleep|stay)",
            r"sleeping (?:rough|on the street)",
            r"going to (?:hurt|kill) me",
            r"fear for my (?:life|safety|children)",
        ],
        "distressing": [
            r"covered in blood",
            r"pool of blood",
            r"bleeding",
            r"dead bod\w*",
            r"tortur\w*",
            r"mutilat\w*",
        ],
    },
    "es": {
        "suicide": [
            r"suicid\w*",
            r"quitarme la vida",
            r"matarme",
            r"(?:quiero|quisiera|deseo) morir(?:me)?",
            r"no quiero (?:vivir|seguir viviendo)",
            r"acabar con (?:mi vida|todo)",
            r"mejor muert[oa]",
            r"no vale la pena vivir",
            r"sin razon para vivir",
            r"sobredosis",
        ],
        "self_harm": [
            r"(?:hacerme|me hago|me hice) dano",
            r"autolesi\w*",
            r"cortarme (?:los brazos|las venas|las munecas)",
            r"me corto (?:los brazos|las venas)",
            r"lastimarme",
            r"me lastimo",
        ],
        "abuse": [
            r"(?:me|nos) (?:pega|pegaba|golpea|golpeaba|maltrata|maltrataba|viola|violo)",
            r"maltrat\w*",
            r"abus\w*",
            r"violencia (?:domestica|de genero|machista)",
            r"violaci\w*",
            r"agresion sexual",
            r"acoso sexual",
        ],
        "violence": [
            r"(?:matar|apunalar|disparar|pegar) (?:a alguien|a la gente|le|les|lo|la)",
            r"(?:me|nos) amenaz\w*",
            r"amenaz\w* (?:de muerte|con matar)",
            r"(?:cuchillo|pistola|arma)s?\b",
            r"agredi\w*",
        ],
        "danger": [
            r"no (?:me siento|estoy) segur[oa]",
            r"miedo por mi vida",
            r"en peligro",
            r"temo por (?:mi vida|mis hijos|mi seguridad)",
            r"duermo en la calle",
            r"no tengo donde (?:dormir|ir|quedarme)",
            r"me va a (?:matar|hacer dano)",
        ],
        "distressing": [
            r"(?:lleno|cubierto) de sangre",
            r"ensangrentad\w*",
            r"sangrando",
            r"cadaver\w*",
            r"tortur\w*",
            r"mutil\w*",
        ],
    },
    "fr": {
        "suicide": [
            r"suicid\w*",
            r"me tuer",
            r"mettre fin a (?:mes jours|ma vie)",
            r"en finir avec (?:la vie|tout)",
            r"envie d'en finir",
            r"(?:envie|veux|voudrais) (?:de )?mourir",
            r"plus envie de vivre",
            r"(?:je ne veux|je veux) plus vivre",
            r"mieux (?:vaut )?mort",
            r"surdose|overdose",
        ],
        "self_harm": [
            r"me faire du mal",
            r"me scarifi\w*",
            r"scarification\w*",
            r"automutil\w*",
            r"me couper les (?:veines|bras|poignets)",
            r"je me coupe",
            r"me blesser",
        ],
        "abuse": [
            r"(?:il|elle|mon mari|ma femme|mon conjoint|ma conjointe|mon pere|ma mere|mon copain)"
            r" (?:me|nous) (?:frappe|frappait|bat|battait|viole|violait|maltraite|maltraitait)",
            r"maltrait\w*",
            r"violences? (?:conjugales?|domestiques?|sexuelles?)",
            r"abus\w*",
            r"viol\b",
            r"violee?\b",
            r"agression sexuelle",
            r"inceste",
        ],
        "violence": [
            r"(?:tuer|poignarder|frapper|tirer sur) (?:quelqu'un|les gens|quelqu un)",
            r"(?:me|nous) menac\w*",
            r"menac\w* de mort",
            r"(?:couteau|arme|pistolet)s?\b",
            r"agress\w*",
        ],
        "danger": [
            r"(?:pas|plus) en securite",
            r"peur pour ma vie",
            r"en danger",
            r"crains pour (?:ma vie|mes enfants|ma securite)",
            r"dors dans la rue",
            r"nulle part ou (?:dormir|aller)",
            r"va me (?:tuer|faire du mal)",
        ],
        "distressing": [
            r"(?:couvert|plein) de sang",
            r"ensanglant\w*",
            r"saign\w*",
            r"cadavre\w*",
            r"tortur\w*",
            r"mutil\w*",
        ],
    },
    "ar": {
        "suicide": [
            r"انتحار",
            r"انتحر",
            r"اقتل نفسي",
            r"قتل نفسي",
            r"انهي حياتي",
            r"انهاء حياتي",
            r"اريد ان اموت",
            r"اريد الموت",
            r"ابغى اموت",
            r"الموت افضل",
            r"لا اريد ان اعيش",
            r"لا اريد العيش",
            r"جرعه زائده",
        ],
        "self_harm": [r"اوذي نفسي", r"ايذاء نفسي", r"اجرح نفسي", r"جرح نفسي", r"اؤذي نفسي"],
        "abuse": [
            r"يضربني",
            r"يضربنا",
            r"تضربني",
            r"يعنفني",
            r"عنف (?:ال)?اسري",
            r"عنف (?:ال)?منزلي",
            r"اغتصاب",
            r"اغتصبني",
            r"تحرش",
            r"يسيء معاملتي",
            r"اساءه",
            r"اعتداء جنسي",
        ],
        "violence": [
            r"يهددني",
            r"هددني",
            r"يهددنا",
            r"تهديد بالقتل",
            r"سكين",
            r"مسدس",
            r"سلاح",
            r"اعتدى علي",
            r"اعتداء",
        ],
        "danger": [
            r"لست في امان",
            r"لا اشعر بالامان",
            r"في خطر",
            r"خايف على حياتي",
            r"اخاف على حياتي",
            r"انام في الشارع",
            r"ليس لدي مكان انام",
            r"سيقتلني",
        ],
        "distressing": [r"دماء", r"ينزف", r"نزيف", r"جثه", r"جثث", r"تعذيب"],
    },
}


def fold(text: str) -> str:
    """Lower-case, strip accents and tatweel/harakat, fold Arabic letter variants."""
    t = unicodedata.normalize("NFKD", text.lower())
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    t = t.replace("\u0640", "")  # tatweel
    t = re.sub(r"[\u064B-\u0652\u0670]", "", t)  # harakat
    t = re.sub("[إأآا]", "ا", t).replace("ة", "ه").replace("ى", "ي")
    return t.replace("’", "'")


@functools.lru_cache(maxsize=8)
def _compiled(language: str) -> list[tuple[str, re.Pattern[str], str]]:
    out = []
    for kind, patterns in LEXICON[language].items():
        for p in patterns:
            folded = fold(p) if language == "ar" else p
            # word start; Arabic may carry prefix letters (و ف ب ل ك) and the article ال
            prefix = r"(?:^|(?<=\s))(?:[وفبلك]{0,2}|[وفبلك]?ال)" if language == "ar" else r"\b"
            out.append((kind, re.compile(prefix + folded), p))
    return out


def flag(text: str, language: str = "") -> list[Flag]:
    """Flags raised by ``text``; all four lexicons are tried when the language is unknown.

    Offsets refer to the folded text, which has the same length as the input
    for Latin and Arabic letters except where combining marks were removed.
    """
    if not text:
        return []
    folded = fold(text)
    languages = [language] if language in LEXICON else list(LEXICON)
    if language in LEXICON and language != "en":
        languages.append("en")  # English phrases turn up in every language's answers
    found: dict[tuple[str, int], Flag] = {}
    for lang in languages:
        for kind, pattern, _source in _compiled(lang):
            for m in pattern.finditer(folded):
                found.setdefault((kind, m.start()), Flag(kind, m.group(), m.start(), m.end()))
    return sorted(found.values(), key=lambda f: (f.start, f.kind))


def is_risk(flags: list[Flag]) -> bool:
    return any(f.kind in RISK_KINDS for f in flags)
