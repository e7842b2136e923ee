-- PostgreSQL form of ../0007_bounded_event_storage.sql. SQLite's instr is strpos here; "a later link of a thread
-- replaces an earlier one" is DISTINCT ON keeping the newest per thread (one statement may not update a row twice).
CREATE TABLE ticket_links_by_thread (
    thread_id    TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL,
    ticket_id    BIGINT NOT NULL,
    comment_id   BIGINT,
    external_id  TEXT NOT NULL,
    request_id   TEXT,
    created_at   TEXT NOT NULL
);

INSERT INTO ticket_links_by_thread (thread_id, account_id, ticket_id, comment_id, external_id, request_id, created_at)
SELECT DISTINCT ON (thread_id) thread_id, account_id, ticket_id, comment_id, external_id, request_id, created_at
FROM (
    SELECT substr(external_id, 1, strpos(external_id, '-') + 24) AS thread_id,
           substr(external_id, 1, strpos(external_id, '-') - 1) AS account_id,
           substr(external_id, strpos(external_id, '-') + 1, 24) AS unit_key,
           ticket_id, comment_id, external_id, request_id, created_at
    FROM ticket_links
    WHERE strpos(external_id, '-') > 1
      AND length(external_id) >= strpos(external_id, '-') + 24
      AND (length(external_id) = strpos(external_id, '-') + 24 OR substr(external_id, strpos(external_id, '-') + 25, 1) = '-')
) AS candidate
WHERE EXISTS (SELECT 1 FROM pull_mirror m WHERE m.account_id = candidate.account_id AND m.unit_key = candidate.unit_key)
   OR EXISTS (SELECT 1 FROM outbox o WHERE o.account_id = candidate.account_id AND o.thread_id = candidate.thread_id)
ORDER BY thread_id, created_at DESC;

DROP TABLE ticket_links;
ALTER TABLE ticket_links_by_thread RENAME TO ticket_links;
ALTER INDEX ticket_links_by_thread_pkey RENAME TO ticket_links_pkey;
CREATE INDEX ticket_links_by_account ON ticket_links (account_id);

DELETE FROM event_log WHERE account_id IS NULL AND id NOT IN (
    SELECT id FROM event_log WHERE account_id IS NULL ORDER BY id DESC LIMIT 500);
