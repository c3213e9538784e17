"""Paper responses: a CSV of answers typed in from paper forms, all or nothing."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath

from codesign.i18n import N_
from codesign.services import paper
from codesign.web.staff.common import BUILD, staff_page, staff_user
from codesign.web.staff.rounds import load_round

#: Room above paper.MAX_BYTES, so a file a little too big gets our own message, not a bare 413.
UPLOAD_LIMIT = 2 * paper.MAX_BYTES


class StaffPaperController(Controller):
    path = "/rounds/{round_id:int}/paper"

    @get("/", name="staff_paper", opt=BUILD)
    async def paper_page(self, request: Request, round_id: FromPath[int]) -> Response:
        round_, _ = await load_round(request, round_id)
        return staff_page(request, "staff/paper.html", _context(round_, None))

    @get("/template.csv", name="staff_paper_template", opt=BUILD)
    async def template(self, request: Request, round_id: FromPath[int]) -> Response:
        round_, _ = await load_round(request, round_id)
        return Response(
            "\ufeff" + paper.template_csv(round_),
            media_type="text/csv; charset=utf-8",
            headers={
                "content-disposition": f'attachment; filename="round-{round_.slug}-paper.csv"',
                "cache-control": "no-store",
            },
        )

    @post("/", name="staff_paper_upload", opt=BUILD, request_max_body_size=UPLOAD_LIMIT)
    async def upload(
        self,
        request: Request,
        round_id: FromPath[int],
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Response:
        round_, _ = await load_round(request, round_id)
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
            report = await paper.import_csv(
                request.app.state.db, staff_user(request), round_, name[:100], content
            )
        status = 200 if report.imported else 422
        return staff_page(
            request,
            "staff/paper.html",
            _context(round_, report),
            status=status,
            htmx_block="report",
        )


def _context(round_, report) -> dict[str, Any]:
    numbers = paper.question_numbers(round_)
    questions = [(f"{s.position}.{q.position}", q) for s in round_.sections for q in s.questions]
    return {
        "round": round_,
        "report": report,
        "questions": questions,
        "numbers": numbers,
        "errors": [],
        "open_for_paper": round_.status in ("open", "closed"),
    }
