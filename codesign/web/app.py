"""The Litestar application."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from litestar import Litestar, Response, get
from litestar.config.allowed_hosts import AllowedHostsConfig
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import HTTPException
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

from codesign import jobs
from codesign.demo.round import ensure_demo_round
from codesign.i18n import N_, check_catalogues
from codesign.services import erasure
from codesign.services.board.background import embed_in_background
from codesign.services.board.service import BoardService
from codesign.services.mail import mailer_for
from codesign.services.participation import ParticipationService
from codesign.services.retention import purge_daily
from codesign.services.safeguarding import (
    SafeguardingService,
    notify_in_background,
    screen_in_background,
)
from codesign.services.site_keys import site_key
from codesign.settings import Settings, allowed_hosts, from_env, project_dir
from codesign.store.db import open_database
from codesign.web.board import board_router
from codesign.web.common import PageError
from codesign.web.errors import (
    http_error_handler,
    page_error_handler,
    unexpected_error_handler,
)
from codesign.web.health import health
from codesign.web.outcomes import OutcomesController
from codesign.web.participate import ParticipateController
from codesign.web.ratelimit import DATABASE, STORES, ClientKeys, CounterStore, rate_limits
from codesign.web.security import ImpossibleRequestMiddleware, security_headers_hook
from codesign.web.staff import create_demo_staff, staff_router
from codesign.web.templating import Renderer

log = logging.getLogger("codesign")

_YEAR = 365 * 24 * 3600


def create_app(
    settings: Settings | None = None, *, demo: bool = False, demo_staff: bool = False
) -> Litestar:
    settings = settings or from_env()
    check_catalogues()  # built with the package (hatch_build.py); says if one is stale
    db = open_database(settings.db_path, settings.database_url)
    renderer = Renderer()
    csrf = CSRFConfig(
        secret="set-at-start-up-from-the-database",  # noqa: S106 - replaced in on_startup
        # Under HTTPS the __Host- prefix makes browsers refuse the cookie unless it is
        # Secure, for this exact host and for Path=/: no subdomain can plant one.
        cookie_name="__Host-csrftoken" if settings.https else "csrftoken",
        header_name="x-csrftoken",
        cookie_httponly=False,  # htmx sends it back in a header; the value is no secret
        cookie_samesite="lax",
        cookie_secure=settings.https,
        # Anchored: Litestar searches the path, so "/static" alone would also exempt
        # "/r/static/start" or any path with those letters in it.
        exclude=["^/healthz$", "^/static/"],
    )

    async def on_startup(app: Litestar) -> None:
        await db.connect()
        # Before serving anything: after a restore, the backup still holds answers
        # withdrawn since it was taken; the withdrawals log deletes them again.
        again = await erasure.reapply_after_restore(db)
        if again:
            log.warning("withdrawals re-applied after a restore: %d", again)
        csrf.secret = await site_key(db, "csrf")
        if settings.rate_limits == DATABASE:  # every replica keys one address alike
            client_keys.use((await site_key(db, "rate_limit_key")).encode())
        code_key = await site_key(db, "resume_code_key")
        app.state.participation = ParticipationService(db, code_key)
        if demo and await ensure_demo_round(db):
            log.info("created the demo round at /r/demo")
        if demo and demo_staff:
            await create_demo_staff(app)
        if getattr(app.state, "board", None) is None:
            app.state.board = BoardService(db)
        # Screening shares the board's model (tests may swap the board service).
        app.state.safeguarding = SafeguardingService(
            db,
            lambda: app.state.board.vectoriser,
            lambda texts: app.state.board.embed(texts),
            lambda keys: app.state.board.stored_vectors(keys),
            lambda vectors: app.state.board.save_vectors(vectors),
        )
        app.state.board.screen_first = lambda: app.state.safeguarding.screen_waiting()
        mailer = mailer_for(settings)
        notify = (
            mailer,
            lambda round_id: (
                f"{settings.public_url.rstrip('/')}/staff/rounds/{round_id}/board/safeguarding"
            ),
            timedelta(hours=settings.escalate_after_hours),
        )
        if db.dialect == "postgresql" and jobs.available():
            # Several replicas: background work and analysis runs are jobs in the
            # database, each taken by one replica's worker (codesign.jobs).
            app.state.jobs = jobs.Jobs(
                db,
                board=lambda: app.state.board,
                safeguarding=lambda: app.state.safeguarding,
                embedding=settings.background_embedding,
                screening=settings.background_screening,
                screening_interval=settings.screening_interval,
                notify=notify if mailer is not None else None,
                heartbeat=settings.job_heartbeat_seconds,
                stalled_after=settings.job_stalled_seconds,
                retry_wait=settings.job_retry_seconds,
            )
            app.state.board.jobs = app.state.jobs
            await app.state.jobs.start()
            return
        # One process (SQLite): the same work as tasks of this process.
        # Retention: purge at start-up and daily.
        app.state.purge_task = asyncio.create_task(purge_daily(db), name="codesign-purge")
        # Vectors for new written answers, off every participant's request path.
        if settings.background_embedding:
            app.state.embed_task = asyncio.create_task(
                embed_in_background(lambda: app.state.board), name="codesign-embed"
            )
        # Every written answer screened for risk within seconds of being saved.
        if settings.background_screening:
            app.state.screen_task = asyncio.create_task(
                screen_in_background(
                    lambda: app.state.safeguarding, settings.screening_interval
                ),
                name="codesign-screen",
            )
        if mailer is not None:
            app.state.notify_task = asyncio.create_task(
                notify_in_background(lambda: app.state.safeguarding, *notify),
                name="codesign-notify",
            )

    async def on_shutdown(app: Litestar) -> None:
        job_queue = getattr(app.state, "jobs", None)
        if job_queue is not None:  # its running jobs go back to the queue for another replica
            await job_queue.stop()
        for name in ("purge_task", "embed_task", "screen_task", "notify_task"):
            task = getattr(app.state, name, None)
            if task is not None:
                task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, Exception):  # noqa: S110 - stopping anyway
                    pass
        await db.close()

    @get("/", name="home", include_in_schema=False)
    async def index() -> Response:
        # No public list of rounds: a link or QR code leads to one round.
        if demo:
            return Redirect("/r/demo")
        raise PageError(
            404,
            N_("We can't find this page"),
            N_("Use the link or QR code you were given to reach a consultation."),
        )

    static_router = create_static_files_router(
        path=f"/static/{renderer.static_version}",
        directories=[project_dir("static")],
        cache_control=CacheControlHeader(max_age=_YEAR, public=True),
        name="static",
    )
    client_keys = ClientKeys()
    limits = rate_limits(
        settings.code_attempts_per_minute,
        settings.public_posts_per_minute,
        settings.sign_in_posts_per_minute,
        mode=settings.rate_limits,
        keys=client_keys,
    )

    hosts = allowed_hosts(settings)
    if not hosts:
        log.warning(
            "no CODESIGN_PUBLIC_URL or CODESIGN_ALLOWED_HOSTS: any Host header is accepted"
            " and share links follow it"
        )
    app = Litestar(
        # A forged Host header is refused before any page can print it into a link;
        # load balancers' health checks come by address, so /healthz takes any host.
        allowed_hosts=(
            AllowedHostsConfig(allowed_hosts=hosts, exclude=["^/healthz$"], www_redirect=False)
            if hosts
            else None
        ),
        route_handlers=[
            index,
            health,
            ParticipateController,
            OutcomesController,
            staff_router(),
            board_router(),
            static_router,
        ],
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        csrf_config=csrf,
        middleware=[ImpossibleRequestMiddleware, *(limit.middleware for limit in limits)],
        stores={name: CounterStore() for name in STORES},
        before_send=[security_headers_hook(settings.https)],
        exception_handlers={
            PageError: page_error_handler,
            HTTPException: http_error_handler,
            Exception: unexpected_error_handler,
        },
        request_max_body_size=settings.max_body_bytes,
        # Only static assets are compressed: pages carry a CSRF token next to
        # echoed answers, and compressing both invites BREACH-style guessing.
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=500, exclude=["^/(?!static/)."]
        ),
        openapi_config=None,
        debug=False,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.renderer = renderer
    return app
