"""Paper responses typed into a CSV: checked row by row, imported all or nothing.

The CSV has a header row. Columns:

- ``language`` (optional): en, es, fr or ar – one the round offers; default: its main language;
- ``may_quote`` (optional): yes or no; default no;
- one column per question, named by its number as the console shows it (``1.1``, ``1.2``…):
  for an agreement question 1–5 (1 = strongly disagree) or ``prefer_not``; for a written
  answer, the words; for a single choice, the choice's label (in the row's language or the
  main language, any case) or its id; for a multiple choice, several of those separated by
  ``;``. ``prefer_not`` (or "prefer not to say") answers any choice question, on its own.
  An empty cell is "not answered".
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io

import msgspec

from codesign.i18n import N_
from codesign.models import (
    AGREEMENT_VALUES,
    ANSWER_SOFT_LIMIT,
    PREFER_NOT,
    Question,
    Round,
    StaffUser,
)
from codesign.services import erasure
from codesign.services.accounts import clean_text
from codesign.store import erasure as erasure_store
from codesign.store import secrets as secret_store
from codesign.store.db import Database, WriteConnection
from codesign.store.staff_rounds import paper as store

MAX_BYTES = 512 * 1024
MAX_ROWS = 2000
_PREFER_NOT_WORDS = {PREFER_NOT, "prefer not to say", "prefer not", "pns"}
SEMICOLONS = N_(
    "This file has semicolons (;) between its columns. The file needs commas: in your "
    "spreadsheet, choose Save as, then “CSV UTF-8 (comma delimited)”, and upload it again."
)


class RowProblem(msgspec.Struct, frozen=True):
    row: int  # the line in the file (the header is line 1); 0 for the whole file
    message: str
    params: dict[str, str | int] = {}


def question_numbers(round_: Round) -> dict[str, tuple[int, str]]:
    """ "1.2" → (question id, kind)."""
    return {
        f"{s.position}.{q.position}": (q.id, q.kind) for s in round_.sections for q in s.questions
    }


def _choice_value(
    question: Question, cell: str, locale: str, default: str
) -> tuple[str | None, bool]:
    """The stored value for a choice cell (see `parse_choice`), or None if a part is unknown;
    the flag says "prefer not to say" came with other choices or a single had several."""
    lookup: dict[str, str] = {}
    for option in question.options:
        for loc in (default, locale):
            label = option.labels.get(loc)
            if label:
                lookup[label.strip().casefold()] = str(option.id)
        lookup[str(option.id)] = str(option.id)
    parts = [p.strip() for p in cell.split(";")] if question.kind == "multiple_choice" else [cell]
    chosen: set[str] = set()
    for part in parts:
        if not part:
            continue
        if part.lower() in _PREFER_NOT_WORDS:
            chosen.add(PREFER_NOT)
        elif part.casefold() in lookup:
            chosen.add(lookup[part.casefold()])
        else:
            return None, False
    if PREFER_NOT in chosen:
        return PREFER_NOT, len(chosen) > 1
    return ",".join(sorted(chosen, key=int)), False


def template_csv(round_: Round) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(
        ["language", "may_quote", *question_numbers(round_)]
    )
    return out.getvalue()


def parse(round_: Round, data: bytes) -> tuple[list, list[RowProblem], int]:
    if len(data) > MAX_BYTES:
        return (
            [],
            [RowProblem(0, N_("The file is larger than 512 KB. Split it into smaller files."))],
            0,
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [RowProblem(0, N_("Save the file as “CSV UTF-8” and try again."))], 0
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error):
        return [], [RowProblem(0, N_("The file is empty. Start from the template."))], 0
    numbers = question_numbers(round_)
    problems: list[RowProblem] = []
    if len(header) == 1 and ";" in header[0]:
        split = [h.strip().strip('"') for h in header[0].split(";")]
        if any(h in numbers or h in ("language", "may_quote") for h in split):
            return [], [RowProblem(1, SEMICOLONS)], 0
    unknown = [h for h in header if h not in numbers and h not in ("language", "may_quote")]
    if unknown:
        problems.append(
            RowProblem(
                1,
                N_("These columns are not questions of this round: %(columns)s."),
                {"columns": clean_text(", ".join(unknown), 120)},
            )
        )
    if len(set(header)) != len(header):
        problems.append(RowProblem(1, N_("A column appears twice in the header.")))
    if not any(h in numbers for h in header):
        problems.append(RowProblem(1, N_("No column names a question. Start from the template.")))
    if problems:
        return [], problems, 0
    responses = []
    count = 0
    try:
        for line, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            count += 1
            if count > MAX_ROWS:
                return [], [RowProblem(0, N_("The file has more than 2000 rows. Split it."))], count
            if len(cells) != len(header):
                problems.append(
                    RowProblem(
                        line,
                        N_("This row has %(found)s cells; the header has %(expected)s."),
                        {"found": len(cells), "expected": len(header)},
                    )
                )
                continue
            row = dict(zip(header, cells, strict=True))
            row_problems: list[RowProblem] = []
            locale = row.get("language", "").strip().lower() or round_.default_locale
            if locale not in round_.locales:
                row_problems.append(
                    RowProblem(
                        line,
                        N_("“%(value)s” is not a language this round offers."),
                        {"value": clean_text(locale, 20)},
                    )
                )
                locale = round_.default_locale  # to check the other cells all the same
            quote = row.get("may_quote", "").strip().lower()
            if quote not in ("", "yes", "no"):
                row_problems.append(RowProblem(line, N_("In “may_quote”, write yes or no.")))
            answers, cell_problems = _answers(row, numbers, line, round_, locale)
            row_problems += cell_problems
            if not answers and not row_problems:
                row_problems.append(RowProblem(line, N_("This row has no answers.")))
            if row_problems:
                problems += row_problems
                continue
            # the line as the spreadsheet numbers it (the header is row 1), to find it again
            responses.append((line, locale, quote == "yes", answers))
    except csv.Error:
        return [], [RowProblem(0, N_("This doesn't look like a CSV file."))], count
    if not responses and not problems:
        problems.append(RowProblem(0, N_("The file has no responses under its header row.")))
    return responses, problems, count


def _answers(
    row: dict[str, str], numbers, line: int, round_: Round, locale: str
) -> tuple[list, list[RowProblem]]:
    """The row's answers, and every problem in its cells (not only the first)."""
    answers = []
    problems: list[RowProblem] = []
    for column, cell in row.items():
        if column not in numbers:
            continue
        question_id, kind = numbers[column]
        value = cell.strip()
        if not value:
            continue
        if kind in ("single_choice", "multiple_choice"):
            question = round_.question(question_id)
            assert question is not None
            stored, mixed = _choice_value(question, value, locale, round_.default_locale)
            if stored is None:
                problems.append(
                    RowProblem(
                        line,
                        N_("Question %(question)s has no choice “%(value)s”."),
                        {"question": column, "value": clean_text(value, 40)},
                    )
                )
                continue
            if mixed:
                problems.append(
                    RowProblem(
                        line,
                        N_(
                            "Question %(question)s: write prefer_not on its own, "
                            "without other choices."
                        ),
                        {"question": column},
                    )
                )
                continue
            if stored:
                answers.append((question_id, stored, None))
        elif kind == "agreement":
            if value.lower() in _PREFER_NOT_WORDS:
                answers.append((question_id, PREFER_NOT, None))
            elif value in AGREEMENT_VALUES:
                answers.append((question_id, value, None))
            else:
                problems.append(
                    RowProblem(
                        line,
                        N_("Question %(question)s takes 1 to 5 or prefer_not, not “%(value)s”."),
                        {"question": column, "value": clean_text(value, 20)},
                    )
                )
        else:
            if len(value) > ANSWER_SOFT_LIMIT:
                problems.append(
                    RowProblem(
                        line,
                        N_(
                            "The answer to question %(question)s is longer than "
                            "%(limit)s characters."
                        ),
                        {"question": column, "limit": ANSWER_SOFT_LIMIT},
                    )
                )
                continue
            answers.append((question_id, None, cell.replace("\r\n", "\n").strip()))
    return answers, problems


