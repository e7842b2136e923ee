-- After a resync (a pull state from another store epoch: the data folder was lost or replaced), the first sync of
-- the account in the earlier store, as that state carried it. Closed tasks finished after it may have tickets
-- already and get their closing notice (README, "The pull"). NULL for accounts that never resynced.
ALTER TABLE pull_accounts ADD COLUMN earlier_first_sync_at TEXT;
