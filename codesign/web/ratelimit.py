"""Rate limits for public POSTs, code checks and sign-in (Litestar's rate limiting).

A handler opts in with `opt={"limit": "codes"}`, `opt={"limit": "posts"}` or
`opt={"limit": "sign_in"}`. Limits are per client address, never stored with answers.

Where the counts live is a setting (`Settings.rate_limits`):
- "memory" (the default, SQLite): one process serves everything (`codesign serve`
  refuses several workers on SQLite), so counters in its memory are exact, and cost
  nothing on the autosave path.
- "database" (chosen when CODESIGN_DATABASE_URL is a PostgreSQL URL): several
  replicas serve one site, and memory counts would allow 10 code guesses a minute
  *per replica*. The security limits (private-code guesses; staff sign-in, which
  covers invitation and password-reset links) are counted in the database instead
  (codesign.store.counters), so every replica sees one count. The public-posts limit
  (autosave, 600 a minute) stays in memory per replica even then: it only stops a
  flood, N replicas allowing N × 600 guards nothing secret, and counting it in the
  database would add a write to every autosave, the busiest path.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from litestar import Request
from litestar.exceptions import TooManyRequestsException
from litestar.middleware.rate_limit import (
    DURATION_VALUES,
    RateLimitConfig,
    RateLimitMiddleware,
)
from litestar.stores.base import Store
from litestar.types import Receive, Scope, Send

from codesign.store import counters

CODES = {"limit": "codes"}
POSTS = {"limit": "posts"}
SIGN_IN = {"limit": "sign_in"}
STORES = ("rate_limit_codes", "rate_limit_posts", "rate_limit_sign_in")
#: Where counts live: this process's memory, or the shared database.
MEMORY, DATABASE = "memory", "database"
MODES = (MEMORY, DATABASE)
#: The limits counted in the database when it is shared (see the module's docstring).
SECURITY_LIMITS = ("codes", "sign_in")

#: Expired counters are swept when a store holds more keys than this.
SWEEP_AT = 10_000


class LimitMiddleware(RateLimitMiddleware):
    """Litestar's rate-limit middleware for the handlers whose opt names `kind`.

    Changes for speed, all measured on autosave: other requests pass straight
    through without a Request being built for them; the lock is asyncio's (anyio's
    hands control back to the event loop on every acquire, even when nobody holds
    it: a whole loop turn per limited POST); and a client's window is a count, not
    Litestar's list of every request's time, which was decoded from JSON, copied
    and encoded again on every POST (at 600 a minute, most of a save's time).
    Same rule as Litestar's: at most `max_requests` in a window that starts at a
    client's first request and lasts one `unit`.
    """

    kind = ""

    def __init__(self, app: Any, config: RateLimitConfig) -> None:
        super().__init__(app, config)
        if config.set_rate_limit_headers:
            raise ValueError("codesign's rate limits keep a count only: no RateLimit-* headers")
        self._lock = asyncio.Lock()  # type: ignore[assignment]
        self._window = DURATION_VALUES[self.unit]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        if (
            scope.get("method") != "POST"
            or handler is None
            or handler.opt.get("limit") != self.kind
        ):
            await self.app(scope, receive, send)
            return
        app = scope["litestar_app"]
        request: Request = app.request_class(scope)
        if self.check_throttle_handler is None or await self.check_throttle_handler(request):
            await self._limit(app, self.cache_key_from_request(request))
        await self.app(scope, receive, send)

    async def _limit(self, app: Any, key: str) -> None:
        await self._count(key, self.config.get_store_from_app(app))

    async def _count(self, key: str, store: Store) -> None:
        """Count this request in its client's window; 429 once the window is full."""
        async with self._lock:
            now = int(time.time())
            count, reset = _read_window(await store.get(key))
            if reset <= now:
                count, reset = 0, now + self._window
            if count >= self.max_requests:
                raise TooManyRequestsException()
            await store.set(key, b"%d %d" % (count + 1, reset), expires_in=self._window)


def _read_window(value: bytes | None) -> tuple[int, int]:
    """(requests counted, when the window ends) from a stored window; none: (0, 0)."""
    if not value:
        return 0, 0
    count, _, reset = value.partition(b" ")
    return int(count), int(reset)


def _now() -> float:
    """The wall clock, which all replicas share (tests set it)."""
    return time.time()


class DatabaseLimitMiddleware(LimitMiddleware):
    """The same limit, counted in the database that every replica shares.

    A fixed window per key (every clock minute, the same on every replica), counted by
    one conditional upsert (codesign.store.counters.hit): a full window refuses without
    counting. Unlike the memory window, which starts at a client's first request, a
    clock-minute window lets a client use one window's allowance at the end of a minute
    and the next at the start of the next one: at most twice the limit in any 60 s.
    """

    async def _limit(self, app: Any, key: str) -> None:
        counted = await counters.hit(app.state.db, key, _now(), self._window, self.max_requests)
        if counted is None:
            raise TooManyRequestsException()


def _middleware(kind: str, mode: str = MEMORY) -> type[LimitMiddleware]:
    base = DatabaseLimitMiddleware if mode == DATABASE else LimitMiddleware
    return type(f"{kind.title()}LimitMiddleware", (base,), {"kind": kind})


class CounterStore(Store):
    """An in-memory store for the counters, without a lock.

    `get` and `set` never await, so on one event loop two requests cannot
    interleave inside them (Litestar's MemoryStore takes an anyio lock for each,
    which costs a loop turn apiece). Keys are kept in the order of their deadlines
    as set (each set or renewal moves its key to the end), so expired keys are
    dropped from the front, a few at a time, once the store holds `SWEEP_AT` keys:
    never a pass over, or a copy of, every key.
    """

    def __init__(self) -> None:
        self._values: OrderedDict[str, tuple[float | None, bytes]] = OrderedDict()

    @staticmethod
    def _deadline(expires_in: int | timedelta | None) -> float | None:
        if expires_in is None:
            return None
        seconds = expires_in.total_seconds() if isinstance(expires_in, timedelta) else expires_in
        return time.monotonic() + seconds

    def _sweep(self, now: float) -> None:
        """Drop expired keys from the front until one that is still live.

        Counters of one store share one window, so the front holds the oldest; a key
        with a longer life set before shorter ones only delays their sweep (`get`
        still treats each as expired on time). A key kept for ever goes to the back.
        """
        values = self._values
        for _ in range(len(values)):
            key, (deadline, _) = next(iter(values.items()))
            if deadline is None:
                values.move_to_end(key)
            elif deadline > now:
                return
            else:
                del values[key]

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
                  ) -> None:
        if len(self._values) >= SWEEP_AT:
            self._sweep(time.monotonic())
        data = value.encode() if isinstance(value, str) else value
        self._values[key] = (self._deadline(expires_in), data)
        self._values.move_to_end(key)

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
            self._values.move_to_end(key)
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


