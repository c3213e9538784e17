-- PostgreSQL twin of ../0003_answer_saves.sql.
CREATE TABLE answer_saves (
    idempotency_key TEXT PRIMARY KEY,
    participation_id BIGINT NOT NULL REFERENCES participations (id) ON DELETE CASCADE,
    saved_at TEXT NOT NULL
);
CREATE INDEX answer_saves_participation ON answer_saves (participation_id);
