"""Withdrawal and deletion use cases: every trace goes, and stays gone after a restore.

The order matters:
1. the participation's reference is written to the withdrawals log (a file
   beside the database, see store.erasure) before anything is deleted, so a
   backup restored later is told about it even if the process stops next;
2. one transaction deletes the answers and every trace of them;
3. themes that lost answers get terms and labels made from what remains
   (the theming engine's own functions, in a worker thread);
4. a checkpoint empties the write-ahead log, which still held the old pages.
"""

from __future__ import annotations

import asyncio
import logging

from codesign.analysis.label import describe_again
from codesign.analysis.pipeline import N_TERMS
from codesign.store import erasure as store
from codesign.store import participations
from codesign.store.board import rebuilding as rebuild_store
from codesign.store.db import Database, utcnow
from codesign.store.staff_rounds import paper as paper_store

log = logging.getLogger("codesign")


async def _log(db: Database, participation_id: int) -> None:
    ref = await participations.ref_of(db, participation_id)
    if ref:
        await asyncio.to_thread(store.log_withdrawal, store.withdrawals_log(db), ref)


async def withdraw(db: Database, participation_id: int) -> int:
    """A participant deletes everything they wrote. Returns answers deleted."""
    await _log(db, participation_id)
    deleted = await store.withdraw(db, participation_id)
    await tidy_up(db)
    return deleted


async def delete_paper_response(
    db: Database, round_id: int, participation_id: int, actor: str, user_id: int, detail: str
) -> bool:
    """Staff delete a paper response (the person asked), audited."""
    await _log(db, participation_id)
    done = await store.delete_paper_response(
        db, round_id, participation_id, actor, user_id, detail
    )
    if done:
        await tidy_up(db)
    return done


async def delete_round(
    db: Database, round_id: int, participation_ids: list[int], actor: str, user_id: int,
    title: str,
) -> int | None:
    """Staff delete a whole round that is not open: every answer goes as in a
    withdrawal (logged first, so a restored backup forgets them again), audited."""
    for participation_id in participation_ids:
        await _log(db, participation_id)
    deleted = await store.delete_round(db, round_id, actor, user_id, title)
    if deleted is not None:
        await tidy_up(db)
    return deleted


async def purge(db: Database, actor: str = "system") -> int:
    """The retention purge: answers past their round's retention period, and answers
    never sent once their round has been closed for its `draft_days`."""
    now = utcnow()
    # a checked paper file waiting to be confirmed holds answers too: a day at most
    await paper_store.drop_stale_pending_paper(db)
    expired = await store.purge_expired_answers(db, now, actor)
    drafts = await store.purge_unsent_drafts(db, now, actor)
    total = sum(expired.values()) + sum(drafts.values())
    if total:
        await tidy_up(db)
    return total


async def reapply_after_restore(db: Database, actor: str = "system") -> int:
    """At start-up: withdraw again whatever the log names that the database still holds.

    Normally nothing (every logged participation is withdrawn already); after a
    backup is restored, the withdrawals made since it was taken.
    """
    refs = await asyncio.to_thread(store.logged_withdrawals, store.withdrawals_log(db))
    again = await store.still_held(db, refs)
    if again:
        await store.reapply_withdrawals(db, again, actor)
    await tidy_up(db)
    return len(again)


async def tidy_up(db: Database) -> None:
    await rebuild_stale_themes(db)
    await db.checkpoint()


async def rebuild_stale_themes(db: Database) -> int:
    """Terms and labels of themes that lost answers, made again from what they hold.

    An empty theme nobody worked on (no person's edit, no board response) is
    dropped; one the board worked on stays, with no terms. Returns themes changed.
    """
    changed = 0
    for question_id in await rebuild_store.stale_questions(db):
        themes = await rebuild_store.holdings(db, question_id)
        if not themes:
            continue
        languages = sorted({lang for t in themes for lang in t.languages if lang}) or ["en"]
        described = await asyncio.to_thread(
            describe_again,
            [t.texts for t in themes],
            languages,
            [t.label for t in themes],
            [t.terms for t in themes],
            N_TERMS,
            # a name the model took from an answer is made again without the answers that left
            doc_languages=[t.languages for t in themes],
            model_made=[not t.touched for t in themes],
        )
        updates, drops = [], []
        for theme, (terms, label) in zip(themes, described, strict=True):
            if not theme.stale:
                continue
            if not theme.texts and not theme.touched and not theme.has_outcome:
                drops.append((theme.id, theme.stale))
            else:
                updates.append((theme.id, theme.stale, label, terms, not theme.texts))
        changed += await rebuild_store.save_rebuilt(db, updates, drops)
    if changed:
        log.info("themes rebuilt after answers were deleted: %d", changed)
    return changed
