-- The pull's mirror (design §5): per account, what Zendesk has acknowledged and what the newest response sent.
-- A pull whose state carries the generation of the pending response acknowledges it (promote); any other
-- generation means that response never arrived (discard and compute again; deterministic ids make it harmless).
CREATE TABLE pull_accounts (
    account_id          TEXT PRIMARY KEY,
    issued_generation   INTEGER NOT NULL DEFAULT 0,  -- the generation of the newest response we answered
    pending_generation  INTEGER,                     -- that response's generation while it is unacknowledged
    first_synced_at     TEXT,                        -- when the first response was acknowledged (the "first sync")
    last_pull_at        TEXT,
    last_result         TEXT
);

-- One row per ticket (unit): a task, an event, or one occurrence of a recurring event.
CREATE TABLE pull_mirror (
    account_id         TEXT NOT NULL,
    unit_key           TEXT NOT NULL,
    item_key           TEXT NOT NULL,      -- the source item (series master for occurrences)
    series_uid         TEXT,               -- occurrences: the series UID
    occurrence_date    TEXT,               -- occurrences: the original local date (yyyy-MM-dd)
    acked_version      TEXT,
    acked_snapshot     TEXT,
    acked_ordinal      INTEGER NOT NULL DEFAULT 0,
    pending_generation INTEGER,
    pending_version    TEXT,
    pending_snapshot   TEXT,
    pending_ordinal    INTEGER,
    PRIMARY KEY (account_id, unit_key)
);

CREATE INDEX pull_mirror_pending ON pull_mirror (account_id, pending_generation);
