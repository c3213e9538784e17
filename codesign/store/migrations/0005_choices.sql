-- Choices of single- and multiple-choice questions. Like every other text of a
-- round, a choice's label is content, translated per locale by organizers.
-- An answer stores the chosen option ids in answers.value: one id ("12") for a
-- single choice; for a multiple choice the ids sorted as numbers and joined by
-- commas ("12,15"); "prefer_not" for "Prefer not to say" (offered on every
-- choice question, never stored as an option).
-- AUTOINCREMENT: an id is never reused, so an answer's stored ids can never come
-- to name a different choice.
CREATE TABLE question_options (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    question_id INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    UNIQUE (question_id, position)
);

CREATE TABLE question_option_texts (
    option_id INTEGER NOT NULL REFERENCES question_options (id) ON DELETE CASCADE,
    locale TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (option_id, locale)
);
