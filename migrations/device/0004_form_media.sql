-- The media files a form shows or plays (its `image`, `big-image`, `audio` and `video` columns,
-- on questions and choices, in every language), kept with the form so an interview works
-- offline: pictures and spoken prompts for respondents who cannot read.
--
-- A form version's files are fixed like its content: a name, once stored, always means the same
-- bytes (the trigger below refuses changes; the store refuses an import with other bytes). Files
-- may arrive after their form, so rows are added by later imports of the same form. A row goes
-- with its form if the form is ever deleted.
--
-- A plain rowid table, not WITHOUT ROWID: rows hold whole files, and SQLite keeps large rows
-- best in a rowid table with the primary key as a separate index.
CREATE TABLE form_media (
    form_id      TEXT NOT NULL,
    version      TEXT NOT NULL,
    -- The file name as the form's media columns write it (e.g. 'consent-hi.mp3').
    name         TEXT NOT NULL CHECK (length(name) > 0),
    -- From the name's extension (image/png, audio/mpeg...); application/octet-stream otherwise.
    media_type   TEXT NOT NULL,
    -- Lowercase hex SHA-256 of `bytes`.
    sha256       TEXT NOT NULL CHECK (length(sha256) = 64),
    size         INTEGER NOT NULL CHECK (size = length(bytes)),
    bytes        BLOB NOT NULL,
    PRIMARY KEY (form_id, version, name),
    FOREIGN KEY (form_id, version) REFERENCES form (form_id, version) ON DELETE CASCADE
);

CREATE TRIGGER form_media_immutable_update BEFORE UPDATE ON form_media
BEGIN
    SELECT RAISE(ABORT, 'a form''s media file can never change; publish a new form version');
END;
