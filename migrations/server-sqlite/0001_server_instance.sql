-- Identity of this server installation, created on first start.
CREATE TABLE server_instance (
    singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
    server_id   TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
