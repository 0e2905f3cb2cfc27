-- When each device last made a request, so a coordinator sees which tablet has not synced for
-- days. Written at most once a minute per device; NULL until its first request after enrollment.
ALTER TABLE device ADD COLUMN last_seen_at TEXT;