class Duplicate(msgspec.Struct, frozen=True):
    row: int  # the line in this file
    filename: str  # the earlier file that holds the same response
    earlier_row: int


class PaperCheck(msgspec.Struct, frozen=True):
    """A file checked and waiting for the organizer to confirm it."""

    token: str
    filename: str
    rows: int
    new: int
    duplicates: list[Duplicate]


class PaperReport(msgspec.Struct, frozen=True):
    imported: int
    problems: list[RowProblem]
    rows: int
    skipped: int = 0
    check: PaperCheck | None = None


def _not_now(round_: Round) -> PaperReport | None:
    if round_.status not in ("open", "closed"):
        return PaperReport(
            0,
            [RowProblem(0, N_("Paper responses can be added while the round is open or closed."))],
            0,
        )
    return None


def _digest(data: bytes) -> str:
    # The first 16 hex digits, as before 0008: a file imported then is still recognised.
    return hashlib.sha256(data).hexdigest()[:16]


def fingerprint(key: str, locale: str, may_quote: bool, answers: list) -> str:
    """A keyed hash of one row as it would be stored: the same response typed into
    another file has the same fingerprint; a copy of the database can't be searched
    for a sentence without the key."""
    canonical = msgspec.json.encode(
        [
            locale,
            may_quote,
            sorted([q, v or "", " ".join((t or "").split())] for q, v, t in answers),
        ]
    )
    return hmac.new(key.encode(), canonical, hashlib.sha256).hexdigest()[:32]


