-- A person who leaves an organization loses access at once: their account is disabled (their
-- sessions end, sign-in is refused) rather than deleted, so the audit log's trail of what they
-- did still names someone. NULL while the account is in use.
ALTER TABLE app_user ADD COLUMN disabled_at TIMESTAMPTZ;
