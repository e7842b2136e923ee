-- What each account's source held when it was last read (ChannelService/Sources/SourceItemStore.cs): one row
-- per item, keyed by (UID, RECURRENCE-ID) hashed (design §4). The content version turns a full feed download
-- into a delta; the raw text lets the pull re-evaluate event windows and expand recurrences without asking
-- the source ("time moves even when the source does not", design §5) and keeps the object for write-back.
-- Deleted items stay as tombstones so a later reappearance is a change of a known ticket, not a new one.
CREATE TABLE source_items (
    account_id      TEXT NOT NULL,
    item_key        TEXT NOT NULL,
    kind            TEXT NOT NULL,          -- event | task
    uid             TEXT,                   -- null: the item had no UID and item_key is synthetic
    recurrence_id   TEXT,                   -- canonical text; null for a series master or a single item
    content_version TEXT NOT NULL,
    raw_ics         TEXT NOT NULL,          -- self-contained VCALENDAR: the component plus the VTIMEZONEs it uses
    href            TEXT,                   -- CalDAV resource holding the item; null for feeds
    etag            TEXT,                   -- CalDAV ETag of that resource, verbatim; null for feeds
    web_url         TEXT,                   -- the item's http(s) URL property, for clickthrough
    deleted         INTEGER NOT NULL DEFAULT 0,
    first_seen      TEXT NOT NULL,
    changed_at      TEXT NOT NULL,
    deleted_at      TEXT,
    PRIMARY KEY (account_id, item_key)
);

CREATE INDEX source_items_by_uid ON source_items (account_id, uid);

-- The source cursor (feed validators and body hash, CalDAV sync token) that matches the rows above. It is
-- written in the same transaction as the rows: a cursor from another moment would not match the stored
-- versions and the computed delta would be wrong.
CREATE TABLE source_cursors (
    account_id  TEXT PRIMARY KEY,
    cursor      TEXT,
    updated_at  TEXT NOT NULL
);
