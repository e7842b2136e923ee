-- PostgreSQL form of ../0009_zendesk_link.sql (integers BIGINT, as SQLite's are 64-bit).
-- The OAuth link of each Zendesk subdomain to the REST API (README, "Zendesk link"). Owner: ZendeskLink/ZendeskLinkStore.cs.
-- Secrets and tokens are sealed (Accounts/SecretSealer, bound to the subdomain); `version` is the compare-and-swap
-- counter a renewal checks, so a rotated token pair is stored once and never overwritten by a slower renewal.
CREATE TABLE zendesk_links (
    subdomain TEXT NOT NULL PRIMARY KEY,
    grant_kind TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret_sealed TEXT,
    access_token_sealed TEXT NOT NULL,
    refresh_token_sealed TEXT,
    access_expires_at TEXT,
    refresh_expires_at TEXT,
    scope TEXT,
    version BIGINT NOT NULL,
    linked_at TEXT NOT NULL,
    renewed_at TEXT NOT NULL,
    renewed_after_rejection BIGINT NOT NULL DEFAULT 0,
    last_call_at TEXT,
    last_call_status TEXT,
    last_error TEXT,
    broken_at TEXT
);

-- "Connect to Zendesk" authorisations under way: the hash of the OAuth `state` (the state itself is never stored),
-- the subdomain it may link and its sealed PKCE verifier. Single use, expiring. Owner: ZendeskLink/OAuth/PendingAuthorizations.cs.
CREATE TABLE zendesk_oauth_pending (
    state_hash TEXT NOT NULL PRIMARY KEY,
    subdomain TEXT NOT NULL,
    verifier_sealed TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
