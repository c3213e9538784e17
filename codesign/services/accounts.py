"""Staff accounts: passwords, sign-in with limits, server-side sessions, demo staff.

No HTTP objects here: callers pass an email, a password, a client's address.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from functools import cache

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from codesign.i18n import N_
from codesign.models import STAFF_ROLES, StaffUser
from codesign.store import audit
from codesign.store import themes as theme_store
from codesign.store import users as user_store
from codesign.store.db import Database, utcnow

MIN_PASSWORD = 12
MAX_PASSWORD = 256
MAX_EMAIL = 254
#: A session ends this long after sign-in, whatever happens…
SESSION_LIFETIME = timedelta(hours=12)
#: …or after this long without a request.
SESSION_IDLE = timedelta(hours=2)
_TOUCH_EVERY = timedelta(minutes=5)
#: Failed sign-ins allowed in the window, per account and per client.
ACCOUNT_FAILURES = 5
CLIENT_FAILURES = 20
FAILURE_WINDOW = timedelta(minutes=15)

# A short list of the passwords people pick most; long enough ones among them
# are still refused. (A breached-password service would be better; this needs none.)
COMMON_PASSWORDS = frozenset(
    """
    123456789012 1234567890123 12345678901234 qwertyuiopas qwertyuiop123 password1234
    password12345 passwordpassword password123! iloveyou1234 letmein12345 welcome12345
    welcome123456 changeme1234 changeme12345 administrator admin1234567 adminadmin123
    abc123456789 aaaaaaaaaaaa 111111111111 000000000000 qwerty123456 1q2w3e4r5t6y
    1qaz2wsx3edc zaq12wsxcde3 football1234 baseball1234 monkey123456 dragon123456
    sunshine1234 princess1234 trustno11234 superman1234 starwars1234 correcthorsebatterystaple
    codesign1234 codesign12345 consultation riversidesupport passw0rd1234 p@ssw0rd1234
    """.split()
)

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class AccountError(Exception):
    """A calm message id for the person (translated where shown)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SignInResult(msgspec.Struct, frozen=True):
    user: StaffUser | None
    token: str = ""
    paused: bool = False


class DemoAccount(msgspec.Struct, frozen=True):
    email: str
    role: str
    password: str


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # Argon2id with the RFC 9106 "low memory" parameters


@cache
def _dummy_hash() -> str:
    # Unknown emails cost the same time as wrong passwords.
    return _hasher().hash(secrets.token_urlsafe(16))


def _check(stored: str | None, password: str) -> tuple[str, bool]:
    """Verify a password; an unknown account is checked against a dummy hash."""
    stored = stored or _dummy_hash()
    try:
        _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return stored, False
    return stored, True


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_email(email: str) -> str:
    email = normalise_email(email)
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise AccountError(N_("Enter an email address like name@example.org."))
    return email


def check_password(password: str, email: str = "") -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(N_("Use a password of at least 12 characters."))
    if len(password) > MAX_PASSWORD:
        raise AccountError(N_("Use a password of at most 256 characters."))
    folded = password.lower()
    if folded in COMMON_PASSWORDS or len(set(password)) < 4 or (email and folded == email):
        raise AccountError(
            N_("This password is too easy to guess. Try a few unrelated words together.")
        )


