-- Campaigns and everything collected for them: organizations and their people, campaigns and
-- their partners, rounds publishing one immutable form version each, devices enrolled with
-- one-time codes, submissions (immutable once stored), the ones kept aside (rejected or
-- conflicting: never dropped) and attachments uploaded by content hash.
--
-- Ids are UUIDv7 text; times are RFC 3339 UTC text. Secrets (passwords, tokens, codes) are
-- stored only as hashes.

CREATE TABLE organization (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

CREATE TABLE app_user (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organization (id),
    email            TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'partner-admin', 'viewer')),
    password_hash    TEXT NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX app_user_email ON app_user (email COLLATE NOCASE);

CREATE TABLE session (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES app_user (id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX session_user ON session (user_id);

CREATE TABLE campaign (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    owner_id    TEXT NOT NULL REFERENCES organization (id),
    created_at  TEXT NOT NULL
);

CREATE TABLE campaign_partner (
    campaign_id      TEXT NOT NULL REFERENCES campaign (id),
    organization_id  TEXT NOT NULL REFERENCES organization (id),
    added_at         TEXT NOT NULL,
    PRIMARY KEY (campaign_id, organization_id)
);

-- `seq` is the devices' rounds cursor: AUTOINCREMENT never reuses a number, and the single
-- writer commits rounds in seq order, so a cursor only moves forward.
CREATE TABLE round (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    campaign_id   TEXT NOT NULL REFERENCES campaign (id),
    name          TEXT NOT NULL,
    form_id       TEXT NOT NULL,
    form_version  TEXT NOT NULL,
    title         TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    xlsform       BLOB NOT NULL,
    definition    TEXT NOT NULL,
    published_at  TEXT NOT NULL,
    UNIQUE (campaign_id, name),
    UNIQUE (form_id, form_version)
);
CREATE INDEX round_campaign ON round (campaign_id, seq);

CREATE TRIGGER round_immutable BEFORE UPDATE ON round
BEGIN
    SELECT RAISE(ABORT, 'a published round never changes: publish a new round instead');
END;

CREATE TABLE device (
    id               TEXT PRIMARY KEY,
    device_id        TEXT NOT NULL,
    label            TEXT NOT NULL,
    campaign_id      TEXT NOT NULL REFERENCES campaign (id),
    organization_id  TEXT NOT NULL REFERENCES organization (id),
    token_hash       TEXT NOT NULL UNIQUE,
    enrolled_at      TEXT NOT NULL,
    revoked          INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
    revoked_at       TEXT
);
CREATE INDEX device_campaign ON device (campaign_id);

CREATE TABLE enrollment_code (
    code_hash        TEXT PRIMARY KEY,
    campaign_id      TEXT NOT NULL REFERENCES campaign (id),
    organization_id  TEXT NOT NULL REFERENCES organization (id),
    created_at       TEXT NOT NULL,
    used_at          TEXT,
    device           TEXT REFERENCES device (id)
);

CREATE TABLE submission (
    instance_id   TEXT PRIMARY KEY,
    device        TEXT NOT NULL REFERENCES device (id),
    device_seq    INTEGER NOT NULL,
    form_id       TEXT NOT NULL,
    form_version  TEXT NOT NULL,
    round         TEXT NOT NULL REFERENCES round (id),
    sha256        TEXT NOT NULL,
    encoding      TEXT NOT NULL CHECK (encoding IN ('json', 'age')),
    payload       BLOB NOT NULL,
    attachments   TEXT NOT NULL,
    received_at   TEXT NOT NULL
);
CREATE INDEX submission_device ON submission (device, device_seq);
CREATE INDEX submission_round ON submission (round);

CREATE TRIGGER submission_no_update BEFORE UPDATE ON submission
BEGIN
    SELECT RAISE(ABORT, 'a stored submission never changes');
END;
CREATE TRIGGER submission_no_delete BEFORE DELETE ON submission
BEGIN
    SELECT RAISE(ABORT, 'a stored submission is never deleted');
END;

-- Rejected and conflicting submissions, kept for review. The same bytes sent again with the same
-- outcome add no second row.
CREATE TABLE submission_set_aside (
    id            TEXT PRIMARY KEY,
    instance_id   TEXT NOT NULL,
    device        TEXT NOT NULL REFERENCES device (id),
    device_seq    INTEGER NOT NULL,
    form_id       TEXT NOT NULL,
    form_version  TEXT NOT NULL,
    round         TEXT REFERENCES round (id),
    outcome       TEXT NOT NULL CHECK (outcome IN ('rejected', 'conflict')),
    reason        TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    encoding      TEXT NOT NULL CHECK (encoding IN ('json', 'age')),
    payload       BLOB NOT NULL,
    attachments   TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    UNIQUE (instance_id, sha256, outcome)
);
CREATE INDEX submission_set_aside_device ON submission_set_aside (device, device_seq);

CREATE TRIGGER submission_set_aside_no_update BEFORE UPDATE ON submission_set_aside
BEGIN
    SELECT RAISE(ABORT, 'a submission kept aside never changes');
END;

-- Uploaded by content hash, appended chunk by chunk so a broken upload resumes.
CREATE TABLE attachment (
    sha256        TEXT PRIMARY KEY,
    bytes         BLOB NOT NULL,
    complete      INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
    created_at    TEXT NOT NULL,
    completed_at  TEXT
);
