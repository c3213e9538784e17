"""Settings from `CODESIGN_*` environment variables, with safe defaults."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

#: Interface languages with a gettext catalogue.  A round offers a subset.
SUPPORTED_LOCALES: tuple[str, ...] = ("en", "es", "fr", "ar")


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    db_path: str = "codesign.db"
    #: A PostgreSQL database instead of the SQLite file (`CODESIGN_DATABASE_URL`,
    #: postgresql://user:password@host:port/name); needs codesign[postgresql].
    database_url: str = ""
    #: Where "Leave this page" goes: a neutral, busy site (as GOV.UK's pattern does).
    exit_url: str = "https://www.bbc.co.uk/weather"
    #: Hard cap on any request body; the soft limit per answer is far below it.
    max_body_bytes: int = 64 * 1024
    #: Resume / withdraw code checks allowed per client per minute.
    code_attempts_per_minute: int = 10
    #: Public POSTs (answers, consent) per client per minute.
    public_posts_per_minute: int = 600
    #: Staff sign-in POSTs per client per minute (`CODESIGN_SIGN_IN_POSTS_PER_MINUTE`).
    sign_in_posts_per_minute: int = 30
    #: Where the code-guess and sign-in limits count (`CODESIGN_RATE_LIMITS`): "memory"
    #: (one process, the SQLite default) or "database" (shared by every replica; the
    #: default when CODESIGN_DATABASE_URL is a PostgreSQL URL). See codesign.web.ratelimit.
    rate_limits: str = "memory"
    #: Set when served behind HTTPS: Secure cookies and HSTS.
    https: bool = False
    #: Addresses of reverse proxies whose X-Forwarded-For names the real client
    #: (comma-separated, as uvicorn's forwarded_allow_ips). Without it, behind a
    #: proxy every participant shares the proxy's address and its rate limits.
    trusted_proxies: str = ""
    #: Redact and embed submitted written answers in the background as they arrive,
    #: so a board's first analysis finds the vectors ready (`CODESIGN_BACKGROUND_EMBEDDING`).
    background_embedding: bool = True
    #: Screen every written answer for risk in the background, within seconds of a save
    #: (`CODESIGN_BACKGROUND_SCREENING`; tests that drive screening by hand turn it off).
    background_screening: bool = True
    #: Seconds between looks for answers to screen when there is no backlog.
    screening_interval: float = 2.0
    #: On PostgreSQL, background work runs as jobs (codesign.jobs): each replica's worker
    #: beats this often (`CODESIGN_JOB_HEARTBEAT_SECONDS`), and a job whose worker has
    #: not beaten for `job_stalled_seconds` (`CODESIGN_JOB_STALLED_SECONDS`: its replica
    #: died) is run again by another replica.
    job_heartbeat_seconds: float = 10.0
    job_stalled_seconds: float = 60.0
    #: Seconds before a failed analysis run is tried again (`CODESIGN_JOB_RETRY_SECONDS`).
    job_retry_seconds: int = 5
    #: The site's address as people reach it (`CODESIGN_PUBLIC_URL`): share links, QR
    #: codes, posters and emails use it, never the request's Host header.
    public_url: str = ""
    #: Host names requests may carry (`CODESIGN_ALLOWED_HOSTS`, comma-separated,
    #: `*.example.org` allowed); the public URL's host always is. None set: any host.
    allowed_hosts: str = ""
    #: Outgoing mail for the safeguarding lead's notices (`CODESIGN_SMTP_*`); none when no host.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    #: "starttls" (default), "tls" (implicit TLS, port 465) or "none" (a relay on loopback).
    smtp_security: str = "starttls"
    #: Hours an unhandled safeguarding item waits before it is escalated.
    escalate_after_hours: float = 24.0
    #: Flagged answers a staff member opens in a sitting before a break is suggested.
    reading_break_after: int = 10
    #: Who staff can talk to after reading something hard (`CODESIGN_STAFF_SUPPORT`).
    staff_support: str = ""

    def __post_init__(self) -> None:
        refuse_any_proxy(self.trusted_proxies)
        if self.rate_limits not in ("memory", "database"):
            raise ValueError("CODESIGN_RATE_LIMITS must be memory or database")
        check_database_url(self.database_url)


#: Entries of CODESIGN_TRUSTED_PROXIES that would trust every address.
_ANY_ADDRESS = {"*", "0.0.0.0/0", "::/0"}


def refuse_any_proxy(trusted_proxies: str) -> None:
    """Trusting every address as a proxy lets any client name itself in X-Forwarded-For,
    and so get a fresh rate-limit count (code guesses, saves, sign-in) at every request."""
    entries = {entry.strip() for entry in trusted_proxies.split(",")}
    if entries & _ANY_ADDRESS:
        raise ValueError(
            "CODESIGN_TRUSTED_PROXIES must list the addresses of your reverse proxies, not"
            " '*' (or a /0 network): trusting every address lets any client choose the"
            " address its rate limits count, by sending an X-Forwarded-For header."
            " List each proxy's address, e.g. CODESIGN_TRUSTED_PROXIES=10.0.0.5"
        )


#: Said when CODESIGN_DATABASE_URL can't be read; never the URL itself (its password).
UNREADABLE_DATABASE_URL = (
    "CODESIGN_DATABASE_URL could not be read as postgresql://user:password@host:port/"
    "database: percent-encode any :, /, ?, #, @ or % in the user name or password"
    " (%3A, %2F, %3F, %23, %40, %25)"
)


def _ports_readable(netloc: str) -> bool:
    """Whether every host of `user:password@host:port,host:port` (libpq's several
    hosts, IPv6 in brackets) has a number, or nothing, for its port."""
    for spec in netloc.rpartition("@")[2].split(","):
        if spec.startswith("["):
            rest = spec.partition("]")[2]
            port = rest[1:] if rest.startswith(":") else rest
        else:
            port = spec.rpartition(":")[2] if ":" in spec else ""
        if port and not (port.isascii() and port.isdigit()):
            return False
    return True


def check_database_url(url: str) -> None:
    """Only PostgreSQL URLs whose host and port can be read: anything else is a
    mistake better caught at start, and said without quoting the URL (a password
    with an unencoded # or / in it would otherwise be shown as the "port")."""
    if not url:
        return
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed [ of an IPv6 address
        raise ValueError(UNREADABLE_DATABASE_URL) from None
    if not _ports_readable(parts.netloc):
        raise ValueError(UNREADABLE_DATABASE_URL)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError(
            "CODESIGN_DATABASE_URL must be a PostgreSQL URL"
            " (postgresql://user:password@host:port/database); leave it unset for SQLite"
        )


def allowed_hosts(settings: Settings) -> list[str]:
    """The Host names to accept: those listed, plus the public URL's own."""
    hosts = [h.strip().lower() for h in settings.allowed_hosts.split(",") if h.strip()]
    if settings.public_url:
        url = urlsplit(settings.public_url)
        # Browsers send the port in Host when the address has one, and the check
        # compares the whole header: "example.org:8443" must be accepted as well.
        names = [url.hostname, f"{url.hostname}:{url.port}" if url.port else None]
        hosts += [name for name in names if name and name not in hosts]
    return hosts


def is_postgres_url(url: str | None) -> bool:
    """Whether CODESIGN_DATABASE_URL names a PostgreSQL database (shared by replicas)."""
    return bool(url) and urlsplit(url.strip()).scheme in ("postgres", "postgresql")


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_env(environ: dict[str, str] | None = None, **overrides: object) -> Settings:
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    if env.get("CODESIGN_DB"):
        values["db_path"] = env["CODESIGN_DB"]
    if env.get("CODESIGN_DATABASE_URL"):
        values["database_url"] = env["CODESIGN_DATABASE_URL"].strip()
    if env.get("CODESIGN_EXIT_URL"):
        values["exit_url"] = env["CODESIGN_EXIT_URL"]
    for key, name in (
        ("max_body_bytes", "CODESIGN_MAX_BODY_BYTES"),
        ("code_attempts_per_minute", "CODESIGN_CODE_ATTEMPTS_PER_MINUTE"),
        ("public_posts_per_minute", "CODESIGN_PUBLIC_POSTS_PER_MINUTE"),
        ("sign_in_posts_per_minute", "CODESIGN_SIGN_IN_POSTS_PER_MINUTE"),
    ):
        if env.get(name):
            values[key] = int(env[name])
    for key, name in (
        ("public_url", "CODESIGN_PUBLIC_URL"),
        ("allowed_hosts", "CODESIGN_ALLOWED_HOSTS"),
        ("smtp_host", "CODESIGN_SMTP_HOST"),
        ("smtp_user", "CODESIGN_SMTP_USER"),
        ("smtp_password", "CODESIGN_SMTP_PASSWORD"),
        ("smtp_from", "CODESIGN_SMTP_FROM"),
        ("smtp_security", "CODESIGN_SMTP_SECURITY"),
        ("staff_support", "CODESIGN_STAFF_SUPPORT"),
    ):
        if env.get(name):
            values[key] = env[name].strip()
    for key, name, kind in (
        ("smtp_port", "CODESIGN_SMTP_PORT", int),
        ("reading_break_after", "CODESIGN_READING_BREAK_AFTER", int),
        ("escalate_after_hours", "CODESIGN_ESCALATE_AFTER_HOURS", float),
        ("screening_interval", "CODESIGN_SCREENING_INTERVAL", float),
        ("job_heartbeat_seconds", "CODESIGN_JOB_HEARTBEAT_SECONDS", float),
        ("job_stalled_seconds", "CODESIGN_JOB_STALLED_SECONDS", float),
        ("job_retry_seconds", "CODESIGN_JOB_RETRY_SECONDS", int),
    ):
        if env.get(name):
            values[key] = kind(env[name])
    if values.get("smtp_security", "starttls") not in ("starttls", "tls", "none"):
        raise ValueError("CODESIGN_SMTP_SECURITY must be starttls, tls or none")
    if env.get("CODESIGN_TRUSTED_PROXIES"):
        values["trusted_proxies"] = env["CODESIGN_TRUSTED_PROXIES"].strip()
        refuse_any_proxy(values["trusted_proxies"])  # type: ignore[arg-type]
    if env.get("CODESIGN_RATE_LIMITS"):
        values["rate_limits"] = env["CODESIGN_RATE_LIMITS"].strip().lower()
    elif is_postgres_url(env.get("CODESIGN_DATABASE_URL")):
        values["rate_limits"] = "database"  # replicas share the database, not memory
    values["https"] = _flag(env.get("CODESIGN_HTTPS"), False)
    values["background_embedding"] = _flag(env.get("CODESIGN_BACKGROUND_EMBEDDING"), True)
    values["background_screening"] = _flag(env.get("CODESIGN_BACKGROUND_SCREENING"), True)
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def project_dir(name: str) -> Path:
    """Find `templates/`, `locales/` or `static/`: inside the wheel, else the checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data" / name, here.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"cannot find the {name}/ folder")
