"""Notices to the lead and deputy through a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import socket
from datetime import timedelta
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from codesign.services.mail import mailer_for
from codesign.settings import Settings
from codesign.store import safeguarding as store
from tests.web.safeguarding.conftest import RISKY
from tests.web.safeguarding.test_queue import _sent

DAY = timedelta(hours=24)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], object]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def _mailer(port: int):
    return mailer_for(
        Settings(
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_security="none",
            smtp_from="codesign@example.org",
        )
    )


def _link(round_id: int) -> str:
    return f"https://codesign.example.org/staff/rounds/{round_id}/board/safeguarding"


async def test_new_items_email_lead_and_deputy_without_any_answer_text(client, sg, smtp) -> None:
    inbox, port = smtp
    await _sent(client, sg)
    await _sent(client, sg, RISKY + " Again.")
    sent = await sg.notify_step(_mailer(port), _link, DAY)
    assert sent == 1
    (to, message), = inbox.messages
    assert sorted(to) == ["board@example.org", "organizer@example.org"]
    body = message.get_payload(decode=True).decode()
    assert "2 answers may need the safeguarding lead" in message["Subject"]
    assert _link(1) in body and "never contains what anyone wrote" in body
    for words in ("kill", "myself", "notice", "Honestly"):
        assert words not in body and words not in message["Subject"]
    # Once sent, not sent again.
    assert await sg.notify_step(_mailer(port), _link, DAY) == 0
    assert len(inbox.messages) == 1


async def test_old_unhandled_items_escalate_to_the_deputy_once(client, sg, smtp) -> None:
    inbox, port = smtp
    db = client.app.state.db
    await _sent(client, sg)
    await sg.notify_step(_mailer(port), _link, DAY)
    await db.write(
        lambda conn: conn.execute(
            "UPDATE safeguarding_items SET received_at = '2000-01-01T00:00:00+00:00'"
        )
    )
    assert await sg.notify_step(_mailer(port), _link, DAY) == 1
    to, message = inbox.messages[-1]
    assert to == ["organizer@example.org"]  # the deputy
    assert "waited over a day" in message["Subject"]
    assert await sg.notify_step(_mailer(port), _link, DAY) == 0
    item = (await store.items(db, 1))[0]
    assert item.escalated_at is not None


async def test_a_mail_server_that_is_down_is_tried_again(client, sg) -> None:
    port = _free_port()  # nothing listens here
    await _sent(client, sg)
    with pytest.raises(OSError):
        await sg.notify_step(_mailer(port), _link, DAY)
    assert len(await store.unnotified(client.app.state.db)) == 1  # still to send
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert await sg.notify_step(_mailer(port), _link, DAY) == 1
    finally:
        controller.stop()
    assert len(inbox.messages) == 1


@pytest.mark.sqlite_only(
    reason="the in-process notices task; on PostgreSQL notices are a periodic job"
    " (tests/web/test_jobs.py)"
)
async def test_the_running_site_sends_notices_when_smtp_is_configured(tmp_path, smtp) -> None:
    from litestar.testing import AsyncTestClient

    from codesign.web.app import create_app

    _, port = smtp
    settings = Settings(
        db_path=str(tmp_path / "n.db"),
        background_embedding=False,
        background_screening=False,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
    )
    async with AsyncTestClient(app=create_app(settings, demo=True)) as running:
        task = running.app.state.notify_task
        assert not task.done()
    unconfigured = Settings(db_path=str(tmp_path / "m.db"), background_screening=False)
    async with AsyncTestClient(app=create_app(unconfigured)) as running:
        assert getattr(running.app.state, "notify_task", None) is None
