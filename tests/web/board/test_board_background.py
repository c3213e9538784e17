"""Vectors for written answers are computed in the background as answers arrive."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from litestar.testing import AsyncTestClient

from codesign.analysis.vectorise import cache_key
from codesign.demo.answers import fill_round, generate
from codesign.models import StaffUser
from codesign.services.board import background as background_module
from codesign.services.board.background import embed_in_background
from codesign.services.board.service import BoardService
from codesign.settings import Settings, from_env
from codesign.store import rounds as round_store
from codesign.store.board import preparing as preparing_store
from codesign.store.board import theming as theming_store
from codesign.web.app import create_app
from tests.web.board.helpers import TopicVectoriser

USER = StaffUser(id=0, email="board@example.org", role="board")


async def _fill(db, n: int = 40, seed: int = 3):
    round_ = await round_store.load_round(db, "demo")
    question = round_.sections[0].questions[1].id
    await fill_round(db, round_, generate(n, seed=seed), question_id=question)
    return round_, question


async def _settle(service: BoardService) -> None:
    while await service.background_step(16):
        pass


async def test_background_prepares_and_embeds_so_a_run_embeds_nothing(client) -> None:
    db = client.app.state.db
    vectoriser = TopicVectoriser()
    service = BoardService(db, lambda: vectoriser)
    round_, question = await _fill(db)
    await _settle(service)
    inputs = await theming_store.theme_inputs(db, question)
    assert len(inputs) == 40
    assert all(a.redacted and a.language for a in inputs)
    assert not any("@example" in t for t in vectoriser.embedded)  # redacted before embedding
    keys = [cache_key(vectoriser.name, a.redacted) for a in inputs]
    assert set(await service.stored_vectors(keys)) == set(keys)
    embedded = len(vectoriser.embedded)
    assert embedded <= 40  # each distinct text once
    await _settle(service)  # nothing left to do: nothing embedded again
    assert len(vectoriser.embedded) == embedded
    run = await service.run_analysis(USER, round_, question)
    assert run.status == "done"
    assert len(vectoriser.embedded) == embedded  # the run found every vector ready
    # answers arriving later are embedded in the background too, before the next run
    await _fill(db, 8, seed=9)
    await _settle(service)
    after = len(vectoriser.embedded)
    run = await service.run_analysis(USER, round_, question)
    assert run.status == "done" and len(vectoriser.embedded) == after


class BrokenModel:
    cacheable = True
    name = "broken/1"

    def embed(self, texts: list[str]) -> np.ndarray:
        raise ImportError("no engine on this machine")


async def test_a_model_that_cannot_load_stops_the_task_quietly(client) -> None:
    db = client.app.state.db
    service = BoardService(db, BrokenModel)
    _, question = await _fill(db, 10)
    await asyncio.wait_for(embed_in_background(lambda: service, pause=0.01), timeout=10)
    # answers are still prepared (redacted), ready for a run
    assert all(a.redacted for a in await theming_store.theme_inputs(db, question))


async def test_fitted_per_run_vectoriser_only_prepares(client) -> None:
    from codesign.analysis.vectorise import TfidfVectoriser

    db = client.app.state.db
    service = BoardService(db, TfidfVectoriser)
    _, question = await _fill(db, 10)
    await _settle(service)
    assert all(a.redacted for a in await theming_store.theme_inputs(db, question))
    assert await preparing_store.unembedded_answers(db, "anything", 100)  # nothing was marked


@pytest.mark.sqlite_only(
    reason="the in-process embedding task; on PostgreSQL embedding is a periodic job"
    " (tests/web/test_jobs.py)"
)
async def test_the_app_runs_it_and_cancels_it_on_shutdown(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(background_module, "BACKGROUND_PAUSE", 0.02)
    vectoriser = TopicVectoriser()
    app = create_app(
        Settings(background_screening=False, db_path=str(tmp_path / "bg.db")), demo=True
    )
    app.state.board = BoardService(app.state.db, lambda: vectoriser)
    async with AsyncTestClient(app=app, base_url="http://testserver.local"):
        task = app.state.embed_task
        assert not task.done()
        _, question = await _fill(app.state.db, 12)
        # Wait for both steps (prepare, then embed): between them nothing is
        # "unembedded" yet, which made this wait end early now and then.
        for _ in range(200):
            pending = await preparing_store.unembedded_answers(app.state.db, vectoriser.name, 100)
            if not pending and len(vectoriser.embedded) >= 5:
                break
            await asyncio.sleep(0.02)
        assert not await preparing_store.unembedded_answers(app.state.db, vectoriser.name, 100)
        assert len(vectoriser.embedded) >= 5
    assert task.cancelled()


async def test_off_in_settings(tmp_path) -> None:
    assert from_env({}).background_embedding is True
    assert from_env({"CODESIGN_BACKGROUND_EMBEDDING": "0"}).background_embedding is False
    app = create_app(
        Settings(
            background_screening=False, db_path=str(tmp_path / "off.db"), background_embedding=False
        )
    )
    async with AsyncTestClient(app=app, base_url="http://testserver.local"):
        assert getattr(app.state, "embed_task", None) is None


@pytest.mark.parametrize("n", [0])
async def test_nothing_to_do_is_cheap(client, n: int) -> None:
    service = BoardService(client.app.state.db, TopicVectoriser)
    assert await service.background_step() == n
