"""Building and editing a round: each use case is one write, so an organizer never
finds half of a change (a new section without its audit entry, settings saved but a
language still offered that is no longer complete, a copy without its link).

Each crash test makes a step late in the use case fail inside its write, and checks
that nothing of it is stored; then that the same change, done again, is stored with
exactly one audit entry."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from codesign.services.errors import Refused
from codesign.services.rounds import admin as rounds_admin
from codesign.services.rounds import writes
from codesign.services.rounds.admin import RoundsAdmin
from codesign.services.rounds.forms import parse_round_form
from codesign.settings import SUPPORTED_LOCALES
from codesign.store import audit
from codesign.store import rounds as round_store
from codesign.store.staff_rounds import settings as round_settings
from codesign.store.staff_rounds import texts as text_store

SECTION = {"title": "Another part", "body_md": "What we plan to do."}


class Crash(Exception):
    """The process dies between two statements of one use case."""


async def _crash(*args, **kwargs):
    raise Crash


def _crash_now(*args, **kwargs):
    raise Crash


@pytest.fixture
def audit_fails(monkeypatch):
    """Call it to make writing audit entries (a use case's last statement) fail."""
    return lambda: monkeypatch.setattr(audit, "add_in", _crash)


@pytest.fixture
def offering_fails(monkeypatch):
    """Call it to make working out the languages offered (done after the change) fail."""
    return lambda: monkeypatch.setattr(writes, "offered_locales", _crash_now)


async def _entries(db, round_id: int, action: str) -> int:
    return sum(e.action == action for e in await audit.recent(db, 500, round_id=round_id))


async def _draft(client, accounts):
    db = client.app.state.db
    admin = RoundsAdmin(db)
    demo = await round_store.load_round(db, "demo")
    new_id = await admin.duplicate(accounts["organizer"], demo, " (copy)")
    round_, _ = await admin.round_for(accounts["organizer"], new_id)
    return admin, round_


def _settings_form(round_, **changes) -> dict[str, str]:
    text = round_.texts[round_.default_locale]
    form = {
        "title": text.title,
        "organisation": text.organisation,
        "purpose": text.purpose,
        "readers": text.readers,
        "next_steps": text.next_steps,
        "data_use": text.data_use,
        "default_locale": round_.default_locale,
        "timezone": round_.timezone,
        "closes_at": "2099-01-01T10:00",
        **{f"offer_{loc}": "yes" for loc in round_.locales},
    }
    for i, contact in enumerate(round_.contacts.get(round_.default_locale, [])):
        for field in ("name", "phone", "hours", "url", "description", "languages"):
            form[f"contact{i}_{field}"] = getattr(contact, field)
    form.update(changes)
    return form


async def test_saving_settings_is_undone_with_its_audit_entry(
    client, accounts, audit_fails
) -> None:
    admin, round_ = await _draft(client, accounts)
    db = client.app.state.db
    organizer = accounts["organizer"]
    other = next(loc for loc in round_.contacts if loc != round_.default_locale)
    data, errors = parse_round_form(
        _settings_form(round_, title="Housing rules, again", contact0_phone="0800 123 456"),
        round_,
    )
    assert not errors
    audit_fails()
    with pytest.raises(Crash):
        await admin.update(organizer, round_, data)
    now = await round_store.load_round(db, round_.slug)
    assert now.texts[round_.default_locale].title == round_.texts[round_.default_locale].title
    assert now.contacts[other][0].phone == round_.contacts[other][0].phone
    assert await _entries(db, round_.id, "round_settings_changed") == 0


async def test_saved_settings_copy_the_phone_number_and_are_audited_once(
    client, accounts, offering_fails, monkeypatch
) -> None:
    admin, round_ = await _draft(client, accounts)
    db = client.app.state.db
    organizer = accounts["organizer"]
    other = next(loc for loc in round_.contacts if loc != round_.default_locale)
    data, _ = parse_round_form(_settings_form(round_, contact0_phone="0800 123 456"), round_)
    # the languages offered are worked out last, inside the same write
    offering_fails()
    with pytest.raises(Crash):
        await admin.update(organizer, round_, data)
    assert (await round_store.load_round(db, round_.slug)).contacts[other][0].phone == (
        round_.contacts[other][0].phone
    )
    assert await _entries(db, round_.id, "round_settings_changed") == 0
    monkeypatch.undo()
    await admin.update(organizer, round_, data)
    now = await round_store.load_round(db, round_.slug)
    assert now.contacts[other][0].phone == "0800 123 456"
    assert now.contacts[round_.default_locale][0].phone == "0800 123 456"
    assert await _entries(db, round_.id, "round_settings_changed") == 1


async def _with_untranslated_section(client, accounts):
    """A draft offering every language it has, with a new section written only in its
    main language."""
    admin, round_ = await _draft(client, accounts)
    organizer = accounts["organizer"]
    data, errors = parse_round_form(_settings_form(round_), round_)
    assert not errors
    await admin.update(organizer, round_, data)
    section_id, errors = await admin.add_section(organizer, round_, SECTION)
    assert errors == []
    round_, _ = await admin.round_for(organizer, round_.id)
    return admin, round_, section_id


async def test_adding_a_section_and_offering_fewer_languages_are_one_write(
    client, accounts, offering_fails, monkeypatch
) -> None:
    admin, round_ = await _draft(client, accounts)
    db = client.app.state.db
    organizer = accounts["organizer"]
    assert len(round_.locales) > 1
    offering_fails()
    with pytest.raises(Crash):
        await admin.add_section(organizer, round_, SECTION)
    now = await round_store.load_round(db, round_.slug)
    assert len(now.sections) == len(round_.sections)
    assert await _entries(db, round_.id, "section_added") == 0
    monkeypatch.undo()
    await admin.add_section(organizer, round_, SECTION)
    now = await round_store.load_round(db, round_.slug)
    assert len(now.sections) == len(round_.sections) + 1
    # the new section has no translation yet, so only the main language is offered
    assert now.locales == [round_.default_locale]
    assert await _entries(db, round_.id, "section_added") == 1


async def test_adding_and_removing_questions_are_one_write_each(
    client, accounts, offering_fails, monkeypatch
) -> None:
    admin, round_ = await _draft(client, accounts)
    db = client.app.state.db
    organizer = accounts["organizer"]
    section = round_.sections[0]
    form = {"kind": "open_text", "prompt": "What would help?"}
    offering_fails()
    with pytest.raises(Crash):
        await admin.add_question(organizer, round_, section.id, form)
    with pytest.raises(Crash):
        await admin.delete_question(organizer, round_, section.questions[0].id)
    with pytest.raises(Crash):
        await admin.delete_section(organizer, round_, round_.sections[-1].id)
    now = await round_store.load_round(db, round_.slug)
    assert [[q.id for q in s.questions] for s in now.sections] == [
        [q.id for q in s.questions] for s in round_.sections
    ]
    for action in ("question_added", "question_removed", "section_removed"):
        assert await _entries(db, round_.id, action) == 0
    monkeypatch.undo()
    assert await admin.add_question(organizer, round_, section.id, form) == []
    await admin.delete_question(organizer, round_, section.questions[0].id)
    now = await round_store.load_round(db, round_.slug)
    assert [q.texts[round_.default_locale].prompt for q in now.sections[0].questions][-1] == (
        "What would help?"
    )
    assert len(now.sections[0].questions) == len(section.questions)
    assert await _entries(db, round_.id, "question_added") == 1
    assert await _entries(db, round_.id, "question_removed") == 1


async def test_a_translation_and_offering_its_language_are_one_write(
    client, accounts, audit_fails, monkeypatch
) -> None:
    admin, round_, section_id = await _with_untranslated_section(client, accounts)
    db = client.app.state.db
    organizer = accounts["organizer"]
    locale = next(loc for loc in SUPPORTED_LOCALES if loc in round_.texts
                  and loc != round_.default_locale)
    item = f"section-{section_id}"
    form = {f"{item}_title": "Otra parte", f"{item}_body_md": "Lo que planeamos hacer."}
    assert locale not in round_.locales
    audit_fails()
    with pytest.raises(Crash):
        await admin.save_translation(organizer, round_, locale, item, form)
    now = await round_store.load_round(db, round_.slug)
    assert locale not in now.sections[-1].texts
    assert locale not in now.locales
    monkeypatch.undo()
    assert await admin.save_translation(organizer, round_, locale, item, form) == []
    now = await round_store.load_round(db, round_.slug)
    assert now.sections[-1].texts[locale].title == "Otra parte"
    assert locale in now.locales  # complete again, so offered again
    assert await _entries(db, round_.id, "translation_changed") == 1


async def test_editing_a_draft_section_is_undone_with_its_audit_entry(
    client, accounts, audit_fails, monkeypatch
) -> None:
    admin, round_ = await _draft(client, accounts)
    db = client.app.state.db
    organizer = accounts["organizer"]
    section = round_.sections[0]
    form = {"title": "A clearer title", "body_md": "Clearer words."}
    audit_fails()
    with pytest.raises(Crash):
        await admin.edit_section(organizer, round_, section.id, form)
    now = await round_store.load_round(db, round_.slug)
    assert now.sections[0].texts[round_.default_locale] == section.texts[round_.default_locale]
    monkeypatch.undo()
    assert await admin.edit_section(organizer, round_, section.id, form) == []
    now = await round_store.load_round(db, round_.slug)
    assert now.sections[0].texts[round_.default_locale].title == "A clearer title"
    assert await _entries(db, round_.id, "section_changed") == 1


async def test_editing_a_choice_question_is_undone_with_its_choices_and_audit_entry(
    client, accounts, audit_fails, monkeypatch
) -> None:
    admin, round_ = await _draft(client, accounts)
    db = client.app.state.db
    organizer = accounts["organizer"]
    section = round_.sections[0]
    assert await admin.add_question(
        organizer, round_, section.id,
        {"kind": "multiple_choice", "prompt": "When?", "options": "Mornings\nEvenings"},
    ) == []
    round_, _ = await admin.round_for(organizer, round_.id)
    question = round_.sections[0].questions[-1]
    prefix = f"q{question.id}_"
    form = {f"{prefix}prompt": "When could you come?", f"{prefix}options": "Weekends\nMornings"}
    audit_fails()
    with pytest.raises(Crash):
        await admin.edit_question(organizer, round_, question.id, form)
    now = (await round_store.load_round(db, round_.slug)).question(question.id)
    assert now.texts[round_.default_locale].prompt == "When?"
    assert [o.labels[round_.default_locale] for o in now.options] == ["Mornings", "Evenings"]
    monkeypatch.undo()
    assert await admin.edit_question(organizer, round_, question.id, form) == []
    now = (await round_store.load_round(db, round_.slug)).question(question.id)
    assert now.texts[round_.default_locale].prompt == "When could you come?"
    assert [o.labels[round_.default_locale] for o in now.options] == ["Weekends", "Mornings"]
    assert await _entries(db, round_.id, "question_changed") == 1


async def test_editing_from_a_draft_page_after_the_round_opened_changes_nothing(
    client, accounts
) -> None:
    """Once open, the main wording changes only as a correction (its old words kept):
    an edit sent from a page loaded while it was a draft is refused."""
    admin, round_ = await _draft(client, accounts)
    db = client.app.state.db
    organizer = accounts["organizer"]
    assert await round_settings.set_status(db, round_.id, "open", "draft")
    section = round_.sections[0]
    question = section.questions[0]
    with pytest.raises(Refused, match="no longer a draft"):
        await admin.edit_section(
            organizer, round_, section.id, {"title": "New", "body_md": "New words."}
        )
    with pytest.raises(Refused, match="no longer a draft"):
        await admin.edit_question(
            organizer, round_, question.id, {f"q{question.id}_prompt": "A new question?"}
        )
    now = await round_store.load_round(db, round_.slug)
    assert now.sections[0].texts == section.texts
    assert now.sections[0].questions[0].texts == question.texts
    assert await _entries(db, round_.id, "section_changed") == 0
    assert await _entries(db, round_.id, "question_changed") == 0


async def test_a_wording_correction_is_undone_with_its_revision_and_audit_entry(
    client, accounts, audit_fails, monkeypatch
) -> None:
    db = client.app.state.db
    admin = RoundsAdmin(db)
    demo = await round_store.load_round(db, "demo")
    assert demo.status == "open"
    section = demo.sections[0]
    old = section.texts[demo.default_locale]
    form = {"title": old.title + " (corrected)", "body_md": old.body_md,
            "content_note": old.content_note}
    audit_fails()
    with pytest.raises(Crash):
        await admin.edit_section(accounts["organizer"], demo, section.id, form)
    assert (await round_store.load_round(db, "demo")).sections[0].texts[
        demo.default_locale
    ].title == old.title
    assert await text_store.text_revisions(db, demo.id) == []
    monkeypatch.undo()
    assert await admin.edit_section(accounts["organizer"], demo, section.id, form) == []
    assert [r["new_text"] for r in await text_store.text_revisions(db, demo.id)] == [
        old.title + " (corrected)"
    ]
    assert await _entries(db, demo.id, "section_wording_corrected") == 1


async def test_a_copy_whose_first_link_is_taken_gets_another(
    client, accounts, monkeypatch
) -> None:
    db = client.app.state.db
    admin = RoundsAdmin(db)
    demo = await round_store.load_round(db, "demo")
    real = rounds_admin.new_slug
    drawn = itertools.chain(["demo"], iter(real, None))
    monkeypatch.setattr(rounds_admin, "new_slug", lambda: next(drawn))
    new_id = await admin.duplicate(accounts["organizer"], demo, " (copy)")
    copy, _ = await admin.round_for(accounts["organizer"], new_id)
    assert copy.slug != "demo" and copy.status == "draft"
    assert (await round_store.load_round(db, "demo")).id == demo.id
    assert await _entries(db, new_id, "round_copied") == 1


async def test_a_copy_is_undone_with_its_audit_entry(client, accounts, audit_fails) -> None:
    db = client.app.state.db
    admin = RoundsAdmin(db)
    demo = await round_store.load_round(db, "demo")
    before = len(await admin.rounds_for(accounts["admin"]))
    audit_fails()
    with pytest.raises(Crash):
        await admin.duplicate(accounts["organizer"], demo, " (copy)")
    assert len(await admin.rounds_for(accounts["admin"])) == before


async def test_two_new_rounds_drawing_the_same_link_at_once_are_both_made(
    client, accounts, monkeypatch
) -> None:
    db = client.app.state.db
    admin = RoundsAdmin(db)
    real = rounds_admin.new_slug
    drawn = itertools.chain(["samelink", "samelink"], iter(real, None))
    monkeypatch.setattr(rounds_admin, "new_slug", lambda: next(drawn))
    data, errors = parse_round_form(
        {
            "title": "Housing rules", "organisation": "Org", "purpose": "Why",
            "readers": "Board", "next_steps": "Next", "data_use": "Kept a year",
            "default_locale": "en", "timezone": "UTC", "closes_at": "2099-01-01T10:00",
        }
    )
    assert not errors
    before = len(await admin.rounds_for(accounts["admin"]))
    first, second = await asyncio.gather(
        admin.create(accounts["organizer"], data), admin.create(accounts["organizer"], data)
    )
    assert first != second
    rounds = await admin.rounds_for(accounts["admin"])
    assert len(rounds) == before + 2
    slugs = {r.id: r.slug for r in rounds}
    assert slugs[first] != slugs[second]
    assert "samelink" in (slugs[first], slugs[second])


async def test_main_language_cannot_change_on_a_round_that_opened_after_the_page_loaded(
    client, accounts
) -> None:
    """The settings page was loaded while the round was a draft; someone opened it
    before the organizer saved a new main language. Nothing of the save is stored."""
    admin, round_ = await _draft(client, accounts)
    db = client.app.state.db
    organizer = accounts["organizer"]
    other = next(loc for loc in round_.locales if loc != round_.default_locale)
    data, errors = parse_round_form(
        _settings_form(round_, default_locale=other, title="Housing rules, again"), round_
    )
    assert not errors
    assert await round_settings.set_status(db, round_.id, "open", "draft")
    with pytest.raises(Refused) as refused:
        await admin.update(organizer, round_, data)
    assert "main language" in refused.value.message
    now = await round_store.load_round(db, round_.slug)
    assert now.default_locale == round_.default_locale
    assert now.texts[round_.default_locale].title == round_.texts[round_.default_locale].title
    assert await _entries(db, round_.id, "round_settings_changed") == 0
    # the same save that keeps the main language still works on the open round
    data, _ = parse_round_form(_settings_form(round_, title="Housing rules, again"), now)
    await admin.update(organizer, now, data)
    assert (await round_store.load_round(db, round_.slug)).texts[
        round_.default_locale
    ].title == "Housing rules, again"
