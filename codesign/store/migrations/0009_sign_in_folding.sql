-- Repeated failed sign-ins fold into one audit row with a count, so a flood of
-- guesses can't fill the log (issue 13).
ALTER TABLE audit_log ADD COLUMN tries INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit_log ADD COLUMN fold_key TEXT;
CREATE INDEX audit_log_fold ON audit_log (fold_key, id) WHERE fold_key IS NOT NULL;
