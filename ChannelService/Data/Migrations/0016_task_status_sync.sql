-- Two-way task status (ZendeskLink/Status/StatusSyncStore.cs owns this table): per task ticket, the last status both
-- sides agreed on, what each side showed last (with its own time), whether each side moved since the agreement, what
-- the service itself wrote to either side (so its read-back is recognised as ours), and the last conflict decided.
CREATE TABLE task_status_sync (
    account_id      TEXT NOT NULL,
    unit_key        TEXT NOT NULL,             -- the task's unit (= its item key)
    subdomain       TEXT,
    ticket_id       INTEGER,
    agreed          TEXT,                      -- open | closed: the last state both sides showed
    agreed_at       TEXT,
    source_state    TEXT,                      -- open | completed | cancelled, as the pull last read it
    source_at       TEXT,                      -- the item's COMPLETED (closed) or LAST-MODIFIED (open)
    source_moved    INTEGER NOT NULL DEFAULT 0,
    source_written  TEXT,                      -- the state the service wrote to the source last (its read-back is ours)
    source_echo     INTEGER NOT NULL DEFAULT 0,-- 1 until that write has been read back once
    ticket_status   TEXT,                      -- Zendesk's status as the change feed passed it last
    ticket_at       TEXT,                      -- that snapshot's updated_at
    ticket_moved    INTEGER NOT NULL DEFAULT 0,
    ticket_written  TEXT,                      -- open | closed: what the service asked Zendesk for last
    ticket_due_at   TEXT,                      -- due_at in the last snapshot
    due_moved       INTEGER NOT NULL DEFAULT 0,-- an agent moved due_at: the next pull moves DUE
    conflict_at     TEXT,
    conflict_note   TEXT,
    last_error      TEXT,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (account_id, unit_key)
);
CREATE INDEX task_status_sync_conflicts ON task_status_sync (conflict_at);
