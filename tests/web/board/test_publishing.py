"""Publishing that is safe and complete: checklist, quotes, sign-off, confirmation, states.

Each test reads what a board member, an organizer or a participant would see on
the page, and what is stored (the audit log, the round's status).
"""

from __future__ import annotations

import html
import re
import secrets

from codesign.models import AnswerInput
from codesign.services import publishing
from codesign.store import participations
from codesign.store import rounds as round_store
from codesign.store import users as user_store
from codesign.store.board import answers as answer_store
from codesign.store.board import outcomes as outcome_store
from codesign.store.board import reading as theme_store
from codesign.store.board import settings as settings_store
from codesign.web.staff.common import service_for_app
from tests.web.board.conftest import analysed
from tests.web.board.test_board_pages import url
from tests.web.staff.conftest import PASSWORD, Staff, signed_in
from tests.web.test_choices import choice_round as choice_round  # noqa: F401 - the fixture

LOCALES = ("en", "es", "fr", "ar")
WORDS = {
    "en": ("Evening times", "We will open late on Thursdays."),
    "es": ("Horario de tarde", "Abriremos tarde los jueves."),
    "fr": ("Horaires du soir", "Nous ouvrirons tard le jeudi."),
    "ar": ("مواعيد المساء", "سنفتح متأخرا يوم الخميس."),
}


def text_of(page) -> str:
    """The words a reader gets: inline tags vanish, other tags part words."""
    inline = re.sub(r"</?(?:bdi|span|strong|a|em)\b[^>]*>", "", page.text)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def quotes_on(page) -> set[str]:
    return {
        html.unescape(q) for q in re.findall(r"<blockquote[^>]*>([^<]*)</blockquote>", page.text)
    }


async def _respond(member, board, theme_id: int, locales=LOCALES) -> None:
    data = {}
    for loc in locales:
        title, text = WORDS[loc]
        data[f"title_{loc}"] = f"{title} {theme_id}"
        data[f"text_{loc}"] = text
    r = await member.post(url(board, f"/themes/{theme_id}/response"), data)
    assert r.status_code == 303, r.text


async def _ready(client, board, *, skip: tuple[str, ...] = ()) -> Staff:
    """Analysed, closed, every public theme answered in every language but `skip`, signed off."""
    await analysed(board)
    db = client.app.state.db
    await round_store.set_status(db, "demo", "closed")
    member = await signed_in(client, "board")
    for t in await theme_store.themes_for(db, board["question"]):
        await _respond(member, board, t.id, [loc for loc in LOCALES if loc not in skip])
    summary = {}
    for loc in LOCALES:
        if loc not in skip:
            summary |= {f"said_{loc}": f"said {loc}", f"did_{loc}": f"did {loc}"}
    assert (await member.post(url(board, "/summary"), summary)).status_code == 303
    assert (await member.post(url(board, "/sign-off"))).status_code == 303
    return member


async def _actions(client) -> list[str]:
    rows = await client.app.state.db.fetch_all("SELECT action FROM audit_log ORDER BY id")
    return [r["action"] for r in rows]


# The checklist ------------------------------------------------------------------------


async def test_a_missing_language_is_named_and_the_page_in_it_says_so(client, board) -> None:
    member = await _ready(client, board, skip=("es",))
    checklist = text_of(await member.get(url(board, "/publish")))
    assert "Español: not everything is written in this language yet" in checklist
    assert "Français: the board's text is complete." in checklist
    assert "Not written yet in: Español." in checklist
    # Not blocking: the board may publish, and the Spanish page says plainly what is missing.
    assert (await member.post(url(board, "/publish"), {"confirm": "yes"})).status_code == 303
    spanish = await client.get("/r/demo/outcomes?lang=es")
    words = text_of(spanish)
    # the languages are named in Spanish inside the sentence, not in themselves
    assert "todavía no están en español" in words and "en inglés" in words, words
    assert "sin traducir" in words
    # the English words shown instead are marked as English
    assert '<p class="answer-text" lang="en" dir="auto">We will open late on Thursdays.' in (
        spanish.text
    )
    arabic = await client.get("/r/demo/outcomes?lang=ar")
    assert "سنفتح متأخرا يوم الخميس." in arabic.text and "not-translated" not in arabic.text


