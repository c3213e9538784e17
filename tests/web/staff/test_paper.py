"""Paper responses: a CSV checked row by row and imported all or nothing."""

from __future__ import annotations

import re

from tests.web.staff.conftest import signed_in

TOKEN_FIELD = re.compile(r'name="token" value="([^"]+)"')


async def upload(staff, content: bytes, name: str = "paper.csv", htmx: bool = False, add="new"):
    """Upload a file and, once it is checked, confirm it (add its new rows, or "all")."""
    checked = await check(staff, content, name, htmx)
    token = TOKEN_FIELD.search(checked.text)
    if checked.status_code != 200 or token is None:
        return checked
    headers = {"x-csrftoken": staff.token}
    if htmx:
        headers["hx-request"] = "true"
    return await staff.client.post(
        "/staff/rounds/1/paper/confirm",
        data={"_csrf_token": staff.token, "token": token.group(1), "add": add},
        headers=headers,
        follow_redirects=False,
    )


async def check(staff, content: bytes, name: str = "paper.csv", htmx: bool = False):
    """Only the upload: the file is checked and waits to be confirmed."""
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


# Check first, then confirm; rows seen before; undo (issue 13 part 4) -------------------

HEADER = b"language,may_quote,1.1,1.2,2.1\r\n"


def _rows(n: int, start: int = 0) -> bytes:
    return b"".join(f"en,no,{1 + i % 5},Evening hours {i},\r\n".encode() for i in range(start, n))


async def test_a_file_is_checked_first_and_nothing_is_added_until_confirmed(
    client, accounts
) -> None:
    staff = await signed_in(client, "organizer")
    checked = await check(staff, HEADER + _rows(3))
    assert checked.status_code == 200
    assert "The file is checked. Nothing is added yet." in checked.text
    assert "Add 3 new responses" in checked.text
    assert await _counts(client) == (0, 0)
    # Cancelling adds nothing and forgets the file.
    token = TOKEN_FIELD.search(checked.text).group(1)
    cancelled = await staff.client.post(
        "/staff/rounds/1/paper/confirm",
        data={"_csrf_token": staff.token, "token": token, "add": "cancel"},
        headers={"x-csrftoken": staff.token},
    )
    assert "Nothing was added. The checked file is not kept." in cancelled.text
    assert await _counts(client) == (0, 0)
    db = client.app.state.db
    assert (await db.fetch_one("SELECT COUNT(*) AS n FROM paper_pending"))["n"] == 0
    # A used check can't be confirmed (again).
    late = await staff.client.post(
        "/staff/rounds/1/paper/confirm",
        data={"_csrf_token": staff.token, "token": token, "add": "new"},
        headers={"x-csrftoken": staff.token},
    )
    assert late.status_code == 422 and "Upload the file again" in late.text
    assert await _counts(client) == (0, 0)


