"""Paper responses: a CSV checked row by row and imported all or nothing."""

from __future__ import annotations

from tests.web.staff.conftest import signed_in


async def upload(staff, content: bytes, name: str = "paper.csv", htmx: bool = False):
    if not staff.token:
        await staff.get("/staff/rounds/1/paper")
    headers = {"x-csrftoken": staff.token}
    if htmx:
        headers["hx-request"] = "true"
    return await staff.client.post(
        "/staff/rounds/1/paper",
        files={"file": (name, content, "text/csv")},
        data={"_csrf_token": staff.token},
        headers=headers,
        follow_redirects=False,
    )


async def _counts(client) -> tuple[int, int]:
    db = client.app.state.db
    p = await db.fetch_one("SELECT COUNT(*) AS n FROM participations")
    a = await db.fetch_one("SELECT COUNT(*) AS n FROM answers")
    return p["n"], a["n"]


async def test_template_names_every_question(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    template = await staff.get("/staff/rounds/1/paper/template.csv")
    assert template.status_code == 200
    assert template.text.lstrip("\ufeff").startswith("language,may_quote,1.1,1.2,2.1")


async def test_a_good_file_is_imported_and_shows_on_the_dashboard(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    content = (
        b"language,may_quote,1.1,1.2,2.1\r\n"
        b"en,yes,4,Evenings please,\r\n"
        b"es,,prefer_not,Por la tarde,2\r\n"
    )
    response = await upload(staff, content)
    assert response.status_code == 200, response.text[-2000:]
    assert "2 paper responses were added." in response.text
    assert await _counts(client) == (2, 5)
    page = " ".join((await staff.get("/staff/rounds/1/dashboard")).text.split())
    assert "<dt>Sent their answers</dt><dd>2</dd>" in page
    again = await upload(staff, content)
    assert again.status_code == 422 and "imported already" in again.text
    assert await _counts(client) == (2, 5)
    audit = await client.app.state.db.fetch_all(
        "SELECT detail FROM audit_log WHERE action = 'paper_imported'"
    )
    assert [r["detail"] for r in audit] == ["2 responses from paper.csv"]


async def test_one_bad_row_refuses_the_whole_file_with_reasons(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    content = b"language,1.1,1.2\nen,4,fine\nde,3,\nen,9,\nen,3\n,,\n"
    response = await upload(staff, content)
    assert response.status_code == 422
    text = response.text.replace("&#34;", '"')
    assert "Nothing was added" in text
    assert "Row 3" in text and "is not a language this round offers" in text
    assert "Row 4" in text and "takes 1 to 5 or prefer_not" in text
    assert "Row 5" in text and "has 2 cells; the header has 3" in text
    assert await _counts(client) == (0, 0)


async def test_malformed_and_oversized_files_change_nothing(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    cases = [
        (b"\xff\xfe\x00binary", "CSV UTF-8"),
        (b"", "Choose a CSV file"),
        (b"name,email\nAna,a@example.org\n", "not questions of this round"),
        (b"1.1\n" + b"3\n" * 300_000, "larger than 512 KB"),
    ]
    for content, message in cases:
        response = await upload(staff, content)
        assert response.status_code == 422, message
        assert message in response.text, message
    # Far too big: refused before it is read.
    huge = await upload(staff, b"1.1\n" + b"3\n" * 600_000)
    assert huge.status_code == 413
    assert await _counts(client) == (0, 0)


async def test_htmx_upload_returns_the_report_block(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    await staff.get("/staff/rounds/1/paper")
    response = await upload(staff, b"1.1\n5\n", htmx=True)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="paper-upload"')
    assert "1 paper response was added." in response.text


async def test_paper_responses_need_an_open_or_closed_round(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    await staff.get("/staff/rounds/1")
    await staff.post("/staff/rounds/1/status", {"status": "draft"})
    response = await upload(staff, b"1.1\n5\n")
    assert response.status_code == 422
    assert await _counts(client) == (0, 0)
