-- PostgreSQL form of ../0002_sources.sql.
CREATE TABLE source_items (
    account_id      TEXT NOT NULL,
    item_key        TEXT NOT NULL,
    kind            TEXT NOT NULL,
    uid             TEXT,
    recurrence_id   TEXT,
    content_version TEXT NOT NULL,
    raw_ics         TEXT NOT NULL,
    href            TEXT,
    etag            TEXT,
    web_url         TEXT,
    deleted         BIGINT NOT NULL DEFAULT 0,
    first_seen      TEXT NOT NULL,
    changed_at      TEXT NOT NULL,
    deleted_at      TEXT,
    PRIMARY KEY (account_id, item_key)
);

CREATE INDEX source_items_by_uid ON source_items (account_id, uid);

CREATE TABLE source_cursors (
    account_id  TEXT PRIMARY KEY,
    cursor      TEXT,
    updated_at  TEXT NOT NULL
);
