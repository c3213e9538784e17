-- Staff accounts, round memberships, server-side sessions, sign-in attempts
-- and the audit log. Timestamps are ISO-8601 UTC text, as in 0001.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,           -- stored lower-cased
    role TEXT NOT NULL CHECK (role IN ('admin', 'organizer', 'board')),
    password_hash TEXT NOT NULL,          -- Argon2id, PHC string
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    password_changed_at TEXT NOT NULL
);

-- Organizers and board members see only the rounds they sit on.
CREATE TABLE round_members (
    round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at TEXT NOT NULL,
    PRIMARY KEY (round_id, user_id)
);
CREATE INDEX round_members_user ON round_members (user_id);

-- Sessions live in the database (any replica can check them); only a hash of
-- the cookie's token is kept, so a copy of the database signs nobody in.
CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX staff_sessions_user ON staff_sessions (user_id);

-- Recent sign-in attempts, for limits per account and per client that hold
-- across processes. Both keys are keyed hashes: no email or address in clear.
CREATE TABLE sign_in_attempts (
    id INTEGER PRIMARY KEY,
    account_key TEXT NOT NULL,
    client_key TEXT NOT NULL,
    ok INTEGER NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX sign_in_attempts_account ON sign_in_attempts (account_key, at);
CREATE INDEX sign_in_attempts_client ON sign_in_attempts (client_key, at);

-- Who did what and when. No foreign keys: entries outlive users and rounds.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_id INTEGER,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    round_id INTEGER,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);

-- The languages an organizer is preparing; a language is offered to
-- participants (rounds.locales) only once every text is translated.
ALTER TABLE rounds ADD COLUMN wanted_locales TEXT NOT NULL DEFAULT '';
ALTER TABLE rounds ADD COLUMN updated_at TEXT;