class ClientKeys:
    """Counter keys for client addresses: a keyed hash (HMAC), never the address.

    A plain hash of an IPv4 address is undone by trying all 2^32 of them, so the key
    is secret. In memory it is a random key of this process; with database counters
    every replica must turn one address into one key, so the app sets the key shared
    through the database at start-up (`use`). Rows in the database then hold
    HMAC(key, limit and address), a window and a count, for a day at most.
    """

    def __init__(self) -> None:
        self._secret = secrets.token_bytes(32)

    def use(self, secret: bytes) -> None:
        self._secret = secret
        self._key_for.cache_clear()

    # An address hashes to the same key every time: remember the last few thousand
    # (a hash per limited POST showed in the profile of autosave).
    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one instance per app, lives as long
    def _key_for(self, prefix: str, host: str) -> str:
        digest = hmac.new(self._secret, f"{prefix}{host}".encode(), hashlib.sha256)
        return prefix + digest.hexdigest()[:32]

    def identifier(self, prefix: str) -> Callable[[Request], str]:
        def identify(request: Request) -> str:
            return self._key_for(prefix, request.client.host if request.client else "unknown")

        return identify


def rate_limits(
    code_per_minute: int,
    posts_per_minute: int,
    sign_in_per_minute: int = 30,
    *,
    mode: str = MEMORY,
    keys: ClientKeys | None = None,
) -> list[RateLimitConfig]:
    """The three limits; with mode "database" the security limits count in the database."""
    if mode not in MODES:
        raise ValueError(f"rate limits are kept in {' or '.join(MODES)}, not {mode!r}")
    keys = keys or ClientKeys()

    def where(kind: str) -> str:
        return mode if kind in SECURITY_LIMITS else MEMORY

    # No RateLimit-* headers: on every save they cost ~10% of its time and no
    # participant's browser reads them; a 429 page says Retry-After instead
    # (codesign.web.errors). LimitMiddleware keeps a count, not the times they need.
    return [
        RateLimitConfig(
            rate_limit=("minute", code_per_minute),
            identifier_for_request=keys.identifier("code:"),
            store=STORES[0],
            middleware_class=_middleware("codes", where("codes")),
            set_rate_limit_headers=False,
        ),
        RateLimitConfig(
            rate_limit=("minute", posts_per_minute),
            identifier_for_request=keys.identifier("post:"),
            store=STORES[1],
            middleware_class=_middleware("posts", where("posts")),
            set_rate_limit_headers=False,
        ),
        # Sign-in POSTs, known account or not, before any hashing or audit row; the
        # one-time links of invitations and password resets are sign-in POSTs too.
        RateLimitConfig(
            rate_limit=("minute", sign_in_per_minute),
            identifier_for_request=keys.identifier("sign-in:"),
            store=STORES[2],
            middleware_class=_middleware("sign_in", where("sign_in")),
            set_rate_limit_headers=False,
        ),
    ]
