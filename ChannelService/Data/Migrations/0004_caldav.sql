-- href -> ETag maps of the CalDAV getctag fallback (ChannelService/Sources/CalDav/SqliteCalDavEtagStore.cs),
-- for collections whose map is too large to travel inline in the pull state. A snapshot is immutable and named
-- by a hash of its content, so a repeated pull with an older cursor still finds the map it was based on; a
-- missing snapshot only costs a full resync. The newest few per collection are kept.
CREATE TABLE caldav_etag_snapshots (
    collection_url TEXT NOT NULL,
    snapshot_id    TEXT NOT NULL,
    etags          TEXT NOT NULL,           -- JSON object: href -> ETag exactly as the server sent it
    saved_at       TEXT NOT NULL,
    PRIMARY KEY (collection_url, snapshot_id)
);

CREATE INDEX caldav_etag_snapshots_by_age ON caldav_etag_snapshots (collection_url, saved_at);
