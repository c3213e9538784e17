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
import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from codesign.i18n import N_, translations_for
from codesign.models import STAFF_ROLES, StaffUser
from codesign.services.access import needs_two_step
from codesign.services.errors import AccountError
from codesign.store import audit
from codesign.store import users as user_store
from codesign.store.board import settings as settings_store
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

#: One-time links: an invitation is good for 72 hours, a password reset for one.
INVITE_VALID = timedelta(hours=72)
RESET_VALID = timedelta(hours=1)
#: Two-step sign-in: codes from an authenticator app (RFC 6238, 30-second steps); a code
#: from the step before or after is accepted too (clocks drift), each step only once.
STEP_SECONDS = 30
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
#: The admin's setting that asks every staff account for two-step sign-in.
EVERYONE_TWO_FACTOR = "two_factor_for_everyone"
ISSUER = "codesign"

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class SignInResult(msgspec.Struct, frozen=True):
    user: StaffUser | None
    token: str = ""
    paused: bool = False
    #: The new session's stage: full, or a step still to do (code, enrol).
    stage: str = "full"


class CodeResult(msgspec.Struct, frozen=True):
    ok: bool
    paused: bool = False
    next_stage: str = ""


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


async def account_service(db: Database) -> AccountService:
    """The account service with this site's staff key (made on first use)."""
    from codesign.services.site_keys import site_key

    return AccountService(db, await site_key(db, "staff_key"))


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
        stage = await self.first_stage(user)
        await user_store.create_session(
            self.db, token_hash(token), user.id, utcnow() + SESSION_LIFETIME, stage
        )
        if stage != "code":  # with a code step, the sign-in is recorded once the code is right
            await audit.add(self.db, user.email, "sign_in", user_id=user.id)
        return SignInResult(user, token, stage=stage)

    async def two_factor_required(self, user: StaffUser) -> bool:
        """Admins and safeguarding leads (and deputies) need two-step sign-in, everyone does
        when an admin says so; the demo accounts `serve --demo` prints are the exception."""
        if user.demo or user.role == "admin":
            return needs_two_step(user, safeguards_a_round=False, everyone=False)
        everyone = await user_store.site_setting(self.db, EVERYONE_TWO_FACTOR) == "on"
        safeguards = not everyone and await user_store.is_safeguarding_person(self.db, user.id)
        return needs_two_step(user, safeguards_a_round=safeguards, everyone=everyone)

    async def first_stage(self, user: StaffUser) -> str:
        if user.two_factor:
            return "code"
        return "enrol" if await self.two_factor_required(user) else "full"

    async def session_for_token(self, token: str | None) -> user_store.SessionRow | None:
        """The session a cookie names, at whatever stage it is (None: none, or it ended)."""
        if not token or len(token) > 100:
            return None
        hashed = token_hash(token)
        found = await user_store.session(self.db, hashed)
        if found is None:
            return None
        now = utcnow()
        if now >= found.expires or now - found.last_seen >= SESSION_IDLE:
            await user_store.delete_session(self.db, hashed)
            return None
        if now - found.last_seen >= _TOUCH_EVERY:
            await user_store.touch_session(self.db, hashed)
        return found

    async def user_for_token(self, token: str | None) -> StaffUser | None:
        """The staff member of a session that has passed every sign-in step."""
        found = await self.session_for_token(token)
        return found.user if found is not None and found.stage == "full" else None

    # Accounts from the web ------------------------------------------------

    async def invite(self, actor: StaffUser, email: str, role: str) -> tuple[StaffUser, str]:
        """A new account and its one-time invitation link's token (only its hash is kept)."""
        email = check_email(email)
        if role not in STAFF_ROLES:
            raise AccountError(N_("Choose a role: admin, organizer or board."))
        token = secrets.token_urlsafe(32)
        user = await user_store.create_invited(
            self.db, email, role, token_hash(token), utcnow() + INVITE_VALID, _actor(actor)
        )
        if user is None:
            raise AccountError(N_("There is already an account with this email address."))
        return user, token

    async def send_password_link(self, actor: StaffUser, user_id: int) -> tuple[StaffUser, str]:
        """A one-time link to choose a new password (a new invitation if none was chosen)."""
        token = secrets.token_urlsafe(32)
        now = utcnow()
        # The kind (and so its validity) is decided inside the write: an invitation is sent
        # again with its 72 hours, a reset link has one hour.
        user = await user_store.create_link(
            self.db, user_id, token_hash(token), now + INVITE_VALID, now + RESET_VALID,
            _actor(actor),
        )
        if user is None:
            raise AccountError(N_("This account is deactivated. Reactivate it first."))
        return user, token

    async def link_for(self, token: str) -> user_store.AccountLink | None:
        """A link that can still be used (None: unknown, used, expired or replaced)."""
        if not token or len(token) > 100:
            return None
        found = await user_store.link(self.db, token_hash(token))
        if found is None or found.used or utcnow() >= found.expires_at:
            return None
        return found

    async def use_link(self, token: str, password: str) -> tuple[StaffUser, str, str]:
        """Choose a password through a link: (user, new session token, its stage)."""
        found = await self.link_for(token)
        if found is None:
            raise AccountError(N_("This link has already been used or is too old."))
        check_password(password[: MAX_PASSWORD + 1], found.user.email)
        async with self._hashing:
            hashed = await asyncio.to_thread(_hasher().hash, password)
        session = secrets.token_urlsafe(32)
        done = await user_store.use_link(
            self.db,
            token_hash(token),
            hashed,
            token_hash(session),
            utcnow() + SESSION_LIFETIME,
            _Stages(self),
        )
        if done is None:
            raise AccountError(N_("This link has already been used or is too old."))
        return done[0], session, done[1]

    async def set_active(self, actor: StaffUser, user_id: int, active: bool) -> StaffUser:
        if user_id == actor.id:
            raise AccountError(N_("You can't deactivate your own account. Ask another admin."))
        user = await user_store.set_active(self.db, user_id, active, _actor(actor))
        if user is None:
            raise AccountError(N_("Nothing changed: the account was already like that."))
        return user

    async def change_role(self, actor: StaffUser, user_id: int, role: str) -> StaffUser:
        if role not in STAFF_ROLES:
            raise AccountError(N_("Choose a role: admin, organizer or board."))
        if user_id == actor.id:
            raise AccountError(N_("You can't change your own role. Ask another admin."))
        user = await user_store.set_role(self.db, user_id, role, _actor(actor))
        if user is None:
            raise AccountError(N_("Nothing changed: the account already had this role."))
        return user

    async def clear_two_factor(self, actor: StaffUser, user_id: int) -> StaffUser:
        if user_id == actor.id:
            raise AccountError(N_("You can't do this for your own account. Ask another admin."))
        user = await user_store.clear_two_factor(self.db, user_id, _actor(actor))
        if user is None:
            raise AccountError(N_("Nothing changed: the account was already like that."))
        return user

    async def people(self) -> list[StaffUser]:
        return await user_store.all_users(self.db)

    async def everyone_two_factor(self) -> bool:
        return await user_store.site_setting(self.db, EVERYONE_TWO_FACTOR) == "on"

    async def set_everyone_two_factor(self, actor: StaffUser, on: bool) -> None:
        await user_store.set_site_setting(
            self.db, EVERYONE_TWO_FACTOR, "on" if on else "off", _actor(actor),
            "two_factor_for_everyone",
        )

    # Two-step sign-in -----------------------------------------------------

    async def enrolment_secret(self, token: str) -> str | None:
        """The secret being set up in this session (a new one the first time)."""
        found = await self.session_for_token(token)
        if found is None or found.stage == "code":
            return None
        if found.pending_secret:
            return found.pending_secret
        secret = pyotp.random_base32()
        await user_store.set_pending_secret(self.db, token_hash(token), secret)
        return secret

    def provisioning_uri(self, secret: str, email: str) -> str:
        return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)

    async def finish_enrolment(self, token: str, code: str, client: str) -> CodeResult | list[str]:
        """A right code from the app turns two-step sign-in on: the recovery codes, shown once."""
        found = await self.session_for_token(token)
        if found is None or not found.pending_secret:
            return CodeResult(False)
        limited = await self._reserve_code_try(found.user, client)
        if limited is None:
            return CodeResult(False, paused=True)
        step = _matching_step(found.pending_secret, code)
        if step is None:
            await self._code_failed(found.user)
            return CodeResult(False)
        codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
        done = await user_store.enrol_two_factor(
            self.db, token_hash(token), found.user, found.pending_secret, step,
            [self._recovery_hash(c) for c in codes],
        )
        if not done:
            return CodeResult(False)
        await self._code_settled(found.user, client, limited)
        return codes

    async def check_code(self, token: str, code: str, client: str) -> CodeResult:
        """The code step of signing in: a code from the app (each once) or a recovery code."""
        found = await self.session_for_token(token)
        if found is None or found.stage != "code":
            return CodeResult(False)
        user = found.user
        attempt = await self._reserve_code_try(user, client)
        if attempt is None:
            return CodeResult(False, paused=True)
        code = code[:40]
        secret, _ = await user_store.totp_state(self.db, user.id)
        ok = False
        if secret:
            step = _matching_step(secret, code)
            if step is not None:
                ok = await user_store.spend_totp_step(self.db, user.id, step)
            elif _looks_like_recovery(code):
                ok = await user_store.spend_recovery_code(
                    self.db, user.id, self._recovery_hash(code)
                )
        if not ok:
            await self._code_failed(user)
            return CodeResult(False)
        await self._code_settled(user, client, attempt)
        await user_store.finish_code_step(self.db, token_hash(token), user)
        return CodeResult(True, next_stage="full")

    async def recovery_codes_left(self, user: StaffUser) -> int:
        return await user_store.recovery_codes_left(self.db, user.id)

    def _recovery_hash(self, code: str) -> str:
        return self._keyed("recovery", _normal_code(code))

    async def _reserve_code_try(self, user: StaffUser, client: str) -> int | None:
        reservation = await user_store.reserve_attempt(
            self.db,
            self._keyed("code", user.email),
            self.client_pseudonym(client),
            utcnow() - FAILURE_WINDOW,
            pair_limit=PAIR_FAILURES,
            client_limit=CLIENT_FAILURES,
            account_limit=ACCOUNT_FAILURES,
        )
        if reservation.attempt_id is None:
            await audit.add_folded(
                self.db, user.email, "two_factor_paused", self._keyed("code-paused", user.email),
                utcnow() - FAILURE_WINDOW, user_id=user.id,
            )
            return None
        delay = failure_delay(reservation.account_failures)
        if delay:
            await asyncio.sleep(delay)
        return reservation.attempt_id

    async def _code_failed(self, user: StaffUser) -> None:
        await audit.add_folded(
            self.db, user.email, "two_factor_failed", self._keyed("code-failed", user.email),
            utcnow() - FAILURE_WINDOW, user_id=user.id,
        )

    async def _code_settled(self, user: StaffUser, client: str, attempt_id: int) -> None:
        await user_store.settle_success(
            self.db, attempt_id, self._keyed("code", user.email), self.client_pseudonym(client)
        )

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
            await user_store.mark_demo(self.db, user.id)
            await user_store.add_member(self.db, round_id, user.id)
            people[role] = user.id
        # The demo round's safeguarding: the board member leads, the organizer deputises.
        settings = await settings_store.settings_for(self.db, round_id)
        if settings.safeguarding_user_id is None:
            await settings_store.save_settings(
                self.db,
                round_id,
                anonymity_threshold=settings.anonymity_threshold,
                quotes_allowed=settings.quotes_allowed,
                safeguarding_user_id=people["board"],
                safeguarding_deputy_id=people["organizer"],
            )
        return created


