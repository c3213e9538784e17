-- Background embedding: which model's vector is cached for an answer's current
-- redacted text (NULL: none yet, or the text was prepared again since).
-- The vector itself is in answer_vectors, keyed by model + text hash.
ALTER TABLE answers ADD COLUMN embedded_by TEXT;
CREATE INDEX answers_to_prepare ON answers (id) WHERE prepared_hash IS NULL;
