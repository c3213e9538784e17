"""Rate limits for public POSTs and code checks (Litestar's rate limiting).

A handler opts in with `opt={"limit": "codes"}` or `opt={"limit": "posts"}`.
Limits are per client address, kept only in memory, never stored with answers.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from litestar import Request
from litestar.middleware.rate_limit import RateLimitConfig, RateLimitMiddleware
from litestar.stores.base import Store
from litestar.types import Receive, Scope, Send

CODES = {"limit": "codes"}
POSTS = {"limit": "posts"}
SIGN_IN = {"limit": "sign_in"}
STORES = ("rate_limit_codes", "rate_limit_posts", "rate_limit_sign_in")

#: Expired counters are swept when a store holds more keys than this.
SWEEP_AT = 10_000


class LimitMiddleware(RateLimitMiddleware):
    """Litestar's rate-limit middleware for the handlers whose opt names `kind`.

    Two changes for speed, both measured on autosave: other requests pass straight
    through without a Request being built for them, and the lock is asyncio's
    (anyio's hands control back to the event loop on every acquire, even when
    nobody holds it: a whole loop turn per limited POST).
    """

    kind = ""

    def __init__(self, app: Any, config: RateLimitConfig) -> None:
        super().__init__(app, config)
        self._lock = asyncio.Lock()  # type: ignore[assignment]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        if (
            scope.get("method") != "POST"
            or handler is None
            or handler.opt.get("limit") != self.kind
        ):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _middleware(kind: str) -> type[LimitMiddleware]:
    return type(f"{kind.title()}LimitMiddleware", (LimitMiddleware,), {"kind": kind})


class CounterStore(Store):
    """An in-memory store for the counters, without a lock.

    `get` and `set` never await, so on one event loop two requests cannot
    interleave inside them (Litestar's MemoryStore takes an anyio lock for each,
    which costs a loop turn apiece). Expired keys are swept as the store grows,
    so many addresses passing through do not pile up.
    """

    def __init__(self) -> None:
        self._values: dict[str, tuple[float | None, bytes]] = {}

    @staticmethod
    def _deadline(expires_in: int | timedelta | None) -> float | None:
        if expires_in is None:
            return None
        seconds = expires_in.total_seconds() if isinstance(expires_in, timedelta) else expires_in
        return time.monotonic() + seconds

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
                  ) -> None:
        if len(self._values) >= SWEEP_AT and key not in self._values:
            now = time.monotonic()
            self._values = {
                k: v for k, v in self._values.items() if v[0] is None or v[0] > now
            }
        data = value.encode() if isinstance(value, str) else value
        self._values[key] = (self._deadline(expires_in), data)

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        found = self._values.get(key)
        if found is None:
            return None
        deadline, data = found
        if deadline is not None and deadline <= time.monotonic():
            del self._values[key]
            return None
        if renew_for and deadline is not None:
            self._values[key] = (self._deadline(renew_for), data)
        return data

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)

    async def delete_all(self) -> None:
        self._values.clear()

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        found = self._values.get(key)
        if found is None or found[0] is None:
            return None
        return int(found[0] - time.monotonic())


def _client_key(prefix: str) -> Callable[[Request], str]:
    def identify(request: Request) -> str:
        host = request.client.host if request.client else "unknown"
        return prefix + hashlib.sha256(host.encode()).hexdigest()[:16]

    return identify


def rate_limits(
    code_per_minute: int, posts_per_minute: int, sign_in_per_minute: int = 30
) -> list[RateLimitConfig]:
    # RateLimit-* headers on every save cost ~10% of its time and no participant's
    # browser reads them; a 429 page says Retry-After instead (codesign.web.errors).
    return [
        RateLimitConfig(
            rate_limit=("minute", code_per_minute),
            identifier_for_request=_client_key("code:"),
            store=STORES[0],
            middleware_class=_middleware("codes"),
            set_rate_limit_headers=False,
        ),
        RateLimitConfig(
            rate_limit=("minute", posts_per_minute),
            identifier_for_request=_client_key("post:"),
            store=STORES[1],
            middleware_class=_middleware("posts"),
            set_rate_limit_headers=False,
        ),
        # Sign-in POSTs, known account or not, before any hashing or audit row.
        RateLimitConfig(
            rate_limit=("minute", sign_in_per_minute),
            identifier_for_request=_client_key("sign-in:"),
            store=STORES[2],
            middleware_class=_middleware("sign_in"),
            set_rate_limit_headers=False,
        ),
    ]
