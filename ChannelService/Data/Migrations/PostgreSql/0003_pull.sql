-- PostgreSQL form of ../0003_pull.sql.
CREATE TABLE pull_accounts (
    account_id          TEXT PRIMARY KEY,
    issued_generation   BIGINT NOT NULL DEFAULT 0,
    pending_generation  BIGINT,
    first_synced_at     TEXT,
    last_pull_at        TEXT,
    last_result         TEXT
);

CREATE TABLE pull_mirror (
    account_id         TEXT NOT NULL,
    unit_key           TEXT NOT NULL,
    item_key           TEXT NOT NULL,
    series_uid         TEXT,
    occurrence_date    TEXT,
    acked_version      TEXT,
    acked_snapshot     TEXT,
    acked_ordinal      BIGINT NOT NULL DEFAULT 0,
    pending_generation BIGINT,
    pending_version    TEXT,
    pending_snapshot   TEXT,
    pending_ordinal    BIGINT,
    PRIMARY KEY (account_id, unit_key)
);

CREATE INDEX pull_mirror_pending ON pull_mirror (account_id, pending_generation);
