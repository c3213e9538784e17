"""Safeguarding as a workflow: screen every written answer, queue what may show risk.

- Screening runs in the background within seconds of a save (drafts too: a
  draft's flag only shows its writer the support panel); an answer joins the
  lead's queue when its participation is sent, or at once for paper.
- The queue is for the round's lead and deputy (and admins, who see
  escalations); every read of an answer's text or a contact is audited.
- Notices by email carry the round's name, a count and a link, never text.

No HTTP objects here. CPU work (language, redaction, embedding) runs in threads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import msgspec
import numpy as np

from codesign.analysis import detect_language, redact
from codesign.analysis.flags import RISK_KINDS
from codesign.analysis.risk import RiskDetector, load_detector
from codesign.analysis.vectorise import Vectoriser, cache_key
from codesign.i18n import N_, translations_for
from codesign.models import AnswerRow, Round, StaffUser
from codesign.services.access import Action, Standing, can, standing_for
from codesign.services.errors import SafeguardingError
from codesign.services.mail import Mailer
from codesign.services.rounds.admin import may
from codesign.store import audit
from codesign.store import rounds as round_store
from codesign.store import safeguarding as store
from codesign.store.board import answers as answer_store
from codesign.store.db import Database, utcnow

log = logging.getLogger("codesign.safeguarding")

#: Answers screened per background step; a step of 16 embeds in well under a second.
SCREEN_BATCH = 16
MAX_NOTE = 2000
MAX_CONTACT = 200
#: A draft is screened once its words have rested this long (moving on screens at once).
DRAFT_SETTLE = timedelta(seconds=3)
#: Seconds between looks for new items to notify about and items to escalate.
NOTIFY_INTERVAL = 30.0
KINDS = RISK_KINDS
STATUSES = store.STATUSES
#: Words for the kinds: what an answer *may* be about, never a diagnosis.
KIND_LABELS = {
    "suicide": N_("may be about ending their life"),
    "self_harm": N_("may be about hurting themselves"),
    "abuse": N_("may be about abuse or control"),
    "violence": N_("may be about harming someone else"),
    "danger": N_("may be about being unsafe now"),
}
STATUS_LABELS = {
    "new": N_("New"),
    "seen": N_("Seen"),
    "action_taken": N_("Action taken"),
    "no_action": N_("No action needed"),
}


class QueueView(msgspec.Struct, frozen=True):
    items: list[store.Item]
    counts: store.QueueCounts
    uses_model: bool
    role: str  # "lead", "deputy" or "admin"
    status: str | None  # the filter shown (None: all)
    waiting_since: datetime  # open items received before this wait too long


class ItemView(msgspec.Struct, frozen=True):
    item: store.Item
    text: str
    language: str
    events: list[store.Event]
    uses_model: bool


def clean_note(value: str, limit: int) -> str:
    """A note or contact as typed, less control and bidi-override characters; refused if long."""
    text = value.replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise SafeguardingError(N_("Keep it to %(limit)s characters or fewer."), 422, limit)
    return "".join(
        ch
        for ch in text
        if ch in "\n\t" or not (ord(ch) < 32 or ord(ch) == 127 or 0x202A <= ord(ch) <= 0x202E)
    )


def _prepare(pending: list[store.ScreenInput]) -> list[tuple[str, str]]:
    """(language, redacted text) per answer; in a worker thread."""
    out = []
    for p in pending:
        language = detect_language(p.text, p.locale)[0] or p.locale
        out.append((language, redact(p.text, language or "en").text))
    return out


class SafeguardingService:
    def __init__(
        self,
        db: Database,
        vectoriser: Callable[[], Vectoriser],
        embed: Callable[[list[str]], np.ndarray],
        stored_vectors: Callable[[list[str]], Awaitable[dict[str, np.ndarray]]],
        save_vectors: Callable[[dict[str, np.ndarray]], Awaitable[None]],
    ) -> None:
        """The model, its embedding and the vector store are the board's (one of each)."""
        self.db = db
        self._vectoriser = vectoriser
        self._embed = embed
        self._stored_vectors = stored_vectors
        self._save_vectors = save_vectors
        self._detector: RiskDetector | None = None
        self._model_failed = False

    # Screening ----------------------------------------------------------------------

    def detector(self) -> RiskDetector:
        """The e5 detector where the model loads, else the lexicon alone (call in a thread)."""
        if self._detector is None:
            name: str | None = None
            if not self._model_failed:
                try:
                    vectoriser = self._vectoriser()
                    name = vectoriser.name if vectoriser.cacheable else None
                except (ImportError, OSError, RuntimeError):
                    log.warning("risk screening: the embedding model could not load")
                    self._model_failed = True
            self._detector = load_detector(name)
        return self._detector

    async def uses_model(self) -> bool:
        """Whether screening runs with the model (False: phrases only, pages say so)."""
        return (await asyncio.to_thread(self.detector)).uses_model

    async def screen_step(self, batch: int = SCREEN_BATCH) -> int:
        """Screen up to `batch` answers saved since their last screening; returns how many.

        Vectors of sent answers go to the shared cache (a board's run reuses
        them); a draft's vector is used and dropped, as its text keeps changing.
        """
        settled = utcnow() - DRAFT_SETTLE
        return await self._screen(
            await store.answers_to_screen(self.db, batch, drafts_saved_before=settled)
        )

    async def screen_waiting(self) -> int:
        """Screen everything waiting (drafts too, settled or not); before a board's run."""
        done = 0
        while n := await self._screen(await store.answers_to_screen(self.db, 64)):
            done += n
        return done

    async def screen_participation(self, participation_id: int) -> bool:
        """Screen one participant's changed answers now (they are moving to another page,
        which then shows the support panel at once); returns whether support is offered."""
        await self._screen(await store.answers_to_screen(self.db, 50, participation_id))
        return await store.support_offered(self.db, participation_id)

    async def _screen(self, pending: list[store.ScreenInput]) -> int:
        if not pending:
            return 0
        detector = await asyncio.to_thread(self.detector)
        prepared = await asyncio.to_thread(_prepare, pending)
        vectors = None
        if detector.uses_model:
            try:
                vectors = await self._vectors(pending, [r for _, r in prepared])
            except (ImportError, OSError, RuntimeError):
                log.warning("risk screening: embedding failed; phrases only from now on")
                self._model_failed = True
                self._detector = None
                detector = await asyncio.to_thread(self.detector)
        texts = [p.text for p in pending]
        languages = [language for language, _ in prepared]
        screenings = await asyncio.to_thread(detector.screen, texts, languages, vectors)
        results = [
            store.Screened(
                id=p.id,
                text=p.text,
                risk=s.risk,
                distressing=s.distressing,
                kinds=list(s.kinds) if s.risk else [],
                score=float(s.score),
                reasons=[msgspec.structs.asdict(r) for r in s.reasons],
                detector=detector.name,
            )
            for p, s in zip(pending, screenings, strict=True)
        ]
        await store.save_screenings(self.db, results)
        return len(pending)

    async def _vectors(self, pending: list[store.ScreenInput], redacted: list[str]) -> np.ndarray:
        vectoriser = self._vectoriser()
        keys = [cache_key(vectoriser.name, t) for t in redacted]
        found = await self._stored_vectors(keys)
        missing = {k: t for k, t in zip(keys, redacted, strict=True) if k not in found}
        if missing:
            fresh = await asyncio.to_thread(self._embed, list(missing.values()))
            for k, v in zip(missing, fresh, strict=True):
                found[k] = np.asarray(v, dtype=np.float32)
            sent = {k for k, p in zip(keys, pending, strict=True) if p.submitted}
            await self._save_vectors({k: found[k] for k in missing if k in sent})
        return np.stack([found[k] for k in keys]).astype(np.float32)

    # Who may do what ------------------------------------------------------------------

    async def role(
        self, user: StaffUser, round_: Round, standing: Standing | None = None
    ) -> str | None:
        """ "lead", "deputy", "admin" (on the round: may act on escalations), or None.

        Whether they may is the access policy's (HANDLE_SAFEGUARDING); this names how."""
        if standing is None or standing.round_id != round_.id:
            standing = await standing_for(self.db, user, round_.id)
        if standing is None or not can(user, Action.HANDLE_SAFEGUARDING, standing):
            return None
        if standing.lead_id == user.id:
            return "lead"
        if standing.deputy_id == user.id:
            return "deputy"
        return "admin"

    async def _handler(
        self, user: StaffUser, round_: Round, standing: Standing | None = None
    ) -> str:
        role = await self.role(user, round_, standing)
        if role is None and user.role == "admin":
            # The one rule for raw answers: admins read them only on rounds they sit on.
            raise SafeguardingError(
                N_(
                    "You are not on this round's staff. To read these answers, add "
                    "yourself on the round's page."
                ),
                403,
            )
        if role is None:
            raise SafeguardingError(
                N_(
                    "This list is for the round's safeguarding lead and deputy. An admin "
                    "chooses who."
                ),
                403,
            )
        return role

    # The queue ---------------------------------------------------------------------------

    async def queue(
        self, user: StaffUser, round_: Round, status: str | None, escalate_after: timedelta
    ) -> QueueView:
        role = await self._handler(user, round_)
        if status is not None and status not in STATUSES:
            status = None
        found = await store.items(self.db, round_.id, status)
        counts = await store.counts(self.db, round_.id)
        uses_model = await self.uses_model()
        return QueueView(found, counts, uses_model, role, status, utcnow() - escalate_after)

    async def open_item(
        self, user: StaffUser, round_: Round, item_id: int, *, record: bool = True
    ) -> ItemView:
        """The item with its answer's text; reading it is audited, and a new item is seen.

        `record=False` shows it again to the person who just opened it (a form error)."""
        await self._handler(user, round_)
        found = await self._item(round_, item_id)
        text = await store.item_text(self.db, item_id)
        assert text is not None
        if record:
            await store.record_opened(self.db, round_.id, item_id, user.email, user_id=user.id)
        if record and found.status == "new":
            await store.set_status(
                self.db, round_.id, item_id, "seen", "", user.email, user_id=user.id
            )
            found = await self._item(round_, item_id)
        # The lead reads the redacted text, like the board: details are not needed to act
        # on a flag, and the service's own records hold how to reach people it knows.
        shown = text.redacted
        if shown is None:
            language = text.language or text.locale
            shown = (await asyncio.to_thread(redact, text.text, language or "en")).text
        events = await store.events(self.db, item_id)
        uses_model = await self.uses_model()
        return ItemView(found, shown, text.language or text.locale, events, uses_model)

    async def _item(self, round_: Round, item_id: int) -> store.Item:
        found = await store.item(self.db, round_.id, item_id)
        if found is None:
            raise SafeguardingError(N_("We can't find this item. It may have been withdrawn."), 404)
        return found

    async def set_status(
        self,
        user: StaffUser,
        round_: Round,
        item_id: int,
        status: str,
        note: str,
        *,
        false_alarm: bool = False,
    ) -> None:
        await self._handler(user, round_)
        if status not in store.STATUSES or status == "new":
            raise SafeguardingError(
                N_("Choose what happened with this answer."), 422, field="status"
            )
        note = clean_note(note, MAX_NOTE)
        if status == "action_taken" and not note:
            raise SafeguardingError(N_("Write a short note on what was done."), 422)
        if not await store.set_status(
            self.db,
            round_.id,
            item_id,
            status,
            note,
            user.email,
            user_id=user.id,
            false_alarm=false_alarm,
        ):
            raise SafeguardingError(N_("We can't find this item. It may have been withdrawn."), 404)

    async def add_note(self, user: StaffUser, round_: Round, item_id: int, note: str) -> None:
        await self._handler(user, round_)
        note = clean_note(note, MAX_NOTE)
        if not note:
            raise SafeguardingError(N_("Write the note first."), 422)
        if not await store.add_note(self.db, round_.id, item_id, note, user.email, user_id=user.id):
            raise SafeguardingError(N_("We can't find this item. It may have been withdrawn."), 404)

    async def contact(self, user: StaffUser, round_: Round, item_id: int) -> str | None:
        """The contact the participant left: lead, deputy and admin only; audited."""
        await self._handler(user, round_)
        return await store.contact_for_item(
            self.db, round_.id, item_id, user.email, user_id=user.id
        )

    async def hand_flag(
        self, user: StaffUser, round_: Round, answer_id: int, kind: str, note: str
    ) -> int:
        """Anyone on the round (or an admin) may flag a sent answer by hand."""
        if not await may(self.db, user, Action.FLAG_ANSWER, round_.id):
            raise SafeguardingError(N_("Only the staff on a round can flag its answers."), 403)
        if kind not in KINDS:
            raise SafeguardingError(N_("Choose what kind of risk this answer may show."), 422)
        item_id = await store.hand_flag(
            self.db,
            round_.id,
            answer_id,
            kind,
            clean_note(note, MAX_NOTE),
            user.email,
            user_id=user.id,
        )
        if item_id is None:
            raise SafeguardingError(
                N_("We can't find this answer. It may have been withdrawn."), 404
            )
        return item_id

    async def attention(self, user: StaffUser, escalate_after: timedelta):
        """Rounds with items waiting for this person: as lead or deputy; admins see all."""
        before = utcnow() - escalate_after
        mine = await store.attention(self.db, user.id, before)
        if user.role != "admin":
            return mine, []
        everyone = await store.attention(self.db, None, before)
        return mine, [a for a in everyone if a.escalated]

    # Care for readers -------------------------------------------------------------------

    async def open_answer(
        self, user: StaffUser, round_: Round, answer_id: int, sitting: str
    ) -> tuple[AnswerRow, int]:
        """A collapsed (flagged) answer opened on a board page: audited and counted.

        `sitting` is the staff session's token hash; the count says how many
        flagged answers this person opened in it, so a page can suggest a break.
        """
        found = await answer_store.answer_by_id(self.db, answer_id)
        if found is None or round_.question(found[1]) is None or not found[0].redacted:
            raise SafeguardingError(
                N_("We can't find this answer. It may have been withdrawn."), 404
            )
        await audit.add(
            self.db,
            user.email,
            "flagged_answer_opened",
            f"answer {answer_id}",
            user_id=user.id,
            round_id=round_.id,
        )
        return found[0], await store.count_opened(self.db, sitting)

    async def count_item_opened(self, sitting: str) -> int:
        return await store.count_opened(self.db, sitting)

    # The participant's side ------------------------------------------------------------

    async def leave_contact(self, participation_id: int, contact: str) -> bool:
        contact = clean_note(contact, MAX_CONTACT).replace("\n", " ")
        if not contact:
            raise SafeguardingError(
                N_("Write a phone number or an email address, or leave the box empty."), 422
            )
        return await store.save_contact(self.db, participation_id, contact)

    async def remove_contact(self, participation_id: int) -> None:
        await store.delete_contact(self.db, participation_id)

    async def has_contact(self, participation_id: int) -> bool:
        return await store.has_contact(self.db, participation_id)

    # Notices -------------------------------------------------------------------------------

    async def notify_step(
        self, mailer: Mailer, link: Callable[[int], str], escalate_after: timedelta
    ) -> int:
        """Email the lead and deputy about new items, and the deputy about old ones.

        A round's notice is marked sent only once the server accepted it; a
        failure is retried at the next step. Returns the messages sent.
        """
        sent = 0
        for notice in await store.unnotified(self.db):
            people = await store.recipients(self.db, notice.round_id)
            to = [e for e in (people.lead, people.deputy) if e]
            if to:
                subject, body = await self._message(notice, link, escalated=False)
                await mailer.send(to, subject, body)
                sent += 1
            await store.mark_notified(self.db, notice.round_id, notice.last_id)
        before = utcnow() - escalate_after
        for notice in await store.to_escalate(self.db, before):
            people = await store.recipients(self.db, notice.round_id)
            to = [e for e in (people.deputy or people.lead,) if e]
            if to:
                subject, body = await self._message(notice, link, escalated=True)
                await mailer.send(to, subject, body)
                sent += 1
            await store.mark_escalated(self.db, notice.round_id, notice.last_id, before)
        return sent

    async def _message(
        self, notice: store.Notice, link: Callable[[int], str], *, escalated: bool
    ) -> tuple[str, str]:
        title, locale = await round_store.title_and_locale(self.db, notice.round_id)
        t = translations_for(locale)
        if escalated:
            subject = t.ngettext(
                "An answer has waited over a day for the safeguarding lead",
                "%(count)s answers have waited over a day for the safeguarding lead",
                notice.count,
            ) % {"count": notice.count}
        else:
            subject = t.ngettext(
                "An answer may need the safeguarding lead",
                "%(count)s answers may need the safeguarding lead",
                notice.count,
            ) % {"count": notice.count}
        body = "\n\n".join(
            [
                t.gettext("Round: %(title)s") % {"title": title},
                subject + ".",
                t.gettext(
                    "This email never contains what anyone wrote. Sign in to read the "
                    "answers and record what you did:"
                ),
                link(notice.round_id),
            ]
        )
        return f"codesign: {subject}", body


async def screen_in_background(
    service: Callable[[], SafeguardingService], interval: float, batch: int = SCREEN_BATCH
) -> None:
    """Run by the app: screen new and changed answers, for ever (cancel to stop)."""
    while True:
        try:
            done = await service().screen_step(batch)
        except asyncio.CancelledError:
            raise
        except Exception:  # keep serving; try again shortly
            log.exception("risk screening failed; trying again shortly")
            done = 0
        await asyncio.sleep(0.01 if done >= batch else interval)


async def notify_in_background(
    service: Callable[[], SafeguardingService],
    mailer: Mailer,
    link: Callable[[int], str],
    escalate_after: timedelta,
    interval: float = NOTIFY_INTERVAL,
) -> None:
    """Run by the app when SMTP is configured: notices and escalations, for ever."""
    while True:
        try:
            await service().notify_step(mailer, link, escalate_after)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the mail server may be down: try again next time
            log.warning("safeguarding notice not sent (%s); trying again", type(exc).__name__)
        await asyncio.sleep(interval)
