-- PostgreSQL form of ../0017_agent_calendars.sql (integers BIGINT).
-- Agents' calendars (AgentCalendars/AgentCalendarStore.cs owns every table here): each agent's private feed token,
-- the open task tickets the feeds list, and each linked subdomain's first sync.

-- One row per subdomain and agent (Zendesk user id). The feed URL's token is never stored: only its SHA-256
-- (looked up by that hash) and the random generation it was derived from with the service's key (README,
-- "Calendars for agents"), so a copy of the database alone opens no feed.
CREATE TABLE agent_calendar_tokens (
    subdomain     TEXT NOT NULL,
    agent_id      BIGINT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,        -- hex SHA-256 of the token in the feed URL
    generation    TEXT NOT NULL,               -- 128 random bits (base64url), new on every rotation
    key_id        TEXT NOT NULL,               -- key ring key the token was derived with
    email         TEXT,
    name          TEXT,
    created_at    TEXT NOT NULL,
    rotated_at    TEXT,
    revoked_at    TEXT,                        -- set: the feed answers 404 until rotated again
    last_fetch_at TEXT,
    feed_version  BIGINT NOT NULL DEFAULT 0,     -- bumped whenever a task of this agent's feed changes (render cache key)
    PRIMARY KEY (subdomain, agent_id)
);

-- The newest known state of every task ticket the calendars have seen. in_feed = 0 when the delete rule removes it
-- (solved/closed/deleted, no longer a task, no due date, unassigned): kept so SEQUENCE keeps growing if it returns
-- and an older snapshot (a first sync racing the change feed) never brings it back.
CREATE TABLE agent_calendar_tasks (
    subdomain      TEXT NOT NULL,
    ticket_id      BIGINT NOT NULL,
    assignee_id    BIGINT,
    due_at         TEXT,
    subject        TEXT,
    status         TEXT NOT NULL,
    priority       TEXT,
    requester_id   BIGINT,
    requester_name TEXT,
    updated_at     TEXT NOT NULL,              -- the ticket's updated_at of the stored snapshot
    changed_at     TEXT NOT NULL,              -- updated_at of the snapshot that last changed the event (LAST-MODIFIED)
    sequence       BIGINT NOT NULL DEFAULT 0,
    in_feed        BIGINT NOT NULL,
    PRIMARY KEY (subdomain, ticket_id)
);
CREATE INDEX agent_calendar_tasks_by_agent ON agent_calendar_tasks (subdomain, assignee_id, in_feed, ticket_id);

-- The first sync of a linked subdomain (open task tickets listed through the search export).
CREATE TABLE agent_calendar_syncs (
    subdomain   TEXT PRIMARY KEY,
    synced_at   TEXT,
    tickets     BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT,
    attempted_at TEXT
);
