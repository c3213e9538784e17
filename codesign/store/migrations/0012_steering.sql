-- Steering the themes (issue 12): searching answers, themes made by hand,
-- merges that can be undone, themes grouped under parent themes, and answers
-- that raise two topics.

-- Full-text index of the redacted answers (never the raw text). The trigram
-- tokenizer finds a word inside longer words in any script: Arabic's article
-- joined to a word ("السكن" for "سكن"), languages without spaces. The store
-- folds case and accents before indexing and before searching (store.search).
-- Kept in step with answers: written with each answer's redaction, and
-- deleted with the answer (withdrawal, a deleted paper response, the purge).
CREATE VIRTUAL TABLE answers_search USING fts5(body, tokenize = 'trigram');
CREATE TRIGGER answers_search_forget AFTER DELETE ON answers BEGIN
    DELETE FROM answers_search WHERE rowid = old.id;
END;

-- Runs that steer the themes: '' (a theming or an assignment), 'other' (find
-- new themes among the answers in "other" only), 'restart' (fresh themes,
-- carrying people's names and placements over).
ALTER TABLE analysis_runs ADD COLUMN mode TEXT NOT NULL DEFAULT '';

-- A merge, kept so that it can be undone: the merged theme as it was, where
-- each of its answers was and how, and the target's state before the merge.
-- Holds answer ids only, never what anyone wrote.
CREATE TABLE theme_merges (
    id INTEGER PRIMARY KEY,
    question_id INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    target_id INTEGER NOT NULL,    -- no reference: a theme restored by an undo keeps its id
    source TEXT NOT NULL,          -- JSON: the merged theme's row
    members TEXT NOT NULL,         -- JSON: [answer id, score, assigned_by, user, at, run]
    outcomes TEXT NOT NULL,        -- JSON: the board's responses to the merged theme
    target_before TEXT NOT NULL,   -- JSON: the target's centroids and edit marks
    merged_by TEXT NOT NULL,
    merged_at TEXT NOT NULL,
    undone_by TEXT,
    undone_at TEXT
);
CREATE INDEX theme_merges_target ON theme_merges (target_id);

-- Two levels: parent themes over many themes (grouped from the themes' centres,
-- renamable).
CREATE TABLE theme_groups (
    id INTEGER PRIMARY KEY,
    question_id INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    edited_by TEXT,
    edited_at TEXT
);
CREATE INDEX theme_groups_question ON theme_groups (question_id);
ALTER TABLE themes ADD COLUMN group_id INTEGER REFERENCES theme_groups (id) ON DELETE SET NULL;

-- An answer that clearly raises a second topic is also listed under that theme
-- (counted once, under its own theme, in every total).
ALTER TABLE theme_members ADD COLUMN also_theme_id INTEGER
    REFERENCES themes (id) ON DELETE SET NULL;
CREATE INDEX theme_members_also ON theme_members (also_theme_id)
    WHERE also_theme_id IS NOT NULL;