async def test_a_file_again_with_two_more_rows_adds_only_the_two(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    first = await upload(staff, HEADER + _rows(18), name="week1.csv")
    assert "18 paper responses were added." in first.text
    # The same forms and two more, saved as another file.
    checked = await check(staff, HEADER + _rows(20), name="week1-and-2.csv")
    text = checked.text.replace("&#34;", '"')
    assert "18 of them are the same as responses already added from an earlier file" in text
    assert "Row 2: the same as row 2 of week1.csv" in text
    assert "Add 2 new responses" in text and "Add all 20, also those added before" in text
    second = await upload(staff, HEADER + _rows(20), name="week1-and-2.csv")
    assert "2 paper responses were added." in second.text
    assert "18 responses were already added from an earlier file, so they were skipped." in (
        second.text
    )
    assert (await _counts(client))[0] == 20
    audit = await client.app.state.db.fetch_all(
        "SELECT detail FROM audit_log WHERE action = 'paper_imported' ORDER BY id"
    )
    assert [r["detail"] for r in audit] == [
        "18 responses from week1.csv",
        "2 responses from week1-and-2.csv, 18 already held skipped",
    ]
    # Two people may really have written the same: added again when confirmed so.
    third = await upload(staff, HEADER + _rows(1), name="same.csv", add="all")
    assert "1 paper response was added." in third.text
    assert (await _counts(client))[0] == 21


async def test_an_import_can_be_undone_with_every_trace(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    await upload(staff, HEADER + _rows(2), name="mistake.csv")
    db = client.app.state.db
    batch = (await db.fetch_one("SELECT id FROM paper_batches"))["id"]
    page = await staff.get("/staff/rounds/1/paper")
    assert "mistake.csv" in page.text and "Undo this import" in page.text
    asked = await staff.post("/staff/rounds/1/paper/undo", {"batch": str(batch)})
    assert asked.status_code == 200
    assert "Its 2 responses will be deleted for good" in asked.text
    assert await _counts(client) == (2, 4)  # asking first changes nothing
    done = await staff.post("/staff/rounds/1/paper/undo", {"batch": str(batch), "confirm": "yes"})
    assert done.status_code == 303 and done.headers["location"].endswith("done=paper-undone")
    held = await db.fetch_one(
        "SELECT COUNT(*) AS n FROM participations WHERE status = 'submitted'"
        " OR paper_fingerprint IS NOT NULL"
    )
    assert held["n"] == 0
    assert (await db.fetch_one("SELECT COUNT(*) AS n FROM answers"))["n"] == 0
    entry = await db.fetch_one(
        "SELECT actor, detail FROM audit_log WHERE action = 'paper_import_undone'"
    )
    assert entry["actor"] == "organizer@example.org"
    assert entry["detail"] == "file mistake.csv: 2 responses, 4 answers deleted"
    page = await staff.get("/staff/rounds/1/paper")
    assert "mistake.csv" not in page.text
    again = await staff.post("/staff/rounds/1/paper/undo", {"batch": str(batch), "confirm": "yes"})
    assert again.status_code == 422 and "undone already" in again.text
    # The corrected file (or the same one) can be imported again.
    redo = await upload(staff, HEADER + _rows(2), name="mistake.csv")
    assert "2 paper responses were added." in redo.text


async def test_every_problem_in_a_row_is_reported(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    response = await check(staff, b"language,may_quote,1.1,2.1\r\nde,maybe,9,7\r\n")
    assert response.status_code == 422
    text = response.text.replace("&#34;", '"')
    assert "is not a language this round offers" in text
    assert "In “may_quote”, write yes or no." in text
    assert "Question 1.1 takes 1 to 5" in text and "Question 2.1 takes 1 to 5" in text
    assert text.count("Row 2") == 4


async def test_a_semicolon_file_gets_a_hint_about_commas(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    response = await check(staff, b"language;may_quote;1.1;1.2\r\nen;no;4;Evenings\r\n")
    assert response.status_code == 422
    assert "semicolons (;) between its columns" in response.text
    assert "CSV UTF-8 (comma delimited)" in response.text
    assert await _counts(client) == (0, 0)


async def test_the_export_says_paper_or_online(client, accounts) -> None:
    import csv
    import io

    from tests.web.staff.test_watch import answer

    await answer(client, "online words")
    staff = await signed_in(client, "organizer")
    await upload(staff, HEADER + _rows(1))
    export = await staff.get("/staff/rounds/1/export.csv")
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert {r["source"] for r in rows} == {"paper", "online"}
    assert {r["answer_text"] for r in rows if r["source"] == "online"} >= {"online words"}


async def test_a_printable_paper_form_per_language_matches_the_template(client, accounts) -> None:
    staff = await signed_in(client, "organizer")
    page = await staff.get("/staff/rounds/1/paper")
    assert "Paper form in Español" in page.text and "/paper/form/ar" in page.text
    template = (await staff.get("/staff/rounds/1/paper/template.csv")).text.lstrip("\ufeff")
    columns = template.splitlines()[0].split(",")[2:]
    for locale in ("en", "es", "ar"):
        form = await staff.get(f"/staff/rounds/1/paper/form/{locale}")
        assert form.status_code == 200
        assert f'<html lang="{locale}" dir="{"rtl" if locale == "ar" else "ltr"}">' in form.text
        numbers = re.findall(r'<span class="paper-number" dir="ltr">([\d.]+)</span>', form.text)
        assert numbers == columns  # one box per column, in the same order
        assert "(may_quote)" in form.text and "(prefer_not)" in form.text
    spanish = (await staff.get("/staff/rounds/1/paper/form/es")).text
    assert "Puede saltarse cualquier pregunta." in spanish or "saltar" in spanish
    missing = await staff.get("/staff/rounds/1/paper/form/de")
    assert missing.status_code == 404


async def test_a_checked_file_is_not_kept_past_a_day(client, accounts) -> None:
    """The page and the schema promise a checked file (the typed-in answers, as they
    were written on paper) is kept a day at most: after that it can't be confirmed, and
    the retention purge forgets it even if nobody uploads another file."""
    from datetime import timedelta

    from codesign.services import erasure
    from codesign.store.db import to_db_time, utcnow

    staff = await signed_in(client, "organizer")
    checked = await check(staff, HEADER + _rows(3))
    assert checked.status_code == 200
    token = TOKEN_FIELD.search(checked.text).group(1)
    db = client.app.state.db

    async def age(conn) -> None:
        await conn.execute(
            "UPDATE paper_pending SET created_at = ?",
            (to_db_time(utcnow() - timedelta(days=1, minutes=1)),),
        )

    await db.write(age)
    late = await staff.client.post(
        "/staff/rounds/1/paper/confirm",
        data={"_csrf_token": staff.token, "token": token, "add": "new"},
        headers={"x-csrftoken": staff.token},
    )
    assert late.status_code == 422 and "Upload the file again" in late.text
    assert await _counts(client) == (0, 0)
    await erasure.purge(db)
    assert (await db.fetch_one("SELECT COUNT(*) AS n FROM paper_pending"))["n"] == 0
