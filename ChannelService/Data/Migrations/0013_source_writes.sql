-- Writes per account to its source items (Sources/SourceItemStore.cs): the quick no-change pull compares the count it
-- remembered with the current one. SQLite keeps the count in the process (one service per data folder); on PostgreSQL
-- another instance may have written, so the quick path reads this row (README, "Scale-out"). Never deleted with the
-- items: a count that restarted could meet the remembered value again.
CREATE TABLE source_writes (
    account_id  TEXT PRIMARY KEY,
    writes      INTEGER NOT NULL
);
