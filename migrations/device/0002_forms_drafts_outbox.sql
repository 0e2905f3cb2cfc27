-- Forms, drafts (answers as an append-only event log), the immutable outbox of finalized
-- submissions and their mutable sync status. Times are milliseconds since 1970-01-01T00:00:00Z
-- (the form engine's clock), so a draft's environment is rebuilt exactly when it is resumed.

-- One row per imported form version. A form id + version is never reused with other content
-- (as in ODK): the store refuses an import whose bytes differ from the stored ones.
CREATE TABLE form (
    form_id      TEXT NOT NULL,
    -- The XLSForm `version` setting; '' when the form has none.
    version      TEXT NOT NULL,
    title        TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    -- Lowercase hex SHA-256 of `xlsform`.
    sha256       TEXT NOT NULL CHECK (length(sha256) = 64),
    xlsform      BLOB NOT NULL,
    -- The engine's parsed definition (JSON of fieldline_form::Form), so opening a draft need
    -- not parse the workbook again.
    definition   TEXT NOT NULL,
    imported_at  INTEGER NOT NULL,
    PRIMARY KEY (form_id, version)
) WITHOUT ROWID;

-- An interview in progress. Drafts never leave the device.
CREATE TABLE draft (
    -- UUIDv7, text.
    instance_id   TEXT PRIMARY KEY,
    form_id       TEXT NOT NULL,
    form_version  TEXT NOT NULL,
    -- The interview's start (XLSForm `start`, `today`).
    created_at    INTEGER NOT NULL,
    -- The device's offset from UTC when the interview started, in minutes: dates and times in
    -- the form (`today()`, `start`) are local, as in ODK, and a replay must compute the same ones.
    utc_offset_minutes INTEGER NOT NULL CHECK (utc_offset_minutes BETWEEN -1080 AND 1080),
    -- The enumerator when the interview started (XLSForm `username`), kept with the draft so a
    -- later change of name cannot change what a replay computes.
    username      TEXT NOT NULL,
    updated_at    INTEGER NOT NULL,
    -- Where the enumerator was (a path or screen key chosen by the UI); NULL at the beginning.
    position      TEXT,
    FOREIGN KEY (form_id, form_version) REFERENCES form (form_id, version)
);
CREATE INDEX draft_by_form ON draft (form_id, form_version);

-- Everything done to a draft, in order. Replaying it through the engine rebuilds the instance
-- exactly, repeat structure included; rows are only ever appended (and deleted with the draft).
CREATE TABLE draft_event (
    instance_id  TEXT NOT NULL REFERENCES draft (instance_id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL CHECK (seq >= 1),
    kind         TEXT NOT NULL CHECK (kind IN ('set', 'add_repeat', 'remove_repeat')),
    -- 'set': the leaf's instance path; 'add_repeat': the repeat's path (without a position);
    -- 'remove_repeat': the removed instance's path.
    path         TEXT NOT NULL,
    -- The answer as given ('set' only).
    value        TEXT,
    at           INTEGER NOT NULL,
    PRIMARY KEY (instance_id, seq),
    CHECK ((kind = 'set') = (value IS NOT NULL))
) WITHOUT ROWID;

CREATE TRIGGER draft_event_append_only BEFORE UPDATE ON draft_event
BEGIN
    SELECT RAISE(ABORT, 'a draft''s answer log is append-only');
END;

-- Finalized submissions, exactly as they will be sent. A row never changes and is never
-- deleted (triggers below): what the enumerator finalized is what the campaign receives.
CREATE TABLE outbox (
    instance_id   TEXT PRIMARY KEY,
    form_id       TEXT NOT NULL,
    form_version  TEXT NOT NULL,
    -- Canonical payload (see the crate's payload module), and the lowercase hex SHA-256 of it.
    payload       BLOB NOT NULL,
    sha256        TEXT NOT NULL CHECK (length(sha256) = 64),
    finalized_at  INTEGER NOT NULL,
    -- 1, 2, 3... on this device, without gaps, so the server can tell what it is missing.
    device_seq    INTEGER NOT NULL UNIQUE CHECK (device_seq >= 1),
    FOREIGN KEY (form_id, form_version) REFERENCES form (form_id, version)
);

CREATE TRIGGER outbox_dense_sequence BEFORE INSERT ON outbox
WHEN NEW.device_seq <> (SELECT COALESCE(MAX(device_seq), 0) + 1 FROM outbox)
BEGIN
    SELECT RAISE(ABORT, 'device sequence numbers must be dense');
END;

CREATE TRIGGER outbox_immutable_update BEFORE UPDATE ON outbox
BEGIN
    SELECT RAISE(ABORT, 'a finalized submission can never change');
END;

CREATE TRIGGER outbox_immutable_delete BEFORE DELETE ON outbox
BEGIN
    SELECT RAISE(ABORT, 'a finalized submission can never be deleted');
END;

-- Where each outbox item stands with the server; the only mutable part of a submission.
CREATE TABLE sync_status (
    instance_id      TEXT PRIMARY KEY REFERENCES outbox (instance_id),
    state            TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'rejected')),
    -- The server's reason for a rejection.
    reason           TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    queued_at        INTEGER NOT NULL,
    last_attempt_at  INTEGER,
    -- When the server's answer listed the item as accepted (or as a duplicate of what it holds).
    sent_at          INTEGER,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX sync_status_by_state ON sync_status (state);
