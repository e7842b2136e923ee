-- Agents' CalDAV calendars (AgentCalendars/AgentCalDavStore.cs owns both tables): where each agent's task events are
-- written, and which events the service wrote there.

-- One CalDAV calendar per subdomain and agent. The password is sealed with the service's key ring (Accounts/SecretSealer,
-- bound to subdomain and agent), never stored or shown in clear.
CREATE TABLE agent_caldav_targets (
    subdomain       TEXT NOT NULL,
    agent_id        INTEGER NOT NULL,
    collection_url  TEXT NOT NULL,             -- the calendar collection, absolute http(s), checked on connect
    username        TEXT NOT NULL,
    sealed_password TEXT NOT NULL,
    connected_at    TEXT NOT NULL,
    last_write_at   TEXT,                      -- last successful PUT or DELETE
    writes          INTEGER NOT NULL DEFAULT 0, -- successful PUTs and DELETEs since connect
    last_error      TEXT,                      -- kept after a later success (with its time) for the dashboard
    last_error_at   TEXT,
    failures        INTEGER NOT NULL DEFAULT 0, -- consecutive failed passes (0: healthy); sets the back-off
    next_attempt_at TEXT,                      -- no pass before this (back-off after a failure)
    PRIMARY KEY (subdomain, agent_id)
);

-- Every event the service wrote into an agent's calendar: the only resources it ever updates or deletes there.
-- Pending work is this table compared with agent_calendar_tasks (a ticket missing here, a different sequence, or a row
-- here whose ticket left the agent's feed), so nothing is lost with a restart or a failed write.
CREATE TABLE agent_caldav_events (
    subdomain  TEXT NOT NULL,
    agent_id   INTEGER NOT NULL,
    ticket_id  INTEGER NOT NULL,
    href       TEXT NOT NULL,                  -- absolute path of the resource on the CalDAV server
    etag       TEXT,                           -- the ETag of what we wrote (If-Match of the next write)
    sequence   INTEGER NOT NULL,               -- the task's SEQUENCE we wrote
    written_at TEXT NOT NULL,
    PRIMARY KEY (subdomain, agent_id, ticket_id)
);
