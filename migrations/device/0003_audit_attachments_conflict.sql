-- The form audit log (XLSForm `audit`), the files sent with a submission (the audit log's
-- audit.csv), and the sync state 'conflict'. Times are milliseconds since 1970-01-01T00:00:00Z.

-- What the enumerator did while filling a draft whose form has an `audit` question, in order:
-- form start/resume/exit/save/finalize, each screen shown, repeats added and removed, and (with
-- `track-changes=true`) each answer changed. Nothing is written for forms without `audit`.
-- Rows are only ever appended, and deleted with the draft; finalizing turns them into audit.csv.
CREATE TABLE draft_audit (
    instance_id  TEXT NOT NULL REFERENCES draft (instance_id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL CHECK (seq >= 1),
    -- ODK Collect's event names; 'answer' is this store's own record of one changed answer
    -- (folded into the screen's 'question' rows of audit.csv, never written as an event).
    event        TEXT NOT NULL CHECK (event IN (
                     'form start', 'form resume', 'form exit', 'form save', 'form finalize',
                     'question', 'group questions', 'prompt new repeat', 'end screen',
                     'add repeat', 'delete repeat', 'answer')),
    -- The instance path or screen key the event is about; '' for the form-level events.
    node         TEXT NOT NULL DEFAULT '',
    at           INTEGER NOT NULL,
    -- 'answer' only: the value before and after.
    old_value    TEXT,
    new_value    TEXT,
    PRIMARY KEY (instance_id, seq),
    CHECK ((event = 'answer') = (old_value IS NOT NULL AND new_value IS NOT NULL))
) WITHOUT ROWID;

CREATE TRIGGER draft_audit_append_only BEFORE UPDATE ON draft_audit
BEGIN
    SELECT RAISE(ABORT, 'a draft''s audit log is append-only');
END;

-- Files that belong to a finalized submission, written in the same transaction as its outbox
-- row and bound to it by the payload, which lists each one's name, size and SHA-256. Like the
-- outbox, a row never changes and is never deleted.
CREATE TABLE outbox_attachment (
    instance_id  TEXT NOT NULL REFERENCES outbox (instance_id),
    -- The file name the submission refers to (e.g. 'audit.csv').
    name         TEXT NOT NULL CHECK (length(name) > 0),
    media_type   TEXT NOT NULL,
    -- Lowercase hex SHA-256 of `bytes`.
    sha256       TEXT NOT NULL CHECK (length(sha256) = 64),
    size         INTEGER NOT NULL CHECK (size = length(bytes)),
    bytes        BLOB NOT NULL,
    PRIMARY KEY (instance_id, name)
) WITHOUT ROWID;

CREATE TRIGGER outbox_attachment_immutable_update BEFORE UPDATE ON outbox_attachment
BEGIN
    SELECT RAISE(ABORT, 'a finalized submission''s attachment can never change');
END;

CREATE TRIGGER outbox_attachment_immutable_delete BEFORE DELETE ON outbox_attachment
BEGIN
    SELECT RAISE(ABORT, 'a finalized submission''s attachment can never be deleted');
END;

-- sync_status gains the state 'conflict': the server holds the same instance id with other
-- bytes; the device shows it and stops retrying. SQLite cannot alter a CHECK constraint, so the
-- table is rebuilt with every row kept. Nothing references sync_status, so dropping the old
-- table cannot trip a foreign key.
CREATE TABLE sync_status_new (
    instance_id      TEXT PRIMARY KEY REFERENCES outbox (instance_id),
    state            TEXT NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'sent', 'rejected', 'conflict')),
    -- The server's reason for a rejection or a conflict.
    reason           TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    queued_at        INTEGER NOT NULL,
    last_attempt_at  INTEGER,
    -- When the server's answer listed the item as accepted (or as a duplicate of what it holds).
    sent_at          INTEGER,
    updated_at       INTEGER NOT NULL
);
INSERT INTO sync_status_new (instance_id, state, reason, attempts, queued_at, last_attempt_at,
                             sent_at, updated_at)
    SELECT instance_id, state, reason, attempts, queued_at, last_attempt_at, sent_at, updated_at
    FROM sync_status;
DROP TABLE sync_status;
ALTER TABLE sync_status_new RENAME TO sync_status;
CREATE INDEX sync_status_by_state ON sync_status (state);
