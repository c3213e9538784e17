"""Sign-in an attacker can't race or abuse (issue 13 part 2)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from codesign.services import accounts as accounts_module
from codesign.settings import Settings
from codesign.store import audit
from codesign.web.app import create_app
from codesign.web.staff.common import service_for_app
from tests.backends import stored_text
from tests.web.staff.conftest import EMAILS, PASSWORD, Staff, signed_in

ATTACKER = "203.0.113.9"
OWNER_AT_WORK = "198.51.100.7"


@pytest.fixture
def checks(monkeypatch) -> list[str]:
    """Every password that reaches the (slow) hash, in order."""
    seen: list[str] = []
    real = accounts_module._check

    def counting(stored, password):
        seen.append(password)
        return real(stored, password)

    monkeypatch.setattr(accounts_module, "_check", counting)
    return seen


@pytest.mark.parametrize("burst", [40, 150])
async def test_simultaneous_wrong_guesses_check_no_more_than_the_limit(
    client, accounts, checks, burst
):
    service = await service_for_app(client.app)
    results = await asyncio.gather(
        *(service.sign_in(EMAILS["admin"], f"guess number {i}!", ATTACKER) for i in range(burst))
    )
    assert len(checks) <= accounts_module.PAIR_FAILURES
    assert sum(r.paused for r in results) >= burst - accounts_module.PAIR_FAILURES
    assert all(r.user is None for r in results)


async def test_a_burst_from_many_addresses_stops_at_the_account_limit(client, accounts, checks):
    service = await service_for_app(client.app)
    await asyncio.gather(
        *(
            service.sign_in(EMAILS["admin"], "wrong password!", f"10.0.{i // 250}.{i % 250}")
            for i in range(150)
        )
    )
    assert len(checks) <= accounts_module.ACCOUNT_FAILURES


async def test_an_attacker_is_paused_but_the_owner_elsewhere_is_not(client, accounts, checks):
    service = await service_for_app(client.app)
    for _ in range(accounts_module.PAIR_FAILURES):
        assert not (await service.sign_in(EMAILS["admin"], "wrong password!", ATTACKER)).paused
    # From the attacker's address even the right password waits…
    assert (await service.sign_in(EMAILS["admin"], PASSWORD, ATTACKER)).paused
    # …while the owner, from their own address, signs in at once.
    owner = await service.sign_in(EMAILS["admin"], PASSWORD, OWNER_AT_WORK)
    assert owner.user is not None and owner.token
    # The owner's success does not wipe the attacker's count.
    assert (await service.sign_in(EMAILS["admin"], PASSWORD, ATTACKER)).paused


def test_the_delay_grows_with_failures_and_has_a_ceiling():
    delays = [accounts_module.failure_delay(n) for n in range(1, 40)]
    assert delays[: accounts_module.DELAY_AFTER] == [0.0] * accounts_module.DELAY_AFTER
    assert delays == sorted(delays) and delays[accounts_module.DELAY_AFTER] > 0
    assert max(delays) == accounts_module.DELAY_MOST


async def test_guesses_from_many_addresses_are_slowed_down(client, accounts, monkeypatch):
    monkeypatch.setattr(accounts_module, "DELAY_FIRST", 0.3)
    service = await service_for_app(client.app)
    for i in range(accounts_module.DELAY_AFTER):
        await service.sign_in(EMAILS["admin"], "wrong password!", f"10.1.0.{i}")
    started = time.monotonic()
    await service.sign_in(EMAILS["admin"], "wrong password!", "10.1.0.99")
    assert time.monotonic() - started >= 0.3


async def test_sign_in_posts_are_limited_per_client(tmp_path):
    settings = Settings(
        db_path=str(tmp_path / "s.db"),
        background_embedding=False,
        background_screening=False,
        sign_in_posts_per_minute=5,
    )
    app = create_app(settings, demo=True)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        staff = Staff(client)
        codes = [
            (await staff.sign_in(f"flood{i}@example.org", "wrong password!")).status_code
            for i in range(12)
        ]
        assert codes[:5] == [422] * 5 and set(codes[5:]) == {429}
        rows = await app.state.db.fetch_all("SELECT COUNT(*) AS n FROM audit_log")
        assert rows[0]["n"] == 5  # the refused POSTs wrote nothing


async def test_repeated_failures_fold_into_one_audit_entry(client, accounts):
    staff = Staff(client)
    for _ in range(4):
        await staff.sign_in(EMAILS["board"], "wrong password!")
    for _ in range(3):
        await staff.sign_in("nobody@example.org", "wrong password!")
    failed = [e for e in await audit.recent(client.app.state.db) if e.action == "sign_in_failed"]
    assert sorted(e.tries for e in failed) == [3, 4]
    admin = await signed_in(client, "admin")
    page = await admin.get("/staff/audit")
    assert "Tried 4 times. The time shown is the latest." in page.text
    assert "Tried 3 times." in page.text


async def test_text_typed_for_an_unknown_email_is_not_kept(client, accounts):
    typed = "Correct-Horse-Staple-77"  # a password typed into the email box
    service = await service_for_app(client.app)
    await service.sign_in(typed, "wrong password!", ATTACKER)
    await service.sign_in(typed, "wrong password!", ATTACKER)
    db_path = Path(client.app.state.settings.db_path)
    for path in db_path.parent.glob(db_path.name + "*"):
        assert typed.lower().encode() not in path.read_bytes().lower(), path.name
    if client.app.state.db.dialect != "sqlite":  # no file: every stored row instead
        assert typed.lower().encode() not in (await stored_text(client.app.state.db)).lower()
    entries = await audit.recent(client.app.state.db)
    failed = [e for e in entries if e.action == "sign_in_failed"]
    # The same text gets the same reference, so repeats still fold together.
    assert len(failed) == 1 and failed[0].tries == 2
    assert failed[0].actor.startswith("unknown-email:")


async def test_client_pseudonyms_cannot_be_reversed_from_the_database(client, accounts):
    service = await service_for_app(client.app)
    await service.sign_in(EMAILS["admin"], "wrong password!", ATTACKER)
    db = client.app.state.db
    rows = await db.fetch_all("SELECT client_key FROM sign_in_attempts")
    stored = {r["client_key"] for r in rows}
    assert len(stored) == 1
    secrets = [r["value"] for r in await db.fetch_all("SELECT value FROM app_secrets")]
    assert secrets  # the database does hold keys, just not this one
    for value in secrets:
        guess = hmac.new(value.encode(), f"client:{ATTACKER}".encode(), hashlib.sha256)
        assert guess.hexdigest()[:32] not in stored


async def test_the_pseudonym_key_changes_every_day(monkeypatch):
    key = accounts_module.DailyKey()
    today = key.current()
    assert key.current() == today
    from datetime import timedelta

    tomorrow = accounts_module.utcnow() + timedelta(days=1)
    monkeypatch.setattr(accounts_module, "utcnow", lambda: tomorrow)
    assert key.current() != today