#: A confirmation whose checked file is gone: used by another confirmation, or expired.
CHECK_GONE = N_("This check has expired or was used already. Upload the file again.")
#: What the import's write returns when the checked file was no longer waiting.
_USED = object()


async def _fingerprinted(db: Database, responses: list) -> list:
    key = await secret_store.get_or_create(db, "paper_fingerprint_key")
    return [(*r, fingerprint(key, r[1], r[2], r[3])) for r in responses]


async def _duplicates(db: Database, round_: Round, responses: list) -> list[Duplicate]:
    held = await store.paper_fingerprints_held(db, round_.id, [r[4] for r in responses])
    return [Duplicate(r[0], *held[r[4]]) for r in responses if r[4] in held]


async def check_csv(
    db: Database, user: StaffUser, round_: Round, filename: str, data: bytes
) -> PaperReport:
    """Check a file and keep it for confirming: nothing is added yet. Rows that are
    already held from an earlier file are listed."""
    refused = _not_now(round_)
    if refused is not None:
        return refused
    responses, problems, rows = parse(round_, data)
    if problems:
        return PaperReport(0, problems, rows)
    if await store.paper_batch_digest_used(db, round_.id, _digest(data)):
        return PaperReport(
            0, [RowProblem(0, N_("This file was imported already. Nothing was added."))], rows
        )
    responses = await _fingerprinted(db, responses)
    duplicates = await _duplicates(db, round_, responses)
    name = clean_text(filename, 100)
    token = await store.save_pending_paper(db, round_.id, user.id, name, data)
    check = PaperCheck(token, name, len(responses), len(responses) - len(duplicates), duplicates)
    return PaperReport(0, [], rows, check=check)


