-- PostgreSQL twin of ../0006_embedded_by.sql.
ALTER TABLE answers ADD COLUMN embedded_by TEXT;
CREATE INDEX answers_to_prepare ON answers (id) WHERE prepared_hash IS NULL;
