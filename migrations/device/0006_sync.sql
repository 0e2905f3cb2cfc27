-- Sync with the campaign server: the enrollment (who this device is to the server), the rounds
-- the server published for the device's campaign with the cursor to ask after, and the round a
-- draft was started for. Times are milliseconds since 1970-01-01T00:00:00Z.

-- One row once the device has enrolled with a one-time code. `device_token` is the device's
-- secret: it authenticates every request from now on (the server keeps only its hash). It lives
-- here, with the interviews it protects; encrypting the database at rest covers both.
CREATE TABLE enrollment (
    singleton          INTEGER PRIMARY KEY CHECK (singleton = 1),
    server_url         TEXT NOT NULL CHECK (length(server_url) > 0),
    device_token       TEXT NOT NULL CHECK (length(device_token) > 0),
    server_id          TEXT NOT NULL,
    campaign_id        TEXT NOT NULL,
    campaign_name      TEXT NOT NULL,
    organization_id    TEXT NOT NULL,
    organization_name  TEXT NOT NULL,
    enrolled_at        INTEGER NOT NULL
);

-- The rounds (baseline, endline, midlines) received from the server, each naming the one form
-- version it published. Written with the rounds cursor in the same transaction as the page
-- that brought them, together with the form.
CREATE TABLE round (
    round_id      TEXT PRIMARY KEY,
    name          TEXT NOT NULL CHECK (length(name) > 0),
    form_id       TEXT NOT NULL,
    form_version  TEXT NOT NULL,
    received_at   INTEGER NOT NULL,
    FOREIGN KEY (form_id, form_version) REFERENCES form (form_id, version)
);
CREATE INDEX round_by_name ON round (name);

-- Where the next download starts: the `cursor` of the last page of rounds applied (0: none yet).
CREATE TABLE sync_cursor (
    stream      TEXT PRIMARY KEY CHECK (stream IN ('rounds')),
    cursor      INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) WITHOUT ROWID;

-- The round a draft was started for (NULL: started from the form alone, e.g. an imported form).
ALTER TABLE draft ADD COLUMN round_name TEXT;
