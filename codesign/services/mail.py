"""Outgoing email (safeguarding notices) through SMTP with aiosmtplib.

Nothing a participant wrote is ever put in a message: callers pass only a
round's name, a count and a link.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib

from codesign.settings import Settings

log = logging.getLogger("codesign.mail")

#: Seconds to wait for the mail server; a slow server must not hold the notifier for long.
SMTP_TIMEOUT = 20.0


class Mailer(Protocol):
    async def send(self, to: list[str], subject: str, body: str) -> None: ...


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, to: list[str], subject: str, body: str) -> None:
        s = self.settings
        message = EmailMessage()
        message["From"] = s.smtp_from or f"codesign@{s.smtp_host}"
        message["To"] = ", ".join(to)
        message["Subject"] = subject
        message.set_content(body)
        await aiosmtplib.send(
            message,
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_user or None,
            password=s.smtp_password or None,
            use_tls=s.smtp_security == "tls",
            start_tls=True if s.smtp_security == "starttls" else False,
            timeout=SMTP_TIMEOUT,
        )


def mailer_for(settings: Settings) -> Mailer | None:
    """The configured mailer, or None when no SMTP host is set (staff homes show counts)."""
    return SmtpMailer(settings) if settings.smtp_host else None