async def confirm_import(
    db: Database, user: StaffUser, round_: Round, token: str, include_duplicates: bool
) -> PaperReport:
    """Import a checked file: its new rows, and the rows seen before only if asked."""
    refused = _not_now(round_)
    if refused is not None:
        return refused
    pending = await store.pending_paper(db, round_.id, user.id, token[:40])
    if pending is None:
        return PaperReport(
            0,
            [RowProblem(0, CHECK_GONE)],
            0,
        )
    filename, data = pending
    responses, problems, rows = parse(round_, data)  # the round may have changed since
    if problems:
        return PaperReport(0, problems, rows)
    responses = await _fingerprinted(db, responses)
    seen = {d.row for d in await _duplicates(db, round_, responses)}
    chosen = [r for r in responses if include_duplicates or r[0] not in seen]
    skipped = len(responses) - len(chosen)
    if not chosen:
        await store.drop_pending_paper(db, round_.id, token)
        return PaperReport(0, [], rows, skipped=skipped)
    detail = f"{len(chosen)} responses from {filename}"
    if skipped:
        detail += f", {skipped} already held skipped"
    elif seen:
        detail += f", {len(seen)} already held added again"

    async def work(conn: WriteConnection) -> int | None | object:
        # taking the checked file is the check: a second confirmation at once finds it gone
        if not await store.claim_pending_paper_in(conn, round_.id, user.id, token[:40]):
            return _USED
        return await store.import_paper_in(
            conn,
            round_.id,
            _digest(data),
            filename,
            user.email,
            chosen,
            user_id=user.id,
            audit_detail=clean_text(detail, 200),
        )

    imported = await db.write(work)
    if imported is _USED:
        return PaperReport(0, [RowProblem(0, CHECK_GONE)], rows)
    if imported is None:
        return PaperReport(
            0, [RowProblem(0, N_("This file was imported already. Nothing was added."))], rows
        )
    return PaperReport(imported, [], rows, skipped=skipped)


async def cancel_import(db: Database, round_: Round, token: str) -> None:
    await store.drop_pending_paper(db, round_.id, token[:40])


async def import_csv(
    db: Database, user: StaffUser, round_: Round, filename: str, data: bytes
) -> PaperReport:
    """Check and import in one go, skipping rows already held (the CLI and tests)."""
    report = await check_csv(db, user, round_, filename, data)
    if report.check is None:
        return report
    return await confirm_import(db, user, round_, report.check.token, False)


async def undo_import(
    db: Database, user: StaffUser, round_: Round, batch_id: int
) -> tuple[str, int] | None:
    """Undo one imported file: its responses are deleted with every trace (as a
    withdrawal), audited. (file name, responses deleted), or None if no such import."""
    batch = next((b for b in await store.paper_batches(db, round_.id) if b.id == batch_id), None)
    if batch is None:
        return None
    for participation_id in await store.paper_batch_participations(db, round_.id, batch_id):
        await erasure._log(db, participation_id)
    deleted = await erasure_store.undo_paper_batch(
        db, round_.id, batch_id, user.email, user.id, clean_text(batch.filename, 100)
    )
    if deleted is None:
        return None
    await erasure.tidy_up(db)
    return batch.filename, deleted


async def batches(db: Database, round_: Round) -> list[store.PaperBatch]:
    """The files imported into the round, with how many of their responses are held."""
    return await store.paper_batches(db, round_.id)


async def find_response(
    db: Database, round_: Round, batch_id: int, row: int
) -> store.PaperResponse | None:
    """The paper response from this file and row, if it is still held."""
    return await store.paper_response(db, round_.id, batch_id, row)


async def delete_response(
    db: Database, user: StaffUser, round_: Round, batch_id: int, row: int
) -> store.PaperResponse | None:
    """Delete one paper response for good (the person asked): every trace, as a
    withdrawal does, and an audit entry naming the file and row, never the answers.
    None if there is no such response (any more)."""
    found = await store.paper_response(db, round_.id, batch_id, row)
    if found is None:
        return None
    detail = clean_text(f"file {found.filename or found.batch_id}, row {found.row}", 200)
    if not await erasure.delete_paper_response(
        db, round_.id, found.participation_id, user.email, user.id, detail
    ):
        return None
    return found
