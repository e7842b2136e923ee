-- PostgreSQL form of ../0006_channelback.sql.
CREATE TABLE channelback_requests (
    account_id   TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (account_id, request_id)
);
