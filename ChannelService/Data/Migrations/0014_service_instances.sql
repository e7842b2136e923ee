-- The service instances sharing this database (Data/InstanceRegistry.cs): each writes its row at start and every 30 s,
-- so the dashboard shows which are alive. The pull notes which instance answered an account last.
CREATE TABLE service_instances (
    name          TEXT PRIMARY KEY,
    version       TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL
);

ALTER TABLE pull_accounts ADD COLUMN last_pull_instance TEXT;
