"""Participant use cases: start, answer, resume, review, submit, withdraw.

No HTTP objects here: callers pass plain values (a form is a dict of strings).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import unicodedata
from collections.abc import Mapping, Sequence

import msgspec

from codesign.i18n import N_
from codesign.models import (
    AGREEMENT_VALUES,
    ANSWER_SOFT_LIMIT,
    PREFER_NOT,
    Answer,
    AnswerInput,
    Participation,
    Question,
    Round,
    Section,
)
from codesign.services import erasure
from codesign.services.errors import BadInput, FieldError
from codesign.store import participations
from codesign.store import rounds as round_store
from codesign.store.db import Database, utcnow
from codesign.store.participations import Autosaved
from codesign.store.rounds import RoundState
from codesign.store.rounds import visible_round_quick as _visible_round_quick

# Crockford's base32: no I, L, O or U, so a code read aloud is hard to mishear.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE_LENGTH = 12  # 60 bits
_SAVE_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, _CODE_LENGTH, 4))


def _ascii_digit(ch: str) -> str:
    """٣ (Arabic-Indic), ۳ (Persian) or any other decimal digit → "3"; else unchanged.

    Phones set to Arabic or Persian type these digits; the code is the same code.
    """
    value = unicodedata.decimal(ch, None)
    return str(value) if value is not None else ch


def normalise_code(code: str) -> str:
    """Forgive case, spaces, dashes, look-alike letters and other scripts' digits
    when a code is typed back."""
    cleaned = "".join(_ascii_digit(ch) for ch in code.upper() if ch.isalnum())
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"}))


def hash_code(key: str, code: str) -> str:
    return hmac.new(key.encode(), normalise_code(code).encode(), hashlib.sha256).hexdigest()


def looks_like_code(code: str) -> bool:
    normal = normalise_code(code)
    return len(normal) == _CODE_LENGTH and all(ch in _CODE_ALPHABET for ch in normal)


def new_session_id() -> str:
    return secrets.token_urlsafe(24)


def new_save_key() -> str:
    return secrets.token_urlsafe(18)


def question_field(question_id: int) -> str:
    return f"q{question_id}"


#: A form as sent: one value per field, or every value of a repeated field (checkboxes).
Form = Mapping[str, "str | Sequence[str]"]


def form_values(form: Form, name: str) -> list[str]:
    """Every value sent for `name` (none, one, or several)."""
    raw = form.get(name)
    if raw is None:
        return []
    return [raw] if isinstance(raw, str) else list(raw)


def form_value(form: Form, name: str) -> str | None:
    """The one value of a single-value field; a repeated one is input no honest form sends."""
    values = form_values(form, name)
    if len(values) > 1:
        raise BadInput(f"field {name!r} was sent more than once")
    return values[0] if values else None


def _save_key(form: Form) -> str | None:
    """The save's idempotency key, if the page sent one (the script does)."""
    save_key = form_value(form, "save_key") or None
    if save_key is not None and not _SAVE_KEY.fullmatch(save_key):
        raise BadInput("malformed save key")
    return save_key


def parse_choice(question: Question, values: list[str]) -> tuple[str | None, bool]:
    """The stored value of a choice answer, and whether "prefer not to say" came with others.

    A single choice is stored as the option id ("12"); a multiple choice as the option
    ids sorted as numbers and joined by commas ("12,15"); either as "prefer_not". An id
    that is not one of the question's options is refused.
    """
    known = {str(option.id) for option in question.options}
    chosen = {v for v in values if v != ""}
    for value in chosen:
        if value != PREFER_NOT and value not in known:
            raise BadInput(f"{value!r} is not a choice of question {question.id}")
    if not chosen:
        return None, False
    if question.kind == "single_choice" and len(chosen) > 1:
        raise BadInput("a single choice was sent more than once")
    if PREFER_NOT in chosen:
        return PREFER_NOT, len(chosen) > 1
    return ",".join(sorted(chosen, key=int)), False


