"""Domain data that crosses layers (store → services → web)."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

AGREEMENT_VALUES: tuple[str, ...] = ("1", "2", "3", "4", "5")
PREFER_NOT = "prefer_not"
#: Question kinds whose answer is one or more options (ids in `answers.value`).
CHOICE_KINDS: tuple[str, ...] = ("single_choice", "multiple_choice")
#: Soft limit per written answer, in characters. Past it we say so; we never cut text.
ANSWER_SOFT_LIMIT = 5000


class RoundText(msgspec.Struct, frozen=True):
    locale: str
    title: str
    organisation: str
    purpose: str
    readers: str
    next_steps: str
    data_use: str


class SupportContact(msgspec.Struct, frozen=True):
    name: str
    phone: str
    hours: str
    url: str
    description: str
    languages: str = ""  # the languages spoken on the line, in the page's language


class SectionText(msgspec.Struct, frozen=True):
    locale: str
    title: str
    body_md: str
    content_note: str


class QuestionText(msgspec.Struct, frozen=True):
    locale: str
    prompt: str
    hint: str


class Option(msgspec.Struct, frozen=True):
    """One choice of a single- or multiple-choice question; its label per locale."""

    id: int
    position: int
    labels: dict[str, str]

    def label(self, locale: str) -> str:
        return self.labels.get(locale) or next(iter(self.labels.values()), "")


class Question(msgspec.Struct, frozen=True):
    id: int
    section_id: int
    position: int
    kind: str  # agreement | open_text | single_choice | multiple_choice
    texts: dict[str, QuestionText]
    options: list[Option] = []  # choice questions only, in order

    @property
    def is_choice(self) -> bool:
        return self.kind in CHOICE_KINDS

    def chosen(self, value: str | None) -> list[Option]:
        """The options an answer's `value` names ("12" or "12,15"), in the question's order."""
        ids = set((value or "").split(","))
        return [option for option in self.options if str(option.id) in ids]


class Section(msgspec.Struct, frozen=True):
    id: int
    position: int
    texts: dict[str, SectionText]
    questions: list[Question]

    def has_content_note(self, locale: str) -> bool:
        return bool(self.texts[locale].content_note.strip())


class Round(msgspec.Struct, frozen=True):
    id: int
    slug: str
    status: str  # draft | open | closed | published
    default_locale: str
    locales: list[str]
    timezone: str
    opens_at: datetime | None
    closes_at: datetime | None
    response_due: date | None
    minutes_estimate: int
    texts: dict[str, RoundText]
    contacts: dict[str, list[SupportContact]]
    sections: list[Section]
    #: Country code for dates and times ("GB"), where the language alone does not say it.
    region: str = ""
    #: Unsent answers are deleted this many days after the round closes.
    draft_days: int = 30
    #: When the round was closed by hand (None: open, or it ended on its closing date).
    closed_at: datetime | None = None

    def is_open(self, now: datetime) -> bool:
        if self.status != "open":
            return False
        if self.opens_at is not None and now < self.opens_at:
            return False
        return self.closes_at is None or now < self.closes_at

    def question(self, question_id: int) -> Question | None:
        for section in self.sections:
            for question in section.questions:
                if question.id == question_id:
                    return question
        return None


class Participation(msgspec.Struct, frozen=True):
    id: int
    round_id: int
    public_id: str
    locale: str
    status: str  # started | submitted | withdrawn
    may_quote: bool
    code_shown: bool
    created_at: datetime
    submitted_at: datetime | None
    #: One of their answers may show risk: their pages show the support panel.
    support_offered: bool = False
    source: str = "web"  # web | paper (typed in by staff; never a web session)


class Answer(msgspec.Struct, frozen=True):
    question_id: int
    value: str | None  # agreement choice
    text: str | None  # written answer, raw
    saved_at: datetime


class AnswerInput(msgspec.Struct, frozen=True):
    """One answer as the participant sent it; `None` means "no answer"."""

    question_id: int
    value: str | None = None
    text: str | None = None


# Content used to create a round (demo data, later the organizer console).
class NewQuestion(msgspec.Struct, frozen=True):
    kind: str
    texts: dict[str, QuestionText]
    options: list[dict[str, str]] = []  # per choice: locale → label


class NewSection(msgspec.Struct, frozen=True):
    texts: dict[str, SectionText]
    questions: list[NewQuestion]


class NewRound(msgspec.Struct, frozen=True):
    slug: str
    status: str
    default_locale: str
    locales: list[str]
    timezone: str
    opens_at: datetime | None
    closes_at: datetime | None
    response_due: date | None
    minutes_estimate: int
    texts: dict[str, RoundText]
    contacts: dict[str, list[SupportContact]]
    sections: list[NewSection]
    region: str = ""


# Staff side (organizer console).
STAFF_ROLES: tuple[str, ...] = ("admin", "organizer", "board")


class RoundInput(msgspec.Struct, frozen=True):
    """A round's settings as an organizer gives them (checked), for a new draft or an
    existing round."""

    text: RoundText
    default_locale: str
    wanted_locales: list[str]
    timezone: str
    opens_at: datetime | None
    closes_at: datetime | None
    response_due: date | None
    minutes_estimate: int
    retention_days: int
    contacts: list[SupportContact]
    region: str = ""
    draft_days: int = 30


class StaffUser(msgspec.Struct, frozen=True):
    id: int
    email: str
    role: str  # admin | organizer | board
    active: bool = True
    #: Two-step sign-in (TOTP) is set up.
    two_factor: bool = False
    #: Invited, no password chosen yet.
    invited: bool = False
    #: One of the demo accounts `serve --demo` prints (no two-step sign-in asked).
    demo: bool = False


class AuditEntry(msgspec.Struct, frozen=True):
    id: int
    at: datetime
    actor: str
    action: str
    round_id: int | None
    detail: str
    #: Repeated failed sign-ins are one entry with a count.
    tries: int = 1


class RoundSummary(msgspec.Struct, frozen=True):
    """One line of the staff's list of rounds."""

    id: int
    slug: str
    status: str
    title: str
    default_locale: str
    locales: list[str]
    opens_at: datetime | None
    closes_at: datetime | None
    timezone: str
    participations: int


