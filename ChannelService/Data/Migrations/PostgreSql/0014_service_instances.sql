-- PostgreSQL form of ../0014_service_instances.sql.
CREATE TABLE service_instances (
    name          TEXT PRIMARY KEY,
    version       TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL
);

ALTER TABLE pull_accounts ADD COLUMN last_pull_instance TEXT;
