-- Review board workspace: what the theming engine found, what people changed,
-- and the board's answer. Timestamps are ISO-8601 UTC text, as in 0001.

-- Per-answer metadata, computed off the request path of participants.
-- `prepared_hash` is a hash of the text the columns were computed from: when a
-- participant changes an answer, the columns are stale and are computed again.
ALTER TABLE answers ADD COLUMN redacted TEXT;
ALTER TABLE answers ADD COLUMN language TEXT;
ALTER TABLE answers ADD COLUMN flags TEXT NOT NULL DEFAULT '';
ALTER TABLE answers ADD COLUMN risk INTEGER NOT NULL DEFAULT 0;
ALTER TABLE answers ADD COLUMN distressing INTEGER NOT NULL DEFAULT 0;
ALTER TABLE answers ADD COLUMN prepared_hash TEXT;

-- Vectors of redacted texts, keyed by model + text hash: re-theming never re-embeds.
CREATE TABLE answer_vectors (
    cache_key TEXT PRIMARY KEY,          -- "<model>|<sha256 of the normalised text>"
    vector BLOB NOT NULL,                -- float32, little-endian
    created_at TEXT NOT NULL
);

-- Board settings per round (one row, made on first use).
CREATE TABLE board_settings (
    round_id INTEGER PRIMARY KEY REFERENCES rounds (id) ON DELETE CASCADE,
    anonymity_threshold INTEGER NOT NULL DEFAULT 5,
    quotes_allowed INTEGER NOT NULL DEFAULT 1,
    safeguarding_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    signed_off_at TEXT,
    signed_off_by TEXT,
    published_at TEXT,
    published_by TEXT
);

CREATE TABLE analysis_runs (
    id INTEGER PRIMARY KEY,
    question_id INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('theme', 'assign')),
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    progress INTEGER NOT NULL DEFAULT 0,  -- percent
    stage TEXT NOT NULL DEFAULT '',
    started_by TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    vectoriser TEXT NOT NULL DEFAULT '',
    n INTEGER NOT NULL DEFAULT 0,
    k INTEGER NOT NULL DEFAULT 0,
    quality REAL,
    language_means TEXT NOT NULL DEFAULT '{}',  -- JSON, for assigning later answers
    other_threshold REAL,
    error TEXT NOT NULL DEFAULT ''
);
-- One run at a time per question, whichever replica starts it.
CREATE UNIQUE INDEX analysis_runs_one_running ON analysis_runs (question_id)
    WHERE status = 'running';
CREATE INDEX analysis_runs_question ON analysis_runs (question_id, id);

CREATE TABLE themes (
    id INTEGER PRIMARY KEY,
    question_id INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    run_id INTEGER REFERENCES analysis_runs (id) ON DELETE SET NULL,
    label TEXT NOT NULL,
    terms TEXT NOT NULL DEFAULT '[]',      -- JSON list of key terms
    centroids TEXT NOT NULL DEFAULT '[]',  -- JSON list of prototype vectors (theme space)
    created_by TEXT NOT NULL,              -- 'model' or the person's email
    created_at TEXT NOT NULL,
    edited_by TEXT,
    edited_at TEXT
);
CREATE INDEX themes_question ON themes (question_id);

-- Where each answer sits: a theme, or "other" (theme_id NULL).
CREATE TABLE theme_members (
    answer_id INTEGER PRIMARY KEY REFERENCES answers (id) ON DELETE CASCADE,
    question_id INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    theme_id INTEGER REFERENCES themes (id) ON DELETE SET NULL,
    score REAL NOT NULL DEFAULT 0,
    assigned_by TEXT NOT NULL CHECK (assigned_by IN ('model', 'person')),
    assigned_by_user TEXT,
    assigned_at TEXT NOT NULL,
    run_id INTEGER
);
CREATE INDEX theme_members_theme ON theme_members (theme_id, score);
CREATE INDEX theme_members_question ON theme_members (question_id, theme_id);

-- The board's response to a theme, per locale.
CREATE TABLE outcomes (
    theme_id INTEGER NOT NULL REFERENCES themes (id) ON DELETE CASCADE,
    locale TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',        -- the theme's name in this language
    response TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (theme_id, locale)
);