class RoundSettings(msgspec.Struct, frozen=True):
    """What the console edits beside a round's content (not shown to participants)."""

    round_id: int
    wanted_locales: list[str]
    retention_days: int
    has_answers: bool
    #: Answers that may show risk need a named reader before the round opens.
    safeguarding_lead_id: int | None = None
    draft_days: int = 30


# The review board: its settings, analysis runs, themes and the answers in them.


class BoardSettings(msgspec.Struct, frozen=True):
    """A round's board settings, sign-off and publication (defaults until saved)."""

    round_id: int
    anonymity_threshold: int = 5
    quotes_allowed: bool = True
    safeguarding_user_id: int | None = None
    safeguarding_deputy_id: int | None = None
    signed_off_at: datetime | None = None
    signed_off_by: str | None = None
    published_at: datetime | None = None
    published_by: str | None = None


class Run(msgspec.Struct, frozen=True):
    """One analysis run of an open-text question: 'theme' the first time, then 'assign'."""

    id: int
    question_id: int
    kind: str
    status: str
    progress: int
    stage: str
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    vectoriser: str
    n: int
    k: int
    quality: float | None
    language_means: dict[str, list[float]]
    other_threshold: float | None
    error: str


class ThemeRow(msgspec.Struct, frozen=True):
    """A theme of one question, with how many answers it holds."""

    id: int
    question_id: int
    label: str
    terms: list[str]
    size: int
    created_by: str
    edited_by: str | None
    edited_at: datetime | None


class AnswerRow(msgspec.Struct, frozen=True):
    """An answer as the board sees it (redacted), with its place in a theme."""

    id: int
    participation_id: int
    redacted: str
    language: str
    locale: str
    flags: list[str]
    risk: bool
    distressing: bool
    may_quote: bool
    theme_id: int | None
    score: float
    assigned_by: str
    assigned_by_user: str | None
    assigned_at: datetime | None
    said_by: int = 1  # quotes only: how many answers in the theme have this exact text


class NewTheme(msgspec.Struct, frozen=True):
    """A theme to store: made by the model, or by a person's split."""

    label: str
    terms: list[str]
    centroids: list[list[float]]
    members: list[tuple[int, float]]  # (answer id, score)


class ThemeResponse(msgspec.Struct, frozen=True):
    """The board's name for a theme and its response to it, in one locale."""

    title: str
    text: str
