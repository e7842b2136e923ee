-- PostgreSQL form of ../0001_initial.sql (same tables, same columns): integers are BIGINT as SQLite's are 64-bit,
-- and times are UTC ISO-8601 text in both dialects (Data/Database.cs), so a row reads the same from either.
CREATE TABLE store_info (
    id          BIGINT PRIMARY KEY CHECK (id = 1),
    epoch       TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE accounts (
    account_id   TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    subdomain    TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    deactivated_at TEXT,
    last_error   TEXT
);
