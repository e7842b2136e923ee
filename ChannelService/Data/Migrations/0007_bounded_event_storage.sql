-- Event callbacks are unsigned (spec §7): what they may store is bounded by what this service issued, whatever a
-- caller sends (issue 15 §4). A ticket link is kept per thread of ours (Events/TicketLinkStore.cs), not per
-- external id a caller names: a thread is one of ours when the pull mirror or the outbox holds it.
CREATE TABLE ticket_links_by_thread (
    thread_id    TEXT PRIMARY KEY,          -- {account id}-{24-character unit key}
    account_id   TEXT NOT NULL,
    ticket_id    INTEGER NOT NULL,
    comment_id   INTEGER,
    external_id  TEXT NOT NULL,             -- the id of ours Zendesk reported last for the thread
    request_id   TEXT,
    created_at   TEXT NOT NULL
);

-- Links already stored move to their thread when the thread is one of ours; anything else (ids nobody issued) goes.
-- A later link of a thread replaces an earlier one, as a follow-up ticket replaced the closed one before.
INSERT OR REPLACE INTO ticket_links_by_thread (thread_id, account_id, ticket_id, comment_id, external_id, request_id, created_at)
SELECT thread_id, account_id, ticket_id, comment_id, external_id, request_id, created_at
FROM (
    SELECT substr(external_id, 1, instr(external_id, '-') + 24) AS thread_id,
           substr(external_id, 1, instr(external_id, '-') - 1) AS account_id,
           substr(external_id, instr(external_id, '-') + 1, 24) AS unit_key,
           ticket_id, comment_id, external_id, request_id, created_at, rowid AS position
    FROM ticket_links
    WHERE instr(external_id, '-') > 1
      AND length(external_id) >= instr(external_id, '-') + 24
      AND (length(external_id) = instr(external_id, '-') + 24 OR substr(external_id, instr(external_id, '-') + 25, 1) = '-')
) AS candidate
WHERE EXISTS (SELECT 1 FROM pull_mirror m WHERE m.account_id = candidate.account_id AND m.unit_key = candidate.unit_key)
   OR EXISTS (SELECT 1 FROM outbox o WHERE o.account_id = candidate.account_id AND o.thread_id = candidate.thread_id)
ORDER BY created_at, position;

DROP TABLE ticket_links;
ALTER TABLE ticket_links_by_thread RENAME TO ticket_links;
CREATE INDEX ticket_links_by_account ON ticket_links (account_id);

-- Event log rows no account of ours was proven for (no decryptable metadata): only the newest few stay
-- (Events/EventLog.cs, MaxUnprovenEntries); the rest were what a stranger could post.
DELETE FROM event_log WHERE account_id IS NULL AND id NOT IN (
    SELECT id FROM event_log WHERE account_id IS NULL ORDER BY id DESC LIMIT 500);
