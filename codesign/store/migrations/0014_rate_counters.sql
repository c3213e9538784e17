-- Rate-limit counters held in the database, so that several replicas share one count
-- (issue 14 part 3): a fixed window per key, counted by one conditional upsert
-- (codesign/store/counters.py). Used when CODESIGN_RATE_LIMITS=database; on one
-- SQLite process the counters stay in memory and this table stays empty.
--
-- `key` is a keyed hash (HMAC) of the limit's name and the client's address: no
-- address, email or answer is ever stored here. Rows are deleted once their window
-- has ended, by the daily purge.
CREATE TABLE rate_counters (
    key TEXT NOT NULL,
    window_start TEXT NOT NULL,
    count INTEGER NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_counters_expires ON rate_counters (expires_at);
