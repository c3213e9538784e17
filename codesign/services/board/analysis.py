"""Running the theming engine for the board: analysis runs, the vectors they need (cached
in the database, embedded in a worker thread), and the background step that prepares
and embeds answers as they arrive. The base of `BoardService`."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np

from codesign.analysis import theme_answers
from codesign.analysis.vectorise import Vectoriser, cache_key, default_vectoriser
from codesign.i18n import N_
from codesign.models import NewTheme, Round, Run, StaffUser
from codesign.services.audit_log import audit_in
from codesign.services.board import MAX_LABEL
from codesign.services.board.background import BACKGROUND_BATCH
from codesign.services.board.pure import assign_new, prepare_answers, stored_key, text_hash
from codesign.services.errors import BoardError
from codesign.store import secrets as secret_store
from codesign.store.board import preparing as preparing_store
from codesign.store.board import reading as theme_store
from codesign.store.board import runs as run_store
from codesign.store.board import theming as theming_store
from codesign.store.board import vectors as vector_store
from codesign.store.db import Database, WriteConnection, utcnow

if TYPE_CHECKING:
    from codesign.jobs import Jobs

log = logging.getLogger("codesign.board")

PREPARE_CHUNK = 250
EMBED_CHUNK = 256
#: A run still "running" after this long was left behind by a stopped process.
STALE_RUN = timedelta(minutes=30)


class BoardAnalysis:
    """The theming engine's side of the board service: runs, vectors, the background step."""

    def __init__(
        self, db: Database, vectoriser: Callable[[], Vectoriser] = default_vectoriser
    ) -> None:
        self.db = db
        self._make_vectoriser = vectoriser
        self._vectoriser: Vectoriser | None = None
        self.tasks: dict[int, asyncio.Task] = {}
        #: On PostgreSQL the job queue (codesign.jobs.Jobs): runs are jobs any replica's
        #: worker may run. None: runs are tasks of this process, as on SQLite.
        self.jobs: Jobs | None = None
        # one embedding at a time: the model is shared by runs and the background
        self._embed_lock = threading.Lock()
        self._vector_secret: str | None = None
        #: Set by the app: screens every answer waiting for its risk screening.
        self.screen_first: Callable[[], Awaitable[object]] | None = None

    async def _secret(self) -> str:
        if self._vector_secret is None:
            self._vector_secret = await secret_store.get_or_create(self.db, "vector_key")
        return self._vector_secret

    async def stored_vectors(self, keys: list[str]) -> dict[str, np.ndarray]:
        """Vectors in the database for these `cache_key`s, by cache key."""
        secret = await self._secret()
        names = {stored_key(secret, k): k for k in keys}
        found = await vector_store.vectors_for(self.db, list(names))
        return {names[name]: v for name, v in found.items()}

    async def save_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        """Store vectors by `cache_key` (kept while an answer records their digest)."""
        await self._save_vectors(vectors)

    async def _save_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        secret = await self._secret()
        await vector_store.save_vectors(
            self.db, {stored_key(secret, k): v for k, v in vectors.items()}
        )

    async def _prepare(self, answers: list[preparing_store.PendingAnswer]) -> None:
        secret = await self._secret()
        prepared = await asyncio.to_thread(prepare_answers, answers, secret)
        await preparing_store.save_prepared(self.db, prepared)

    def _embed(self, texts: list[str]) -> np.ndarray:
        """Embed in a worker thread (call through `asyncio.to_thread`)."""
        with self._embed_lock:
            return self.vectoriser.embed(texts)

    #: Shared with the safeguarding screening: one model, one embedding at a time.
    embed = _embed

    @property
    def vectoriser(self) -> Vectoriser:
        if self._vectoriser is None:
            self._vectoriser = self._make_vectoriser()
        return self._vectoriser

    # Analysis ---------------------------------------------------------------------

    async def start_analysis(self, user: StaffUser, round_: Round, question_id: int) -> int:
        """Start a run in the background; BoardError if one is already running."""
        kind = "assign" if await theming_store.has_themes(self.db, question_id) else "theme"
        stale = utcnow() - STALE_RUN

        async def work(conn: WriteConnection) -> int | None:
            await run_store.fail_stale_runs_in(conn, question_id, stale)
            # the check is the insert: a run already running makes it insert nothing
            run_id = await run_store.claim_run_in(conn, question_id, kind, user.email)
            if run_id is not None:
                detail = f"question {question_id}, {kind}"
                await audit_in(conn, user, "analysis_started", round_.id, detail)
            return run_id

        run_id = await self.db.write(work)
        if run_id is None:
            raise BoardError(N_("The analysis is already running for this question."))
        if self.jobs is not None:
            await self.jobs.defer_run(run_id, kind, question_id, round_.slug)
            return run_id
        task = asyncio.create_task(
            self._execute(run_id, question_id, kind, round_.default_locale), name=f"run-{run_id}"
        )
        self.tasks[run_id] = task
        task.add_done_callback(lambda _t: self.tasks.pop(run_id, None))
        return run_id

    async def run_analysis(self, user: StaffUser, round_: Round, question_id: int) -> Run:
        """Start a run and wait for it (tests, the command line)."""
        run_id = await self.start_analysis(user, round_, question_id)
        await self.finished(run_id)
        run = await run_store.run_by_id(self.db, run_id)
        assert run is not None
        return run

    async def finished(self, run_id: int) -> None:
        """Until the run has finished: this process's task, or a job on any replica."""
        task = self.tasks.get(run_id)
        if task is not None:
            await task
        elif self.jobs is not None:
            await self.jobs.wait_for_run(run_id)

    async def wait(self) -> None:
        """Wait for every running analysis of this process."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks.values()), return_exceptions=True)

    async def _execute(
        self, run_id: int, question_id: int, kind: str, label_language: str | None = None
    ) -> None:
        try:
            await self._analyse(run_id, question_id, kind, label_language)
        except Exception as exc:  # the run fails; the page says so calmly
            log.exception("analysis run %s failed", run_id)
            await run_store.fail_run(self.db, run_id, type(exc).__name__)
            return
        await self.after_run(question_id)

    async def after_run(self, question_id: int) -> None:
        """After a run: answers that clearly raise a second theme too (services.steering)."""
        from codesign.services.steering import SteeringService

        try:
            await SteeringService(self).refresh_second_themes(question_id)
        except Exception:  # the themes stand without it; the next run tries again
            log.exception("second themes of question %s not found", question_id)

    async def prepare(self, question_id: int, run_id: int | None = None) -> None:
        """Redact, detect language and flag answers whose metadata is missing or stale."""
        inputs = await theming_store.theme_inputs(self.db, question_id)
        hashes = await preparing_store.prepared_hashes(self.db, question_id)
        stale = [
            preparing_store.PendingAnswer(a.id, a.text, a.locale)
            for a in inputs
            if hashes.get(a.id) != text_hash(a.text)
        ]
        for i in range(0, len(stale), PREPARE_CHUNK):
            chunk = stale[i : i + PREPARE_CHUNK]
            await self._prepare(chunk)
            if run_id is not None:
                done = min(len(stale), i + PREPARE_CHUNK)
                await run_store.update_run(self.db, run_id, 5 + 25 * done // len(stale), "prepare")

    async def _vectors(
        self, texts: list[str], run_id: int | None, start: int, span: int
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Vectors for `texts` from the cache, embedding (in a thread) only what is missing."""
        vectoriser = self.vectoriser
        if not vectoriser.cacheable:
            x = await asyncio.to_thread(self._embed, list(texts))
            return np.asarray(x, dtype=np.float32), {}
        keys = [cache_key(vectoriser.name, t) for t in texts]
        cache = await self.stored_vectors(keys)
        missing: dict[str, str] = {}
        for k, t in zip(keys, texts, strict=True):
            if k not in cache and k not in missing:
                missing[k] = t
        items = list(missing.items())
        for i in range(0, len(items), EMBED_CHUNK):
            chunk = items[i : i + EMBED_CHUNK]
            vecs = await asyncio.to_thread(self._embed, [t for _, t in chunk])
            fresh = {
                k: np.asarray(v, dtype=np.float32) for (k, _), v in zip(chunk, vecs, strict=True)
            }
            await self._save_vectors(fresh)
            cache.update(fresh)
            if run_id is not None:
                done = min(len(items), i + EMBED_CHUNK)
                await run_store.update_run(
                    self.db, run_id, start + span * done // len(items), "embed"
                )
        if not keys:
            return np.zeros((0, 1), dtype=np.float32), cache
        return np.stack([cache[k] for k in keys]).astype(np.float32), cache

    async def _analyse(
        self, run_id: int, question_id: int, kind: str, label_language: str | None = None
    ) -> None:
        await run_store.update_run(self.db, run_id, 2, "prepare")
        if self.screen_first is not None:
            # Answers not screened for risk yet can be neither names nor quotes: screen
            # what is waiting, so a run right after an import names its themes well.
            await self.screen_first()
        await self.prepare(question_id, run_id)
        inputs = await theming_store.theme_inputs(self.db, question_id)
        vectoriser = self.vectoriser
        if kind == "theme":
            texts = [a.redacted for a in inputs]
            languages = [a.language for a in inputs]
            _, cache = await self._vectors(texts, run_id, 30, 50)
            await run_store.update_run(self.db, run_id, 82, "themes")
            before = set(cache)
            # names in the round's main language, never from a flagged answer
            result = await asyncio.to_thread(
                theme_answers,
                texts,
                languages,
                label_language=label_language,
                quotable=[a.quotable for a in inputs],
                detect=False,
                vectoriser=vectoriser,
                cache=cache if vectoriser.cacheable else None,
            )
            if vectoriser.cacheable:
                await self._save_vectors({k: cache[k] for k in set(cache) - before})
            themes = [
                NewTheme(
                    label=t.label[:MAX_LABEL],
                    terms=t.terms,
                    centroids=[t.centroid] if vectoriser.cacheable else [],
                    members=[(inputs[r].id, result.members[r].score) for r in t.rows],
                )
                for t in result.themes
            ]
            other = [(inputs[r].id, result.members[r].score) for r in result.other]
            await theming_store.save_theming(
                self.db,
                run_id,
                question_id,
                themes,
                other,
                vectoriser=result.vectoriser,
                n=result.n,
                quality=result.quality,
                language_means=result.language_means if vectoriser.cacheable else {},
                other_threshold=result.other_threshold,
                replace=True,
            )
            return
        # assign: only answers with no place yet; everything placed stays where it is
        new_rows = [i for i, a in enumerate(inputs) if not a.placed]
        last = await run_store.last_done_theme_run(self.db, question_id)
        same_space = (
            last is not None
            and vectoriser.cacheable
            and last.vectoriser == vectoriser.name
            and bool(last.language_means)
        )
        centroids = await theme_store.theme_centroids(self.db, question_id)
        placements: list[tuple[int, int | None, float]] = []
        if new_rows and centroids:
            texts = [a.redacted for a in inputs]
            x, _ = await self._vectors(texts, run_id, 30, 50)
            await run_store.update_run(self.db, run_id, 85, "assign")
            placements = await asyncio.to_thread(
                assign_new,
                x,
                [a.language for a in inputs],
                [a.theme_id if a.placed else None for a in inputs],
                new_rows,
                centroids,
                last.language_means if same_space and last else None,
                last.other_threshold if same_space and last else None,
            )
        elif new_rows:
            placements = [(r, None, 0.0) for r in new_rows]
        await theming_store.save_assignment(
            self.db,
            run_id,
            question_id,
            [(inputs[r].id, theme, score) for r, theme, score in placements],
            vectoriser=vectoriser.name,
            n=len(new_rows),
            k=len(centroids),
            language_means=last.language_means if last else {},
            other_threshold=last.other_threshold if last else None,
        )

    # Background: prepare and embed answers as they arrive ------------------------------

    async def background_step(self, batch: int = BACKGROUND_BATCH) -> int:
        """Prepare and embed up to `batch` submitted answers; returns how many it found.

        Never on a participant's request path: the app runs it from a background
        task (:func:`embed_in_background`). Redaction comes first, so the model
        only ever sees redacted text, as in a run. A vectoriser whose space is
        fitted per run (the TF-IDF fallback) has nothing to cache: answers are
        only prepared.
        """
        pending = await preparing_store.unprepared_answers(self.db, batch)
        if pending:
            await self._prepare(pending)
        vectoriser = await asyncio.to_thread(lambda: self.vectoriser)
        if not vectoriser.cacheable:
            return len(pending)
        todo = await preparing_store.unembedded_answers(self.db, vectoriser.name, batch)
        if todo:
            keys = {i: cache_key(vectoriser.name, t) for i, t in todo}
            cached = await self.stored_vectors(list(keys.values()))
            missing: dict[str, str] = {}
            for i, t in todo:
                if keys[i] not in cached:
                    missing.setdefault(keys[i], t)
            if missing:
                vecs = await asyncio.to_thread(self._embed, list(missing.values()))
                await self._save_vectors(
                    {k: np.asarray(v, dtype=np.float32) for k, v in zip(missing, vecs, strict=True)}
                )
            await preparing_store.mark_embedded(self.db, [i for i, _ in todo], vectoriser.name)
        return max(len(pending), len(todo))
