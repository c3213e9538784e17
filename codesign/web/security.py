"""Security headers on every response, including errors and static files; requests no
page could answer refused before any handler runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.exceptions import HTTPException, NotFoundException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)


def security_headers(https: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    ]
    if https:
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return headers


def security_headers_hook(https: bool) -> Callable[[Message, Scope], Awaitable[None]]:
    """A `before_send` hook: it sees every response, even routing 404s and errors."""
    headers = security_headers(https)

    # async on purpose: Litestar runs a sync hook in a worker thread, per message.
    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        present = {name.lower() for name, _ in message.get("headers", [])}
        message["headers"] = list(message.get("headers", [])) + [
            (name, value) for name, value in headers if name not in present
        ]

    return add_headers


#: SQLite's integers are 64-bit: a larger id in a URL can name nothing.
_LARGEST_ID = 2**63 - 1


class ImpossibleRequestMiddleware:
    """Refuse, calmly, what no page could answer, before any handler or file lookup runs:
    a NUL byte in the path (file systems refuse it) or an id beyond SQLite's integers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if "\x00" in scope.get("path", ""):
                raise HTTPException(status_code=400)
            for value in (scope.get("path_params") or {}).values():
                if isinstance(value, int) and not -_LARGEST_ID <= value <= _LARGEST_ID:
                    raise NotFoundException()
        await self.app(scope, receive, send)
