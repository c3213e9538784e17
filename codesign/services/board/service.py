"""The review board's use cases: read the themes, correct them, the board's settings.

Analysis runs are the base class's (services.board.analysis); the board's response,
sign-off and publishing are services.publishing's.
"""

from __future__ import annotations

import asyncio

import numpy as np

from codesign.analysis import theme_answers
from codesign.analysis.pipeline import centre
from codesign.i18n import N_
from codesign.models import AnswerRow, BoardSettings, NewTheme, Round, Run, StaffUser, ThemeRow
from codesign.services.audit_log import audit_in
from codesign.services.board import ANSWERS_PAGE, MAX_LABEL
from codesign.services.board.analysis import BoardAnalysis
from codesign.services.board.pure import unit_rows
from codesign.services.board.views import (
    QuestionView,
    ThemeCard,
    agreement_question,
    agreement_splits,
)
from codesign.services.errors import BoardError
from codesign.store import audit
from codesign.store import publishing as pub_store
from codesign.store import users as user_store
from codesign.store.board import answers as answer_store
from codesign.store.board import edits as edit_store
from codesign.store.board import outcomes as outcome_store
from codesign.store.board import reading as theme_store
from codesign.store.board import runs as run_store
from codesign.store.board import settings as settings_store
from codesign.store.board import theming as theming_store
from codesign.store.db import WriteConnection
from codesign.store.publishing import SignOff

QUOTES = 5