class _Stages(user_store.StageRule):
    """`first_stage`, inside the write that spends a link."""

    def __init__(self, service: AccountService) -> None:
        self.service = service

    async def stage_in(self, conn, user: StaffUser) -> str:
        if user.two_factor:
            return "code"
        if user.demo or user.role == "admin":
            needed = needs_two_step(user, safeguards_a_round=False, everyone=False)
            return "enrol" if needed else "full"
        safeguards = await user_store.is_safeguarding_person_in(conn, user.id)
        everyone = await user_store.site_setting_in(conn, EVERYONE_TWO_FACTOR) == "on"
        needed = needs_two_step(user, safeguards_a_round=safeguards, everyone=everyone)
        return "enrol" if needed else "full"


def _actor(user: StaffUser) -> user_store.Actor:
    return user_store.Actor(user.email, user.id)


def _normal_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _looks_like_recovery(code: str) -> bool:
    normal = _normal_code(code)
    return len(normal) == 10 and all(ch in _RECOVERY_ALPHABET for ch in normal)


def _recovery_code() -> str:
    chars = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{chars[:5]}-{chars[5:]}"


def _matching_step(secret: str, code: str) -> int | None:
    """The 30-second step (now, or one either side) whose code this is."""
    code = "".join(ch for ch in code if not ch.isspace())
    if len(code) != 6 or not code.isdecimal():
        return None
    totp = pyotp.TOTP(secret)
    now = int(utcnow().timestamp()) // STEP_SECONDS
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def link_message(kind: str, url: str, locale: str) -> tuple[str, str]:
    """The email with a one-time link: what it is for, how long it works; never a password."""
    t = translations_for(locale)
    if kind == "invite":
        subject = t.gettext("You are invited to codesign")
        lines = [
            t.gettext("An admin has made a staff account for you on codesign."),
            t.gettext("Open this link to choose your password. It works once, for 72 hours:"),
        ]
    else:
        subject = t.gettext("Choose a new codesign password")
        lines = [
            t.gettext("An admin has sent you a link to choose a new password."),
            t.gettext("Open this link to choose it. It works once, for one hour:"),
        ]
    lines += [
        url,
        "",
        t.gettext("If you didn't expect this email, you can ignore it. Nothing changes until "
                  "the link is used."),
    ]
    return f"codesign: {subject}", "\n".join(lines)
