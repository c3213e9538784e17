# ruff: noqa: S608 - only constants and "?" placeholders are put into SQL text
"""Searching a question's answers by their words, and filtering them.

The index (`answers_search`, migration 0012) holds each answer's *redacted* text,
folded (case, accents and Arabic vowel marks taken off), under the answer's id.
It is written with each redaction (`index_in`, from `themes.save_prepared`),
filled in for answers redacted before it existed (`index_missing`), and an
answer's row goes with the answer (a trigger), so a withdrawal or the purge
takes it out; `drop_deleted_in` then rewrites the index so no deleted word is
left in its pages (with `secure_delete` on, the freed pages are zeroed).

The trigram tokenizer matches any run of three or more characters, so a word is
found inside a longer one in every script; shorter words are matched by
`instr` on the folded text.

On PostgreSQL (migrations/postgresql/0012) the index is a plain table of the same
folded text under `answer_id`, with a pg_trgm GIN index that serves `LIKE
'%word%'`: every word, short or long, is a substring of the folded text, which is
what FTS5's trigram phrases and `instr` find, so the same answers match, in the
same order (by id). Its rows go with their answer by foreign key. This module is
the only place search SQL differs by engine (`_dialect`).
"""

from __future__ import annotations

import unicodedata

import msgspec

from codesign.models import AnswerRow
from codesign.store.board.answers import ANSWER_COLUMNS, THEMED, answer_row
from codesign.store.db import Database, WriteConnection

#: Longest search text read, and most words used from it.
MAX_QUERY = 200
MAX_WORDS = 8
FLAG_STATES = ("risk", "distressing", "none")
SOURCES = ("web", "paper")


def fold(text: str) -> str:
    """Case, accents and combining marks (Arabic vowel marks, hamza seats) taken off."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    kept = "".join(
        c
        for c in decomposed
        if unicodedata.category(c) != "Mn" and c != "\u0640"  # tatweel
    )
    return unicodedata.normalize("NFC", kept).casefold()


#: Arabic writes the article and some prepositions joined to the word ("الأطفال", "لأطفالي",
#: "وبالحافلة"): a search word starting with one matches only where the same prefix was
#: written. Searching the word without it finds every form (the index matches inside words).
_ARABIC_PREFIXES = ("وبال", "ولل", "وال", "بال", "فال", "كال", "لل", "ال")


def _without_arabic_prefix(word: str) -> str:
    for prefix in _ARABIC_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            return word[len(prefix):]
    return word


def words(query: str) -> list[str]:
    """The folded words of a search, at most MAX_WORDS of them."""
    out: list[str] = []
    # Control characters separate words: a NUL would end FTS5's quoted string early
    # ("unterminated string"), and none of them is part of a word anyone searches for.
    text = "".join(" " if unicodedata.category(c) == "Cc" else c for c in query[:MAX_QUERY])
    for word in fold(text).split():
        word = _without_arabic_prefix(word.strip(".,;:!?¿¡\"'«»()[]{}،؟"))
        if word and word not in out:
            out.append(word)
    return out[:MAX_WORDS]


class Filters(msgspec.Struct, frozen=True):
    """What a person searches for; empty fields filter nothing."""

    text: str = ""
    language: str = ""
    theme: str = ""  # a theme id, "other", or ""
    agreement: str = ""  # an agreement value ("1".."5", "prefer_not"), or ""
    flag: str = ""  # one of FLAG_STATES, or ""
    source: str = ""  # one of SOURCES, or ""

    def any(self) -> bool:
        return any(
            (self.text.strip(), self.language, self.theme, self.agreement, self.flag, self.source)
        )


def _dialect(conn_or_db: object) -> str:
    return getattr(conn_or_db, "dialect", "sqlite")


#: The search index's SQL on each engine: (FTS5 table keyed by rowid, plain table keyed
#: by answer_id). Only an answer still there is indexed (on PostgreSQL a foreign key
#: would refuse another; on SQLite it would leave words of a deleted answer behind).
_FORGET = {
    "sqlite": "DELETE FROM answers_search WHERE rowid = ?",
    "postgresql": "DELETE FROM answers_search WHERE answer_id = ?",
}
_ADD = {
    "sqlite": "INSERT INTO answers_search (rowid, body)"
    " SELECT id, ? FROM answers WHERE id = ?",
    "postgresql": "INSERT INTO answers_search (answer_id, body)"
    " SELECT id, ? FROM answers WHERE id = ?",
}
_JOIN = {
    "sqlite": " JOIN answers_search s ON s.rowid = a.id",
    "postgresql": " JOIN answers_search s ON s.answer_id = a.id",
}
_UNINDEXED = {
    "sqlite": " LEFT JOIN answers_search s ON s.rowid = a.id",
    "postgresql": " LEFT JOIN answers_search s ON s.answer_id = a.id",
}
_NOT_INDEXED = {"sqlite": "s.rowid IS NULL", "postgresql": "s.answer_id IS NULL"}


# Keeping the index in step ---------------------------------------------------------


async def index_in(conn: WriteConnection, rows: list[tuple[int, str]]) -> None:
    """Within a write: (answer id, redacted text) rows replace what the index holds of them."""
    if not rows:
        return
    dialect = _dialect(conn)
    await conn.executemany(_FORGET[dialect], [(i,) for i, _ in rows])
    await conn.executemany(_ADD[dialect], [(fold(text), i) for i, text in rows if text])


async def index_missing(db: Database, question_id: int) -> int:
    """Index this question's redacted answers the index does not hold yet; returns how many."""
    dialect = _dialect(db)
    rows = await db.fetch_all(
        "SELECT a.id, a.redacted FROM answers a"
        " JOIN participations p ON p.id = a.participation_id"
        f"{_UNINDEXED[dialect]}"
        f" WHERE a.question_id = ? AND {THEMED} AND a.redacted IS NOT NULL"
        f" AND {_NOT_INDEXED[dialect]}",
        (question_id,),
    )
    if not rows:
        return 0

    async def work(conn: WriteConnection) -> None:
        await index_in(conn, [(int(r["id"]), r["redacted"] or "") for r in rows])

    await db.write(work)
    return len(rows)


