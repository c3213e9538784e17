"""The audit log, for admins."""

from __future__ import annotations

from litestar import Controller, Request, Response, get

from codesign.i18n import format_moment
from codesign.store import audit
from codesign.web.staff.common import ADMIN_ONLY, staff_locale, staff_page

PAGE = 200


class StaffAuditController(Controller):
    path = "/audit"

    @get("/", name="staff_audit", opt=ADMIN_ONLY)
    async def audit_page(self, request: Request) -> Response:
        before = request.query_params.get("before", "")
        before_id = int(before) if before.isdigit() and len(before) < 12 else None
        entries = await audit.recent(request.app.state.db, PAGE, before_id)
        locale = staff_locale(request)
        rows = [(e, format_moment(e.at, locale)) for e in entries]
        older = entries[-1].id if len(entries) == PAGE else None
        return staff_page(request, "staff/audit.html", {"rows": rows, "older": older})
