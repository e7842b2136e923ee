-- PostgreSQL form of ../0004_caldav.sql.
CREATE TABLE caldav_etag_snapshots (
    collection_url TEXT NOT NULL,
    snapshot_id    TEXT NOT NULL,
    etags          TEXT NOT NULL,
    saved_at       TEXT NOT NULL,
    PRIMARY KEY (collection_url, snapshot_id)
);

CREATE INDEX caldav_etag_snapshots_by_age ON caldav_etag_snapshots (collection_url, saved_at);
