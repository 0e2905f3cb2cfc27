-- The audit log: who signed in (or failed to), exported data, uploaded a campaign's keys, revoked
-- a device, deleted something or changed someone's role. Admins read it to answer "who saw or
-- changed what, and when"; it is append-only, so nobody who gains the server can quietly rewrite
-- their own trail through the application.
CREATE TABLE audit_event (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    -- What happened, in kebab-case: sign-in, sign-in-refused, sign-out, export, key-upload,
    -- device-revoked, enrollment-codes, deletion, role-granted, role-changed.
    action       TEXT NOT NULL,
    -- Who: a person's email, `device:ID`, or `fieldline admin` for the command line.
    actor        TEXT NOT NULL,
    -- The campaign concerned, if any (no foreign key: the trail outlives what it names).
    campaign_id  TEXT,
    -- What it was done to (a device, a round and format, a user), in words.
    subject      TEXT NOT NULL,
    -- The client's address when it came over HTTP.
    client       TEXT
);
CREATE INDEX audit_event_at ON audit_event (at);

CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: an event never changes');
END;
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: an event is never deleted');
END;
