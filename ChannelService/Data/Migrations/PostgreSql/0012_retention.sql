-- PostgreSQL form of ../0012_retention.sql (times are ISO 8601 text here too, so the same statements apply).
ALTER TABLE outbox ADD COLUMN parked_at TEXT;
UPDATE outbox SET parked_at = created_at WHERE status = 'parked';
CREATE INDEX outbox_by_status_age ON outbox (status, delivered_at);
CREATE INDEX channelback_requests_by_age ON channelback_requests (created_at);
CREATE INDEX service_errors_by_age ON service_errors (at);
CREATE INDEX source_items_tombstones ON source_items (deleted, deleted_at);
