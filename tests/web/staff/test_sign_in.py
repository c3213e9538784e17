"""Staff sign-in: cookies, one message for every mismatch, limits, expiry, audit."""

from __future__ import annotations

from datetime import timedelta

from codesign.services import accounts as accounts_module
from codesign.store import audit
from codesign.store.db import to_db_time, utcnow
from tests.web.staff.conftest import EMAILS, PASSWORD, Staff, signed_in

NO_MATCH = "match an account. Check them and try again."


async def test_sign_in_sets_a_private_expiring_cookie_and_sign_out_ends_it(client, accounts):
    staff = Staff(client)
    page = await staff.get("/staff/sign-in")
    assert page.status_code == 200 and 'autocomplete="current-password"' in page.text
    response = await staff.post(
        "/staff/sign-in", {"email": "  Organizer@Example.org ", "password": PASSWORD}
    )
    assert response.status_code == 303 and response.headers["location"] == "/staff/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("cs_staff=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/staff" in cookie
    assert "Max-Age=43200" in cookie
    assert "Secure" not in cookie  # plain HTTP here; Secure behind HTTPS (below)
    # Only a hash of the token is stored.
    token = cookie.split(";")[0].split("=", 1)[1]
    rows = await client.app.state.db.fetch_all("SELECT token_hash FROM staff_sessions")
    assert [r["token_hash"] for r in rows] == [accounts_module.token_hash(token)]
    assert (await staff.get("/staff/")).status_code == 200

    out = await staff.post("/staff/sign-out")
    assert out.status_code == 303 and "Max-Age=0" in out.headers["set-cookie"]
    assert await client.app.state.db.fetch_all("SELECT * FROM staff_sessions") == []
    client.cookies.set("cs_staff", token, path="/staff")  # a copied cookie no longer works
    again = await staff.get("/staff/")
    assert again.status_code == 303 and again.headers["location"].startswith("/staff/sign-in")


async def test_secure_cookie_behind_https(tmp_path) -> None:
    from litestar.testing import AsyncTestClient

    from codesign.settings import Settings
    from codesign.web.app import create_app

    app = create_app(
        Settings(background_screening=False, db_path=str(tmp_path / "s.db"), https=True), demo=True
    )
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as client:
        service = await accounts_module_service(app)
        await service.create_user("a@example.org", "organizer", PASSWORD)
        staff = Staff(client)
        response = await staff.sign_in("a@example.org")
        cookie = response.headers["set-cookie"]
        assert "Secure" in cookie
        # The __Host- prefix: only this host, Path=/, Secure — no subdomain can plant one.
        assert cookie.startswith("__Host-cs_staff=") and "Path=/;" in cookie
        assert "Domain" not in cookie
        assert (await staff.get("/staff/")).status_code == 200


async def accounts_module_service(app):
    from codesign.web.staff.common import service_for_app

    return await service_for_app(app)


async def test_same_calm_message_for_unknown_email_and_wrong_password(client, accounts):
    staff = Staff(client)
    unknown = await staff.sign_in("nobody@example.org")
    wrong = await staff.sign_in(EMAILS["admin"], "not the password at all")
    for response in (unknown, wrong):
        assert response.status_code == 422
        assert NO_MATCH in response.text
        assert "set-cookie" not in response.headers or "cs_staff" not in response.headers.get(
            "set-cookie", ""
        )
    assert unknown.text.replace("nobody@example.org", "X") == wrong.text.replace(
        EMAILS["admin"], "X"
    )


