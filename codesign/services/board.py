"""The review board's use cases: theme the answers, correct the themes, answer them.

No HTTP objects here. The theming engine (`codesign.analysis`) is pure and
synchronous: everything CPU-bound runs in a worker thread (`asyncio.to_thread`)
while the event loop keeps serving pages; the database is written only from the
loop. Progress is kept in `analysis_runs`, so any replica can show it.

Rules the board relies on:
- redaction happens before any text is stored for the board or shown to it;
- the first run themes every answer; later runs only *assign* answers that
  have no place yet to the existing themes — nothing a person did (rename,
  merge, split, move) is ever reshuffled;
- vectors are cached per model + a keyed hash of the text in the database, so
  re-running never embeds the same text twice; each prepared answer records
  its digest, and a vector no answer records is deleted (store.erasure);
- themes smaller than the round's anonymity threshold show no quotes and are
  counted under "other".
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

import msgspec
import numpy as np

from codesign.analysis import (
    OTHER,
    detect_language,
    redact,
    theme_answers,
)
from codesign.analysis.assign import assign_vectors
from codesign.analysis.pipeline import centre, language_means, other_threshold
from codesign.analysis.types import SavedTheme
from codesign.analysis.vectorise import Vectoriser, cache_key, default_vectoriser, normalise_text
from codesign.i18n import N_
from codesign.models import (
    AnswerRow,
    BoardSettings,
    NewTheme,
    Round,
    Run,
    StaffUser,
    ThemeResponse,
    ThemeRow,
)
from codesign.services.accounts import clean_text
from codesign.services.errors import BoardError
from codesign.store import audit
from codesign.store import publishing as pub_store
from codesign.store import secrets as secret_store
from codesign.store import users as user_store
from codesign.store.board import answers as answer_store
from codesign.store.board import edits as edit_store
from codesign.store.board import outcomes as outcome_store
from codesign.store.board import preparing as preparing_store
from codesign.store.board import reading as theme_store
from codesign.store.board import runs as run_store
from codesign.store.board import settings as settings_store
from codesign.store.board import theming as theming_store
from codesign.store.board import vectors as vector_store
from codesign.store.db import Database, WriteConnection, utcnow
from codesign.store.publishing import SignOff

if TYPE_CHECKING:
    from codesign.jobs import Jobs

__all__ = ["AnswerRow", "BoardService", "SignOff", "ThemeResponse", "ThemeRow"]

log = logging.getLogger("codesign.board")

DEFAULT_THRESHOLD = 5
MAX_LABEL = 120
MAX_RESPONSE = 4000
MAX_TITLE = 160
PREPARE_CHUNK = 250
EMBED_CHUNK = 256
QUOTES = 5
#: Answers per theme page: a page stays quick to load and to read.
ANSWERS_PAGE = 200
#: Answers prepared and embedded per background step, and the pause when idle.
BACKGROUND_BATCH = 32
BACKGROUND_PAUSE = 5.0
#: A run still "running" after this long was left behind by a stopped process.
STALE_RUN = timedelta(minutes=30)


# Pure helpers (run in worker threads) ------------------------------------------


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def vector_digest(secret: str, text_sha: str) -> str:
    """What stored vectors are keyed by: a keyed hash of the text's SHA-256 (as in
    `cache_key`). Without the secret, a copy of the database can't be searched for
    a sentence someone might have written."""
    return hmac.new(secret.encode(), text_sha.encode(), hashlib.sha256).hexdigest()


def stored_key(secret: str, key: str) -> str:
    """The stored form of a `cache_key` ("<model>|<sha256>" → "<model>|<digest>")."""
    model, _, text_sha = key.rpartition("|")
    return f"{model}|{vector_digest(secret, text_sha)}"


def prepare_answers(
    answers: Sequence[preparing_store.PendingAnswer], secret: str = ""
) -> list[preparing_store.Prepared]:
    """Language and redacted text for each answer (the participant's locale is a prior),
    and the digest that will name its vector (`secret`: the installation's vector key).

    Risk flags come from the safeguarding screening, which sees every answer.
    """
    out = []
    for a in answers:
        language = detect_language(a.text, a.locale)[0] or a.locale
        redacted = redact(a.text, language or "en").text
        out.append(
            preparing_store.Prepared(
                id=a.id,
                redacted=redacted,
                language=language,
                prepared_hash=text_hash(a.text),
                vector_digest=vector_digest(secret, text_hash(normalise_text(redacted))),
            )
        )
    return out


def _unit_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms


def assign_new(
    vectors: np.ndarray,
    languages: list[str],
    placed_theme: list[int | None],
    new_rows: list[int],
    centroids: dict[int, list[list[float]]],
    means: dict[str, list[float]] | None,
    threshold: float | None,
) -> list[tuple[int, int | None, float]]:
    """Place the rows in `new_rows` into existing themes: (row, theme id or None, score).

    A theme's prototypes are its saved centroids (when the space is the run's:
    `means` given) plus the mean of the answers it holds now, so a theme a
    person built by merging, splitting or moving answers attracts answers like
    the ones it holds. Without the run's means (another vectoriser, or one
    fitted per run) the space is centred afresh and only member means are used.
    """
    if means:
        m = {k: np.asarray(v, dtype=np.float64) for k, v in means.items()}
        if "*" not in m:
            m["*"] = np.mean(np.stack(list(m.values())), axis=0)
    else:
        m = language_means(vectors.astype(np.float64), languages)
    xc = centre(vectors.astype(np.float64), languages, m)
    saved = []
    own_sims = []
    for theme_id in sorted(centroids):
        rows = [i for i, t in enumerate(placed_theme) if t == theme_id]
        protos = [list(c) for c in centroids[theme_id]] if means else []
        if rows:
            mean = _unit_rows(xc[rows].mean(axis=0, keepdims=True))[0]
            protos.append(mean.tolist())
            own_sims += list(xc[rows] @ mean)
        if protos:
            saved.append(SavedTheme(id=theme_id, label=str(theme_id), centroids=protos))
    if threshold is None:
        threshold = other_threshold(np.asarray(own_sims)) if len(own_sims) >= 10 else -1.0
    assigned = assign_vectors(xc[new_rows], saved, threshold) if new_rows else []
    return [(new_rows[a.index], None if a.theme == OTHER else a.theme, a.score) for a in assigned]


# Views ---------------------------------------------------------------------------


class Split(msgspec.Struct, frozen=True):
    value: str
    count: int
    percent: int


class ThemeCard(msgspec.Struct, frozen=True):
    id: int
    label: str
    terms: list[str]
    size: int
    percent: int
    agreement: list[Split]
    quotes: list[AnswerRow]
    edited_by: str | None
    small: bool


class QuestionView(msgspec.Struct, frozen=True):
    question_id: int
    total: int
    placed: int
    themes: list[ThemeCard]  # at or above the threshold, largest first
    small: list[ThemeCard]  # below the threshold: counted under "other"
    other: int  # in "other / unclear", small themes included
    run: Run | None
    threshold: int


AGREEMENT_ORDER = ("1", "2", "3", "4", "5", "prefer_not")


def _splits(counts: dict[str, int]) -> list[Split]:
    total = sum(counts.values())
    return [
        Split(v, counts.get(v, 0), round(100 * counts.get(v, 0) / total) if total else 0)
        for v in AGREEMENT_ORDER
        if counts.get(v, 0)
    ]


def agreement_question(round_: Round, question_id: int) -> int | None:
    """The agreement question of the section an open-text question is in."""
    for section in round_.sections:
        if any(q.id == question_id for q in section.questions):
            for q in section.questions:
                if q.kind == "agreement":
                    return q.id
    return None


def open_questions(round_: Round) -> list[tuple[int, int, str]]:
    """(question id, section position, prompt) of every open-text question."""
    out = []
    for section in round_.sections:
        for q in section.questions:
            if q.kind == "open_text":
                text = q.texts.get(round_.default_locale)
                out.append((q.id, section.position, text.prompt if text else ""))
    return out


class BoardService:
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
                await self._audit_in(
                    conn, user, round_, "analysis_started", f"question {question_id}, {kind}"
                )
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
                agreement=_splits(splits.get(t.id, {})),
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

    async def _audit(self, user: StaffUser, round_: Round, action: str, detail: str) -> None:
        await audit.add(
            self.db, user.email, action, clean_text(detail), user_id=user.id, round_id=round_.id
        )

    @staticmethod
    async def _audit_in(
        conn: WriteConnection, user: StaffUser, round_: Round, action: str, detail: str
    ) -> None:
        """The entry for a change, in the change's own transaction."""
        await audit.add_in(
            conn, user.email, action, clean_text(detail), user_id=user.id, round_id=round_.id
        )

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
            await self._audit_in(conn, user, round_, "theme_renamed", f"theme {theme.id}: {label}")

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
            await self._audit_in(conn, user, round_, "themes_merged", detail)

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
                centroids = [_unit_rows(xc.mean(axis=0, keepdims=True))[0].round(6).tolist()]
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
            await self._audit_in(conn, user, round_, "theme_split", f"theme {theme.id} into {made}")
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
            await self._audit_in(conn, user, round_, "answer_moved", detail)

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
            await self._audit_in(conn, user, round_, "board_settings_saved", detail)
            if sign_offs_needed is not None:
                await pub_store.set_sign_offs_needed_in(
                    conn, round_.id, sign_offs_needed, pub_store.Actor(user.email, user.id)
                )

        await self.db.write(work)

    # The board's response, sign-off and publishing: codesign.services.publishing.


async def embed_in_background(
    board: Callable[[], BoardService],
    *,
    pause: float | None = None,
    batch: int = BACKGROUND_BATCH,
) -> None:
    """Run by the app: prepare and embed submitted answers in small batches, for ever.

    `board` gives the current service each time (tests swap it). Busy while
    there is a backlog (a short breather between batches keeps the event loop
    and the CPU free for pages); otherwise it looks again after `pause`
    seconds. It stops quietly when the model can't load: a run then embeds what
    it needs itself (with the fallback vectoriser it only prepares answers, as
    its vectors are refitted per run). Cancel it to stop.
    """
    while True:
        try:
            done = await board().background_step(batch)
        except asyncio.CancelledError:
            raise
        except (ImportError, OSError, RuntimeError):
            log.warning("background embedding stopped: the model could not load", exc_info=True)
            return
        except Exception:  # keep serving; try again later
            log.exception("background embedding failed; trying again later")
            done = 0
        idle = BACKGROUND_PAUSE if pause is None else pause
        await asyncio.sleep(0.05 if done >= batch else idle)