def clean_text(value: str, limit: int = 200) -> str:
    """User text made safe for a one-line log entry: control characters are shown, not obeyed."""
    out = []
    for ch in value[:limit]:
        code = ord(ch)
        if code < 32 or code == 127 or 0x2028 <= code <= 0x2029 or 0x202A <= code <= 0x202E:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out) + ("…" if len(value) > limit else "")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccountService:
    def __init__(self, db: Database, key: str) -> None:
        self.db = db
        self.key = key.encode()

    def _keyed(self, kind: str, value: str) -> str:
        return hmac.new(self.key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]

    async def create_user(self, email: str, role: str, password: str) -> StaffUser:
        email = check_email(email)
        if role not in STAFF_ROLES:
            raise AccountError(N_("Choose a role: admin, organizer or board."))
        check_password(password, email)
        user = await user_store.create_user(self.db, email, role, _hasher().hash(password))
        if user is None:
            raise AccountError(N_("There is already an account with this email address."))
        await audit.add(self.db, "cli", "user_created", f"{email} ({role})", user_id=user.id)
        return user

    async def set_password(self, email: str, password: str) -> StaffUser:
        email = check_email(email)
        found = await user_store.by_email(self.db, email)
        if found is None:
            raise AccountError(N_("There is no account with this email address."))
        check_password(password, email)
        user = found[0]
        await user_store.set_password_hash(self.db, user.id, _hasher().hash(password))
        await audit.add(self.db, "cli", "password_set", email, user_id=user.id)
        return user

    async def sign_in(self, email: str, password: str, client: str) -> SignInResult:
        email = normalise_email(email)[:MAX_EMAIL]
        password = password[:MAX_PASSWORD]
        account_key = self._keyed("account", email)
        client_key = self._keyed("client", client)
        since = utcnow() - FAILURE_WINDOW
        shown = clean_text(email, 100)
        if (
            await user_store.failures_since(self.db, since, account_key=account_key)
            >= ACCOUNT_FAILURES
            or await user_store.failures_since(self.db, since, client_key=client_key)
            >= CLIENT_FAILURES
        ):
            await audit.add(self.db, shown, "sign_in_paused")
            return SignInResult(None, paused=True)
        found = await user_store.by_email(self.db, email)
        user = found[0] if found else None
        # Argon2 takes tens of milliseconds of CPU by design: off the event loop.
        stored, matches = await asyncio.to_thread(_check, found[1] if found else None, password)
        verified = matches and user is not None and user.active
        await user_store.record_attempt(self.db, account_key, client_key, verified)
        if not verified or user is None:
            await audit.add(self.db, shown, "sign_in_failed")
            return SignInResult(None)
        if _hasher().check_needs_rehash(stored):
            rehashed = await asyncio.to_thread(_hasher().hash, password)
            await user_store.set_password_hash(self.db, user.id, rehashed)
        token = secrets.token_urlsafe(32)
        await user_store.create_session(
            self.db, token_hash(token), user.id, utcnow() + SESSION_LIFETIME
        )
        await audit.add(self.db, user.email, "sign_in", user_id=user.id)
        return SignInResult(user, token)

    async def user_for_token(self, token: str | None) -> StaffUser | None:
        if not token or len(token) > 100:
            return None
        hashed = token_hash(token)
        found = await user_store.session(self.db, hashed)
        if found is None:
            return None
        user, last_seen, expires = found
        now = utcnow()
        if now >= expires or now - last_seen >= SESSION_IDLE:
            await user_store.delete_session(self.db, hashed)
            return None
        if now - last_seen >= _TOUCH_EVERY:
            await user_store.touch_session(self.db, hashed)
        return user

    async def sign_out(self, token: str | None, user: StaffUser | None) -> None:
        if token:
            await user_store.delete_session(self.db, token_hash(token))
        if user is not None:
            await audit.add(self.db, user.email, "sign_out", user_id=user.id)

    async def ensure_demo_staff(self, round_id: int) -> list[DemoAccount]:
        """A demo organizer and board member on the demo round; passwords only when new."""
        created = []
        people: dict[str, int] = {}
        for email, role in (
            ("organizer@demo.codesign.invalid", "organizer"),
            ("board@demo.codesign.invalid", "board"),
        ):
            found = await user_store.by_email(self.db, email)
            if found is None:
                password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
                user = await self.create_user(email, role, password)
                created.append(DemoAccount(email, role, password))
            else:
                user = found[0]
            await user_store.add_member(self.db, round_id, user.id)
            people[role] = user.id
        # The demo round's safeguarding: the board member leads, the organizer deputises.
        settings = await theme_store.settings_for(self.db, round_id)
        if settings.safeguarding_user_id is None:
            await theme_store.save_settings(
                self.db,
                round_id,
                anonymity_threshold=settings.anonymity_threshold,
                quotes_allowed=settings.quotes_allowed,
                safeguarding_user_id=people["board"],
                safeguarding_deputy_id=people["organizer"],
            )
        return created
