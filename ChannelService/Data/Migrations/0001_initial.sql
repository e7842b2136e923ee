-- Store identity: the epoch changes whenever the database is created anew, so a pull state minted against
-- another database (lost, restored, replaced) is recognised and triggers a full resync (design §5).
CREATE TABLE store_info (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    epoch       TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

-- One row per account the service has seen (admin UI, CLI, events). Secrets are not stored here:
-- they live in the encrypted metadata that Zendesk keeps for us.
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
