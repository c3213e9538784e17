-- Staff accounts from the web (issue 13): invitations and password-reset links,
-- deactivation, two-step sign-in (TOTP) with recovery codes, site-wide settings.

-- An invited account has no password yet (''); nothing can sign in with it.
-- totp_secret: base32, NULL until two-step sign-in is set up; totp_last_step: the
-- last 30-second step whose code was accepted, so a code can't be used twice.
-- demo: the accounts `serve --demo` prints, the one exception to required two-step sign-in.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN demo INTEGER NOT NULL DEFAULT 0;

-- A session is 'full' once every step is done; 'code' waits for the two-step code,
-- 'enrol' for two-step sign-in to be set up. pending_secret: the secret being set up.
ALTER TABLE staff_sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'full'
    CHECK (stage IN ('full', 'code', 'enrol'));
ALTER TABLE staff_sessions ADD COLUMN pending_secret TEXT;

-- One-time recovery codes, kept only as hashes; each works once.
CREATE TABLE recovery_codes (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at TEXT,
    PRIMARY KEY (user_id, code_hash)
);

-- One-time links: an invitation (sets the first password) or a password reset.
-- Only a hash of the token is kept; a link works once, until expires_at.
CREATE TABLE account_links (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('invite', 'reset')),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX account_links_user ON account_links (user_id);

-- Settings an admin changes from the web (name → value).
CREATE TABLE site_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
