-- PostgreSQL form of ../0011_zendesk_change_feed.sql (integers BIGINT, AUTOINCREMENT an identity column).
-- The Zendesk change feed (ZendeskLink/Changes/ChangeFeedStore.cs owns every table here): one row per linked
-- subdomain with its webhook, trigger and export cursor; the durable queues between a delivery or an export page and
-- the handlers; the invocation ids already seen; and the ticket versions the service wrote itself.
CREATE TABLE change_feed_links (
    link_id          TEXT PRIMARY KEY,          -- opaque random id in the webhook URL (never the subdomain)
    subdomain        TEXT NOT NULL UNIQUE,
    state            TEXT NOT NULL,             -- pending (webhook not yet in place) | active
    webhook_id       TEXT,
    trigger_id       TEXT,
    signing_secret   TEXT,                      -- sealed (Accounts/SecretSealer), bound to the link id
    linked_at        TEXT NOT NULL,
    export_start     BIGINT NOT NULL,          -- unix seconds: the first export starts here (the link time)
    export_cursor    TEXT,                      -- after_cursor of the last page whose tickets are queued
    last_export_at   TEXT,
    last_delivery_at TEXT,
    last_error       TEXT
);

CREATE TABLE change_feed_deliveries (
    link_id       TEXT NOT NULL,
    invocation_id TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    PRIMARY KEY (link_id, invocation_id)
);
CREATE INDEX change_feed_deliveries_by_time ON change_feed_deliveries (received_at);

-- A ticket to re-read through the API (a webhook nudge). One row per ticket: nudges coalesce.
CREATE TABLE change_feed_nudges (
    subdomain   TEXT NOT NULL,
    ticket_id   BIGINT NOT NULL,
    queued_at   TEXT NOT NULL,
    due_at      TEXT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT,
    PRIMARY KEY (subdomain, ticket_id)
);

-- The newest version of each ticket passed to the handlers' queue: an older or equal one is not queued again.
CREATE TABLE change_feed_tickets (
    subdomain   TEXT NOT NULL,
    ticket_id   BIGINT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (subdomain, ticket_id)
);

-- One row per ticket and handler waiting for that handler; a newer snapshot replaces a waiting older one.
CREATE TABLE change_feed_dispatch (
    subdomain   TEXT NOT NULL,
    ticket_id   BIGINT NOT NULL,
    handler     TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    snapshot    TEXT NOT NULL,
    due_at      TEXT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT,
    PRIMARY KEY (subdomain, ticket_id, handler)
);
CREATE INDEX change_feed_dispatch_by_due ON change_feed_dispatch (due_at);

CREATE TABLE change_feed_own_writes (
    subdomain   TEXT NOT NULL,
    ticket_id   BIGINT NOT NULL,
    updated_at  TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (subdomain, ticket_id, updated_at)
);

-- Which thread of ours a ticket is, looked up by ticket id for every change (Events/TicketLinkStore.cs).
CREATE INDEX ticket_links_by_ticket ON ticket_links (ticket_id);