def parse_section_form(section: Section, form: Form) -> tuple[list[AnswerInput], list[FieldError]]:
    """Read one section's answers from a form. Unknown questions and choices are refused.

    Every field is one value, except a multiple-choice question's, which may repeat.
    """
    known = {question_field(q.id): q for q in section.questions}
    for name in form:
        if name.startswith("q") and name[1:].isdecimal() and name not in known:
            raise BadInput(f"question field {name!r} is not in this section")
    inputs: list[AnswerInput] = []
    errors: list[FieldError] = []
    for field, question in known.items():
        if question.kind == "multiple_choice":
            value, mixed = parse_choice(question, form_values(form, field))
            if mixed:
                errors.append(
                    FieldError(
                        field,
                        N_(
                            "You chose “Prefer not to say” and other answers. Choose "
                            "“Prefer not to say” on its own, or untick it. Nothing is "
                            "saved for this question yet."
                        ),
                    )
                )
                continue
            inputs.append(AnswerInput(question.id, value=value))
            continue
        raw = form_value(form, field)
        if question.kind == "single_choice":
            inputs.append(AnswerInput(question.id, value=parse_choice(question, [raw or ""])[0]))
        elif question.kind == "agreement":
            if raw in (None, ""):
                inputs.append(AnswerInput(question.id))
            elif raw in AGREEMENT_VALUES or raw == PREFER_NOT:
                inputs.append(AnswerInput(question.id, value=raw))
            else:
                raise BadInput(f"{raw!r} is not a choice")
        else:
            text = (raw or "").replace("\r\n", "\n")
            if len(text) > ANSWER_SOFT_LIMIT:
                errors.append(
                    FieldError(
                        field,
                        N_(
                            "Your answer is %(count)s characters long. We can save up to "
                            "%(limit)s. Please make it shorter - your text is still here."
                        ),
                        {"count": len(text), "limit": ANSWER_SOFT_LIMIT},
                    )
                )
                continue
            inputs.append(AnswerInput(question.id, text=text.strip() or None))
    return inputs, errors


class SaveResult(msgspec.Struct, frozen=True):
    saved: bool
    errors: list[FieldError]
    answers: dict[int, Answer] | None  # None when the caller did not ask for them


#: How long a round's content (texts, sections) may be reused from memory.
#: Whether it is open is read fresh on every request.
ROUND_CONTENT_SECONDS = 2.0


