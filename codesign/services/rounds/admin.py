"""Round-level use cases: finding the rounds a person may open, members, creating,
copying, deleting, settings, translations and moving a round through its life."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

import msgspec

from codesign.i18n import N_
from codesign.models import Round, RoundInput, RoundSettings, RoundSummary, StaffUser
from codesign.services.access import Action, Standing, can, standing_for
from codesign.services.audit_log import audit_in
from codesign.services.errors import AccessDenied, FieldError, Refused, RoundMissing
from codesign.services.rounds.forms import check_length, form_text
from codesign.services.rounds.lifecycle import status_problems
from codesign.services.rounds.structure import StructureUseCases
from codesign.services.rounds.texts import (
    contacts_for,
    item_group,
    limit_of,
    text_slots,
    translation_parts,
)
from codesign.services.rounds.writes import offered_in
from codesign.settings import SUPPORTED_LOCALES
from codesign.store import rounds as round_store
from codesign.store import users as user_store
from codesign.store.db import Database, WriteConnection
from codesign.store.staff_rounds import copying
from codesign.store.staff_rounds import settings as round_settings
from codesign.store.staff_rounds import texts as text_store
from codesign.store.staff_rounds import watching as watching_store

_SLUG_ALPHABET = "abcdefghjkmnpqrstvwxyz23456789"


async def may(
    db: Database,
    user: StaffUser,
    action: Action,
    round_id: int,
    standing: Standing | None = None,
) -> bool:
    """The access policy's answer for this round (the standing read, unless given)."""
    if standing is None or standing.round_id != round_id:
        standing = await standing_for(db, user, round_id)
    return can(user, action, standing)


async def on_board(
    db: Database, user: StaffUser, round_id: int, standing: Standing | None = None
) -> bool:
    """The board's own voice (response, sign-off, quotes): services.access, SPEAK_FOR_BOARD."""
    return await may(db, user, Action.SPEAK_FOR_BOARD, round_id, standing)


def new_slug() -> str:
    return "".join(secrets.choice(_SLUG_ALPHABET) for _ in range(8))


