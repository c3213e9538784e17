"""Security headers on every response, including errors and static files."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.types import Message, Scope

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
