-- PostgreSQL twin of ../0009_sign_in_folding.sql.
ALTER TABLE audit_log ADD COLUMN tries BIGINT NOT NULL DEFAULT 1;
ALTER TABLE audit_log ADD COLUMN fold_key TEXT;
CREATE INDEX audit_log_fold ON audit_log (fold_key, id) WHERE fold_key IS NOT NULL;
