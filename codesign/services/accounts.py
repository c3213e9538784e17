"""Staff accounts: passwords, sign-in with limits, server-side sessions, demo staff.

No HTTP objects here: callers pass an email, a password, a client's address.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from datetime import date, timedelta
from functools import cache

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

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
#: Failed sign-ins allowed in the window: per account from one client (the attacker's
#: guesses pause that client, not the owner elsewhere), per client over all accounts, and
#: per account from anywhere (only reached by guessing from many addresses at once).
PAIR_FAILURES = 5
CLIENT_FAILURES = 20
ACCOUNT_FAILURES = 50
FAILURE_WINDOW = timedelta(minutes=15)
#: Progressive delay before the password is checked, once an account has this many
#: failures from anywhere: it slows guessing from many addresses without locking anyone out.
DELAY_AFTER = 3
DELAY_FIRST = 0.5
DELAY_MOST = 5.0
#: Passwords need zxcvbn's top score (about 10^10 guesses or more).
STRONG_ENOUGH = 4
#: zxcvbn's own advice: estimate on the first 100 characters (its time grows with length).
_ESTIMATE_CHARS = 100

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


def failure_delay(account_failures: int) -> float:
    """Seconds to wait before checking a password, doubling with the account's failures."""
    if account_failures <= DELAY_AFTER:
        return 0.0
    return min(DELAY_FIRST * 2 ** (account_failures - DELAY_AFTER - 1), DELAY_MOST)


def check_password(password: str, email: str = "") -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(N_("Use a password of at least 12 characters."))
    if len(password) > MAX_PASSWORD:
        raise AccountError(N_("Use a password of at most 256 characters."))
    # zxcvbn knows common passwords, names, words, keyboard runs, dates and l33t;
    # the email and the site's name count as guessable too.
    hints = [email, email.split("@")[0], "codesign"] if email else ["codesign"]
    if zxcvbn(password[:_ESTIMATE_CHARS], user_inputs=hints)["score"] < STRONG_ENOUGH:
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


class DailyKey:
    """A key that lives only in this process's memory and is replaced every day (UTC).

    Client pseudonyms (`HMAC(key, address)`) are kept for a day at most; with the key
    nowhere on disk, a copy of the database can't turn them back into addresses (there
    are only 2^32 IPv4 addresses to try). A restart or a new day starts counts afresh.
    """

    def __init__(self) -> None:
        self._day: date | None = None
        self._key = b""

    def current(self) -> bytes:
        today = utcnow().date()
        if today != self._day:
            self._day, self._key = today, secrets.token_bytes(32)
        return self._key


class AccountService:
    def __init__(self, db: Database, key: str) -> None:
        self.db = db
        self.key = key.encode()
        self.client_key = DailyKey()
        # Argon2 is CPU by design: one at a time keeps the other core for participants,
        # however many sign-ins arrive together.
        self._hashing = asyncio.Semaphore(1)

    def _keyed(self, kind: str, value: str) -> str:
        return hmac.new(self.key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]

    def client_pseudonym(self, client: str) -> str:
        key = self.client_key.current()
        return hmac.new(key, f"client:{client}".encode(), hashlib.sha256).hexdigest()[:32]

    def unknown_email(self, email: str) -> str:
        """The audit log's name for text that matched no account: often a password typed
        in the wrong box, so only a keyed hash is kept (the same text, the same name)."""
        return "unknown-email:" + self._keyed("unknown-email", email)[:16]

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
        client_key = self.client_pseudonym(client)
        since = utcnow() - FAILURE_WINDOW
        found = await user_store.by_email(self.db, email)
        user = found[0] if found else None
        actor = user.email if user else self.unknown_email(email)
        user_id = user.id if user else None
        # Counted before the hash, so simultaneous guesses can't all slip through.
        reservation = await user_store.reserve_attempt(
            self.db,
            account_key,
            client_key,
            since,
            pair_limit=PAIR_FAILURES,
            client_limit=CLIENT_FAILURES,
            account_limit=ACCOUNT_FAILURES,
        )
        if reservation.attempt_id is None:
            await audit.add_folded(
                self.db, actor, "sign_in_paused", self._keyed("paused", client_key), since,
                user_id=user_id,
            )
            return SignInResult(None, paused=True)
        delay = failure_delay(reservation.account_failures)
        if delay:
            await asyncio.sleep(delay)
        # Argon2 takes tens of milliseconds of CPU by design: off the event loop.
        async with self._hashing:
            stored, matches = await asyncio.to_thread(
                _check, found[1] if found else None, password
            )
        verified = matches and user is not None and user.active
        if not verified or user is None:
            await audit.add_folded(
                self.db, actor, "sign_in_failed", self._keyed("failed", actor), since,
                user_id=user_id,
            )
            return SignInResult(None)
        await user_store.settle_success(
            self.db, reservation.attempt_id, account_key, client_key
        )
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
