"""A checked paper file confirmed twice at once (a double click, two tabs): it is
imported once, and the other confirmation gets the calm 'used already' message."""

from __future__ import annotations

import asyncio

from codesign.services import paper
from codesign.store import rounds as round_store

CONTENT = (
    b"language,may_quote,1.1,1.2,2.1\r\n"
    b"en,yes,4,Evenings please,\r\n"
    b"es,,prefer_not,Por la tarde,2\r\n"
)


async def test_two_confirmations_at_once_import_the_file_once(client, accounts) -> None:
    db = client.app.state.db
    organizer = accounts["organizer"]
    round_ = await round_store.load_round(db, "demo")
    checked = await paper.check_csv(db, organizer, round_, "paper.csv", CONTENT)
    assert checked.check is not None
    token = checked.check.token
    first, second = await asyncio.gather(
        paper.confirm_import(db, organizer, round_, token, False),
        paper.confirm_import(db, organizer, round_, token, False),
    )
    reports = sorted([first, second], key=lambda r: r.imported)
    assert [r.imported for r in reports] == [0, 2]
    refused = reports[0]
    assert [p.message for p in refused.problems] == [paper.CHECK_GONE]
    held = await db.fetch_one("SELECT COUNT(*) AS n FROM participations WHERE source = 'paper'")
    assert held["n"] == 2
    entries = await db.fetch_all("SELECT detail FROM audit_log WHERE action = 'paper_imported'")
    assert len(entries) == 1
