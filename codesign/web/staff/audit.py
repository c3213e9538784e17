"""The audit log, for admins: actions in words, filtered by round, person and action."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, Request, Response, get

from codesign.i18n import N_, format_staff_moment
from codesign.services.audit_log import audit_page
from codesign.services.rounds.admin import RoundsAdmin
from codesign.web.staff.common import ADMIN_ONLY, staff_locale, staff_page, staff_user

PAGE = 200

#: What each action code means, in words; a code not listed is shown as it is.
ACTIONS: dict[str, str] = {
    "sign_in": N_("Signed in"),
    "sign_in_failed": N_("Sign-in failed"),
    "sign_in_paused": N_("Sign-in paused after failures"),
    "sign_out": N_("Signed out"),
    "password_set": N_("Password set"),
    "user_created": N_("Staff account created"),
    "member_added": N_("Staff member added to a round"),
    "round_created": N_("Round created"),
    "round_copied": N_("Round copied as a new draft"),
    "round_deleted": N_("Round deleted with its answers"),
    "round_settings_changed": N_("Round settings changed"),
    "status_changed": N_("Round opened, closed or published"),
    "translation_changed": N_("Translation changed"),
    "section_added": N_("Section added"),
    "section_changed": N_("Section changed"),
    "section_moved": N_("Section moved"),
    "section_removed": N_("Section removed"),
    "section_wording_corrected": N_("Section wording corrected after opening"),
    "question_added": N_("Question added"),
    "question_changed": N_("Question changed"),
    "question_removed": N_("Question removed"),
    "question_wording_corrected": N_("Question wording corrected after opening"),
    "answers_exported": N_("Answers exported"),
    "paper_imported": N_("Paper responses imported"),
    "paper_import_undone": N_("Paper import undone"),
    "paper_response_deleted": N_("Paper response deleted"),
    "purge": N_("Answers deleted by the retention rules"),
    "withdrawals_reapplied": N_("Withdrawals applied again after a restore"),
    "analysis_started": N_("Theming started"),
    "answer_moved": N_("Answer moved to another theme"),
    "theme_renamed": N_("Theme renamed"),
    "theme_split": N_("Theme split"),
    "themes_merged": N_("Themes merged"),
    "theme_answers_viewed": N_("A theme's answers viewed"),
    "themes_exported": N_("Themes exported"),
    "board_report_viewed": N_("Board report viewed"),
    "board_settings_saved": N_("Board settings saved"),
    "response_saved": N_("Board response saved"),
    "response_signed_off": N_("Board response signed off"),
    "sign_off_withdrawn": N_("Sign-off withdrawn"),
    "outcomes_published": N_("Outcomes published"),
    "outcomes_unpublished": N_("Outcomes taken down"),
    "flagged_answer_opened": N_("Upsetting answer opened"),
    "safeguarding_flagged": N_("Answer flagged for safeguarding"),
    "safeguarding_hand_flag": N_("Answer flagged by hand"),
    "safeguarding_opened": N_("Safeguarding item opened"),
    "safeguarding_status": N_("Safeguarding status changed"),
    "safeguarding_note": N_("Safeguarding note added"),
    "safeguarding_escalated": N_("Safeguarding item escalated"),
    "safeguarding_contact_viewed": N_("Contact details left for the lead viewed"),
    "answers_searched": N_("Answers searched"),
    "answers_moved": N_("Chosen answers moved to another theme"),
    "theme_made": N_("Theme made from chosen answers"),
    "merge_undone": N_("Merge undone"),
    "other_rethemed": N_("New themes found in \"other\""),
    "themes_restarted": N_("Themes started again"),
    "theme_group_renamed": N_("Group of themes renamed"),
    "quote_choices_viewed": N_("Quotes to approve viewed"),
    "quote_approved": N_("Quote approved"),
    "quote_approval_withdrawn": N_("Quote taken off the page"),
    "outcome_summary_saved": N_("Board summary saved"),
    "sign_offs_needed_changed": N_("Number of sign-offs needed changed"),
    "user_invited": N_("Staff member invited"),
    "role_changed": N_("Role changed"),
    "member_removed": N_("Staff member removed from a round"),
    "two_factor_set_up": N_("Two-step sign-in set up"),
    "two_factor_cleared": N_("Two-step sign-in reset"),
    "two_factor_failed": N_("Two-step sign-in code wrong"),
    "two_factor_paused": N_("Two-step sign-in paused after failures"),
    "recovery_code_used": N_("Recovery code used"),
}


def _number(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None


class StaffAuditController(Controller):
    path = "/audit"

    @get("/", name="staff_audit", opt=ADMIN_ONLY)
    async def audit_page(self, request: Request) -> Response:
        db = request.app.state.db
        query = request.query_params
        before_id = _number(query.get("before", ""))
        round_id = _number(query.get("round", ""))
        actor = query.get("who", "")[:254] or None
        action = query.get("action", "")[:60] or None
        found = await audit_page(
            db, PAGE, before_id, round_id=round_id, actor=actor, action=action
        )
        entries = found.entries
        locale = staff_locale(request)
        rows = [(e, format_staff_moment(e.at, locale)) for e in entries]
        older = entries[-1].id if len(entries) == PAGE else None
        filters = {"round": round_id or "", "who": actor or "", "action": action or ""}
        kept = {k: v for k, v in filters.items() if v}
        rounds = await RoundsAdmin(db).rounds_for(staff_user(request))
        known = found.actions
        return staff_page(
            request,
            "staff/audit.html",
            {
                "rows": rows,
                "older_url": f"/staff/audit?{urlencode({**kept, 'before': older})}"
                if older
                else "",
                "filters": filters,
                "filtered": bool(kept),
                "rounds": rounds,
                "round_titles": {r.id: r.title for r in rounds},
                "people": found.people,
                "actions": sorted({*known, *([action] if action else [])}),
                "action_names": ACTIONS,
            },
        )