class BoardService(BoardAnalysis):
    """The board's use cases, on top of the analysis runs it inherits."""

    # Access -----------------------------------------------------------------------

    async def settings(self, round_id: int) -> BoardSettings:
        return await settings_store.settings_for(self.db, round_id)

    def question_in(self, round_: Round, question_id: int) -> bool:
        question = round_.question(question_id)
        return question is not None and question.kind == "open_text"

    async def theme_in(self, round_: Round, theme_id: int) -> ThemeRow | None:
        theme = await theme_store.theme_by_id(self.db, theme_id)
        if theme is None or not self.question_in(round_, theme.question_id):
            return None
        return theme

    # Reading --------------------------------------------------------------------

    async def question_view(self, round_: Round, question_id: int) -> QuestionView:
        settings = await self.settings(round_.id)
        threshold = settings.anonymity_threshold
        total, placed = await theme_store.counts(self.db, question_id)
        rows = await theme_store.themes_for(self.db, question_id)
        agreement_q = agreement_question(round_, question_id)
        splits = (
            await theme_store.agreement_split(self.db, question_id, agreement_q)
            if agreement_q
            else {}
        )
        quotes = await answer_store.quotes(self.db, question_id, QUOTES)
        other = await theme_store.other_count(self.db, question_id)
        big, small = [], []
        for t in rows:
            is_small = t.size < threshold
            card = ThemeCard(
                id=t.id,
                label=t.label,
                terms=t.terms,
                size=t.size,
                percent=round(100 * t.size / placed) if placed else 0,
                agreement=agreement_splits(splits.get(t.id, {})),
                quotes=[] if is_small else quotes.get(t.id, []),
                edited_by=t.edited_by,
                small=is_small,
            )
            (small if is_small else big).append(card)
        return QuestionView(
            question_id=question_id,
            total=total,
            placed=placed,
            themes=big,
            small=small,
            other=other + sum(c.size for c in small),
            run=await run_store.latest_run(self.db, question_id),
            threshold=threshold,
        )

    async def theme_answers(
        self,
        user: StaffUser,
        round_: Round,
        question_id: int,
        theme: ThemeRow | None,
        page: int = 0,
    ) -> list[AnswerRow]:
        """One page of a theme's answers (None: "other"), redacted; the view is audited."""
        answers = await answer_store.theme_answers(
            self.db, question_id, theme.id if theme else None, ANSWERS_PAGE, page * ANSWERS_PAGE
        )
        await audit.add(
            self.db,
            user.email,
            "theme_answers_viewed",
            f"question {question_id}, theme {theme.id if theme else 'other'}, {len(answers)}",
            user_id=user.id,
            round_id=round_.id,
        )
        return answers

    async def run(self, question_id: int) -> Run | None:
        return await run_store.latest_run(self.db, question_id)

    async def counts(self, question_id: int) -> tuple[int, int]:
        """(answers sent, answers placed in a theme) for one question."""
        return await theme_store.counts(self.db, question_id)

    async def other_count(self, question_id: int) -> int:
        return await theme_store.other_count(self.db, question_id)

    async def themes(self, question_id: int) -> list[ThemeRow]:
        return await theme_store.themes_for(self.db, question_id)

    async def answer(self, answer_id: int) -> AnswerRow | None:
        return await answer_store.answer_by_id(self.db, answer_id)

    async def responses(self, question_ids: list[int]):
        """The board's saved responses, by theme id, then locale."""
        return await outcome_store.responses_for(self.db, question_ids)

    async def members(self, round_id: int) -> list[StaffUser]:
        """The staff who sit on the round (to choose its safeguarding lead from)."""
        return await user_store.members(self.db, round_id)

    async def sign_offs(self, round_id: int) -> tuple[list[SignOff], int]:
        """The board's sign-offs of its response, and how many it needs."""
        return (
            await pub_store.sign_offs(self.db, round_id),
            await pub_store.sign_offs_needed(self.db, round_id),
        )

    # Corrections ------------------------------------------------------------------

    async def rename(self, user: StaffUser, round_: Round, theme: ThemeRow, label: str) -> None:
        label = " ".join(label.split())
        if not label:
            raise BoardError(N_("Write a name for the theme."))
        if len(label) > MAX_LABEL:
            raise BoardError(
                N_("Keep the name to %(limit)s characters or fewer."), {"limit": MAX_LABEL}
            )

        async def work(conn: WriteConnection) -> None:
            await edit_store.rename_in(conn, theme.id, label, user.email)
            await audit_in(conn, user, "theme_renamed", round_.id, f"theme {theme.id}: {label}")

        await self.db.write(work)

    async def merge(
        self, user: StaffUser, round_: Round, theme: ThemeRow, target_id: int
    ) -> ThemeRow:
        target = await self.theme_in(round_, target_id)
        if target is None or target.question_id != theme.question_id or target.id == theme.id:
            raise BoardError(N_("Choose another theme of the same question to merge with."))
        detail = f"theme {theme.id} into {target.id}"

        async def work(conn: WriteConnection) -> None:
            await edit_store.merge_in(conn, theme.id, target.id, user.email)
            await audit_in(conn, user, "themes_merged", round_.id, detail)

        await self.db.write(work)
        return target

    async def split(self, user: StaffUser, round_: Round, theme: ThemeRow) -> list[int]:
        """Re-cluster a theme's answers into two themes (a person's decision)."""
        ids = set(await answer_store.member_ids(self.db, theme.id))
        inputs = [
            a for a in await theming_store.theme_inputs(self.db, theme.question_id) if a.id in ids
        ]
        if len(inputs) < 4:
            raise BoardError(N_("A theme needs at least 4 answers to be split."))
        texts = [a.redacted for a in inputs]
        languages = [a.language for a in inputs]
        vectoriser = self.vectoriser
        _, cache = await self._vectors(texts, None, 0, 0)
        result = await asyncio.to_thread(
            theme_answers,
            texts,
            languages,
            k=2,
            label_language=round_.default_locale,
            quotable=[a.quotable for a in inputs],
            detect=False,
            vectoriser=vectoriser,
            cache=cache if vectoriser.cacheable else None,
        )
        if len(result.themes) < 2:
            raise BoardError(N_("These answers are too alike to split into two themes."))
        # answers the split left unclear stay with the larger part
        by_theme: dict[int, list[tuple[int, float]]] = {t.id: [] for t in result.themes}
        for m in result.members:
            part = m.theme if m.theme in by_theme else result.themes[0].id
            by_theme[part].append((inputs[m.row].id, m.score))
        run = await run_store.last_done_theme_run(self.db, theme.question_id)
        parts = []
        for t in result.themes:
            centroids: list[list[float]] = []
            if (
                run
                and run.language_means
                and vectoriser.cacheable
                and run.vectoriser == vectoriser.name
            ):
                rows = [m.row for m in result.members if inputs[m.row].id in dict(by_theme[t.id])]
                x, _ = await self._vectors([texts[r] for r in rows], None, 0, 0)
                means = {k: np.asarray(v) for k, v in run.language_means.items()}
                xc = centre(x.astype(np.float64), [languages[r] for r in rows], means)
                centroids = [unit_rows(xc.mean(axis=0, keepdims=True))[0].round(6).tolist()]
            parts.append(
                NewTheme(
                    label=t.label[:MAX_LABEL],
                    terms=t.terms,
                    centroids=centroids,
                    members=by_theme[t.id],
                )
            )

        async def work(conn: WriteConnection) -> list[int]:
            made = await edit_store.split_in(conn, theme.id, theme.question_id, parts, user.email)
            await audit_in(conn, user, "theme_split", round_.id, f"theme {theme.id} into {made}")
            return made

        return await self.db.write(work)

    async def move(self, user: StaffUser, round_: Round, answer_id: int, target: int | None) -> int:
        """Move an answer to a theme of its question, or to "other" (None). Returns question id."""
        found = await answer_store.answer_by_id(self.db, answer_id)
        if found is None or not self.question_in(round_, found[1]):
            raise BoardError(N_("We can't find this answer."))
        answer, question_id = found
        if target is not None:
            theme = await self.theme_in(round_, target)
            if theme is None or theme.question_id != question_id:
                raise BoardError(N_("Choose a theme of the same question."))
        detail = f"answer {answer.id} to {target or 'other'}"

        async def work(conn: WriteConnection) -> None:
            await edit_store.move_answer_in(conn, answer_id, target, user.email)
            await audit_in(conn, user, "answer_moved", round_.id, detail)

        await self.db.write(work)
        return question_id

    # Settings, responses, sign-off, publishing ----------------------------------------

    async def save_settings(
        self,
        user: StaffUser,
        round_: Round,
        threshold: int,
        quotes_allowed: bool,
        safeguarding_user_id: int | None,
        safeguarding_deputy_id: int | None = None,
        sign_offs_needed: int | None = None,
    ) -> None:
        """The board settings, with how many sign-offs the response needs (unchanged if
        None): one transaction, the audit entries in it."""
        if not 2 <= threshold <= 50:
            raise BoardError(N_("Choose a number from 2 to 50."))
        if sign_offs_needed not in (None, 1, 2):
            raise BoardError(N_("Choose one or two board members."))
        detail = (
            f"threshold {threshold}, quotes {quotes_allowed}, lead {safeguarding_user_id},"
            f" deputy {safeguarding_deputy_id}"
        )

        async def work(conn: WriteConnection) -> None:
            await settings_store.save_settings_in(
                conn,
                round_.id,
                anonymity_threshold=threshold,
                quotes_allowed=quotes_allowed,
                safeguarding_user_id=safeguarding_user_id,
                safeguarding_deputy_id=safeguarding_deputy_id,
            )
            await audit_in(conn, user, "board_settings_saved", round_.id, detail)
            if sign_offs_needed is not None:
                await pub_store.set_sign_offs_needed_in(
                    conn, round_.id, sign_offs_needed, pub_store.Actor(user.email, user.id)
                )

        await self.db.write(work)

    # The board's response, sign-off and publishing: codesign.services.publishing.
