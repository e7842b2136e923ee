-- REST API work for linked Zendesk accounts (issue 17), owned by ZendeskLink/Work/ApiWorkStore.cs. The pull (and the
-- resources_created event) only writes rows here; a background worker applies them, so no Zendesk API call ever
-- happens inside a pull request. One row per ticket unit: a newer intent replaces the older one (version + 1), and
-- a row whose item has a time still ahead (an event's start or end, a task's DUE) stays, due at that time.
-- A worker claims due rows with a lease; a row whose lease ran out (a crashed or stopped worker) is claimed again,
-- and only the lease holder of an unchanged version may complete it, so work is applied once.
CREATE TABLE zendesk_api_work (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    TEXT NOT NULL,
    unit_key      TEXT NOT NULL,
    subdomain     TEXT NOT NULL,
    intent        TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    due_at        TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    lease_owner   TEXT,
    lease_until   TEXT,
    last_error    TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (account_id, unit_key)
);
CREATE INDEX zendesk_api_work_due ON zendesk_api_work (due_at);

-- What the service last set on each ticket it manages, per property (ZendeskLink/Tickets/TicketPropertyStore.cs):
-- a property is sent again only when the item's value differs from this, so an agent's own edit in Zendesk is never
-- overwritten with an unchanged value. ticket_id is the ticket confirmed through the API to be this unit's.
CREATE TABLE zendesk_ticket_properties (
    account_id   TEXT NOT NULL,
    unit_key     TEXT NOT NULL,
    ticket_id    INTEGER NOT NULL,
    applied      TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (account_id, unit_key)
);
