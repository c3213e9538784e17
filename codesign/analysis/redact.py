"""Redact personal details before anyone on a board sees an answer.

Each detail becomes a typed placeholder in the participant's language
(``[phone]`` / ``[teléfono]`` / ``[téléphone]`` / ``[هاتف]`` …).  Detectors, in the
order they win an overlap:

- ``email``: addresses (``local@domain.tld``);
- ``url``: ``http(s)://…``, ``www.…`` and bare ``domain.tld/path``;
- ``card``: 13–19 digits (spaces/hyphens allowed) that pass the Luhn check;
- ``id``: US SSN (``123-45-6789``), UK National Insurance number, Spanish DNI /
  NIE (check letter verified), French NIR (15 digits, key verified);
- ``phone``: ``phonenumbers.PhoneNumberMatcher`` (leniency VALID) for the
  regions of the four languages (US, GB, ES, MX, FR, EG, MA, SA) and any
  international ``+…`` number; plus a digit run of 7+ digits right after a
  phone cue word ("call me", "tel", "llámame", "appelez", "رقمي" …);
- ``address``: a house number and a street type ("12 Oak Street", "calle Mayor
  5", "12 rue de la Paix", "شارع الجمهورية")- and ``postcode``: UK postcodes,
  US ZIP after a state abbreviation, 5-digit codes directly before a
  capitalised town name ("75011 Paris", "28013 Madrid");
- ``name``: the words a writer introduces as a name ("my name is …",
  "me llamo …", "je m'appelle …", "اسمي …") and names after a title
  (Mr/Mrs/Ms/Dr, Sr./Sra./Dra., M./Mme/Mlle, السيد/السيدة/الدكتور).

Deliberately *not* redacted: ordinary numbers, amounts, dates, times, years,
and names mentioned without an introduction or a title (no reliable pattern;
a person reviewing flagged answers remains the backstop).
``tests/analysis/fixtures/redaction_cases.json`` is the labelled set;
``benchmarks/redaction_eval.py`` prints recall and the false-redaction rate.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from phonenumbers import Leniency, PhoneNumberMatcher

from .types import Redacted, Redaction

PLACEHOLDERS: dict[str, dict[str, str]] = {
    "en": {
        "email": "[email]",
        "url": "[link]",
        "card": "[card number]",
        "id": "[ID number]",
        "phone": "[phone]",
        "address": "[address]",
        "postcode": "[postcode]",
        "name": "[name]",
    },
    "es": {
        "email": "[correo]",
        "url": "[enlace]",
        "card": "[número de tarjeta]",
        "id": "[documento]",
        "phone": "[teléfono]",
        "address": "[dirección]",
        "postcode": "[código postal]",
        "name": "[nombre]",
    },
    "fr": {
        "email": "[courriel]",
        "url": "[lien]",
        "card": "[numéro de carte]",
        "id": "[numéro d'identité]",
        "phone": "[téléphone]",
        "address": "[adresse]",
        "postcode": "[code postal]",
        "name": "[nom]",
    },
    "ar": {
        "email": "[بريد]",
        "url": "[رابط]",
        "card": "[رقم بطاقة]",
        "id": "[رقم هوية]",
        "phone": "[هاتف]",
        "address": "[عنوان]",
        "postcode": "[رمز بريدي]",
        "name": "[اسم]",
    },
}
PRIORITY = ("email", "url", "card", "id", "phone", "address", "postcode", "name")
PHONE_REGIONS = ("US", "GB", "ES", "MX", "FR", "EG", "MA", "SA")

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


@dataclass(frozen=True, slots=True)
class _Span:
    kind: str
    start: int
    end: int


# ---------------------------------------------------------------- patterns
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+"
    r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|gov|edu|info|io|co|uk|es|fr|mx|ma|eg|sa)"
    r"(?:/[^\s<>\"']*)?(?![\w@])",
    re.IGNORECASE,
)
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
_NINO = re.compile(
    r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r" ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"
)
_DNI = re.compile(r"\b(\d{8})[ -]?([A-Z])\b")
_NIE = re.compile(r"\b([XYZ])[ -]?(\d{7})[ -]?([A-Z])\b")
_NIR = re.compile(
    r"(?<!\d)([12])[ .]?(\d{2})[ .]?(0[1-9]|1[0-2]|[2-9]\d)[ .]?(\d{2}|2A|2B)[ .]?(\d{3})"
    r"[ .]?(\d{3})[ .]?(\d{2})(?!\d)"
)
_PHONE_CUE = re.compile(
    r"(?:\b(?:call|text|phone|tel|telephone|mobile|cell|number|whatsapp|ring)\b"
    r"|\b(?:llám[ae]me|llamar|llamen|tel[eé]fono|m[oó]vil|celular|cel|n[uú]mero)\b"
    r"|\b(?:appelez|appeler|t[eé]l[eé]phone|portable|num[eé]ro)\b"
    r"|(?:هاتف|رقمي|رقم|جوال|موبايل|اتصل|اتصلوا))"
    r"[^\d+\n]{0,25}(\+?[\d٠-٩][\d٠-٩ ().-]{5,18}[\d٠-٩])",
    re.IGNORECASE,
)

_CAP = r"[A-ZÀ-ÖØ-Þ](?:['’][A-ZÀ-Þ])?[a-zà-öø-ÿ'’-]+"
_STREET_EN = (
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Close|Court|Ct|"
    r"Place|Pl|Terrace|Crescent|Gardens|Square|Sq|Parkway|Highway|Hwy)"
)
_ADDRESS = [
    # 221B Baker Street, 1600 Pennsylvania Avenue NW, apt 4
    re.compile(
        rf"\b\d{{1,5}}[A-Za-z]?,? (?:{_CAP} ){{1,3}}{_STREET_EN}\b\.?"
        r"(?: (?:NW|NE|SW|SE|N|S|E|W)\b)?"
        r"(?:,? (?:[Aa]pt|[Aa]partment|[Ff]lat|[Uu]nit|[Ss]uite)\.? ?\w+)?"
    ),
    # calle Mayor 5, c/ de Alcalá, 23, avenida de la Constitución n.º 12, 3º B
    re.compile(
        r"\b(?:[Cc]alle|C/|c/|[Aa]venida|[Aa]vda\.|[Aa]v\.|[Pp]laza|[Pp]aseo|[Cc]amino|[Cc]arrera|"
        r"[Cc]olonia|[Cc]ol\.)"
        rf" (?:(?:de |del |de la |de los |las |los |la |el )?{_CAP} ?){{1,4}},? "
        r"(?:n[.ºo°]*\s?)?\d{1,4}(?:,? ?\d{1,2}[ºª°]? ?[A-Z]?\b)?"
    ),
    # 12 rue de la Paix, 5 bis avenue Victor Hugo
    re.compile(
        r"\b\d{1,4}(?: ?(?:bis|ter))?,? (?:rue|avenue|av\.|boulevard|bd|place|chemin|allée|"
        r"impasse|quai|route|cours)"
        rf"(?: (?:de la |de l'|de |du |des |d'|l')?{_CAP}){{1,4}}",
        re.IGNORECASE,
    ),
    # شارع الجمهورية رقم ١٥ ، حي النزهة
    re.compile(
        r"(?:شارع|حي|زنقة|درب)\s+[\u0621-\u064A]+(?:\s+[\u0621-\u064A]+)?"
        r"(?:\s*،?\s*(?:رقم\s*)?[\d٠-٩]{1,4})?"
    ),
]
_POSTCODE = [
    re.compile(r"\b(?:GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b"),  # UK
    re.compile(
        r"(?<=\b(?:AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO"
        r"|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC) )"
        r"\d{5}(?:-\d{4})?\b"
    ),  # US ZIP after a state
    # FR / ES / MX 5-digit code directly before a capitalised town name
    re.compile(
        r"\b(?:0[1-9]|[1-8]\d|9[0-8])\d{3}(?= (?!Euros?\b|Dollars?\b|Pesos?\b|Dirhams?\b)"
        r"[A-ZÀ-Ý][a-zà-ÿ]+)"
    ),
]

_NAME_WORD = r"[A-Za-zÀ-ÖØ-öø-ÿ'’-]+"
_NAME_INTRO = re.compile(
    r"(?:\bmy name(?: is|'s|’s)|\bI am called|\bI'm called"
    r"|\bme llamo|\bmi nombre es|\bmi nombre:|\bje m'appelle|\bje m’appelle|\bmon nom est"
    r"|\bmon prénom est|\bmon nom:|\bname:|\bnombre:|\bnom:)"
    r"\s+",
    re.IGNORECASE,
)
_NAME_INTRO_CAP = re.compile(r"(?:\b[Ss]oy|\b[Mm]oi c'est|\b[Mm]oi, c'est)\s+(?=[A-Z])")
_TITLE = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Sr|Sra|Srta|Dra|Mme|Mlle|Mr\.|Mrs\.|Ms\.|Mx\.|Dr\.|Sr\.|Sra\.|"
    r"Srta\.|Dra\.|M\.|Mme\.|Mlle\.|Monsieur|Madame|Mademoiselle|Docteur|Doctor|Doctora|Señor|"
    r"Señora|Señorita|[Dd]on|[Dd]oña)"
    r" (?=[A-ZÀ-Þ])"
)
_AR_NAME_INTRO = re.compile(
    r"(?:اسمي|إسمي|أنا اسمي|انا اسمي|السيد|السيدة|الدكتور|الدكتورة|الأستاذ|الأستاذة)\s+"
)
_AR_WORD = re.compile(r"[\u0621-\u064A\u0671-\u06D3]+")
_AR_STOP = {
    "و",
    "في",
    "من",
    "على",
    "إلى",
    "الى",
    "عن",
    "مع",
    "هو",
    "هي",
    "أنا",
    "انا",
    "لا",
    "لم",
    "لن",
    "قد",
    "كان",
    "كانت",
    "ليس",
    "هذا",
    "هذه",
    "ذلك",
    "التي",
    "الذي",
    "أن",
    "ان",
    "إن",
    "أو",
    "ثم",
    "عندي",
    "لدي",
    "أعيش",
    "اعيش",
    "أسكن",
    "وأنا",
    "وانا",
    "عمري",
}


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def _find_ids(text: str) -> list[_Span]:
    spans = [_Span("id", m.start(), m.end()) for m in _SSN.finditer(text)]
    spans += [_Span("id", m.start(), m.end()) for m in _NINO.finditer(text)]
    for m in _DNI.finditer(text):
        if _DNI_LETTERS[int(m.group(1)) % 23] == m.group(2):
            spans.append(_Span("id", m.start(), m.end()))
    for m in _NIE.finditer(text):
        num = int("XYZ".index(m.group(1)).__str__() + m.group(2))
        if _DNI_LETTERS[num % 23] == m.group(3):
            spans.append(_Span("id", m.start(), m.end()))
    for m in _NIR.finditer(text):
        dept = m.group(4).replace("2A", "19").replace("2B", "18")
        body = int(m.group(1) + m.group(2) + m.group(3) + dept + m.group(5) + m.group(6))
        if 97 - body % 97 == int(m.group(7)):
            spans.append(_Span("id", m.start(), m.end()))
    return spans


def _find_cards(text: str) -> list[_Span]:
    spans = []
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and _luhn_ok(digits) and len(set(digits)) > 1:
            spans.append(_Span("card", m.start(), m.end()))
    return spans


def _find_phones(text: str) -> list[_Span]:
    spans: list[_Span] = []
    seen: set[tuple[int, int]] = set()
    for region in PHONE_REGIONS:
        for m in PhoneNumberMatcher(text, region, leniency=Leniency.VALID):
            if (m.start, m.end) not in seen:
                seen.add((m.start, m.end))
                spans.append(_Span("phone", m.start, m.end))
    for m in _PHONE_CUE.finditer(text):
        raw = m.group(1)
        digits = re.sub(r"\D", "", raw.translate(_DIGITS))
        if 7 <= len(digits) <= 15 and not _looks_like_date_or_amount(raw):
            spans.append(_Span("phone", m.start(1), m.end(1)))
    return spans


def _looks_like_date_or_amount(raw: str) -> bool:
    return bool(
        re.fullmatch(r"[\d٠-٩]{1,2}[./-][\d٠-٩]{1,2}[./-][\d٠-٩]{2,4}", raw.strip())
    ) or bool(re.search(r"\d[.,]\d{2}$", raw) and raw.count(" ") == 0)


def _find_names(text: str) -> list[_Span]:
    spans = []
    for m in _NAME_INTRO.finditer(text):
        span = _name_after(text, m.end(), first_any_case=True)
        if span:
            spans.append(span)
    for m in _NAME_INTRO_CAP.finditer(text):
        span = _name_after(text, m.end(), first_any_case=False, max_words=2)
        if span:
            spans.append(span)
    for m in _TITLE.finditer(text):
        span = _name_after(text, m.end(), first_any_case=False)
        if span:
            spans.append(span)
    for m in _AR_NAME_INTRO.finditer(text):
        pos, end, words = m.end(), None, 0
        while words < 3:
            w = _AR_WORD.match(text, pos)
            if not w or w.group() in _AR_STOP or (words > 0 and w.group().startswith("و")):
                break
            end, words = w.end(), words + 1
            nxt = re.match(r"[ \u00A0]+", text[w.end() :])
            if not nxt:
                break
            pos = w.end() + nxt.end()
        if end is not None:
            spans.append(_Span("name", m.end(), end))
    return spans


_NAME_STOP = frozenset(
    "a an the not is was and or but i im very just so really too also only still no yes "
    "un una el la los las no es y o pero muy solo soy de del ya "
    "le les des et ou mais très pas je suis de du".split()
)
_CAP_WORD = re.compile(rf"{_CAP}(?:-{_CAP})?")
_ANY_WORD = re.compile(_NAME_WORD)
_PARTICLE = re.compile(r"(?:de|del|de la|van|von|da|di|du|le|la|al|el|bin|ben|ibn) (?=[A-Z])")


def _name_after(text: str, pos: int, *, first_any_case: bool, max_words: int = 3) -> _Span | None:
    first = (_ANY_WORD if first_any_case else _CAP_WORD).match(text, pos)
    if not first or first.group().lower() in _NAME_STOP:
        return None
    if first.group().islower() and first.group() in _function_words():
        return None  # "my name is on the list", "mi nombre no importa"
    end, words, cur = first.end(), 1, first.end()
    while words < max_words:
        sp = re.match(r" +", text[cur:])
        if not sp:
            break
        nxt_pos = cur + sp.end()
        part = _PARTICLE.match(text, nxt_pos)
        if part:
            nxt_pos = part.end()
        w = _CAP_WORD.match(text, nxt_pos)
        if not w and first_any_case and first.group().islower():
            w = _ANY_WORD.match(text, nxt_pos)
            if w and w.group().lower() in _NAME_STOP | _COMMON_AFTER_NAME:
                w = None
        if not w:
            break
        end, cur, words = w.end(), w.end(), words + 1
    return _Span("name", pos, end)


@functools.lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    from .stopwords import stop_words

    return frozenset().union(*(stop_words(lang) for lang in ("en", "es", "fr")))


_COMMON_AFTER_NAME = frozenset(
    "and i im am my we it is was have has had from with who y e je et me mi vivo tengo "
    "habito suis ai from live living".split()
)


def _find_all(text: str) -> list[_Span]:
    spans = [_Span("email", m.start(), m.end()) for m in _EMAIL.finditer(text)]
    for m in _URL.finditer(text):
        s, e = m.start(), m.end()
        while e > s and text[e - 1] in ".,;:!?)]}»”’'\"":
            e -= 1
        spans.append(_Span("url", s, e))
    spans += _find_cards(text)
    spans += _find_ids(text)
    spans += _find_phones(text)
    for pat in _ADDRESS:
        spans += [_Span("address", m.start(), m.end()) for m in pat.finditer(text)]
    for pat in _POSTCODE:
        spans += [_Span("postcode", m.start(), m.end()) for m in pat.finditer(text)]
    spans += _find_names(text)
    return spans


def _resolve(spans: list[_Span]) -> list[_Span]:
    """Keep non-overlapping spans: higher priority first, then longer, then earlier."""
    rank = {k: i for i, k in enumerate(PRIORITY)}
    chosen: list[_Span] = []
    for sp in sorted(spans, key=lambda s: (rank[s.kind], -(s.end - s.start), s.start)):
        if sp.end <= sp.start:
            continue
        if all(sp.end <= c.start or sp.start >= c.end for c in chosen):
            chosen.append(sp)
    return sorted(chosen, key=lambda s: s.start)


def placeholder(kind: str, language: str) -> str:
    return PLACEHOLDERS.get(language, PLACEHOLDERS["en"])[kind]


def redact(text: str, language: str = "en") -> Redacted:
    """Replace personal details in ``text`` by placeholders in ``language``.

    Unknown languages get English placeholders.  Deterministic, pure.
    """
    if not text:
        return Redacted(text or "", [])
    spans = _resolve(_find_all(text))
    out, last, redactions = [], 0, []
    for sp in spans:
        ph = placeholder(sp.kind, language)
        out.append(text[last : sp.start])
        out.append(ph)
        last = sp.end
        redactions.append(Redaction(sp.kind, sp.start, sp.end, ph))
    out.append(text[last:])
    return Redacted("".join(out), redactions)


def redact_all(texts: list[str], languages: list[str]) -> list[Redacted]:
    return [redact(t, lang) for t, lang in zip(texts, languages, strict=True)]


__all__ = ["PLACEHOLDERS", "placeholder", "redact", "redact_all"]
