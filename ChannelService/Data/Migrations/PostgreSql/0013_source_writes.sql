-- PostgreSQL form of ../0013_source_writes.sql.
CREATE TABLE source_writes (
    account_id  TEXT PRIMARY KEY,
    writes      BIGINT NOT NULL
);
