-- Retention (Data/Retention.cs, README "Retention"): the history tables are pruned by age in small batches. Parked
-- outbox items are pruned by when they were parked (items parked before this migration count from their creation),
-- and the indexes let each batch find its oldest rows without a scan.
ALTER TABLE outbox ADD COLUMN parked_at TEXT;
UPDATE outbox SET parked_at = created_at WHERE status = 'parked';
CREATE INDEX outbox_by_status_age ON outbox (status, delivered_at);
CREATE INDEX channelback_requests_by_age ON channelback_requests (created_at);
CREATE INDEX service_errors_by_age ON service_errors (at);
CREATE INDEX source_items_tombstones ON source_items (deleted, deleted_at);
