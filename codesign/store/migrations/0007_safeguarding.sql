-- Safeguarding as a workflow: every written answer is screened, risky sent
-- answers form the lead's queue, a participant may leave a way to be contacted.
-- No answer text is copied out of `answers`: items point at their answer, so
-- withdrawing or purging the answer removes the item with it (ON DELETE CASCADE).

-- Screening state: 0 = not screened since the text last changed (a save that
-- changes the text sets it back to 0). `risk`, `distressing` and `flags` (0004)
-- hold the screening's result; `risk_reasons` is JSON, why it was flagged.
ALTER TABLE answers ADD COLUMN screened INTEGER NOT NULL DEFAULT 0;
ALTER TABLE answers ADD COLUMN risk_score REAL;
ALTER TABLE answers ADD COLUMN risk_reasons TEXT NOT NULL DEFAULT '[]';
ALTER TABLE answers ADD COLUMN screened_by TEXT;
CREATE INDEX answers_to_screen ON answers (id) WHERE screened = 0 AND text IS NOT NULL;

-- The participant was shown the support panel (one of their answers was flagged).
ALTER TABLE participations ADD COLUMN support_offered INTEGER NOT NULL DEFAULT 0;

-- The lead's deputy (the lead is board_settings.safeguarding_user_id).
ALTER TABLE board_settings ADD COLUMN safeguarding_deputy_id INTEGER
    REFERENCES users (id) ON DELETE SET NULL;

CREATE TABLE safeguarding_items (
    id INTEGER PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    answer_id INTEGER NOT NULL UNIQUE REFERENCES answers (id) ON DELETE CASCADE,
    participation_id INTEGER NOT NULL REFERENCES participations (id) ON DELETE CASCADE,
    source TEXT NOT NULL CHECK (source IN ('detector', 'person')),
    kinds TEXT NOT NULL,                       -- comma-separated risk kinds
    reasons TEXT NOT NULL DEFAULT '[]',        -- JSON: phrase matched or nearest kind
    detector_flagged INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'new'
        CHECK (status IN ('new', 'seen', 'action_taken', 'no_action')),
    false_alarm INTEGER NOT NULL DEFAULT 0,
    flagged_by TEXT,                           -- who flagged it by hand
    received_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    notified_at TEXT,
    escalated_at TEXT
);
CREATE INDEX safeguarding_items_round ON safeguarding_items (round_id, status, received_at);
CREATE INDEX safeguarding_items_unnotified ON safeguarding_items (round_id)
    WHERE notified_at IS NULL;

-- Every change to an item, with who and when (the audit log has it too).
CREATE TABLE safeguarding_events (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES safeguarding_items (id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('flagged', 'status', 'note', 'opened')),
    status TEXT,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX safeguarding_events_item ON safeguarding_events (item_id, id);

-- A way to reach the participant, left by them for the lead only. Apart from the
-- answers, never exported; deleted when their items are closed, on withdrawal
-- and at the retention purge.
CREATE TABLE safeguarding_contacts (
    participation_id INTEGER PRIMARY KEY REFERENCES participations (id) ON DELETE CASCADE,
    contact TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- How many flagged answers a staff member opened in this sitting (care for readers).
ALTER TABLE staff_sessions ADD COLUMN opened_flagged INTEGER NOT NULL DEFAULT 0;
