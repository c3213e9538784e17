"""One rule for raw answers: only the staff on a round read them, admins included."""

from __future__ import annotations

from codesign.store import users as user_store
from tests.web.staff.conftest import signed_in
from tests.web.staff.test_watch import answer

PLACES = (
    "/staff/rounds/1/export.csv",
    "/staff/rounds/1/export.json",
    "/staff/rounds/1/board/export.csv",
    "/staff/rounds/1/board",
)


async def test_an_admin_not_on_the_round_reads_no_raw_answers_anywhere(client, accounts):
    await answer(client, "the bus stop is too far from the centre")
    admin = await signed_in(client, "admin")
    for path in PLACES:
        response = await admin.get(path)
        assert response.status_code == 403, path
        assert "the bus stop is too far" not in response.text
        assert "This round is not one of yours" in response.text
    # Managing the round stays possible.
    assert (await admin.get("/staff/rounds/1")).status_code == 200
    assert (await admin.get("/staff/rounds/1/dashboard")).status_code == 200


async def test_on_the_round_an_admin_reads_them_everywhere(client, accounts):
    await answer(client, "the bus stop is too far from the centre")
    await user_store.add_member(client.app.state.db, 1, accounts["admin"].id)
    admin = await signed_in(client, "admin")
    for path in PLACES:
        assert (await admin.get(path)).status_code == 200, path
    exported = await admin.get("/staff/rounds/1/export.csv")
    assert "the bus stop is too far" in exported.text
