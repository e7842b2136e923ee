-- PostgreSQL form of ../0008_pull_resync.sql.
ALTER TABLE pull_accounts ADD COLUMN earlier_first_sync_at TEXT;
