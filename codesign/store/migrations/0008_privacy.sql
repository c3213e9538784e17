-- Privacy promises kept in the data (issue 11).

-- Where a participation came from. Paper responses are typed in by staff: they
-- never have a web session, and nothing on the public site can find them.
ALTER TABLE participations ADD COLUMN source TEXT NOT NULL DEFAULT 'web'
    CHECK (source IN ('web', 'paper'));
-- A random reference that never changes and is never sent to a browser. The
-- withdrawals log names participations by it, so a restored backup can be
-- told which participations were withdrawn after it was taken.
ALTER TABLE participations ADD COLUMN ref TEXT;
UPDATE participations SET ref = lower(hex(randomblob(16)));
CREATE UNIQUE INDEX participations_ref ON participations (ref);

-- Paper files already imported (so a file imported twice adds nothing). Rows of
-- a file are numbered as in the file, for staff to find one paper form again.
CREATE TABLE paper_batches (
    id INTEGER PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    digest TEXT NOT NULL,
    filename TEXT NOT NULL DEFAULT '',
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL DEFAULT '',
    UNIQUE (round_id, digest)
);
ALTER TABLE participations ADD COLUMN paper_batch_id INTEGER
    REFERENCES paper_batches (id) ON DELETE SET NULL;
ALTER TABLE participations ADD COLUMN paper_row INTEGER;

-- Paper responses imported before: their session id and start key were computed
-- from the file, so anyone holding the file could open them. Give them random
-- ones, and keep the file they came from (their row then counted responses, not
-- the file's lines as it does now).
INSERT INTO paper_batches (round_id, digest, imported_at)
    SELECT round_id, substr(start_key, 7, 16), MIN(created_at) FROM participations
    WHERE start_key LIKE 'paper:%' GROUP BY round_id, substr(start_key, 7, 16);
UPDATE participations SET
    source = 'paper',
    paper_batch_id = (SELECT b.id FROM paper_batches b WHERE b.round_id = participations.round_id
                      AND b.digest = substr(participations.start_key, 7, 16)),
    paper_row = CAST(substr(start_key, 24) AS INTEGER),
    public_id = 'paper-' || lower(hex(randomblob(18))),
    start_key = 'paper:' || lower(hex(randomblob(16)))
    WHERE start_key LIKE 'paper:%';

-- Region for dates and times ("GB": 23 February 2027, 08:09), where the language
-- alone does not say it; empty: the language's own way.
ALTER TABLE rounds ADD COLUMN region TEXT NOT NULL DEFAULT '';
-- Answers never sent are deleted this many days after the round closes.
ALTER TABLE rounds ADD COLUMN draft_days INTEGER NOT NULL DEFAULT 30;
-- When the round was closed by hand (its closing date may be later).
ALTER TABLE rounds ADD COLUMN closed_at TEXT;

-- Who a support line serves: the languages spoken there (hours are already kept).
ALTER TABLE support_contacts ADD COLUMN languages TEXT NOT NULL DEFAULT '';

-- Vectors were keyed by a plain SHA-256 of the text: anyone with a copy of the
-- database could check whether someone wrote a given sentence, and nothing tied
-- a vector to its answer, so withdrawing left it behind. Now the key is a keyed
-- hash (secret in app_secrets), each prepared answer records it, and a vector
-- no answer records is deleted. The cache starts again: answers are prepared
-- and embedded afresh in the background.
DROP TABLE answer_vectors;
CREATE TABLE answer_vectors (
    cache_key TEXT PRIMARY KEY,          -- "<model>|<digest>"
    digest TEXT NOT NULL,                -- keyed hash of the normalised redacted text
    vector BLOB NOT NULL,                -- float32, little-endian
    created_at TEXT NOT NULL
);
CREATE INDEX answer_vectors_digest ON answer_vectors (digest);
ALTER TABLE answers ADD COLUMN vector_digest TEXT;
CREATE INDEX answers_vector_digest ON answers (vector_digest) WHERE vector_digest IS NOT NULL;
UPDATE answers SET prepared_hash = NULL, embedded_by = NULL;

-- A theme whose members were withdrawn or purged: its terms (and a label made
-- from them) still come from the answers that left, until rebuilt from what
-- remains. A counter, so a rebuild started before a later withdrawal does not
-- mark the theme clean.
ALTER TABLE themes ADD COLUMN stale INTEGER NOT NULL DEFAULT 0;
CREATE INDEX themes_stale ON themes (stale) WHERE stale > 0;
