"""Rate limits for public POSTs and code checks (Litestar's rate limiting).

A handler opts in with `opt={"limit": "codes"}` or `opt={"limit": "posts"}`.
Limits are per client address, kept only in memory, never stored with answers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

from litestar import Request
from litestar.middleware.rate_limit import RateLimitConfig

CODES = {"limit": "codes"}
POSTS = {"limit": "posts"}


def _client_key(prefix: str) -> Callable[[Request], str]:
    def identify(request: Request) -> str:
        host = request.client.host if request.client else "unknown"
        return prefix + hashlib.sha256(host.encode()).hexdigest()[:16]

    return identify


def _applies_to(kind: str) -> Callable[[Request], Awaitable[bool]]:
    # async on purpose: Litestar runs a sync check in a worker thread, per request.
    async def check(request: Request) -> bool:
        return request.method == "POST" and request.route_handler.opt.get("limit") == kind

    return check


def rate_limits(code_per_minute: int, posts_per_minute: int) -> list[RateLimitConfig]:
    return [
        RateLimitConfig(
            rate_limit=("minute", code_per_minute),
            identifier_for_request=_client_key("code:"),
            check_throttle_handler=_applies_to("codes"),
            store="rate_limit_codes",
        ),
        RateLimitConfig(
            rate_limit=("minute", posts_per_minute),
            identifier_for_request=_client_key("post:"),
            check_throttle_handler=_applies_to("posts"),
            store="rate_limit_posts",
        ),
    ]
