-- PostgreSQL twin of ../0011_publishing.sql.
ALTER TABLE board_settings ADD COLUMN sign_offs_needed INTEGER NOT NULL DEFAULT 1
    CHECK (sign_offs_needed IN (1, 2));

CREATE TABLE board_sign_offs (
    round_id BIGINT NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    PRIMARY KEY (round_id, user_id)
);
INSERT INTO board_sign_offs (round_id, user_id, email, signed_at)
    SELECT b.round_id, u.id, u.email, b.signed_off_at FROM board_settings b
    JOIN users u ON u.email = b.signed_off_by
    WHERE b.signed_off_at IS NOT NULL AND u.role = 'board';

CREATE TABLE quote_approvals (
    answer_id BIGINT PRIMARY KEY REFERENCES answers (id) ON DELETE CASCADE,
    round_id BIGINT NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    approved_by TEXT NOT NULL,
    approved_at TEXT NOT NULL
);
CREATE INDEX quote_approvals_round ON quote_approvals (round_id);

CREATE TABLE outcome_summaries (
    round_id BIGINT NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    locale TEXT NOT NULL,
    said TEXT NOT NULL DEFAULT '',
    did TEXT NOT NULL DEFAULT '',
    changes TEXT NOT NULL DEFAULT '',
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (round_id, locale)
);

UPDATE rounds SET status = 'closed' WHERE status = 'published'
    AND id NOT IN (SELECT round_id FROM board_settings WHERE published_at IS NOT NULL);
