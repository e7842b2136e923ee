-- Channelback requests already answered (spec §4: request_unique_identifier is Zendesk's idempotency key).
-- A repeated request answers the recorded external_id and writes nothing. The row is written only after the
-- source accepted the reply; a crash in between is covered by the source's own marker (AlreadyApplied).
CREATE TABLE channelback_requests (
    account_id   TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (account_id, request_id)
);
