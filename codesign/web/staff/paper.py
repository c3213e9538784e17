"""Paper responses: a CSV of answers typed in from paper forms, all or nothing."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, URLEncodedBody

from codesign.i18n import N_
from codesign.services import paper
from codesign.services.errors import FieldError
from codesign.web.common import PageError, go, render_page
from codesign.web.staff.common import BUILD, StaffRound, staff_page, staff_user

#: Room above paper.MAX_BYTES, so a file a little too big gets our own message, not a bare 413.
UPLOAD_LIMIT = 2 * paper.MAX_BYTES


class StaffPaperController(Controller):
    path = "/rounds/{round_id:int}/paper"

    @get("/", name="staff_paper", opt=BUILD)
    async def paper_page(
        self, request: Request, round_id: FromPath[int], staff_round: StaffRound
    ) -> Response:
        round_, _ = staff_round
        return staff_page(request, "staff/paper.html", await _context(request, round_, None))

    @get("/template.csv", name="staff_paper_template", opt=BUILD)
    async def template(
        self, request: Request, round_id: FromPath[int], staff_round: StaffRound
    ) -> Response:
        round_, _ = staff_round
        return Response(
            "\ufeff" + paper.template_csv(round_),
            media_type="text/csv; charset=utf-8",
            headers={
                "content-disposition": f'attachment; filename="round-{round_.slug}-paper.csv"',
                "cache-control": "no-store",
            },
        )

    @get("/form/{locale:str}", name="staff_paper_form", opt=BUILD)
    async def paper_form(
        self,
        request: Request,
        round_id: FromPath[int],
        staff_round: StaffRound,
        locale: FromPath[str],
    ) -> Response:
        """The questionnaire on paper, in one of the round's languages, to print."""
        round_, _ = staff_round
        if locale not in round_.locales:
            raise PageError(
                404,
                N_("We can't find this page"),
                N_("Choose a language from the round's page."),
                links=[(f"/staff/rounds/{round_.id}/paper", N_("Back to paper responses"))],
            )
        return render_page(
            request,
            "staff/paper_form.html",
            locale,
            {"round": round_, "rt": round_.texts[locale], "user": staff_user(request)},
        )

    @post("/", name="staff_paper_upload", opt=BUILD, request_max_body_size=UPLOAD_LIMIT)
    async def upload(
        self,
        request: Request,
        round_id: FromPath[int],
        staff_round: StaffRound,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Response:
        round_, _ = staff_round
        upload = data.get("file")
        if isinstance(upload, UploadFile):
            content = await upload.read(paper.MAX_BYTES + 1)
            name = upload.filename or "upload.csv"
        else:
            content, name = b"", ""
        if not content:
            report = paper.PaperReport(
                0, [paper.RowProblem(0, N_("Choose a CSV file to upload."))], 0
            )
        else:
            report = await paper.check_csv(
                request.app.state.db, staff_user(request), round_, name[:100], content
            )
        status = 200 if report.check else 422
        return staff_page(
            request,
            "staff/paper.html",
            await _context(request, round_, report),
            status=status,
            htmx_block="report",
        )

    @post("/confirm", name="staff_paper_confirm", opt=BUILD)
    async def confirm(
        self,
        request: Request,
        round_id: FromPath[int],
        staff_round: StaffRound,
        data: URLEncodedBody[dict[str, str]],
    ) -> Response:
        """Import a checked file (its new rows, or every row), or drop it."""
        round_, _ = staff_round
        db, token, choice = request.app.state.db, data.get("token", ""), data.get("add", "")
        if choice not in ("new", "all"):
            await paper.cancel_import(db, round_, token)
            return go(request, f"/staff/rounds/{round_.id}/paper?done=paper-cancelled")
        report = await paper.confirm_import(
            db, staff_user(request), round_, token, include_duplicates=choice == "all"
        )
        return staff_page(
            request,
            "staff/paper.html",
            await _context(request, round_, report),
            status=422 if report.problems else 200,
            htmx_block="report",
        )

    @post("/undo", name="staff_paper_undo", opt=BUILD)
    async def undo(
        self,
        request: Request,
        round_id: FromPath[int],
        staff_round: StaffRound,
        data: URLEncodedBody[dict[str, str]],
    ) -> Response:
        """Undo a whole imported file; without confirm=yes, ask first."""
        round_, _ = staff_round
        db = request.app.state.db
        batch_id = _number(data.get("batch", ""))
        batches = await paper.batches(db, round_)
        batch = next((b for b in batches if b.id == batch_id), None)
        if batch is not None and data.get("confirm") == "yes":
            if await paper.undo_import(db, staff_user(request), round_, batch.id) is not None:
                return go(request, f"/staff/rounds/{round_.id}/paper?done=paper-undone")
            batch = None
        context = await _context(request, round_, None)
        context["undo"] = batch
        if batch is None:
            context["undo_errors"] = [
                FieldError(
                    "paper-imports",
                    N_("This import was undone already, or is not in this round."),
                )
            ]
        return staff_page(
            request,
            "staff/paper.html",
            context,
            status=200 if batch else 422,
            htmx_block="imports",
        )

    @post("/delete", name="staff_paper_delete", opt=BUILD)
    async def delete(
        self,
        request: Request,
        round_id: FromPath[int],
        staff_round: StaffRound,
        data: URLEncodedBody[dict[str, str]],
    ) -> Response:
        """Find one paper response by file and row; with confirm=yes, delete it for good.

        Deleting is a staff action (the person asked on paper, or by phone): nothing on
        the public site can reach a paper response.
        """
        round_, _ = staff_round
        db = request.app.state.db
        batch_id, row = _number(data.get("batch", "")), _number(data.get("row", ""))
        found = None
        if batch_id is not None and row is not None:
            if data.get("confirm") == "yes":
                deleted = await paper.delete_response(
                    db, staff_user(request), round_, batch_id, row
                )
                if deleted is not None:
                    return go(request, f"/staff/rounds/{round_.id}/paper?done=paper-deleted")
            else:
                found = await paper.find_response(db, round_, batch_id, row)
        context = await _context(request, round_, None)
        context.update(found=found, chosen_batch=batch_id, chosen_row=data.get("row", "")[:9])
        if found is None:
            context["errors"] = [
                FieldError(
                    "row",
                    N_(
                        "There is no paper response in that row of that file. Check the row "
                        "number in the spreadsheet. It may have been deleted already."
                    ),
                )
            ]
        return staff_page(
            request,
            "staff/paper.html",
            context,
            status=200 if found else 422,
            htmx_block="delete_paper",
        )


def _number(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


async def _context(request: Request, round_, report) -> dict[str, Any]:
    numbers = paper.question_numbers(round_)
    questions = [(f"{s.position}.{q.position}", q) for s in round_.sections for q in s.questions]
    return {
        "round": round_,
        "report": report,
        "questions": questions,
        "numbers": numbers,
        "errors": [],
        "open_for_paper": round_.status in ("open", "closed"),
        "batches": await paper.batches(request.app.state.db, round_),
        "found": None,
        "chosen_batch": None,
        "chosen_row": "",
        "undo": None,
        "undo_errors": [],
    }