async def drop_deleted_in(conn: WriteConnection) -> None:
    """Within a write, after answers were deleted: rewrite the index without their words.

    On PostgreSQL the deleted rows' index entries went with them (nothing to rewrite
    inside a transaction; vacuum reclaims the space)."""
    if _dialect(conn) == "sqlite":
        await conn.execute("INSERT INTO answers_search (answers_search) VALUES ('optimize')")


async def indexed_terms(db: Database) -> set[str]:
    """Every trigram the index holds (for tests: what erasure leaves behind)."""
    if _dialect(db) == "sqlite":
        await db.write(_vocab)
        rows = await db.fetch_all("SELECT term FROM answers_search_vocab")
        return {r["term"] for r in rows}
    # The same trigrams FTS5's trigram tokenizer makes: every run of three characters.
    rows = await db.fetch_all("SELECT body FROM answers_search")
    return {r["body"][i : i + 3] for r in rows for i in range(len(r["body"]) - 2)}


async def _vocab(conn: WriteConnection) -> None:
    await conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS answers_search_vocab"
        " USING fts5vocab(answers_search, 'row')"
    )


# Searching ----------------------------------------------------------------------------


def _like_escape(word: str) -> str:
    """A word matched as it is by LIKE: its own %, _ and \\ are not wildcards."""
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(
    question_id: int,
    filters: Filters,
    agreement_question_id: int | None,
    dialect: str = "sqlite",
) -> tuple[str, str, list]:
    """(joins, conditions, params) for the filters."""
    joins = (
        " FROM answers a JOIN participations p ON p.id = a.participation_id"
        " LEFT JOIN theme_members tm ON tm.answer_id = a.id"
    )
    where = [f"a.question_id = ? AND {THEMED} AND a.redacted IS NOT NULL"]
    params: list = [question_id]
    found = words(filters.text)
    if found:
        joins += _JOIN[dialect]
    if dialect == "sqlite":
        long_words = [w for w in found if len(w) >= 3]
        short_words = [w for w in found if len(w) < 3]
        if long_words:
            where.append("answers_search MATCH ?")
            params.append(" AND ".join('"' + w.replace('"', '""') + '"' for w in long_words))
        for w in short_words:
            where.append("instr(s.body, ?) > 0")
            params.append(w)
    else:
        for w in found:  # the trigram index serves these (words of three or more)
            where.append("s.body LIKE ? ESCAPE '\\'")
            params.append("%" + _like_escape(w) + "%")
    if filters.language:
        where.append("a.language = ?")
        params.append(filters.language)
    if filters.theme == "other":
        where.append("tm.answer_id IS NOT NULL AND tm.theme_id IS NULL")
    elif filters.theme.isdigit():
        where.append("(tm.theme_id = ? OR tm.also_theme_id = ?)")
        params += [int(filters.theme), int(filters.theme)]
    if filters.agreement and agreement_question_id is not None:
        joins += (
            " JOIN answers ag ON ag.participation_id = a.participation_id AND ag.question_id = ?"
        )
        params.insert(0, agreement_question_id)
        where.append("ag.value = ?")
        params.append(filters.agreement)
    if filters.flag == "risk":
        where.append("a.risk = 1")
    elif filters.flag == "distressing":
        where.append("a.distressing = 1")
    elif filters.flag == "none":
        where.append("a.risk = 0 AND a.distressing = 0")
    if filters.source in SOURCES:
        where.append("p.source = ?")
        params.append(filters.source)
    return joins, " AND ".join(where), params


async def search(
    db: Database,
    question_id: int,
    filters: Filters,
    agreement_question_id: int | None,
    *,
    limit: int,
    offset: int = 0,
) -> tuple[list[AnswerRow], int]:
    """One page of the answers that match (closest to their theme first), and how many match."""
    joins, where, params = _where(question_id, filters, agreement_question_id, _dialect(db))
    total = await db.fetch_one(f"SELECT COUNT(*) AS n{joins} WHERE {where}", params)
    rows = await db.fetch_all(
        f"SELECT {ANSWER_COLUMNS}{joins} WHERE {where} ORDER BY a.id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [answer_row(r) for r in rows], int(total["n"]) if total else 0


async def matching_ids(
    db: Database,
    question_id: int,
    filters: Filters,
    agreement_question_id: int | None,
    limit: int,
) -> list[int]:
    """Ids of the first `limit` matching answers (acting on a whole search result)."""
    joins, where, params = _where(question_id, filters, agreement_question_id, _dialect(db))
    rows = await db.fetch_all(
        f"SELECT a.id{joins} WHERE {where} ORDER BY a.id LIMIT ?", [*params, limit]
    )
    return [int(r["id"]) for r in rows]


async def languages_of(db: Database, question_id: int) -> list[str]:
    rows = await db.fetch_all(
        "SELECT DISTINCT a.language FROM answers a"
        " JOIN participations p ON p.id = a.participation_id"
        f" WHERE a.question_id = ? AND {THEMED} AND a.language IS NOT NULL AND a.language != ''"
        " ORDER BY a.language",
        (question_id,),
    )
    return [r["language"] for r in rows]
