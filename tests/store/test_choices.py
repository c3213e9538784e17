"""Choices of choice questions: stored per locale, loaded in order, kept by label on edit."""

from __future__ import annotations

import msgspec

from codesign.demo.round import build_demo_round
from codesign.models import NewQuestion, NewSection, QuestionText
from codesign.store import rounds as round_store
from codesign.store.db import Database
from codesign.store.staff_rounds import structure as structure_store
from codesign.store.staff_rounds import texts as text_store


async def _round_with_choices(db: Database) -> int:
    demo = build_demo_round()
    section = NewSection(
        texts={"en": demo.sections[0].texts["en"]},
        questions=[
            NewQuestion(
                "multiple_choice",
                {"en": QuestionText("en", "When?", "")},
                [{"en": "Mornings", "es": "Mañanas"}, {"en": "Evenings"}],
            ),
            NewQuestion("agreement", {"en": QuestionText("en", "Agree?", "")}),
        ],
    )
    new = msgspec.structs.replace(
        demo,
        slug="opts",
        locales=["en"],
        texts={"en": demo.texts["en"]},
        contacts={"en": demo.contacts["en"]},
        sections=[section],
    )
    return await round_store.create_round(db, new)


async def test_options_load_in_order_with_labels_per_locale(empty_db) -> None:
    db = empty_db
    await _round_with_choices(db)
    loaded = await round_store.load_round(db, "opts")
    multiple, agreement = loaded.sections[0].questions
    assert agreement.options == [] and not agreement.is_choice
    assert multiple.is_choice
    assert [o.labels for o in multiple.options] == [
        {"en": "Mornings", "es": "Mañanas"},
        {"en": "Evenings"},
    ]
    assert [o.position for o in multiple.options] == [1, 2]
    first, second = multiple.options
    assert multiple.chosen(f"{first.id},{second.id}") == [first, second]
    assert multiple.chosen("prefer_not") == [] and multiple.chosen(None) == []
    assert second.label("es") == "Evenings"  # falls back to a label it has


async def test_set_options_keeps_ids_and_translations_of_unchanged_labels(empty_db) -> None:
    db = empty_db
    await _round_with_choices(db)
    before = (await round_store.load_round(db, "opts")).sections[0].questions[0]
    mornings, evenings = before.options
    await db.write(
        lambda conn: structure_store.set_options_in(conn, before.id, "en", ["Weekends", "Mornings"])
    )
    after = (await round_store.load_round(db, "opts")).sections[0].questions[0]
    assert [o.labels.get("en") for o in after.options] == ["Weekends", "Mornings"]
    assert after.options[1].id == mornings.id
    assert after.options[1].labels["es"] == "Mañanas"  # the translation survives
    assert evenings.id not in {o.id for o in after.options}
    gone = await db.fetch_one(
        "SELECT COUNT(*) AS n FROM question_option_texts WHERE option_id = ?", (evenings.id,)
    )
    assert gone["n"] == 0
    # Translations: saved, replaced, and removed with an empty label.
    fines = {after.options[0].id: "Fines"}
    await db.write(lambda conn: text_store.save_translation_in(conn, 1, "es", options=fines))
    await db.write(
        lambda conn: text_store.save_translation_in(conn, 1, "es", options={mornings.id: ""})
    )
    again = (await round_store.load_round(db, "opts")).sections[0].questions[0]
    assert again.options[0].labels == {"en": "Weekends", "es": "Fines"}
    assert again.options[1].labels == {"en": "Mornings"}
    # Deleting the question deletes its choices.
    await db.write(
        lambda conn: structure_store.delete_question_in(conn, again.section_id, again.id)
    )
    left = await db.fetch_one("SELECT COUNT(*) AS n FROM question_options")
    assert left["n"] == 0