class ParticipationService:
    def __init__(self, db: Database, code_key: str) -> None:
        self.db = db
        self.code_key = code_key
        # slug -> (when loaded, content as loaded, the last state seen, content + that state)
        self._rounds: dict[str, tuple[float, Round, RoundState, Round]] = {}

    async def round(self, slug: str) -> Round | None:
        return (await self.round_and_participation(slug, None))[0]

    async def round_and_participation(
        self, slug: str, public_id: str | None
    ) -> tuple[Round | None, Participation | None]:
        """The round (content cached briefly: it is read on every page and save) and
        this browser's participation in it; whether the round is open is always fresh."""
        state, participation = await participations.round_state_with_participation(
            self.db, slug, public_id
        )
        if state is None:
            self._rounds.pop(slug, None)
            return None, None
        cached = self._fresh(slug)
        if cached is None:
            loaded = await round_store.load_round(self.db, slug)
            if loaded is None:
                return None, None
            if len(self._rounds) > 1000:
                self._rounds.clear()
            cached = (time.monotonic(), loaded, state, self._with_state(loaded, state))
            self._rounds[slug] = cached
        elif cached[2] != state:
            cached = (cached[0], cached[1], state, self._with_state(cached[1], state))
            self._rounds[slug] = cached
        # The same object while nothing changed: copying a whole round per save showed.
        return cached[3], participation

    def recent_round(self, slug: str) -> Round | None:
        """The round as `round_and_participation` loaded it moments ago, or None: content
        only (whether it is open now is for the caller's write to check)."""
        cached = self._fresh(slug)
        return None if cached is None else cached[3]

    def _fresh(self, slug: str) -> tuple[float, Round, RoundState, Round] | None:
        """The cache entry for `slug` if it was loaded in the last ROUND_CONTENT_SECONDS."""
        cached = self._rounds.get(slug)
        if cached is None or time.monotonic() - cached[0] > ROUND_CONTENT_SECONDS:
            return None
        return cached

    @staticmethod
    def _with_state(round_: Round, state: RoundState) -> Round:
        return msgspec.structs.replace(
            round_, status=state.status, opens_at=state.opens_at, closes_at=state.closes_at
        )

    def is_open(self, round_: Round) -> bool:
        return round_.is_open(utcnow())

    async def start(
        self, round_: Round, start_key: str, locale: str, may_quote: bool
    ) -> Participation:
        found = await participations.start(
            self.db, round_.id, start_key, new_session_id(), locale, may_quote
        )
        if found is None:
            # That start form was used before and its participation has a code now (its
            # session may be on another device): begin a new one, holding nothing.
            found = await participations.start(
                self.db, round_.id, secrets.token_urlsafe(16), new_session_id(), locale, may_quote
            )
        assert found is not None
        return found

    async def current(self, round_: Round, public_id: str | None) -> Participation | None:
        if not public_id:
            return None
        return await participations.by_public_id(self.db, round_.id, public_id)

    async def answers(self, participation: Participation) -> dict[int, Answer]:
        return await participations.answers_for(self.db, participation.id)

    async def save_section(
        self,
        participation: Participation,
        section: Section,
        form: Form,
        locale: str,
        *,
        reload: bool = True,
    ) -> SaveResult:
        inputs, errors = parse_section_form(section, form)
        # Save what is valid even when one answer is too long: nothing is lost.
        saved = await participations.save_answers(
            self.db, participation.id, inputs, locale, save_key=_save_key(form)
        )
        return SaveResult(saved, errors, await self.answers(participation) if reload else None)

    async def autosave(
        self, round_: Round, public_id: str, section: Section, form: Form, locale: str
    ) -> tuple[SaveResult, Autosaved] | None:
        """`save_section` for an autosave found by the browser's cookie, in one write and
        no read: None when it saved nothing (no such participation, already sent or
        withdrawn, or the round not open), and the caller finds out which the usual way."""
        inputs, errors = parse_section_form(section, form)
        saved = await participations.autosave_answers(
            self.db, round_.id, public_id, inputs, locale, save_key=_save_key(form)
        )
        if saved is None:
            return None
        return SaveResult(True, errors, None), saved

    async def set_locale(self, participation: Participation, locale: str) -> None:
        if participation.locale != locale:
            await participations.update_choices(self.db, participation.id, locale=locale)

    async def set_may_quote(self, participation: Participation, may_quote: bool) -> bool:
        return await participations.update_choices(self.db, participation.id, may_quote=may_quote)

    async def issue_code(self, participation: Participation) -> str | None:
        """The first resume code; only its keyed hash is stored, so it can be shown once.

        None if a code was issued first by another request (two loads of the code page
        at once): that one works, and this page offers a new one instead.
        """
        code = new_code()
        if await participations.issue_first_code(
            self.db, participation.id, hash_code(self.code_key, code)
        ):
            return code
        return None

    async def replace_code(
        self, participation: Participation, session_id: str
    ) -> tuple[str, str] | None:
        """A new code replacing the old one, and a new session id for this browser (every
        other device's session ends). None if the session moved on first."""
        code, new_session = new_code(), new_session_id()
        if await participations.replace_code(
            self.db, participation.id, session_id, hash_code(self.code_key, code), new_session
        ):
            return code, new_session
        return None

    async def resume(self, participation: Participation) -> str | None:
        """Carry on on this device: a new session id, so the device used before (maybe
        a shared phone) no longer shows anything. None if it was withdrawn meanwhile."""
        session = new_session_id()
        if await participations.move_session(self.db, participation.id, session):
            return session
        return None

    async def find_by_code(self, round_: Round, code: str) -> Participation | None:
        if not looks_like_code(code):
            return None
        found = await participations.by_code_hash(
            self.db, round_.id, hash_code(self.code_key, code)
        )
        if found is None or found.status == "withdrawn":
            return None
        return found

    async def submit(self, participation: Participation, may_quote: bool) -> bool:
        return await participations.submit(self.db, participation.id, may_quote)

    async def withdraw(self, participation: Participation) -> int:
        return await erasure.withdraw(self.db, participation.id)

    def takes_withdrawals(self, round_: Round) -> bool:
        """Withdrawal works whenever people can see the round, open or not: the board
        reads and publishes after it closes, exactly when someone may change their mind.
        (After the retention purge there is nothing left to withdraw.)"""
        return round_.status in ("open", "closed", "published")


def where_left_off(round_: Round, answers: Mapping[int, Answer]) -> int | None:
    """The section position after the last one answered; None means the review page."""
    last = 0
    for section in round_.sections:
        if any(q.id in answers for q in section.questions):
            last = section.position
    following = last + 1
    return following if following <= len(round_.sections) else None


def visible_round_quick(db: Database, slug: str) -> Round | None:
    """A round participants can see, read at once without awaiting (for error pages,
    which show its support contacts): see store.rounds.visible_round_quick."""
    return _visible_round_quick(db, slug)
