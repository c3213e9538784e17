"""The framework floor for answer_saves.py: Litestar with codesign's middleware, no work.

Same CSRF protection, per-address rate limits and security headers as the app,
and a save handler that parses the form and answers without touching SQLite.
What it reaches is the most any Litestar handler behind that middleware can;
the benchmark prints it beside the app and the reference to show where the
app's time goes. Run by the benchmark, not by hand.
"""

from __future__ import annotations

from litestar import Litestar, Request, Response, get, post
from litestar.config.csrf import CSRFConfig

from codesign.web.ratelimit import POSTS, STORES, CounterStore, rate_limits
from codesign.web.security import security_headers_hook


@get("/", name="health")
async def health() -> str:
    return "ok"


@get("/r/demo", name="page")
async def page() -> Response:
    return Response("<form method='post'></form>", media_type="text/html")


@post("/save", name="save", opt=POSTS)
async def save(request: Request) -> Response:
    await request.form()
    return Response("saved", media_type="text/html")


app = Litestar(
    route_handlers=[health, page, save],
    csrf_config=CSRFConfig(
        secret="floor-benchmark-secret-not-used-elsewhere",  # noqa: S106 - benchmark only
        cookie_name="csrftoken",
        header_name="x-csrftoken",
        exclude=["/$"],
    ),
    middleware=[limit.middleware for limit in rate_limits(10**8, 10**8)],
    stores={name: CounterStore() for name in STORES},
    before_send=[security_headers_hook(False)],
    openapi_config=None,
    debug=False,
)
