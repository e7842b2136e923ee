-- Push credentials per account (design §9): the token is sealed with a key-ring purpose key (AES-GCM), never plain.
CREATE TABLE push_credentials (
    account_id        TEXT PRIMARY KEY,
    subdomain         TEXT NOT NULL,
    instance_push_id  TEXT NOT NULL,
    token_sealed      TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

-- Inbox signing secrets (sealed like push tokens) and the callback URL replies are posted to.
CREATE TABLE inbox_accounts (
    account_id     TEXT PRIMARY KEY,
    callback_url   TEXT NOT NULL,
    secret_sealed  TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

-- Work for Zendesk, written in the transaction that accepts it. Pushed by the outbox worker when the account can
-- push, otherwise handed to the next pull (IInboxBacklog). external_id is deterministic, so a repeat is harmless.
CREATE TABLE outbox (
    seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id          TEXT NOT NULL,
    external_id         TEXT NOT NULL,
    thread_id           TEXT NOT NULL,
    source_thread       TEXT,
    author_external_id  TEXT NOT NULL,
    resource            TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'parked')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    last_error          TEXT,
    created_at          TEXT NOT NULL,
    delivered_at        TEXT,
    UNIQUE (account_id, external_id)
);
CREATE INDEX outbox_pending ON outbox (account_id, status, seq);

-- Every event callback, without its metadata (a bearer credential): type, account, error and a summary.
CREATE TABLE event_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at  TEXT NOT NULL,
    type_id      TEXT NOT NULL,
    subdomain    TEXT,
    account_id   TEXT,
    error        TEXT,
    summary      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX event_log_received ON event_log (received_at);

-- external_id -> Zendesk ticket, from resources_created_from_external_ids.
CREATE TABLE ticket_links (
    external_id  TEXT PRIMARY KEY,
    ticket_id    INTEGER NOT NULL,
    comment_id   INTEGER,
    request_id   TEXT,
    created_at   TEXT NOT NULL
);

-- Errors the dashboard shows (asynchronous channelback failures without push credentials, push failures).
CREATE TABLE service_errors (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    account_id   TEXT,
    source       TEXT NOT NULL,
    message      TEXT NOT NULL
);

ALTER TABLE accounts ADD COLUMN last_pull_at TEXT;
ALTER TABLE accounts ADD COLUMN last_pull_result TEXT;