class RoundsAdmin(StructureUseCases):
    def __init__(self, db: Database) -> None:
        self.db = db

    # Access --------------------------------------------------------------

    async def rounds_for(self, user: StaffUser) -> list[RoundSummary]:
        return await round_settings.list_rounds(self.db, None if user.role == "admin" else user.id)

    async def id_for_slug(self, slug: str) -> int | None:
        return await round_settings.id_for_slug(self.db, slug)

    async def standing(self, user: StaffUser, round_id: int) -> Standing | None:
        """The person's standing on the round (services.access); None: no such round."""
        return await standing_for(self.db, user, round_id)

    async def authorised_round(
        self,
        user: StaffUser,
        round_id: int,
        action: Action = Action.OPEN_ROUND,
        standing: Standing | None = None,
    ) -> Round:
        """The round, if the access policy lets this person do `action` on it.

        RoundMissing if there is no such round, AccessDenied if it is not theirs to do;
        with the `standing` the caller already read (the staff guard), no second read.
        """
        if standing is None or standing.round_id != round_id:
            standing = await standing_for(self.db, user, round_id)
        if standing is None:
            raise RoundMissing(round_id)
        if not can(user, action, standing):
            raise AccessDenied(round_id)
        round_ = await round_store.load_round(self.db, standing.slug)
        if round_ is None:
            raise RoundMissing(round_id)
        return round_

    async def round_for(
        self, user: StaffUser, round_id: int, standing: Standing | None = None
    ) -> tuple[Round, RoundSettings]:
        round_ = await self.authorised_round(user, round_id, Action.OPEN_ROUND, standing)
        settings = await round_settings.settings_for(self.db, round_id)
        if settings is None:
            raise RoundMissing(round_id)
        return round_, settings

    async def members(self, round_id: int) -> list[StaffUser]:
        return await user_store.members(self.db, round_id)

    async def add_member(self, user: StaffUser, round_: Round, email: str) -> FieldError | None:
        found = await user_store.by_email(self.db, email.strip().lower()[:254])
        if found is None:
            return FieldError(
                "member_email",
                N_("There is no staff account with this email. Ask an admin to create one."),
            )

        async def work(conn: WriteConnection) -> None:
            if await user_store.add_member_in(conn, round_.id, found[0].id):
                await audit_in(conn, user, "member_added", round_.id, found[0].email)

        await self.db.write(work)
        return None

    async def remove_member(
        self, user: StaffUser, round_: Round, member_id: int
    ) -> FieldError | None:
        """Take someone off the round: at once they can't open its pages or read its answers."""
        outcome = await user_store.remove_member_checked(
            self.db, round_.id, member_id, user_store.Actor(user.email, user.id)
        )
        if outcome == "lead":
            return FieldError(
                f"member-{member_id}",
                N_("They are this round's safeguarding lead or deputy. Choose someone else "
                   "in the board settings first."),
            )
        return None

    # Round settings ------------------------------------------------------

    async def create(self, user: StaffUser, data: RoundInput) -> int:
        async def work(conn: WriteConnection) -> int:
            round_id = None
            # a link already taken (even by a round created a moment ago) is never an
            # error: the insert is the check, and another is drawn
            while round_id is None:
                round_id = await round_settings.create_draft_in(conn, new_slug(), data, user.id)
            await audit_in(conn, user, "round_created", round_id, data.text.title)
            return round_id

        return await self.db.write(work)

    async def duplicate(self, user: StaffUser, round_: Round, suffix: str) -> int:
        """A new draft copied from the round (texts in every language, sections,
        questions, choices); no dates, answers or board settings. Returns its id.
        The copy, its audit entry and the languages it offers are one write."""

        async def work(conn: WriteConnection) -> int:
            new_id = None
            while new_id is None:  # a taken link: another is drawn (the insert checks)
                slug = new_slug()
                new_id = await copying.copy_round_in(conn, round_.id, slug, suffix[:40], user.id)
            await audit_in(conn, user, "round_copied", new_id, f"copy of round {round_.id}")
            await offered_in(conn, new_id, slug)
            return new_id

        return await self.db.write(work)

    async def delete(self, user: StaffUser, round_: Round) -> int:
        """Delete a round that is not open, with all its answers. Answers deleted."""
        from codesign.services import erasure
        from codesign.services.accounts import clean_text

        if round_.status == "open":
            raise Refused(N_("Close the round before you delete it."))
        title = round_.texts[round_.default_locale].title
        deleted = await erasure.delete_round(
            self.db, round_.id, await watching_store.participation_ids(self.db, round_.id),
            user.email, user.id, clean_text(title, 120),
        )
        if deleted is None:
            raise Refused(N_("Close the round before you delete it."))
        return deleted

    async def update(self, user: StaffUser, round_: Round, data: RoundInput) -> None:
        """The round's settings, the contacts' phone numbers and links in every language,
        the languages offered and the audit entry: one write."""

        async def work(conn: WriteConnection) -> None:
            changed = await round_settings.update_round_in(conn, round_.id, data)
            if not changed:
                raise Refused(N_("The main language can change only while the round is a draft."))
            # Phone numbers and links are the same in every language: copy them across.
            fresh = await round_settings.load_round_in(conn, round_.slug)
            assert fresh is not None
            contacts = dict(fresh.contacts)
            for locale in fresh.contacts:
                if locale == data.default_locale:
                    continue
                contacts[locale] = contacts_for(fresh, locale, {})
                await text_store.save_translation_in(
                    conn, round_.id, locale, contacts=contacts[locale]
                )
            fresh = msgspec.structs.replace(fresh, contacts=contacts)
            await audit_in(conn, user, "round_settings_changed", round_.id)
            await offered_in(conn, round_.id, round_.slug, fresh)

        await self.db.write(work)

    # Translations --------------------------------------------------------

    async def save_translation(
        self, user: StaffUser, round_: Round, locale: str, item: str, form: Mapping[str, str]
    ) -> list[FieldError]:
        """Save one block of translated text. While the round is open, an offered
        language must stay complete: a blank there is refused and nothing changes."""
        if locale not in SUPPORTED_LOCALES or locale == round_.default_locale:
            raise Refused(N_("Choose one of the round's other languages."))
        slots = [s for s in text_slots(round_) if item_group(s.item) == item]
        if not slots:
            raise Refused(N_("This text is not part of the round any more. Reload the page."))
        errors: list[FieldError] = []
        values: dict[tuple[str, str], str] = {}
        for slot in slots:
            name = f"{slot.item}_{slot.field}"
            value = form_text(form, name)
            check_length(errors, name, value, limit_of(slot))
            values[(slot.item, slot.field)] = value
        keeps_offer = round_.status == "open" and locale in round_.locales
        if keeps_offer:
            for slot in slots:
                if slot.source.strip() and not values[(slot.item, slot.field)]:
                    errors.append(
                        FieldError(
                            f"{slot.item}_{slot.field}",
                            N_(
                                "Participants can choose this language now, so every text "
                                "needs a translation. Write one, or stop offering the "
                                "language in the round's settings first."
                            ),
                        )
                    )
        if errors:
            return errors
        kwargs = translation_parts(round_, locale, item, values)

        async def work(conn: WriteConnection) -> None:
            await text_store.save_translation_in(conn, round_.id, locale, **kwargs)
            await audit_in(conn, user, "translation_changed", round_.id, f"{locale} {item}")
            await offered_in(conn, round_.id, round_.slug)

        await self.db.write(work)
        return []

    # Lifecycle -----------------------------------------------------------

    async def change_status(
        self, user: StaffUser, round_: Round, settings: RoundSettings, target: str
    ) -> list[FieldError]:
        problems = status_problems(round_, settings, target)
        if problems:
            return problems
        detail = f"{round_.status} -> {target}"

        async def work(conn: WriteConnection) -> bool:
            # the status changes only from the one this page showed: the check is the write
            if not await round_settings.set_status_in(conn, round_.id, target, round_.status):
                return False
            await audit_in(conn, user, "status_changed", round_.id, detail)
            return True

        if not await self.db.write(work):
            raise Refused(N_("Someone else changed this round at the same time. Reload the page."))
        return []
