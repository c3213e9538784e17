"""The texts of a round every offered language needs: which they are, which a language
has, whether it is complete, and how a translated block is put together. Pure."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from codesign.i18n import N_
from codesign.models import Question, QuestionText, Round, RoundText, SectionText, SupportContact
from codesign.services.errors import Refused
from codesign.services.rounds.forms import (
    CONTACT_FIELDS,
    CONTACT_WORDS,
    LABELS,
    OPTION_LIMIT,
    QUESTION_FIELDS,
    ROUND_FIELDS,
    SECTION_FIELDS,
)
from codesign.settings import SUPPORTED_LOCALES


class TextSlot(msgspec.Struct, frozen=True):
    """One text of a round that every offered language needs."""

    item: str  # "round", "contact-0", "section-12", "question-40"
    field: str
    source: str  # the default language's text
    label: str  # message id of the field's name
    where: str  # e.g. "Section 2" (plain, not translated: numbers and names)
    number: int = 0  # a choice's number within its question (0: not a choice)


class Completeness(msgspec.Struct, frozen=True):
    locale: str
    total: int
    done: int
    missing: list[TextSlot]

    @property
    def complete(self) -> bool:
        return self.done == self.total

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else self.done * 100 // self.total


def text_slots(round_: Round) -> list[TextSlot]:
    """Every text a language needs before it can be offered, from the default language."""
    default = round_.default_locale
    slots: list[TextSlot] = []
    rt = round_.texts.get(default)
    if rt is not None:
        for field in ROUND_FIELDS:
            slots.append(TextSlot("round", field, getattr(rt, field), LABELS[field], ""))
    for i, contact in enumerate(round_.contacts.get(default, [])):
        for field in CONTACT_WORDS:
            value = getattr(contact, field)
            if value:
                slots.append(TextSlot(f"contact-{i}", field, value, LABELS[field], contact.name))
    for section in round_.sections:
        st = section.texts.get(default)
        if st is None:
            continue
        for field in SECTION_FIELDS:
            value = getattr(st, field)
            if value or field != "content_note":
                slots.append(
                    TextSlot(
                        f"section-{section.id}", field, value, LABELS[field], str(section.position)
                    )
                )
        for question in section.questions:
            qt = question.texts.get(default)
            if qt is None:
                continue
            for field in QUESTION_FIELDS:
                value = getattr(qt, field)
                if value or field == "prompt":
                    slots.append(
                        TextSlot(
                            f"question-{question.id}",
                            field,
                            value,
                            LABELS[field],
                            f"{section.position}.{question.position}",
                        )
                    )
            for option in question.options:
                slots.append(
                    TextSlot(
                        f"question-{question.id}",
                        f"option-{option.id}",
                        option.labels.get(default, ""),
                        LABELS["option"],
                        f"{section.position}.{question.position}",
                        option.position,
                    )
                )
    return slots


def translated(round_: Round, locale: str, slot: TextSlot) -> str:
    kind, _, ident = slot.item.partition("-")
    if kind == "round":
        rt = round_.texts.get(locale)
        return getattr(rt, slot.field) if rt else ""
    if kind == "contact":
        contacts = round_.contacts.get(locale, [])
        index = int(ident)
        return getattr(contacts[index], slot.field) if index < len(contacts) else ""
    for section in round_.sections:
        if kind == "section" and section.id == int(ident):
            st = section.texts.get(locale)
            return getattr(st, slot.field) if st else ""
        for question in section.questions:
            if kind == "question" and question.id == int(ident):
                if slot.field.startswith("option-"):
                    option_id = int(slot.field[7:])
                    for option in question.options:
                        if option.id == option_id:
                            return option.labels.get(locale, "")
                    return ""
                qt = question.texts.get(locale)
                return getattr(qt, slot.field) if qt else ""
    return ""


def completeness(round_: Round, locale: str) -> Completeness:
    slots = text_slots(round_)
    missing = [s for s in slots if s.source.strip() and not translated(round_, locale, s).strip()]
    return Completeness(locale, len(slots), len(slots) - len(missing), missing)


def offered_locales(round_: Round, wanted: list[str]) -> list[str]:
    return [
        loc
        for loc in SUPPORTED_LOCALES
        if loc == round_.default_locale or (loc in wanted and completeness(round_, loc).complete)
    ]


def item_group(item: str) -> str:
    """Contacts are translated together with the round's texts."""
    return "round" if item.startswith("contact-") else item


def limit_of(slot: TextSlot) -> int:
    if slot.field.startswith("option-"):
        return OPTION_LIMIT
    for table in (ROUND_FIELDS, SECTION_FIELDS, QUESTION_FIELDS, CONTACT_FIELDS):
        if slot.field in table:
            return table[slot.field]
    return 300


def section_of(round_: Round, section_id: int):
    for section in round_.sections:
        if section.id == section_id:
            return section
    raise Refused(N_("This text is not part of the round any more. Reload the page."))


def contacts_for(
    round_: Round, locale: str, values: Mapping[tuple[str, str], str]
) -> list[SupportContact]:
    """A language's contacts: its words (new or kept), the default's phone and link."""
    existing = round_.contacts.get(locale, [])
    out = []
    for i, source in enumerate(round_.contacts.get(round_.default_locale, [])):
        old = existing[i] if i < len(existing) else None
        words = {
            f: values.get((f"contact-{i}", f), getattr(old, f) if old else "")
            for f in CONTACT_WORDS
        }
        out.append(SupportContact(phone=source.phone, url=source.url, **words))
    return out


def translation_parts(
    round_: Round, locale: str, item: str, values: Mapping[tuple[str, str], str]
) -> dict:
    kind, _, ident = item.partition("-")
    if kind == "round":
        old = round_.texts.get(locale)
        fields = {f: values.get(("round", f), getattr(old, f) if old else "") for f in ROUND_FIELDS}
        return {
            "round_text": RoundText(locale=locale, **fields),
            "contacts": contacts_for(round_, locale, values),
        }
    if kind == "section":
        section = section_of(round_, int(ident))
        old_s = section.texts.get(locale)
        fields = {
            f: values.get((item, f), getattr(old_s, f) if old_s else "") for f in SECTION_FIELDS
        }
        return {"sections": {section.id: SectionText(locale=locale, **fields)}}
    question = round_.question(int(ident))
    assert question is not None
    old_q = question.texts.get(locale)
    fields = {f: values.get((item, f), getattr(old_q, f) if old_q else "") for f in QUESTION_FIELDS}
    return {
        "questions": {question.id: QuestionText(locale=locale, **fields)},
        "options": _option_labels(question, values.get),
    }


def _option_labels(question: Question, value_of) -> dict[int, str]:
    """Translated labels of the question's choices that were sent (option id → label)."""
    out = {}
    for option in question.options:
        label = value_of((f"question-{question.id}", f"option-{option.id}"))
        if label is not None:
            out[option.id] = label
    return out
