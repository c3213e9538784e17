-- Organizer flows that lost or corrupted work (issue 13 part 4).

-- A paper response's fingerprint: a keyed hash of its row (language, may_quote and
-- answers), so a row imported in an earlier file is recognised in a later one. Keyed,
-- so a copy of the database can't be searched for a sentence; cleared on withdrawal.
ALTER TABLE participations ADD COLUMN paper_fingerprint TEXT;
CREATE INDEX participations_paper_fingerprint
    ON participations (round_id, paper_fingerprint);

-- An import that was undone: its responses are deleted (as a withdrawal deletes),
-- and the file can be imported again.
ALTER TABLE paper_batches ADD COLUMN undone_at TEXT;

-- A checked file waiting for the organizer to confirm it. Deleted when confirmed or
-- cancelled, and a day after it was checked at the latest.
CREATE TABLE paper_pending (
    id INTEGER PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    token TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL,
    filename TEXT NOT NULL DEFAULT '',
    content BLOB NOT NULL,
    created_at TEXT NOT NULL
);

-- Wording corrected in the main language after the round opened (the structure stays
-- fixed): what each text said before and after, who changed it and when. Written in
-- the same transaction as the correction and its audit entry.
CREATE TABLE text_revisions (
    id INTEGER PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    user_id INTEGER,
    actor TEXT NOT NULL DEFAULT '',
    item TEXT NOT NULL,            -- 'section', 'question' or 'option'
    item_id INTEGER NOT NULL,
    field TEXT NOT NULL,
    locale TEXT NOT NULL,
    old_text TEXT NOT NULL,
    new_text TEXT NOT NULL
);
CREATE INDEX text_revisions_round ON text_revisions (round_id, id);
