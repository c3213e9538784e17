-- Publishing that is safe and complete (issue 12 part 2): sign-offs by board
-- members (one or two), quotes the board approved one by one, the board's
-- "we asked, you said, we did" summary per language, and one idea of
-- "published" shared by the board's page and the organizer's round page.

-- A round can ask for the response to be signed off by two different members.
ALTER TABLE board_settings ADD COLUMN sign_offs_needed INTEGER NOT NULL DEFAULT 1
    CHECK (sign_offs_needed IN (1, 2));

-- Who signed the board's response off. Saving a response clears them all.
CREATE TABLE board_sign_offs (
    round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    PRIMARY KEY (round_id, user_id)
);
INSERT INTO board_sign_offs (round_id, user_id, email, signed_at)
    SELECT b.round_id, u.id, u.email, b.signed_off_at FROM board_settings b
    JOIN users u ON u.email = b.signed_off_by
    WHERE b.signed_off_at IS NOT NULL AND u.role = 'board';

-- Quotes the board chose for the public page (none until it chooses). An answer
-- withdrawn or purged takes its approval with it.
CREATE TABLE quote_approvals (
    answer_id INTEGER PRIMARY KEY REFERENCES answers (id) ON DELETE CASCADE,
    round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    approved_by TEXT NOT NULL,
    approved_at TEXT NOT NULL
);
CREATE INDEX quote_approvals_round ON quote_approvals (round_id);

-- "We asked, you said, we did" and what changed in the policy, per language.
CREATE TABLE outcome_summaries (
    round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    locale TEXT NOT NULL,
    said TEXT NOT NULL DEFAULT '',
    did TEXT NOT NULL DEFAULT '',
    changes TEXT NOT NULL DEFAULT '',
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (round_id, locale)
);

-- "Published" is the board's publication: a round marked published by hand
-- without one had no public outcomes, so it is closed again.
UPDATE rounds SET status = 'closed' WHERE status = 'published'
    AND id NOT IN (SELECT round_id FROM board_settings WHERE published_at IS NOT NULL);
