-- The idempotency key of every answer save. A phone that retries after a
-- timeout sends the same key: the retry is recognised and answered as a
-- success, and a stale retry can never overwrite a newer answer.
CREATE TABLE answer_saves (
    idempotency_key TEXT PRIMARY KEY,
    participation_id INTEGER NOT NULL REFERENCES participations (id) ON DELETE CASCADE,
    saved_at TEXT NOT NULL
);
CREATE INDEX answer_saves_participation ON answer_saves (participation_id);