async def test_htmx_sign_in_errors_come_back_as_the_form(client, accounts):
    staff = Staff(client, htmx=True)
    await staff.get("/staff/sign-in")
    response = await staff.post("/staff/sign-in", {"email": "x@example.org", "password": "no"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<form id="sign-in-form"')
    ok = await staff.post("/staff/sign-in", {"email": EMAILS["board"], "password": PASSWORD})
    assert ok.headers["hx-redirect"] == "/staff/"


async def test_sign_in_pauses_per_account_then_per_client(client, accounts):
    staff = Staff(client)
    for _ in range(accounts_module.PAIR_FAILURES):
        assert (await staff.sign_in(EMAILS["admin"], "wrong password!")).status_code == 422
    paused = await staff.sign_in(EMAILS["admin"])  # even the right password waits
    assert paused.status_code == 429
    assert "signing in is paused for 15 minutes" in paused.text
    # Other accounts from this client still work until the client's own limit.
    assert (await staff.sign_in(EMAILS["board"])).status_code == 303
    for i in range(accounts_module.CLIENT_FAILURES):
        await staff.sign_in(f"guess{i}@example.org", "wrong password!")
    assert (await staff.sign_in(EMAILS["organizer"])).status_code == 429


async def test_sign_in_goes_back_to_the_page_asked_for_and_nowhere_else(client, accounts):
    staff = Staff(client)
    first = await staff.get("/staff/rounds/1/dashboard")
    assert first.headers["location"] == "/staff/sign-in?next=/staff/rounds/1/dashboard"
    page = await staff.get(first.headers["location"])
    assert 'name="next" value="/staff/rounds/1/dashboard"' in page.text
    response = await staff.post(
        "/staff/sign-in",
        {"email": EMAILS["board"], "password": PASSWORD, "next": "/staff/rounds/1/dashboard"},
    )
    assert response.headers["location"] == "/staff/rounds/1/dashboard"
    for evil in ("https://evil.example/", "//evil.example/staff/", "/staff/\\evil", "/r/demo"):
        response = await staff.post(
            "/staff/sign-in", {"email": EMAILS["board"], "password": PASSWORD, "next": evil}
        )
        assert response.headers["location"] == "/staff/", evil


async def test_sessions_expire_when_idle_and_at_their_end(client, accounts):
    staff = await signed_in(client, "board")
    db = client.app.state.db

    async def age(column: str, delta: timedelta) -> None:
        async def work(conn):
            await conn.execute(
                f"UPDATE staff_sessions SET {column} = ?", (to_db_time(utcnow() - delta),)
            )

        await db.write(work)

    await age("last_seen_at", accounts_module.SESSION_IDLE + timedelta(minutes=1))
    assert (await staff.get("/staff/")).status_code == 303
    staff = await signed_in(client, "board")
    await age("expires_at", timedelta(seconds=1))
    assert (await staff.get("/staff/")).status_code == 303


async def test_new_password_ends_sessions(client, accounts):
    staff = await signed_in(client, "organizer")
    service = await accounts_module_service(client.app)
    await service.set_password(EMAILS["organizer"], "a different long passphrase")
    assert (await staff.get("/staff/")).status_code == 303


async def test_audit_log_records_sign_ins_and_cannot_be_forged(client, accounts):
    staff = Staff(client)
    forged = "x@example.org\n2026-01-01 admin@example.org sign_in"
    await staff.sign_in(forged, "whatever password")
    await staff.sign_in(EMAILS["organizer"])
    entries = await audit.recent(client.app.state.db)
    actions = [(e.actor, e.action) for e in entries]
    assert (EMAILS["organizer"], "sign_in") in actions
    failed = [e for e in entries if e.action == "sign_in_failed"]
    # Text that matched no account is kept only as a keyed hash: nothing typed is shown.
    assert len(failed) == 1 and failed[0].actor.startswith("unknown-email:")
    assert "\n" not in failed[0].actor and "x@example.org" not in failed[0].actor
    admin = await signed_in(client, "admin")
    page = await admin.get("/staff/audit")
    assert page.status_code == 200
    assert "2026-01-01 admin@example.org" not in page.text
    assert "An email with no account (reference " in page.text
    assert '<td class="audit-what">Sign-in failed</td>' in page.text  # the action in words


async def test_signing_in_again_replaces_the_old_session(client, accounts):
    staff = await signed_in(client, "board")
    await staff.sign_in(EMAILS["board"])
    rows = await client.app.state.db.fetch_all("SELECT user_id FROM staff_sessions")
    assert len(rows) == 1
