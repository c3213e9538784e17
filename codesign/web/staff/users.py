"""An admin's users page: invite staff, send password links, change roles, deactivate and
reactivate accounts, and ask everyone for two-step sign-in."""

from __future__ import annotations

import logging

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, URLEncodedBody

from codesign.i18n import N_
from codesign.models import STAFF_ROLES, StaffUser
from codesign.services.accounts import AccountError, link_message
from codesign.services.errors import FieldError
from codesign.services.mail import mailer_for
from codesign.web.common import go
from codesign.web.staff.common import ADMIN_ONLY, accounts, staff_locale, staff_page, staff_user

FormData = dict[str, str]

log = logging.getLogger("codesign.staff")


def link_url(request: Request, token: str) -> str:
    """A one-time link, on the site's public address (never the request's Host header)."""
    base = request.app.state.settings.public_url or str(request.base_url)
    return f"{base.rstrip('/')}/staff/link/{token}"


async def send_link(request: Request, user: StaffUser, kind: str, url: str) -> str:
    """Email the link: 'sent', 'no-mail' (no SMTP set up) or 'failed'. Never a password."""
    mailer = mailer_for(request.app.state.settings)
    if mailer is None:
        return "no-mail"
    subject, body = link_message(kind, url, staff_locale(request))
    try:
        await mailer.send([user.email], subject, body)
    except Exception as exc:  # noqa: BLE001 - any mail failure: the admin passes the link on
        log.warning("a staff link email could not be sent: %s", type(exc).__name__)
        return "failed"
    return "sent"


class StaffUsersController(Controller):
    path = "/users"

    async def _page(
        self,
        request: Request,
        *,
        errors: list[FieldError] | None = None,
        status: int = 200,
        shown_link: dict | None = None,
        invite: dict[str, str] | None = None,
    ) -> Response:
        service = await accounts(request)
        return staff_page(
            request,
            "staff/users.html",
            {
                "people": await service.people(),
                "roles": STAFF_ROLES,
                "everyone_two_factor": await service.everyone_two_factor(),
                "mail_configured": bool(request.app.state.settings.smtp_host),
                "shown_link": shown_link,
                "invite": invite or {"email": "", "role": "board"},
                "errors": errors or [],
            },
            status=status,
        )

    @get("/", name="staff_users", opt=ADMIN_ONLY)
    async def users_page(self, request: Request) -> Response:
        return await self._page(request)

    @post("/invite", name="staff_users_invite", opt=ADMIN_ONLY)
    async def invite(self, request: Request, data: URLEncodedBody[FormData]) -> Response:
        email, role = data.get("email", "")[:254], data.get("role", "")[:20]
        service = await accounts(request)
        try:
            user, token = await service.invite(staff_user(request), email, role)
        except AccountError as exc:
            field = "role" if "role" in exc.message.lower() else "email"
            return await self._page(
                request,
                errors=[FieldError(field, exc.message)],
                status=422,
                invite={"email": email, "role": role},
            )
        return await self._deliver(request, user, "invite", token, "invited")

    async def _deliver(
        self, request: Request, user: StaffUser, kind: str, token: str, done: str
    ) -> Response:
        url = link_url(request, token)
        outcome = await send_link(request, user, kind, url)
        if outcome == "sent":
            return go(request, f"/staff/users?done={done}")
        # The link exists only here and as a hash: show it now, for the admin to pass on.
        return await self._page(
            request, shown_link={"email": user.email, "url": url, "why": outcome, "kind": kind}
        )

    @post("/everyone-two-factor", name="staff_users_two_factor", opt=ADMIN_ONLY)
    async def everyone_two_factor(
        self, request: Request, data: URLEncodedBody[FormData]
    ) -> Response:
        service = await accounts(request)
        await service.set_everyone_two_factor(staff_user(request), data.get("everyone") == "on")
        return go(request, "/staff/users?done=saved")

    @post("/{user_id:int}", name="staff_user_change", opt=ADMIN_ONLY)
    async def change(
        self, request: Request, user_id: FromPath[int], data: URLEncodedBody[FormData]
    ) -> Response:
        service = await accounts(request)
        actor = staff_user(request)
        action = data.get("action", "")
        try:
            if action == "deactivate":
                await service.set_active(actor, user_id, False)
                return go(request, "/staff/users?done=deactivated")
            if action == "reactivate":
                await service.set_active(actor, user_id, True)
                return go(request, "/staff/users?done=reactivated")
            if action == "role":
                await service.change_role(actor, user_id, data.get("role", "")[:20])
                return go(request, "/staff/users?done=role-changed")
            if action == "clear_two_factor":
                await service.clear_two_factor(actor, user_id)
                return go(request, "/staff/users?done=two-factor-cleared")
            if action == "link":
                user, token = await service.send_password_link(actor, user_id)
                kind = "invite" if user.invited else "reset"
                done = "invited" if user.invited else "reset-sent"
                return await self._deliver(request, user, kind, token, done)
        except AccountError as exc:
            return await self._page(
                request, errors=[FieldError(f"user-{user_id}", exc.message)], status=422
            )
        return await self._page(
            request,
            errors=[FieldError(f"user-{user_id}", N_("Choose what to change, then try again."))],
            status=422,
        )
