-- The files a draft's `image`, `audio`, `video` and `file` questions were answered with: the
-- photo taken, the recording made, the file picked. The answer's value (in draft_event) is the
-- file's name here; the file and that answer are written in the same transaction. Finalizing
-- copies the files that are still answers into outbox_attachment; the others (replaced, or on
-- a question no longer relevant) go with the draft. Times are milliseconds since
-- 1970-01-01T00:00:00Z.
--
-- A file, once kept, never changes (the trigger below): a new capture is a new file with a new
-- name. Rows are deleted only with their draft.
--
-- A plain rowid table, not WITHOUT ROWID: rows hold whole files, and SQLite keeps large rows
-- best in a rowid table with the primary key as a separate index.
CREATE TABLE draft_file (
    instance_id  TEXT NOT NULL REFERENCES draft (instance_id) ON DELETE CASCADE,
    -- As ODK Collect names captures: milliseconds since 1970 and the original extension,
    -- lowercased (e.g. '1764000000123.jpg'); unique within the draft.
    name         TEXT NOT NULL CHECK (length(name) > 0),
    -- From the extension (image/jpeg, audio/mp4...); application/octet-stream otherwise.
    media_type   TEXT NOT NULL,
    -- Lowercase hex SHA-256 of `bytes`.
    sha256       TEXT NOT NULL CHECK (length(sha256) = 64),
    size         INTEGER NOT NULL CHECK (size = length(bytes)),
    bytes        BLOB NOT NULL,
    added_at     INTEGER NOT NULL,
    PRIMARY KEY (instance_id, name)
);

CREATE TRIGGER draft_file_immutable_update BEFORE UPDATE ON draft_file
BEGIN
    SELECT RAISE(ABORT, 'a draft''s file can never change; a new capture is a new file');
END;