async def test_the_arabic_page_names_the_main_language_in_arabic(client, board) -> None:
    """"English" in the middle of an Arabic sentence is a foreign, left-to-right word."""
    member = await _ready(client, board, skip=("ar",))
    assert (await member.post(url(board, "/publish"), {"confirm": "yes"})).status_code == 303
    words = text_of(await client.get("/r/demo/outcomes?lang=ar"))
    assert "يمكنك قراءتها باللغة الإنجليزية" in words and "باللغة English" not in words
    assert "(لم يُترجم بعد، باللغة الإنجليزية)" in words


async def test_machine_names_block_publishing_until_the_board_names_them(client, board) -> None:
    await analysed(board)
    db = client.app.state.db
    await round_store.set_status(db, "demo", "closed")
    member = await signed_in(client, "board")
    themes = await theme_store.themes_for(db, board["question"])
    assert (await member.post(url(board, "/sign-off"))).status_code == 303
    page = await member.get(url(board, "/publish"))
    words = text_of(page)
    assert "These themes still carry the name the analysis made." in words
    check = await publishing.checklist(board["service"], await round_store.load_round(db, "demo"))
    assert check.public_themes
    for t in check.public_themes:
        assert f'href="{url(board, f"/themes/{t.id}/response")}"' in page.text
        assert t.label in words
    assert 'id="publish-form"' not in page.text
    refused = await member.post(url(board, "/publish"), {"confirm": "yes"})
    assert refused.status_code == 409
    assert (await client.get("/r/demo/outcomes")).text.count("The board has not published") == 1
    # A name in the main language fixes it (responses clear the sign-off: sign again).
    for t in themes:
        await _respond(member, board, t.id, ["en"])
    await member.post(url(board, "/sign-off"))
    words = text_of(await member.get(url(board, "/publish")))
    assert "Every theme going public has a name the board gave it." in words
    assert (await member.post(url(board, "/publish"), {"confirm": "yes"})).status_code == 303


