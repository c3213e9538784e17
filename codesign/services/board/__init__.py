"""The review board's use cases: theme the answers, correct the themes, answer them.

No HTTP objects here. The theming engine (`codesign.analysis`) is pure and
synchronous: everything CPU-bound runs in a worker thread (`asyncio.to_thread`)
while the event loop keeps serving pages; the database is written only from the
loop. Progress is kept in `analysis_runs`, so any replica can show it.

Rules the board relies on:
- redaction happens before any text is stored for the board or shown to it;
- the first run themes every answer; later runs only *assign* answers that
  have no place yet to the existing themes — nothing a person did (rename,
  merge, split, move) is ever reshuffled;
- vectors are cached per model + a keyed hash of the text in the database, so
  re-running never embeds the same text twice; each prepared answer records
  its digest, and a vector no answer records is deleted (store.erasure);
- themes smaller than the round's anonymity threshold show no quotes and are
  counted under "other".

Modules: `pure` (helpers run in worker threads), `views` (what the pages show),
`analysis` (runs and the vectors they need), `service` (`BoardService`, the use
cases), `background` (embedding answers as they arrive), `export` (CSV, JSON, the
printable report).
"""

# The limits the board's forms, pages and analysis share (names, responses, pages).
MAX_LABEL = 120
MAX_RESPONSE = 4000
MAX_TITLE = 160
#: Answers per theme page: a page stays quick to load and to read.
ANSWERS_PAGE = 200
