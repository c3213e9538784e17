"""Building a draft: sections and questions (and choices), and correcting the main
language's wording once the round is open. Each use case is one write that checks the
round's status inside itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from codesign.i18n import N_
from codesign.models import CHOICE_KINDS, Round, StaffUser
from codesign.services.audit_log import audit_in
from codesign.services.errors import FieldError, Refused
from codesign.services.rounds.forms import (
    QUESTION_FIELDS,
    QUESTION_KINDS,
    SECTION_FIELDS,
    parse_options,
    question_text,
    section_text,
)
from codesign.services.rounds.lifecycle import structure_locked
from codesign.services.rounds.texts import section_of
from codesign.services.rounds.writes import offered_in
from codesign.store.db import Database, WriteConnection
from codesign.store.staff_rounds import structure as structure_store
from codesign.store.staff_rounds import texts as text_store

#: What a structure change returns when the round was no longer a draft at its write.
_NOT_DRAFT = object()


def no_longer_draft() -> Refused:
    return Refused(
        N_(
            "This round is no longer a draft, so its sections and questions can't "
            "change: that would change what people answered. You can still correct "
            "translations, explanations, contacts and dates."
        )
    )


class StructureUseCases:
    """The use cases of a round's sections and questions (part of `RoundsAdmin`)."""

    db: Database

    def check_draft(self, round_: Round) -> None:
        """Refused (and why) if the round's structure can't change any more."""
        if structure_locked(round_):
            raise no_longer_draft()

    async def _structure_change(self, round_: Round, change) -> Any:
        """Run `change(conn)` in one write that first checks, in the write itself, that the
        round is still a draft (and holds it until the commit: see `lock_draft_in`);
        Refused, calmly, if it was opened meanwhile."""

        async def work(conn: WriteConnection):
            if not await structure_store.lock_draft_in(conn, round_.id):
                return _NOT_DRAFT
            return await change(conn)

        done = await self.db.write(work)
        if done is _NOT_DRAFT:
            raise no_longer_draft()
        return done

    async def add_section(
        self, user: StaffUser, round_: Round, form: Mapping[str, str]
    ) -> tuple[int | None, list[FieldError]]:
        self.check_draft(round_)
        text, errors = section_text(form, round_.default_locale)
        if errors or text is None:
            return None, errors

        async def change(conn: WriteConnection) -> int:
            section_id = await structure_store.add_section_in(conn, round_.id, text)
            await audit_in(conn, user, "section_added", round_.id, text.title)
            # derived from the round as it now is (which languages are complete)
            await offered_in(conn, round_.id, round_.slug)
            return section_id

        section_id = await self._structure_change(round_, change)
        return section_id, []

    async def edit_section(
        self, user: StaffUser, round_: Round, section_id: int, form: Mapping[str, str]
    ) -> list[FieldError]:
        if structure_locked(round_):
            return await self._correct_section(user, round_, section_id, form)
        section_of(round_, section_id)
        text, errors = section_text(form, round_.default_locale)
        if errors or text is None:
            return errors

        async def change(conn: WriteConnection) -> None:
            # still a draft at this write (else its wording is corrected, with revisions)
            await text_store.save_translation_in(
                conn, round_.id, round_.default_locale, sections={section_id: text}
            )
            await audit_in(conn, user, "section_changed", round_.id, text.title)
            await offered_in(conn, round_.id, round_.slug)

        await self._structure_change(round_, change)
        return []

    async def move_section(
        self, user: StaffUser, round_: Round, section_id: int, step: int
    ) -> None:
        self.check_draft(round_)
        section = section_of(round_, section_id)
        detail = f"{section.position} -> {section.position + step}"

        async def change(conn: WriteConnection) -> None:
            # positions are read inside the write, with the round held (lock_draft_in)
            if await structure_store.move_section_in(conn, round_.id, section_id, step):
                await audit_in(conn, user, "section_moved", round_.id, detail)

        await self._structure_change(round_, change)

    async def delete_section(self, user: StaffUser, round_: Round, section_id: int) -> None:
        self.check_draft(round_)
        section = section_of(round_, section_id)

        async def change(conn: WriteConnection) -> None:
            # only while the round is a draft at this write: an opened round keeps its
            # sections and the answers given to them
            if await structure_store.delete_section_in(conn, round_.id, section_id):
                await audit_in(
                    conn, user, "section_removed", round_.id, str(section.position)
                )
                await offered_in(conn, round_.id, round_.slug)

        await self._structure_change(round_, change)

    async def add_question(
        self, user: StaffUser, round_: Round, section_id: int, form: Mapping[str, str]
    ) -> list[FieldError]:
        self.check_draft(round_)
        section_of(round_, section_id)
        kind = form.get("kind", "")
        errors: list[FieldError] = []
        if kind not in QUESTION_KINDS:
            errors.append(FieldError("kind", N_("Choose the kind of question.")))
        text, text_errors = question_text(form, round_.default_locale)
        errors += text_errors
        options: list[str] = []
        if kind in CHOICE_KINDS:
            options = parse_options(errors, form, "options")
        if errors or text is None:
            return errors

        async def change(conn: WriteConnection) -> int | None:
            question_id = await structure_store.add_question_in(
                conn, round_.id, section_id, kind, text, options
            )
            if question_id is not None:
                await audit_in(conn, user, "question_added", round_.id, text.prompt)
                await offered_in(conn, round_.id, round_.slug)
            return question_id

        if await self._structure_change(round_, change) is None:
            raise Refused(N_("This text is not part of the round any more. Reload the page."))
        return []

    async def edit_question(
        self, user: StaffUser, round_: Round, question_id: int, form: Mapping[str, str]
    ) -> list[FieldError]:
        if structure_locked(round_):
            return await self._correct_question(user, round_, question_id, form)
        question = round_.question(question_id)
        if question is None:
            raise Refused(N_("This text is not part of the round any more. Reload the page."))
        text, errors = question_text(form, round_.default_locale, prefix=f"q{question_id}_")
        options: list[str] = []
        if question.is_choice:
            options = parse_options(errors, form, f"q{question_id}_options")
        if errors or text is None:
            return errors

        async def change(conn: WriteConnection) -> None:
            # still a draft at this write (else its wording is corrected, with revisions)
            await text_store.save_translation_in(
                conn, round_.id, round_.default_locale, questions={question_id: text}
            )
            if question.is_choice:
                await structure_store.set_options_in(
                    conn, question_id, round_.default_locale, options
                )
            await audit_in(conn, user, "question_changed", round_.id, text.prompt)
            await offered_in(conn, round_.id, round_.slug)

        await self._structure_change(round_, change)
        return []

    # Correcting wording after opening -----------------------------------

    def _require_correctable(self, round_: Round) -> None:
        if round_.status not in ("open", "closed"):
            raise Refused(
                N_(
                    "This round is published, so its texts stay as people read them. "
                    "Nothing was changed."
                )
            )

    async def _save_corrections(
        self, user: StaffUser, round_: Round, revisions: list, action: str, detail: str
    ) -> list[FieldError]:
        if not revisions:
            return []

        async def work(conn: WriteConnection) -> bool:
            # still open or closed at this write: the check is the update that holds it
            if not await text_store.lock_correctable_in(conn, round_.id):
                return False
            await text_store.correct_wording_in(
                conn, round_.id, round_.default_locale, revisions, actor=user.email,
                user_id=user.id,
            )
            await audit_in(conn, user, action, round_.id, detail)
            return True

        if not await self.db.write(work):  # published meanwhile: nothing was written
            self._require_correctable(msgspec.structs.replace(round_, status="published"))
        return []

    async def _correct_section(
        self, user: StaffUser, round_: Round, section_id: int, form: Mapping[str, str]
    ) -> list[FieldError]:
        """While open or closed: the main language's wording of a section can be corrected
        (a typo, a clearer word); what it said before is kept."""
        self._require_correctable(round_)
        section = section_of(round_, section_id)
        text, errors = section_text(form, round_.default_locale)
        if errors or text is None:
            return errors
        old = section.texts[round_.default_locale]
        revisions = [
            text_store.Revision("section", section_id, f, getattr(old, f), getattr(text, f))
            for f in SECTION_FIELDS
            if getattr(old, f) != getattr(text, f)
        ]
        fields = ", ".join(r.field for r in revisions)
        return await self._save_corrections(
            user, round_, revisions, "section_wording_corrected",
            f"section {section.position}: {fields}; was: {old.title}",
        )

    async def _correct_question(
        self, user: StaffUser, round_: Round, question_id: int, form: Mapping[str, str]
    ) -> list[FieldError]:
        self._require_correctable(round_)
        question = round_.question(question_id)
        if question is None:
            raise Refused(N_("This text is not part of the round any more. Reload the page."))
        prefix = f"q{question_id}_"
        text, errors = question_text(form, round_.default_locale, prefix=prefix)
        labels: list[str] = []
        if question.is_choice:
            labels = parse_options(errors, form, f"{prefix}options")
            if not errors and len(labels) != len(question.options):
                errors.append(
                    FieldError(
                        f"{prefix}options",
                        N_(
                            "The round is open, so the choices stay the same: you can "
                            "correct their words, but not add or remove one. Keep "
                            "%(count)s lines."
                        ),
                        {"count": len(question.options)},
                    )
                )
        if errors or text is None:
            return errors
        default = round_.default_locale
        old = question.texts.get(default)
        revisions = [
            text_store.Revision("question", question_id, f, getattr(old, f) if old else "",
                           getattr(text, f))
            for f in QUESTION_FIELDS
            if (getattr(old, f) if old else "") != getattr(text, f)
        ]
        for option, label in zip(question.options, labels, strict=False):
            if option.labels.get(default, "") != label:
                revisions.append(
                    text_store.Revision(
                        "option", option.id, "label", option.labels.get(default, ""), label
                    )
                )
        section = next(s for s in round_.sections if s.id == question.section_id)
        fields = ", ".join(sorted({r.field for r in revisions}))
        return await self._save_corrections(
            user, round_, revisions, "question_wording_corrected",
            f"question {section.position}.{question.position}: {fields}; was: "
            f"{old.prompt if old else ''}",
        )

    async def delete_question(self, user: StaffUser, round_: Round, question_id: int) -> None:
        self.check_draft(round_)
        question = round_.question(question_id)
        if question is None:
            return

        async def change(conn: WriteConnection) -> None:
            if await structure_store.delete_question_in(conn, question.section_id, question_id):
                await audit_in(conn, user, "question_removed", round_.id, str(question_id))
                await offered_in(conn, round_.id, round_.slug)

        await self._structure_change(round_, change)