async def test_small_and_held_back_themes_are_listed_and_stay_off_the_page(client, board) -> None:
    member = await _ready(client, board)
    db = client.app.state.db
    themes = await theme_store.themes_for(db, board["question"])
    states = await publishing.theme_states(board["service"], board["round"])
    smallest = [t for t in states if t.status == "public"][-1]  # others are held back already
    await settings_store.save_settings(
        db,
        board["round"].id,
        anonymity_threshold=smallest.size + 1,
        quotes_allowed=True,
        safeguarding_user_id=None,
    )
    # the largest theme, mostly made of risk-flagged answers
    largest = themes[0]
    members = await answer_store.theme_answers(db, board["question"], largest.id)
    ids = [a.id for a in members[: len(members) // 2 + 1]]
    marks = ",".join("?" * len(ids))
    await db.write(
        lambda conn: conn.execute(f"UPDATE answers SET risk = 1 WHERE id IN ({marks})", ids)
    )
    page = await member.get(url(board, "/publish"))
    words = text_of(page)
    assert f"Themes with fewer than {smallest.size + 1} answers stay off the page" in words
    assert f'href="{url(board, f"/themes/{smallest.id}")}"' in page.text
    assert "most of their answers may mean someone is at risk" in words
    assert f'href="{url(board, f"/themes/{largest.id}")}"' in page.text
    assert (await member.post(url(board, "/publish"), {"confirm": "yes"})).status_code == 303
    public = text_of(await client.get("/r/demo/outcomes"))
    assert f"Evening times {smallest.id}" not in public
    assert f"Evening times {largest.id}" not in public
    assert f"Evening times {themes[1].id}" in public


# Quotes ----------------------------------------------------------------------------------


async def test_quotes_are_public_only_when_approved_and_never_when_flagged(client, board) -> None:
    member = await _ready(client, board)
    db = client.app.state.db
    assert (await member.post(url(board, "/publish"), {"confirm": "yes"})).status_code == 303
    assert "<blockquote" not in (await client.get("/r/demo/outcomes")).text  # none by default

    page = await member.get(url(board, "/quotes"))
    offered = [int(i) for i in re.findall(r'action="[^"]*/quotes/(\d+)"', page.text)]
    assert offered
    # formula-like text is never offered, nor can it be approved
    junk = await db.fetch_one("SELECT id FROM answers WHERE text LIKE '=HYPERLINK%'")
    assert junk["id"] not in offered
    r = await member.post(url(board, f"/quotes/{junk['id']}"), {"action": "approve"})
    assert r.status_code == 409
    # a risk-flagged answer can't be approved
    risky = await db.fetch_one("SELECT id FROM answers WHERE risk = 1 LIMIT 1")
    r = await member.post(url(board, f"/quotes/{risky['id']}"), {"action": "approve"})
    assert r.status_code == 409
    # from people who did not allow quoting: not offered
    refused = await db.fetch_all(
        "SELECT a.id FROM answers a JOIN participations p ON p.id = a.participation_id"
        " WHERE p.may_quote = 0"
    )
    assert not {r["id"] for r in refused} & set(offered)

    first, second = offered[0], offered[1]
    for answer_id in (first, second):
        r = await member.post(url(board, f"/quotes/{answer_id}"), {"action": "approve"})
        assert r.status_code == 303 and "done=quote-approved" in r.headers["location"]
        # back at the quote just decided, which the page can scroll to
        assert r.headers["location"].endswith(f"#quote-{answer_id}")
        assert f'id="quote-{answer_id}"' in (await member.get(url(board, "/quotes"))).text
    texts = {
        r["id"]: r["redacted"]
        for r in await db.fetch_all(
            "SELECT id, redacted FROM answers WHERE id IN (?, ?)", (first, second)
        )
    }
    assert quotes_on(await client.get("/r/demo/outcomes")) == {texts[first], texts[second]}
    # an approved answer flagged later is never public
    await db.write(lambda conn: conn.execute("UPDATE answers SET risk = 1 WHERE id = ?", (second,)))
    assert quotes_on(await client.get("/r/demo/outcomes")) == {texts[first]}
    # taking the approval back
    await member.post(url(board, f"/quotes/{first}"), {"action": "remove"})
    assert "<blockquote" not in (await client.get("/r/demo/outcomes")).text
    assert (await _actions(client)).count("quote_approved") == 2
    assert "quote_choices_viewed" in await _actions(client)  # reading the answers is audited
    assert "quote_approval_withdrawn" in await _actions(client)


async def test_an_answer_flagged_by_hand_is_never_a_public_quote(client, board) -> None:
    """Anyone on the round can flag an answer for the safeguarding lead by hand; like an
    answer the detector flagged, it is never a quote, approved before or not."""
    member = await _ready(client, board)
    db = client.app.state.db
    assert (await member.post(url(board, "/publish"), {"confirm": "yes"})).status_code == 303
    page = await member.get(url(board, "/quotes"))
    offered = [int(i) for i in re.findall(r'action="[^"]*/quotes/(\d+)"', page.text)]
    first, second = offered[0], offered[1]
    r = await member.post(url(board, f"/quotes/{first}"), {"action": "approve"})
    assert r.status_code == 303
    text = (await db.fetch_one("SELECT redacted FROM answers WHERE id = ?", (first,)))["redacted"]
    assert text in quotes_on(await client.get("/r/demo/outcomes"))
    for answer_id in (first, second):
        flagged = await member.post(
            url(board, f"/answers/{answer_id}/flag"), {"kind": "danger", "note": ""}
        )
        assert flagged.status_code in (200, 303)
    assert text not in quotes_on(await client.get("/r/demo/outcomes"))
    page = await member.get(url(board, "/quotes"))
    offered = [int(i) for i in re.findall(r'action="[^"]*/quotes/(\d+)"', page.text)]
    assert first not in offered and second not in offered
    refused = await member.post(url(board, f"/quotes/{second}"), {"action": "approve"})
    assert refused.status_code == 409
    assert not await db.fetch_one("SELECT 1 FROM quote_approvals WHERE answer_id = ?", (second,))


# Sign-off --------------------------------------------------------------------------------


async def test_only_board_members_write_and_sign_off_the_response(client, board, accounts) -> None:
    await analysed(board)
    db = client.app.state.db
    theme = (await theme_store.themes_for(db, board["question"]))[0]
    for role in ("organizer", "admin"):  # the admin sits on the round (fixture)
        staff = await signed_in(client, role)
        form = await staff.get(url(board, f"/themes/{theme.id}/response"))
        assert form.status_code == 403
        assert "Only the board's members write and sign off" in text_of(form)
        r = await staff.post(
            url(board, f"/themes/{theme.id}/response"), {"title_en": "x", "text_en": "y"}
        )
        assert r.status_code == 403
        assert (await staff.post(url(board, "/sign-off"))).status_code == 403
        home = await staff.get(url(board))
        assert 'action="' + url(board, "/sign-off") + '"' not in home.text
        assert "Signed off by 0 of the 1 board members needed." in text_of(home)
        # The checklist's links to naming and sign-off lead to board pages: it says so.
        checklist = text_of(await staff.get(url(board, "/publish")))
        assert "Only the round's board members name the themes" in checklist
    member = await signed_in(client, "board")
    assert "Only the round's board members name the themes" not in text_of(
        await member.get(url(board, "/publish"))
    )
    assert await outcome_store.responses_for(db, [board["question"]]) == {}
    assert "response_signed_off" not in await _actions(client)


async def test_a_round_can_need_two_different_board_members(client, board, accounts) -> None:
    member = await _ready(client, board)
    db = client.app.state.db
    admin = await signed_in(client, "admin")
    r = await admin.post(
        url(board, "/settings"),
        {"threshold": "5", "quotes": "yes", "lead": "", "deputy": "", "sign_offs": "2"},
    )
    assert r.status_code == 303
    # the same member signing twice still counts once
    await member.post(url(board, "/sign-off"))
    words = text_of(await member.get(url(board, "/publish")))
    assert "Signed off by 1 of the 2 board members needed." in words
    assert (await member.post(url(board, "/publish"), {"confirm": "yes"})).status_code == 409
    # a second board member on the round
    service = await service_for_app(client.app)
    second = await service.create_user("second@example.org", "board", PASSWORD)
    await user_store.add_member(db, board["round"].id, second.id)
    other = Staff(client)
    await other.sign_in("second@example.org")
    assert (await other.post(url(board, "/sign-off"))).status_code == 303
    words = text_of(await other.get(url(board, "/publish")))
    assert "Signed off by 2 of the 2 board members needed." in words
    assert (await other.post(url(board, "/publish"), {"confirm": "yes"})).status_code == 303
    # when it was published and signed off: to the minute, like the other staff pages
    for page in ("/publish", ""):
        words = text_of(await other.get(url(board, page)))
        assert "+0000" not in words and not re.search(r"\d:\d\d:\d\d", words), words
    # a change to the response afterwards takes every sign-off back
    theme = (await theme_store.themes_for(db, board["question"]))[0]
    await _respond(other, board, theme.id)
    assert "Signed off by 0 of the 2" in text_of(await other.get(url(board)))


# Confirmation, unpublishing, one published state --------------------------------------------


async def test_publish_needs_the_confirmation_and_unpublish_is_audited(client, board) -> None:
    member = await _ready(client, board)
    db = client.app.state.db
    page = await member.get(url(board, "/publish"))
    words = text_of(page)
    assert "What goes public" in words and "Languages: English, Español, Français, العربية" in words
    assert "0 quotes the board approved" in words
    # a plain POST without ticking the box publishes nothing
    r = await member.post(url(board, "/publish"))
    assert r.status_code == 422 and "Tick the box" in text_of(r)
    assert (await settings_store.settings_for(db, board["round"].id)).published_at is None
    assert (await member.post(url(board, "/publish"), {"confirm": "yes"})).status_code == 303
    assert (await round_store.load_round(db, "demo")).status == "published"
    # the organizer's round page shows the same state
    organizer = await signed_in(client, "organizer")
    round_page = text_of(await organizer.get(f"/staff/rounds/{board['round'].id}"))
    assert "The outcomes page is public." in round_page
    # take it down (the organizer may: through the same page), then publish again
    r = await organizer.post(url(board, "/publish"), {"action": "undo"})
    assert r.status_code == 303
    assert (await round_store.load_round(db, "demo")).status == "closed"
    assert "not published its response" in (await client.get("/r/demo/outcomes")).text
    round_page = text_of(await organizer.get(f"/staff/rounds/{board['round'].id}"))
    assert "The outcomes page is not public." in round_page
    assert (await organizer.post(url(board, "/publish"), {"confirm": "yes"})).status_code == 303
    assert "We will open late on Thursdays." in (await client.get("/r/demo/outcomes")).text
    rows = await db.fetch_all(
        "SELECT actor, action, detail FROM audit_log WHERE action LIKE 'outcomes_%' ORDER BY id"
    )
    assert [(r["actor"], r["action"]) for r in rows] == [
        ("board@example.org", "outcomes_published"),
        ("organizer@example.org", "outcomes_unpublished"),
        ("organizer@example.org", "outcomes_published"),
    ]
    assert "themes" in rows[0]["detail"] and "languages en,es,fr,ar" in rows[0]["detail"]


async def test_an_open_round_can_not_be_published(client, board) -> None:
    member = await _ready(client, board)
    await round_store.set_status(client.app.state.db, "demo", "open")
    page = await member.get(url(board, "/publish"))
    assert "Close the round first" in text_of(page)
    assert (await member.post(url(board, "/publish"), {"confirm": "yes"})).status_code == 409
    assert "not published its response" in (await client.get("/r/demo/outcomes")).text


# Preview ----------------------------------------------------------------------------------


async def test_the_preview_is_the_public_page_marked_not_public(client, board) -> None:
    member = await _ready(client, board)
    preview = await member.get(url(board, "/preview?lang=ar"))
    assert preview.status_code == 200
    assert preview.headers["x-robots-tag"].startswith("noindex")
    assert '<html lang="ar" dir="rtl">' in preview.text
    assert "معاينة" in preview.text  # "Preview — not public yet", in Arabic
    assert "سنفتح متأخرا يوم الخميس." in preview.text
    # the public page itself is still closed
    assert "not published its response" in (await client.get("/r/demo/outcomes?lang=en")).text
    # a participant can't open the preview
    client.cookies.clear()
    assert (await client.get(url(board, "/preview"), follow_redirects=False)).status_code == 303


# What the outcomes page shows -----------------------------------------------------------------


async def test_the_outcomes_page_shows_summary_agreement_and_no_empty_sections(
    client, board
) -> None:
    member = await _ready(client, board)
    await member.post(url(board, "/publish"), {"confirm": "yes"})
    page = await client.get("/r/demo/outcomes?lang=en")
    words = text_of(page)
    assert "We asked, you said, we did" in words and "did en" in words
    assert "60 people sent their answers." in words
    assert re.search(r"Published on \w+ \d+, 2\d{3}\.|Published on \d+ \w+ 2\d{3}\.", words)
    # section 1's agreement split, as a chart with its table
    assert '<table class="bars">' in page.text and "<svg" in page.text
    assert "Strongly agree" in words
    # sections nobody answered are not there
    assert not re.search(r"\b0 people answered", words)
    assert "If you miss an appointment" not in words


async def test_choice_results_with_the_anonymity_limit(client, choice_round) -> None:  # noqa: F811
    db = client.app.state.db
    round_ = await round_store.load_round(db, "choices")
    single, multiple, _text = round_.sections[0].questions
    for i in range(6):
        key = secrets.token_hex(8)
        p = await participations.start(db, round_.id, key, key, "es", False)
        given = [AnswerInput(single.id, value=str(single.options[i % 2].id))]
        if i < 3:  # fewer than the anonymity limit answer the second question
            given.append(AnswerInput(multiple.id, value=f"{multiple.options[0].id}"))
        await participations.save_answers(db, p.id, given, "es")
        await participations.submit(db, p.id, may_quote=False)
    view = await publishing.outcomes_view(client.app.state.board, round_, "es", preview=True)
    (section,) = view.sections
    one, two = section.questions
    assert [(b.label, b.count, b.percent) for b in one.bars if b.count] == [
        ("Por teléfono", 3, 50),
        ("Por mensaje de texto", 3, 50),
    ]
    assert two.too_few and two.bars == [] and two.answered == 3
    assert len(section.questions) == 2  # the written question nobody answered is left out


# The closed round's page --------------------------------------------------------------------


async def test_the_closed_round_page_before_and_after_publishing(client, board) -> None:
    await round_store.set_status(client.app.state.db, "demo", "closed")
    before = await client.get("/r/demo?lang=en")
    assert before.status_code == 200
    words = text_of(before)
    round_ = board["round"]
    assert round_.texts["en"].title in words
    assert "This consultation closed on" in words
    assert "What happens next" in words and round_.texts["en"].next_steps[:40] in words
    assert "The board will publish its response by" in words
    assert 'class="support"' in before.text  # the support lines
    assert 'href="/r/demo/withdraw"' in before.text
    assert 'href="/r/demo/outcomes"' not in before.text

    member = await _ready(client, board)
    await member.post(url(board, "/publish"), {"confirm": "yes"})
    after = await client.get("/r/demo?lang=es")
    words = text_of(after)
    assert after.status_code == 200 and 'href="/r/demo/outcomes"' in after.text
    assert "did es" in words
    assert 'class="support"' in after.text


async def test_the_printable_report_has_results_date_participants_and_page_numbers(
    client, board
) -> None:
    await analysed(board)
    await settings_store.save_settings(
        client.app.state.db,
        board["round"].id,
        anonymity_threshold=10,
        quotes_allowed=True,
        safeguarding_user_id=None,
    )
    member = await signed_in(client, "board")
    page = await member.get(url(board, "/report"))
    words = text_of(page)
    assert "Printed on" in words and "60 people sent their answers." in words
    assert "Agreement and choices" in words and "Strongly agree" in words
    assert "Other and small themes:" in words
    css = (await client.get(re.search(r'href="([^"]*staff\.css)"', page.text).group(1))).text
    assert "counter(page)" in css and "counter(pages)" in css


async def test_language_counts_keep_their_order_in_any_direction(client, board) -> None:
    """ "العربية: 15" must not read "15 :العربية": the name and the number are isolated."""
    organizer = await signed_in(client, "organizer")
    page = await organizer.get(f"/staff/rounds/{board['round'].id}/dashboard")
    assert page.status_code == 200
    assert re.search(r'<bdi lang="ar">العربية</bdi>: <bdi>\d+</bdi>', page.text)
    # the response form: labels in the reader's language, each box in its own
    member = await signed_in(client, "board")
    await analysed(board)
    theme = (await theme_store.themes_for(client.app.state.db, board["question"]))[0]
    form = (await member.get(url(board, f"/themes/{theme.id}/response"))).text
    assert '<fieldset lang="ar"' not in form
    assert 'id="text_ar" name="text_ar" rows="5" maxlength="4000" lang="ar" dir="rtl"' in form
    assert '<legend><bdi lang="ar">العربية</bdi></legend>' in form


async def test_publishing_checks_the_sign_off_in_the_same_statement(client, board) -> None:
    """A response saved between the checklist and the click takes the sign-off back:
    the publication itself refuses, and nothing goes public."""
    from codesign.store import publishing as pub_store

    db = client.app.state.db
    await round_store.set_status(db, "demo", "closed")
    who = pub_store.Actor("board@example.org", None)
    assert not await pub_store.publish(db, board["round"].id, who, "")
    assert (await round_store.load_round(db, "demo")).status == "closed"
    assert (await settings_store.settings_for(db, board["round"].id)).published_at is None
    assert "outcomes_published" not in await _actions(client)


async def test_the_main_language_missing_is_said_plainly(client, board) -> None:
    member = await _ready(client, board, skip=("en",))
    words = text_of(await member.get(url(board, "/publish")))
    assert "English, the main language: the board has not written everything yet." in words
    assert "English: not everything is written in this language yet" not in words
