"""Steering the themes (issue 12): search and filter answers, make a theme from
chosen answers, move many at once, undo a merge, find new themes in "other",
start again, parent themes over many themes.

No HTTP objects here. Checks are the board service's (`question_in`, `theme_in`);
the CPU work runs in a worker thread; each change and its audit entry are one
write (`store.steering.Entry`).
"""

from __future__ import annotations

import asyncio
import logging

import msgspec
import numpy as np

from codesign.analysis import steering as steer
from codesign.analysis.pipeline import centre, language_means
from codesign.i18n import N_
from codesign.models import AnswerRow, NewTheme, Round, Run, StaffUser, ThemeRow
from codesign.services.accounts import clean_text
from codesign.services.board import MAX_LABEL
from codesign.services.board.pure import unit_rows
from codesign.services.board.service import BoardService
from codesign.services.board.views import agreement_question
from codesign.services.erasure import rebuild_stale_themes
from codesign.services.errors import BoardError
from codesign.store import audit
from codesign.store import search as search_store
from codesign.store import steering as store
from codesign.store.board import reading as theme_store
from codesign.store.board import runs as run_store
from codesign.store.board import theming as theming_store
from codesign.store.db import WriteConnection
from codesign.store.search import FLAG_STATES, MAX_QUERY, SOURCES, Filters

__all__ = ["FLAG_STATES", "MAX_QUERY", "SOURCES", "Filters", "SteeringService"]

log = logging.getLogger("codesign.steering")

#: Search results per page, and the most answers one action may take.
SEARCH_PAGE = 50
MAX_SELECTION = 500


class SearchView(msgspec.Struct, frozen=True):
    filters: search_store.Filters
    answers: list[AnswerRow]
    total: int
    page: int
    more: bool
    first: int
    languages: list[str]
    themes: list[ThemeRow]
    theme_names: dict[int, str]
    has_agreement: bool


class GroupView(msgspec.Struct, frozen=True):
    id: int | None  # None: themes that can't be grouped (no centre in the theme space)
    label: str
    edited_by: str | None
    themes: list  # the question view's ThemeCards
    size: int


