-- Rounds and their content, per locale. Timestamps are ISO-8601 UTC text.
CREATE TABLE app_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE rounds (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('draft', 'open', 'closed', 'published')),
    default_locale TEXT NOT NULL,
    locales TEXT NOT NULL,
    timezone TEXT NOT NULL DEFAULT 'UTC',
    opens_at TEXT,
    closes_at TEXT,
    response_due TEXT,
    minutes_estimate INTEGER NOT NULL DEFAULT 10,
    retention_days INTEGER NOT NULL DEFAULT 365,
    created_at TEXT NOT NULL
);

CREATE TABLE round_texts (
    round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    locale TEXT NOT NULL,
    title TEXT NOT NULL,
    organisation TEXT NOT NULL,
    purpose TEXT NOT NULL,
    readers TEXT NOT NULL,
    next_steps TEXT NOT NULL,
    data_use TEXT NOT NULL,
    PRIMARY KEY (round_id, locale)
);

CREATE TABLE support_contacts (
    id INTEGER PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    locale TEXT NOT NULL,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    hours TEXT NOT NULL,
    url TEXT NOT NULL,
    description TEXT NOT NULL
);

CREATE TABLE sections (
    id INTEGER PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    UNIQUE (round_id, position)
);

CREATE TABLE section_texts (
    section_id INTEGER NOT NULL REFERENCES sections (id) ON DELETE CASCADE,
    locale TEXT NOT NULL,
    title TEXT NOT NULL,
    body_md TEXT NOT NULL,
    content_note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (section_id, locale)
);

CREATE TABLE questions (
    id INTEGER PRIMARY KEY,
    section_id INTEGER NOT NULL REFERENCES sections (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('agreement', 'open_text', 'single_choice', 'multiple_choice')),
    UNIQUE (section_id, position)
);

CREATE TABLE question_texts (
    question_id INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    locale TEXT NOT NULL,
    prompt TEXT NOT NULL,
    hint TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (question_id, locale)
);

-- Anonymous by design: no IP address, user agent or name. The resume code is
-- kept only as a keyed hash; public_id identifies the browser's session.
CREATE TABLE participations (
    id INTEGER PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    public_id TEXT NOT NULL UNIQUE,
    start_key TEXT NOT NULL UNIQUE,
    code_hash TEXT UNIQUE,
    code_shown INTEGER NOT NULL DEFAULT 0,
    locale TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('started', 'submitted', 'withdrawn')),
    may_quote INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    submitted_at TEXT,
    withdrawn_at TEXT
);
CREATE INDEX participations_round ON participations (round_id, status);

-- One answer per question per participation: a retried save updates the same
-- row, so it can never duplicate.
CREATE TABLE answers (
    id INTEGER PRIMARY KEY,
    participation_id INTEGER NOT NULL REFERENCES participations (id) ON DELETE CASCADE,
    question_id INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    value TEXT,
    text TEXT,
    locale TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    UNIQUE (participation_id, question_id)
);
CREATE INDEX answers_question ON answers (question_id);
