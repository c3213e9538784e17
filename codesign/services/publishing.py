"""Publishing the board's outcomes safely and completely (issue 12 part 2).

No HTTP objects here. The rules:
- only the round's board members (role "board", sitting on the round) write the
  board's response and sign it off; a round can ask for two different members;
- a checklist comes before publishing, each item with where to fix it: the round
  is closed, the response is signed off, no theme goes out under a machine-made
  name, every offered language has the board's text (a missing one is named here
  and on the public page in that language), themes under the anonymity limit and
  themes mostly of risk-flagged answers stay off the page;
- a quote is public only when the board approved it (none by default), and never
  when it is risk-flagged, distressing, formula-like or near-empty, whatever was
  approved before;
- "published" is one state for the board's page and the organizer's round page:
  publishing closes no door that unpublishing can't open again; both are audited.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from codesign.analysis.label import is_quotable_text
from codesign.i18n import N_
from codesign.models import Round, StaffUser, ThemeResponse, ThemeRow
from codesign.services.board import MAX_RESPONSE, MAX_TITLE
from codesign.services.board.export import held_back
from codesign.services.board.service import BoardService
from codesign.services.board.views import AGREEMENT_ORDER, open_questions
from codesign.services.errors import BoardError, NotOnBoard
from codesign.services.rounds.admin import on_board
from codesign.store import audit
from codesign.store import publishing as pub
from codesign.store.board import answers as answer_store
from codesign.store.board import outcomes as outcome_store
from codesign.store.board import reading as theme_store
from codesign.store.publishing import Summary

__all__ = ["BoardService", "Summary"]

MAX_SUMMARY = 4000
#: Quotes shown per theme on the public page, at most.
PUBLIC_QUOTES = 3


def actor(user: StaffUser) -> pub.Actor:
    return pub.Actor(user.email, user.id)


# The checklist ---------------------------------------------------------------------


class ThemeState(msgspec.Struct, frozen=True):
    id: int
    question_id: int
    label: str
    size: int
    status: str  # public | small | held_back
    machine_name: bool  # its name would go out as the model made it
    missing: list[str]  # offered languages with no response or name from the board
    quotes: list[pub.QuoteCandidate]  # candidates (approved first)
    name: str = ""  # the name the public page gives it in the main language

    @property
    def approved(self) -> list[pub.QuoteCandidate]:
        return [q for q in self.quotes if q.approved]


class CheckItem(msgspec.Struct, frozen=True):
    key: str
    ok: bool
    blocking: bool
    message: str  # a message id, translated where shown
    params: dict[str, str | int] = {}
    #: (url, text, translate): where to fix it; theme names are not translated
    links: list[tuple[str, str, bool]] = []


class Checklist(msgspec.Struct, frozen=True):
    items: list[CheckItem]
    themes: list[ThemeState]
    sign_offs: list[pub.SignOff]
    needed: int
    missing_languages: dict[str, list[ThemeState]]  # locale -> themes not in it
    summary_missing: list[str]  # locales with no summary
    published_at: datetime | None

    @property
    def ready(self) -> bool:
        return not any(i.blocking and not i.ok for i in self.items)

    @property
    def public_themes(self) -> list[ThemeState]:
        return [t for t in self.themes if t.status == "public"]

    @property
    def public_quotes(self) -> list[tuple[ThemeState, pub.QuoteCandidate]]:
        return [(t, q) for t in self.public_themes for q in t.approved[:PUBLIC_QUOTES]]


def _machine_made(theme: ThemeRow) -> bool:
    return theme.created_by == "model" and theme.edited_by is None


async def theme_states(service: BoardService, round_: Round) -> list[ThemeState]:
    settings = await service.settings(round_.id)
    out = []
    for qid, _section, _prompt in open_questions(round_):
        responses = await outcome_store.responses_for(service.db, [qid])
        risky = await theme_store.risky_members(service.db, qid)
        candidates: dict[int, list[pub.QuoteCandidate]] = {}
        for c in await pub.quote_candidates(service.db, qid):
            if is_quotable_text(c.redacted):
                candidates.setdefault(c.theme_id, []).append(c)
        for t in await theme_store.themes_for(service.db, qid):
            if t.size == 0:
                continue
            if held_back(t.size, risky.get(t.id, 0)):
                status = "held_back"
            elif t.size < settings.anonymity_threshold:
                status = "small"
            else:
                status = "public"
            mine = responses.get(t.id, {})
            missing = [
                loc
                for loc in round_.locales
                if not (mine.get(loc) and mine[loc].text.strip() and mine[loc].title.strip())
            ]
            # the page falls back to the main language's name, then to the theme's label
            main_title = mine.get(round_.default_locale)
            out.append(
                ThemeState(
                    id=t.id,
                    question_id=qid,
                    label=t.label,
                    size=t.size,
                    status=status,
                    machine_name=_machine_made(t) and not (main_title and main_title.title),
                    missing=missing,
                    quotes=candidates.get(t.id, []) if settings.quotes_allowed else [],
                    name=main_title.title if main_title and main_title.title else t.label,
                )
            )
    return out


async def checklist(service: BoardService, round_: Round) -> Checklist:
    base = f"/staff/rounds/{round_.id}/board"
    settings = await service.settings(round_.id)
    themes = await theme_states(service, round_)
    public = [t for t in themes if t.status == "public"]
    signed = await pub.sign_offs(service.db, round_.id)
    needed = await pub.sign_offs_needed(service.db, round_.id)
    summaries = await pub.summaries(service.db, round_.id)
    items: list[CheckItem] = []

    closed = round_.status in ("closed", "published")
    items.append(
        CheckItem(
            "closed",
            closed,
            True,
            N_("The round is closed.")
            if closed
            else N_("Close the round first: outcomes are published once nobody can answer."),
            links=[] if closed else [(f"/staff/rounds/{round_.id}", N_("The round's page"), True)],
        )
    )
    items.append(
        CheckItem(
            "sign_off",
            len(signed) >= needed,
            True,
            N_("Signed off by %(done)s of the %(needed)s board members needed."),
            {"done": len(signed), "needed": needed},
            links=[(f"{base}#response", N_("Sign-off"), True)],
        )
    )
    machine = [t for t in public if t.machine_name]
    items.append(
        CheckItem(
            "machine_names",
            not machine,
            True,
            N_("Every theme going public has a name the board gave it.")
            if not machine
            else N_(
                "These themes still carry the name the analysis made. Give each a name in "
                "every language, or rename it:"
            ),
            links=[(f"{base}/themes/{t.id}/response", t.label, False) for t in machine],
        )
    )
    missing: dict[str, list[ThemeState]] = {}
    for loc in round_.locales:
        lacking = [t for t in public if loc in t.missing]
        if lacking:
            missing[loc] = lacking
    summary_missing = [loc for loc in round_.locales if summaries.get(loc, pub.Summary()).empty]
    for loc in round_.locales:
        lacking = missing.get(loc, [])
        no_summary = loc in summary_missing
        links = [(f"{base}/themes/{t.id}/response", t.label, False) for t in lacking]
        if no_summary:
            links.append((f"{base}/summary", N_("The board's summary"), True))
        items.append(
            CheckItem(
                f"language_{loc}",
                not lacking and not no_summary,
                False,
                N_("%(language)s: the board's text is complete.")
                if not lacking and not no_summary
                else N_(
                    "%(language)s, the main language: the board has not written everything"
                    " yet. What is missing will not be on the page in any language:"
                )
                if loc == round_.default_locale
                else N_(
                    "%(language)s: not everything is written in this language yet. The page"
                    " in %(language)s will say so and show the main language instead:"
                ),
                {"language": loc},
                links=links,
            )
        )
    if not public:
        items.append(
            CheckItem(
                "no_themes",
                False,
                False,
                N_("No theme is large enough to go public. The page will show agreement only."),
            )
        )
    small = [t for t in themes if t.status == "small"]
    items.append(
        CheckItem(
            "small",
            True,
            False,
            N_(
                "Themes with fewer than %(n)s answers stay off the page and count under"
                ' "other", so nobody can be recognised:'
            )
            if small
            else N_("No theme is under the anonymity limit of %(n)s answers."),
            {"n": settings.anonymity_threshold},
            links=[(f"{base}/themes/{t.id}", t.label, False) for t in small],
        )
    )
    held = [t for t in themes if t.status == "held_back"]
    if held:
        items.append(
            CheckItem(
                "held_back",
                True,
                False,
                N_(
                    "These themes stay off the page, because most of their answers may mean"
                    " someone is at risk:"
                ),
                links=[(f"{base}/themes/{t.id}", t.label, False) for t in held],
            )
        )
    quotes = sum(min(len(t.approved), PUBLIC_QUOTES) for t in public)
    items.append(
        CheckItem(
            "quotes",
            True,
            False,
            N_(
                "Quotes the board approved that will be public: %(n)s."
                " Only approved quotes are shown."
            )
            if quotes
            else N_("No quotes will be public. The board approves each quote it wants to show."),
            {"n": quotes},
            links=[(f"{base}/quotes", N_("Choose quotes"), True)],
        )
    )
    return Checklist(
        items=items,
        themes=themes,
        sign_offs=signed,
        needed=needed,
        missing_languages=missing,
        summary_missing=summary_missing,
        published_at=settings.published_at,
    )


# Board-only writing and sign-off ----------------------------------------------------------


async def _board_only(service: BoardService, user: StaffUser, round_: Round) -> None:
    if not await on_board(service.db, user, round_.id):
        raise NotOnBoard(N_("Only the board's members write and sign off the board's response."))


async def save_responses(
    service: BoardService,
    user: StaffUser,
    round_: Round,
    theme: ThemeRow,
    given: dict[str, ThemeResponse],
) -> None:
    await _board_only(service, user, round_)
    for locale, response in given.items():
        if locale not in round_.locales:
            raise BoardError(N_("This language is not offered in this round."))
        if len(response.text) > MAX_RESPONSE or len(response.title) > MAX_TITLE:
            raise BoardError(
                N_("Keep each response to %(limit)s characters or fewer."),
                {"limit": MAX_RESPONSE},
            )
    await outcome_store.save_responses(
        service.db, theme.id, given, user.email, round_id=round_.id, user_id=user.id
    )


async def save_summaries(
    service: BoardService, user: StaffUser, round_: Round, given: dict[str, pub.Summary]
) -> None:
    await _board_only(service, user, round_)
    for locale, s in given.items():
        if locale not in round_.locales:
            raise BoardError(N_("This language is not offered in this round."))
        if max(len(s.said), len(s.did), len(s.changes)) > MAX_SUMMARY:
            raise BoardError(
                N_("Keep each response to %(limit)s characters or fewer."),
                {"limit": MAX_SUMMARY},
            )
    await pub.save_summaries(service.db, round_.id, given, actor(user))


async def sign_off(service: BoardService, user: StaffUser, round_: Round, on: bool) -> None:
    await _board_only(service, user, round_)
    if on:
        await pub.add_sign_off(service.db, round_.id, actor(user))
    else:
        await pub.withdraw_sign_off(service.db, round_.id, actor(user))


async def approve_quote(
    service: BoardService, user: StaffUser, round_: Round, answer_id: int, approve: bool
) -> None:
    await _board_only(service, user, round_)
    found = await answer_store.answer_by_id(service.db, answer_id)
    if found is None or not service.question_in(round_, found[1]):
        raise BoardError(N_("We can't find this answer."))
    answer = found[0]
    if approve and (
        answer.risk
        or answer.distressing
        or not answer.may_quote
        or not is_quotable_text(answer.redacted)
    ):
        raise BoardError(N_("This answer can't be a public quote."))
    changed = await pub.set_quote_approval(service.db, round_.id, answer_id, approve, actor(user))
    if approve and not changed and not await pub.is_approved(service.db, answer_id):
        # refused in the statement itself (flagged by hand for the lead, meanwhile sent back…)
        raise BoardError(N_("This answer can't be a public quote."))


async def quote_choices(service: BoardService, user: StaffUser, round_: Round) -> list[ThemeState]:
    """The public themes with the answers that may be quoted; reading them is audited."""
    themes = [t for t in await theme_states(service, round_) if t.status == "public"]
    await audit.add(
        service.db,
        user.email,
        "quote_choices_viewed",
        f"{sum(len(t.quotes) for t in themes)} answers",
        user_id=user.id,
        round_id=round_.id,
    )
    return themes


async def set_sign_offs_needed(
    service: BoardService, user: StaffUser, round_: Round, needed: int
) -> None:
    if needed not in (1, 2):
        raise BoardError(N_("Choose one or two board members."))
    await pub.set_sign_offs_needed(service.db, round_.id, needed, actor(user))


# Publishing ----------------------------------------------------------------------------


async def publish(service: BoardService, user: StaffUser, round_: Round) -> Checklist:
    """Publish after the checklist; BoardError naming what is still to do."""
    check = await checklist(service, round_)
    if not check.ready:
        raise BoardError(N_("Some things on the checklist need doing before publishing."))
    detail = (
        f"themes {len(check.public_themes)}, quotes {len(check.public_quotes)},"
        f" languages {','.join(round_.locales)}"
        + (
            f", not complete in {','.join(sorted(check.missing_languages))}"
            if check.missing_languages
            else ""
        )
    )
    if not await pub.publish(service.db, round_.id, actor(user), detail):
        raise BoardError(
            N_(
                "The outcomes are already public, the round is not closed, or the response"
                " changed and needs signing off again. Reload the page."
            )
        )
    return check


async def unpublish(service: BoardService, user: StaffUser, round_: Round) -> None:
    if not await pub.unpublish(service.db, round_.id, actor(user)):
        raise BoardError(N_("The outcomes page is not public. Reload the page."))


# What the public page shows ----------------------------------------------------------


class Bar(msgspec.Struct, frozen=True):
    value: str  # an agreement code, or an option id
    label: str  # the option's label (choice questions); "" for agreement
    count: int
    percent: int


class PublicTheme(msgspec.Struct, frozen=True):
    id: int
    title: str
    title_lang: str
    size: int
    percent: int
    response: str
    response_lang: str
    translated: bool  # the board wrote name and response in the page's language
    quotes: list[tuple[str, str]]  # (language, text)


class PublicQuestion(msgspec.Struct, frozen=True):
    id: int
    kind: str
    prompt: str
    answered: int
    themes: list[PublicTheme] = []
    other: int = 0
    bars: list[Bar] = []
    too_few: bool = False  # fewer answers than the anonymity limit: no figures


class PublicSection(msgspec.Struct, frozen=True):
    position: int
    title: str
    questions: list[PublicQuestion]


class OutcomesView(msgspec.Struct, frozen=True):
    published_at: datetime | None
    participants: int
    threshold: int
    summary: pub.Summary | None
    summary_lang: str
    sections: list[PublicSection]
    untranslated: bool  # something on the page is not in the page's language yet


def _bars(counts: dict[str, int], order: list[tuple[str, str]]) -> list[Bar]:
    total = sum(counts.get(v, 0) for v, _ in order)
    return [
        Bar(v, label, counts.get(v, 0), round(100 * counts.get(v, 0) / total) if total else 0)
        for v, label in order
        if total and (counts.get(v, 0) or v != "prefer_not")  # every choice, even unchosen
    ]


async def outcomes_view(
    service: BoardService, round_: Round, locale: str, *, preview: bool = False
) -> OutcomesView | None:
    """What participants read, in their language; None until published (unless preview)."""
    settings = await service.settings(round_.id)
    if settings.published_at is None and not preview:
        return None
    db = service.db
    threshold = settings.anonymity_threshold
    main = round_.default_locale
    untranslated = False
    states = {t.id: t for t in await theme_states(service, round_)}
    sections = []
    for section in round_.sections:
        st = section.texts.get(locale) or section.texts.get(main)
        questions = []
        for q in section.questions:
            qt = q.texts.get(locale) or q.texts.get(main)
            prompt = qt.prompt if qt else ""
            if q.kind == "open_text":
                total, placed = await theme_store.counts(db, q.id)
                if placed == 0:
                    continue
                responses = await outcome_store.responses_for(db, [q.id])
                shown, other = [], 0
                for t in await theme_store.themes_for(db, q.id):
                    state = states.get(t.id)
                    if state is None or state.status != "public":
                        other += t.size
                        continue
                    mine = responses.get(t.id, {})
                    here, there = mine.get(locale), mine.get(main)
                    translated = bool(here and here.title and here.text)
                    untranslated = untranslated or not translated
                    if here and here.title:
                        title, title_lang = here.title, locale
                    elif there and there.title:
                        title, title_lang = there.title, main
                    else:
                        title, title_lang = t.label, main
                    if here and here.text:
                        response, response_lang = here.text, locale
                    elif there and there.text:
                        response, response_lang = there.text, main
                    else:
                        response, response_lang = "", locale
                    approved = sorted(state.approved, key=lambda a: a.language != locale)
                    shown.append(
                        PublicTheme(
                            id=t.id,
                            title=title,
                            title_lang=title_lang,
                            size=t.size,
                            percent=round(100 * t.size / placed) if placed else 0,
                            response=response,
                            response_lang=response_lang,
                            translated=translated,
                            quotes=[(a.language, a.redacted) for a in approved[:PUBLIC_QUOTES]],
                        )
                    )
                other += await theme_store.other_count(db, q.id)
                questions.append(
                    PublicQuestion(q.id, q.kind, prompt, placed, themes=shown, other=other)
                )
                continue
            answered = await pub.answered(db, q.id)
            if answered == 0:
                continue
            if answered < threshold:
                questions.append(PublicQuestion(q.id, q.kind, prompt, answered, too_few=True))
                continue
            counts = await pub.value_counts(db, q.id)
            if q.kind == "agreement":
                order = [(v, "") for v in AGREEMENT_ORDER]
            else:
                order = [(str(o.id), o.label(locale)) for o in q.options]
                order.append(("prefer_not", ""))
            questions.append(
                PublicQuestion(q.id, q.kind, prompt, answered, bars=_bars(counts, order))
            )
        if questions:
            sections.append(PublicSection(section.position, st.title if st else "", questions))
    summaries = await pub.summaries(db, round_.id)
    summary, summary_lang = summaries.get(locale), locale
    if summary is None or summary.empty:
        untranslated = untranslated or bool(summaries.get(main))
        summary, summary_lang = summaries.get(main), main
    return OutcomesView(
        published_at=settings.published_at,
        participants=await pub.participants(db, round_.id),
        threshold=threshold,
        summary=summary if summary and not summary.empty else None,
        summary_lang=summary_lang,
        sections=sections,
        untranslated=untranslated,
    )


async def summaries(service: BoardService, round_id: int) -> dict[str, Summary]:
    """The board's saved summary, by locale."""
    return await pub.summaries(service.db, round_id)
