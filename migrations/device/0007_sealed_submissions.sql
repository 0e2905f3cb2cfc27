-- End-to-end encrypted campaigns. The campaign's public keys (age recipients, one per line)
-- arrive with the enrollment and are pinned there: the server cannot later swap in a key of its
-- own or switch encryption off; new keys take a new enrollment. While they are set, every
-- finalized submission is sealed to them before it is written, so the outbox holds only
-- ciphertext (its files travel inside the seal, never as outbox_attachment rows).
ALTER TABLE enrollment ADD COLUMN recipients TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN encoding TEXT NOT NULL DEFAULT 'json'
    CHECK (encoding IN ('json', 'age'));
