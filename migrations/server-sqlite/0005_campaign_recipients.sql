-- End-to-end encrypted campaigns: the age public keys (X25519, `age1...`) every submission is
-- sealed to on the device. Only public keys ever reach the server; it stores the sealed bytes it
-- cannot read. Keys are added when the campaign is created and never changed: devices pin them
-- at enrollment, so a key replaced here would not be used anyway.
CREATE TABLE campaign_recipient (
    campaign_id  TEXT NOT NULL REFERENCES campaign (id),
    position     INTEGER NOT NULL,
    recipient    TEXT NOT NULL,
    added_at     TEXT NOT NULL,
    PRIMARY KEY (campaign_id, position),
    UNIQUE (campaign_id, recipient)
);
