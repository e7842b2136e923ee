-- The admin UI's language for a "Connect to Zendesk" under way (ZendeskLink/OAuth/PendingAuthorizations.cs): Zendesk's
-- redirect to /zendesk/oauth/callback carries only code and state, so the callback page finds its language here.
ALTER TABLE zendesk_oauth_pending ADD COLUMN locale TEXT;
