-- The server's whole schema on PostgreSQL: the same tables, constraints and immutability rules as
-- the embedded SQLite database (migrations/server-sqlite/0001 and 0002), written for PostgreSQL.
--
-- Ids are UUIDv7 text. Times are timestamptz, shown as RFC 3339 UTC with milliseconds
-- (`rfc3339()` below), as the SQLite database writes them. Secrets (passwords, tokens, codes) are
-- stored only as hashes.

CREATE FUNCTION rfc3339(t timestamptz) RETURNS text
    LANGUAGE sql STABLE STRICT
    AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

-- Identity of this server installation, created on first start.
CREATE TABLE server_instance (
    singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
    server_id   TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE organization (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE app_user (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organization (id),
    email            TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'partner-admin', 'viewer')),
    password_hash    TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Emails are unique whatever their case (SQLite: COLLATE NOCASE).
CREATE UNIQUE INDEX app_user_email ON app_user (lower(email));

CREATE TABLE session (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES app_user (id),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL
);
-- (`session_user` is a reserved word in PostgreSQL.)
CREATE INDEX session_by_user ON session (user_id);

CREATE TABLE campaign (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    owner_id    TEXT NOT NULL REFERENCES organization (id),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE campaign_partner (
    campaign_id      TEXT NOT NULL REFERENCES campaign (id),
    organization_id  TEXT NOT NULL REFERENCES organization (id),
    added_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, organization_id)
);

-- `seq` is the devices' rounds cursor. A sequence alone would not do: two rounds published at
-- once could commit out of seq order, and a device reading between the two commits would move
-- its cursor past the one still in flight. The storage publishes rounds one at a time (it locks
-- the table against other writers; readers go on) and numbers each max(seq) + 1, so seq follows
-- commit order.
CREATE TABLE round (
    seq           BIGINT PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    campaign_id   TEXT NOT NULL REFERENCES campaign (id),
    name          TEXT NOT NULL,
    form_id       TEXT NOT NULL,
    form_version  TEXT NOT NULL,
    title         TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    xlsform       BYTEA NOT NULL,
    definition    TEXT NOT NULL,
    published_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, name),
    UNIQUE (form_id, form_version)
);
CREATE INDEX round_campaign ON round (campaign_id, seq);

-- Refuses the statement its trigger fires for, with the trigger's argument as the message.
CREATE FUNCTION refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER round_immutable BEFORE UPDATE ON round
    FOR EACH ROW EXECUTE FUNCTION refuse_change('a published round never changes: publish a new round instead');

CREATE TABLE device (
    id               TEXT PRIMARY KEY,
    device_id        TEXT NOT NULL,
    label            TEXT NOT NULL,
    campaign_id      TEXT NOT NULL REFERENCES campaign (id),
    organization_id  TEXT NOT NULL REFERENCES organization (id),
    token_hash       TEXT NOT NULL UNIQUE,
    enrolled_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked          BOOLEAN NOT NULL DEFAULT false,
    revoked_at       TIMESTAMPTZ
);
CREATE INDEX device_campaign ON device (campaign_id);

CREATE TABLE enrollment_code (
    code_hash        TEXT PRIMARY KEY,
    campaign_id      TEXT NOT NULL REFERENCES campaign (id),
    organization_id  TEXT NOT NULL REFERENCES organization (id),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    used_at          TIMESTAMPTZ,
    device           TEXT REFERENCES device (id)
);

CREATE TABLE submission (
    instance_id   TEXT PRIMARY KEY,
    device        TEXT NOT NULL REFERENCES device (id),
    device_seq    BIGINT NOT NULL,
    form_id       TEXT NOT NULL,
    form_version  TEXT NOT NULL,
    round         TEXT NOT NULL REFERENCES round (id),
    sha256        TEXT NOT NULL,
    encoding      TEXT NOT NULL CHECK (encoding IN ('json', 'age')),
    payload       BYTEA NOT NULL,
    attachments   TEXT NOT NULL,
    received_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Listings show submissions in the order they were stored (SQLite: its rowid).
    received_seq  BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE
);
CREATE INDEX submission_device ON submission (device, device_seq);
CREATE INDEX submission_round ON submission (round);

CREATE TRIGGER submission_no_update BEFORE UPDATE ON submission
    FOR EACH ROW EXECUTE FUNCTION refuse_change('a stored submission never changes');
CREATE TRIGGER submission_no_delete BEFORE DELETE ON submission
    FOR EACH ROW EXECUTE FUNCTION refuse_change('a stored submission is never deleted');
-- TRUNCATE skips row triggers: refuse it as a statement.
CREATE TRIGGER submission_no_truncate BEFORE TRUNCATE ON submission
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('a stored submission is never deleted');

-- Rejected and conflicting submissions, kept for review. The same bytes sent again with the same
-- outcome add no second row.
CREATE TABLE submission_set_aside (
    id            TEXT PRIMARY KEY,
    instance_id   TEXT NOT NULL,
    device        TEXT NOT NULL REFERENCES device (id),
    device_seq    BIGINT NOT NULL,
    form_id       TEXT NOT NULL,
    form_version  TEXT NOT NULL,
    round         TEXT REFERENCES round (id),
    outcome       TEXT NOT NULL CHECK (outcome IN ('rejected', 'conflict')),
    reason        TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    encoding      TEXT NOT NULL CHECK (encoding IN ('json', 'age')),
    payload       BYTEA NOT NULL,
    attachments   TEXT NOT NULL,
    received_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    received_seq  BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    UNIQUE (instance_id, sha256, outcome)
);
CREATE INDEX submission_set_aside_device ON submission_set_aside (device, device_seq);

CREATE TRIGGER submission_set_aside_no_update BEFORE UPDATE ON submission_set_aside
    FOR EACH ROW EXECUTE FUNCTION refuse_change('a submission kept aside never changes');

-- Uploaded by content hash, appended chunk by chunk so a broken upload resumes.
CREATE TABLE attachment (
    sha256        TEXT PRIMARY KEY,
    bytes         BYTEA NOT NULL,
    complete      BOOLEAN NOT NULL DEFAULT false,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    completed_at  TIMESTAMPTZ
);