class SteeringService:
    def __init__(self, board: BoardService) -> None:
        self.board = board
        self.db = board.db

    def _entry(self, user: StaffUser, round_: Round, action: str, detail: str) -> store.Entry:
        return store.Entry(user.email, action, clean_text(detail), user.id, round_.id)

    def _check_question(self, round_: Round, question_id: int) -> None:
        if not self.board.question_in(round_, question_id):
            raise BoardError(N_("We can't find this question."))

    # Search -----------------------------------------------------------------------

    async def search(
        self,
        user: StaffUser,
        round_: Round,
        question_id: int,
        filters: search_store.Filters,
        page: int = 0,
    ) -> SearchView:
        """One page of the answers matching the filters (redacted); the view is audited."""
        self._check_question(round_, question_id)
        await search_store.index_missing(self.db, question_id)
        agreement_q = agreement_question(round_, question_id)
        answers, total = await search_store.search(
            self.db,
            question_id,
            filters,
            agreement_q,
            limit=SEARCH_PAGE,
            offset=page * SEARCH_PAGE,
        )
        themes = await theme_store.themes_for(self.db, question_id)
        if filters.any():
            await audit.add(
                self.db,
                user.email,
                "answers_searched",
                clean_text(f"question {question_id}, {total} found, page {page}"),
                user_id=user.id,
                round_id=round_.id,
            )
        return SearchView(
            filters=filters,
            answers=answers,
            total=total,
            page=page,
            more=(page + 1) * SEARCH_PAGE < total,
            first=page * SEARCH_PAGE + 1,
            languages=await search_store.languages_of(self.db, question_id),
            themes=themes,
            theme_names={t.id: t.label for t in themes},
            has_agreement=agreement_q is not None,
        )

    async def chosen(
        self,
        round_: Round,
        question_id: int,
        answer_ids: list[int],
        filters: search_store.Filters | None = None,
    ) -> list[int]:
        """The answers an action takes: those ticked, or every result of a search
        (at most MAX_SELECTION), always of this question."""
        self._check_question(round_, question_id)
        if filters is not None and filters.any():
            await search_store.index_missing(self.db, question_id)
            ids = await search_store.matching_ids(
                self.db,
                question_id,
                filters,
                agreement_question(round_, question_id),
                MAX_SELECTION + 1,
            )
        else:
            ids = sorted(set(answer_ids))
            if ids:
                everything = await search_store.matching_ids(
                    self.db, question_id, search_store.Filters(), None, 10**9
                )
                ids = sorted(set(ids) & set(everything))
        if not ids:
            raise BoardError(N_("Choose at least one answer first."))
        if len(ids) > MAX_SELECTION:
            raise BoardError(
                N_("Choose %(limit)s answers or fewer at a time."), {"limit": MAX_SELECTION}
            )
        return ids

    # Acting on chosen answers -------------------------------------------------------

    async def move_many(
        self,
        user: StaffUser,
        round_: Round,
        question_id: int,
        answer_ids: list[int],
        target: int | None,
    ) -> int:
        if target is not None:
            theme = await self.board.theme_in(round_, target)
            if theme is None or theme.question_id != question_id:
                raise BoardError(N_("Choose a theme of the same question."))
        moved = await store.place_answers(
            self.db,
            question_id,
            answer_ids,
            target,
            user.email,
            self._entry(
                user,
                round_,
                "answers_moved",
                f"question {question_id}: {len(answer_ids)} answers to {target or 'other'}",
            ),
        )
        return moved

    async def _space(
        self, question_id: int
    ) -> tuple[dict[str, np.ndarray] | None, Run | None]:
        """The last theming's language means, when vectors can be compared with its themes."""
        run = await run_store.last_done_theme_run(self.db, question_id)
        vectoriser = self.board.vectoriser
        if (
            run
            and run.language_means
            and vectoriser.cacheable
            and run.vectoriser == vectoriser.name
        ):
            return {k: np.asarray(v, dtype=np.float64) for k, v in run.language_means.items()}, run
        return None, run

    async def _centred(
        self, texts: list[str], languages: list[str], means: dict[str, np.ndarray] | None
    ) -> np.ndarray:
        x, _ = await self.board._vectors(texts, None, 0, 0)
        x = x.astype(np.float64)
        if not len(texts):
            return x
        if means is None:
            means = language_means(x, languages)
        return centre(x, languages, means)

    async def make_theme(
        self,
        user: StaffUser,
        round_: Round,
        question_id: int,
        answer_ids: list[int],
        label: str,
    ) -> int:
        """A theme from chosen answers, named by the person or from its own answers."""
        label = " ".join(label.split())
        if len(label) > MAX_LABEL:
            raise BoardError(
                N_("Keep the name to %(limit)s characters or fewer."), {"limit": MAX_LABEL}
            )
        chosen = set(answer_ids)
        inputs = [
            a
            for a in await theming_store.theme_inputs(self.db, question_id)
            if a.redacted or a.id in chosen
        ]
        mine = [a for a in inputs if a.id in chosen and a.redacted]
        if not mine:
            raise BoardError(N_("Choose at least one answer first."))
        rest = [a for a in inputs if a.id not in chosen]
        means, _ = await self._space(question_id)
        vectoriser = self.board.vectoriser
        centroids: list[list[float]] = []
        closeness: list[float] | None = None
        if vectoriser.cacheable:
            xc = await self._centred([a.redacted for a in mine], [a.language for a in mine], means)
            mean = unit_rows(xc.mean(axis=0, keepdims=True))[0]
            closeness = [float(v) for v in xc @ mean]
            if means is not None:
                centroids = [mean.round(6).tolist()]
        terms, suggested = await asyncio.to_thread(
            steer.theme_terms_and_name,
            [a.redacted for a in mine],
            [a.language for a in mine],
            [a.quotable for a in mine],
            [a.redacted for a in rest],
            [a.language for a in rest],
            round_.default_locale,
            closeness,
        )
        name = label or suggested[:MAX_LABEL] or "…"
        members = [
            (a.id, closeness[i] if closeness is not None else 0.0) for i, a in enumerate(mine)
        ]
        return await store.make_theme(
            self.db,
            question_id,
            NewTheme(label=name, terms=terms, centroids=centroids, members=members),
            user.email,
            self._entry(
                user,
                round_,
                "theme_made",
                f"question {question_id}: {len(members)} answers, {name}",
            ),
        )

    # Merges -------------------------------------------------------------------------

    async def merge(
        self, user: StaffUser, round_: Round, theme: ThemeRow, target_id: int
    ) -> tuple[ThemeRow, int]:
        target = await self.board.theme_in(round_, target_id)
        if target is None or target.question_id != theme.question_id or target.id == theme.id:
            raise BoardError(N_("Choose another theme of the same question to merge with."))
        merge_id = await store.merge(
            self.db,
            theme.id,
            target.id,
            user.email,
            self._entry(user, round_, "themes_merged", f"theme {theme.id} into {target.id}"),
        )
        if not merge_id:
            raise BoardError(N_("Choose another theme of the same question to merge with."))
        return target, merge_id

    async def undo_merge(self, user: StaffUser, round_: Round, merge_id: int) -> int:
        found = await store.merge_by_id(self.db, merge_id)
        if found is None or not self.board.question_in(round_, found.question_id):
            raise BoardError(N_("We can't find this merge."))
        restored = await store.undo_merge(
            self.db,
            merge_id,
            user.email,
            self._entry(
                user,
                round_,
                "merge_undone",
                f"merge {merge_id}: theme {found.source_id} out of {found.target_id}",
            ),
        )
        if restored is None:
            raise BoardError(N_("This merge is undone already, or its theme is gone."))
        # a theme that lost answers to a withdrawal since the merge comes back without
        # their words (store.erasure): describe it again from the answers it still has
        await rebuild_stale_themes(self.db)
        return restored

    async def open_merges(self, theme_id: int) -> list[store.MergeRow]:
        return await store.open_merges(self.db, theme_id)

    # Runs: new themes in "other", starting again --------------------------------------

    def _launch(self, run_id: int, coro) -> None:
        async def guarded() -> None:
            try:
                await coro
            except Exception as exc:  # the run fails; the page says so calmly
                log.exception("steering run %s failed", run_id)
                await run_store.fail_run(self.db, run_id, type(exc).__name__)

        task = asyncio.create_task(guarded(), name=f"run-{run_id}")
        self.board.tasks[run_id] = task
        task.add_done_callback(lambda _t: self.board.tasks.pop(run_id, None))

    async def start_other_run(self, user: StaffUser, round_: Round, question_id: int) -> int:
        """Find new themes among the answers in "other" only; every theme stays as it is."""
        self._check_question(round_, question_id)
        if not await theming_store.has_themes(self.db, question_id):
            raise BoardError(N_('Find themes first: then new themes can be found in "other".'))

        async def work(conn: WriteConnection) -> int | None:
            # the check is the insert: a run already running makes it insert nothing
            run_id = await run_store.claim_run_in(
                conn, question_id, "assign", user.email, mode="other"
            )
            if run_id is not None:
                await audit.add_in(
                    conn,
                    user.email,
                    "other_rethemed",
                    f"question {question_id}, run {run_id}",
                    user_id=user.id,
                    round_id=round_.id,
                )
            return run_id

        run_id = await self.db.write(work)
        if run_id is None:
            raise BoardError(N_("The analysis is already running for this question."))
        if self.board.jobs is not None:  # PostgreSQL: a job any replica may run
            await self.board.jobs.defer_run(run_id, "other", question_id, round_.slug)
        else:
            self._launch(run_id, self._theme_other(run_id, round_, question_id))
        return run_id

    async def run_other(self, user: StaffUser, round_: Round, question_id: int) -> Run:
        """Start and wait (tests, the command line)."""
        run_id = await self.start_other_run(user, round_, question_id)
        await self._wait(run_id)
        run = await run_store.run_by_id(self.db, run_id)
        assert run is not None
        return run

    async def _wait(self, run_id: int) -> None:
        await self.board.finished(run_id)

    async def _theme_other(self, run_id: int, round_: Round, question_id: int) -> None:
        await run_store.update_run(self.db, run_id, 5, "prepare")
        if self.board.screen_first is not None:  # unscreened answers can't name a theme
            await self.board.screen_first()
        await self.board.prepare(question_id, run_id)
        inputs = await theming_store.theme_inputs(self.db, question_id)
        vectoriser = self.board.vectoriser
        means, last = await self._space(question_id)
        other = [
            a
            for a in inputs
            if a.placed and a.theme_id is None and a.assigned_by == "model" and a.redacted
        ]
        placed = [a for a in inputs if a.placed and a.theme_id is not None and a.redacted]
        made: list[NewTheme] = []
        if len(other) >= steer.MIN_NEW_THEME and vectoriser.cacheable:
            everyone = other + placed
            xc = await self._centred(
                [a.redacted for a in everyone], [a.language for a in everyone], means
            )
            await run_store.update_run(self.db, run_id, 70, "themes")
            xo, xp = xc[: len(other)], xc[len(other) :]
            by_theme: dict[int, list[int]] = {}
            for i, a in enumerate(placed):
                by_theme.setdefault(a.theme_id or 0, []).append(i)
            bar = steer.tightness_bar([xp[rows] for rows in by_theme.values()])
            groups = await asyncio.to_thread(
                steer.find_new_themes, xo, [a.redacted for a in other], bar
            )
            rest = placed
            for rows in groups:
                docs = [other[r] for r in rows]
                mean = unit_rows(xo[rows].mean(axis=0, keepdims=True))[0]
                close = [float(v) for v in xo[rows] @ mean]
                terms, label = await asyncio.to_thread(
                    steer.theme_terms_and_name,
                    [a.redacted for a in docs],
                    [a.language for a in docs],
                    [a.quotable for a in docs],
                    [a.redacted for a in rest],
                    [a.language for a in rest],
                    round_.default_locale,
                    close,
                )
                made.append(
                    NewTheme(
                        label=label[:MAX_LABEL],
                        terms=terms,
                        centroids=[mean.round(6).tolist()] if means is not None else [],
                        members=[(a.id, c) for a, c in zip(docs, close, strict=True)],
                    )
                )
        await store.save_new_themes(
            self.db,
            run_id,
            question_id,
            made,
            vectoriser=vectoriser.name,
            n=len(other),
            language_means=last.language_means if last else {},
            other_threshold=last.other_threshold if last else None,
        )
        await self.board.after_run(question_id)

    # Starting again ---------------------------------------------------------------------

    async def person_work(self, round_: Round, question_id: int) -> store.PersonWork:
        self._check_question(round_, question_id)
        return await store.person_work(self.db, question_id)

    async def start_restart(self, user: StaffUser, round_: Round, question_id: int) -> int:
        """Theme every answer afresh, carrying people's names and placements over where
        the same answers stay together (see `analysis.steering.carry_over`)."""
        self._check_question(round_, question_id)
        run_id = await self.db.write(
            lambda conn: run_store.claim_run_in(
                conn, question_id, "theme", user.email, mode="restart"
            )
        )
        if run_id is None:
            raise BoardError(N_("The analysis is already running for this question."))
        entry = self._entry(
            user, round_, "themes_restarted", f"question {question_id}, run {run_id}"
        )
        if self.board.jobs is not None:  # PostgreSQL: a job any replica may run
            await self.board.jobs.defer_run(
                run_id, "restart", question_id, round_.slug, msgspec.structs.asdict(entry)
            )
        else:
            self._launch(run_id, self._restart(run_id, round_, question_id, entry))
        return run_id

    async def run_restart(
        self, user: StaffUser, round_: Round, question_id: int
    ) -> Run:
        run_id = await self.start_restart(user, round_, question_id)
        await self._wait(run_id)
        run = await run_store.run_by_id(self.db, run_id)
        assert run is not None
        return run

    async def _restart(
        self, run_id: int, round_: Round, question_id: int, entry: store.Entry
    ) -> None:
        from codesign.analysis import theme_answers

        await run_store.update_run(self.db, run_id, 2, "prepare")
        if self.board.screen_first is not None:
            await self.board.screen_first()
        await self.board.prepare(question_id, run_id)
        inputs = await theming_store.theme_inputs(self.db, question_id)
        vectoriser = self.board.vectoriser
        texts = [a.redacted for a in inputs]
        _, cache = await self.board._vectors(texts, run_id, 30, 50)
        await run_store.update_run(self.db, run_id, 82, "themes")
        result = await asyncio.to_thread(
            theme_answers,
            texts,
            [a.language for a in inputs],
            label_language=round_.default_locale,
            quotable=[a.quotable for a in inputs],
            detect=False,
            vectoriser=vectoriser,
            cache=cache if vectoriser.cacheable else None,
        )
        old = {t.id: t for t in await store.old_themes(self.db, question_id)}
        groups: dict[int, set[int]] = {t: set() for t in old}
        for a in inputs:
            if a.placed and a.theme_id in groups:
                groups[a.theme_id].add(a.id)
        fresh_sets = [{inputs[r].id for r in t.rows} for t in result.themes]
        person = {a.id: a.theme_id for a in inputs if a.placed and a.assigned_by == "person"}
        carried = steer.carry_over(
            groups, {t for t, o in old.items() if o.touched}, fresh_sets, person
        )
        kept: dict[int, int | None] = dict(carried.placements)
        kept.update({a: None for a, t in person.items() if t is None})  # "other" stays "other"
        themes = []
        for index, t in enumerate(result.themes):
            source = old.get(carried.names[index]) if index in carried.names else None
            themes.append(
                store.FreshTheme(
                    theme=NewTheme(
                        label=(source.label if source else t.label)[:MAX_LABEL],
                        terms=t.terms,
                        centroids=[t.centroid] if vectoriser.cacheable else [],
                        members=[(inputs[r].id, result.members[r].score) for r in t.rows],
                    ),
                    carried_from=source.id if source else None,
                    edited_by=source.edited_by if source else None,
                )
            )
        await store.save_restart(
            self.db,
            run_id,
            question_id,
            themes,
            [(inputs[r].id, result.members[r].score) for r in result.other],
            kept,
            vectoriser=result.vectoriser,
            n=result.n,
            quality=result.quality,
            language_means=result.language_means if vectoriser.cacheable else {},
            other_threshold=result.other_threshold,
            entry=msgspec.structs.replace(
                entry,
                detail=f"{entry.detail}: {len(carried.names)} names and"
                f" {len(kept)} placements carried over",
            ),
        )
        await self.board.after_run(question_id)

    # Parent themes -------------------------------------------------------------------------

    async def _centres(self, question_id: int) -> dict[int, np.ndarray]:
        """Each theme's centre in the theme space (the mean of its prototypes)."""
        out = {}
        for theme_id, protos in (await theme_store.theme_centroids(self.db, question_id)).items():
            if protos:
                mean = np.asarray(protos, dtype=np.float64).mean(axis=0)
                norm = np.linalg.norm(mean)
                if norm:
                    out[theme_id] = mean / norm
        return out

    async def grouped(self, question_id: int, cards: list) -> list[GroupView] | None:
        """Above GROUP_ABOVE themes: the themes under parent themes (made when first
        needed from the themes' centres; a theme found later joins the nearest parent)."""
        if len(cards) <= steer.GROUP_ABOVE:
            return None
        current = await store.theme_groups(self.db, question_id)
        centres = await self._centres(question_id)
        loose = [c for c in cards if current.get(c.id) is None and c.id in centres]
        if loose:
            placed = [c for c in cards if current.get(c.id) is not None and c.id in centres]
            if not placed:
                chosen = [c for c in cards if c.id in centres]
                labels = await asyncio.to_thread(
                    steer.group_themes,
                    np.stack([centres[c.id] for c in chosen]),
                    [c.size for c in chosen],
                )
                new_groups = []
                for g in sorted(set(labels)):
                    members = [c for c, lab in zip(chosen, labels, strict=True) if lab == g]
                    largest = max(members, key=lambda c: (c.size, -c.id))
                    new_groups.append((largest.label[:MAX_LABEL], [c.id for c in members]))
                await store.save_groups(self.db, question_id, new_groups, [])
            else:
                by_group: dict[int, list[np.ndarray]] = {}
                for c in placed:
                    by_group.setdefault(current[c.id], []).append(centres[c.id])
                ids = sorted(by_group)
                means = unit_rows(np.stack([np.mean(by_group[g], axis=0) for g in ids]))
                joins = [(c.id, ids[int(np.argmax(means @ centres[c.id]))]) for c in loose]
                await store.save_groups(self.db, question_id, [], joins)
            current = await store.theme_groups(self.db, question_id)
        views = []
        for g in await store.groups_for(self.db, question_id):
            members = [c for c in cards if current.get(c.id) == g.id]
            if members:
                views.append(
                    GroupView(g.id, g.label, g.edited_by, members, sum(c.size for c in members))
                )
        views.sort(key=lambda v: (-v.size, v.id or 0))
        rest = [c for c in cards if current.get(c.id) is None]
        if rest:
            views.append(GroupView(None, "", None, rest, sum(c.size for c in rest)))
        return views

    async def rename_group(
        self, user: StaffUser, round_: Round, question_id: int, group_id: int, label: str
    ) -> None:
        self._check_question(round_, question_id)
        group = await store.group_by_id(self.db, group_id)
        if group is None or group.question_id != question_id:
            raise BoardError(N_("We can't find this group of themes."))
        label = " ".join(label.split())
        if not label:
            raise BoardError(N_("Write a name for the group."))
        if len(label) > MAX_LABEL:
            raise BoardError(
                N_("Keep the name to %(limit)s characters or fewer."), {"limit": MAX_LABEL}
            )
        await store.rename_group(
            self.db,
            group_id,
            label,
            user.email,
            self._entry(user, round_, "theme_group_renamed", f"group {group_id}: {label}"),
        )

    # Second themes ------------------------------------------------------------------------

    async def refresh_second_themes(self, question_id: int) -> int:
        """After a run: mark answers that clearly raise a second theme (see
        `analysis.steering.second_themes`); returns how many."""
        means, run = await self._space(question_id)
        if means is None or run is None:
            return 0
        centres = await self._centres(question_id)
        if len(centres) < 2:
            return 0
        inputs = [
            a
            for a in await theming_store.theme_inputs(self.db, question_id)
            if a.placed and a.redacted and a.theme_id in centres
        ]
        if not inputs:
            return 0
        xc = await self._centred([a.redacted for a in inputs], [a.language for a in inputs], means)
        ids = sorted(centres)
        column = {t: j for j, t in enumerate(ids)}
        threshold = run.other_threshold if run.other_threshold is not None else -1.0
        seconds = steer.second_themes(
            xc, np.stack([centres[t] for t in ids]), [column[a.theme_id] for a in inputs], threshold
        )
        found = {
            a.id: (ids[s] if s is not None else None) for a, s in zip(inputs, seconds, strict=True)
        }
        await store.save_second_themes(self.db, question_id, found)
        return sum(1 for v in found.values() if v is not None)

    async def also_counts(self, question_id: int) -> dict[int, int]:
        return await store.also_counts(self.db, question_id)

    async def also_answers(self, question_id: int, theme_id: int, limit: int) -> list:
        return await store.also_answers(self.db, question_id, theme_id, limit)
