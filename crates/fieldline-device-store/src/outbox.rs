//! Finalizing drafts into the outbox, and what the outbox screen (and sync) reads from it.
//!
//! An outbox row is written once, in a durable transaction, and the schema refuses to change or
//! delete it afterwards; only its `sync_status` row moves (queued -> sent or rejected).

use rusqlite::params;
use serde::Serialize;

use crate::payload::{sha256_hex, utc_timestamp, Payload, PAYLOAD_FORMAT};
use crate::{now_millis, DeviceStore, StoreError};

/// The result of asking to finalize a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum FinalizeOutcome {
    /// The draft is now a submission in the outbox and the draft is gone.
    Finalized {
        instance_id: String,
        device_seq: i64,
        sha256: String,
    },
    /// The first question that must be fixed; nothing was changed.
    Blocked { path: String, message: String },
}

/// Where an outbox item stands with the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    Queued,
    Sent,
    Rejected,
}

/// One finalized submission with its sync status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    pub instance_id: String,
    pub form_id: String,
    pub form_version: String,
    pub device_seq: i64,
    pub sha256: String,
    pub finalized_at: i64,
    pub payload: Vec<u8>,
    pub state: SyncState,
    /// The server's reason, for a rejected item.
    pub reason: Option<String>,
    pub attempts: i64,
}

impl DeviceStore {
    /// Finalizes a draft: when the engine finds a required question unanswered or a constraint
    /// broken, returns the first one (message in `language`, the form's default when `None`)
    /// and changes nothing. Otherwise writes the canonical payload, its SHA-256 and the next
    /// device sequence number to the outbox and deletes the draft, in one transaction committed
    /// with `synchronous = FULL` so it survives a power cut.
    pub fn finalize(
        &mut self,
        instance_id: &str,
        language: Option<&str>,
    ) -> Result<FinalizeOutcome, StoreError> {
        let (form_id, form_version, created_at, username): (String, String, i64, String) = self
            .conn
            .query_row(
                "SELECT form_id, form_version, created_at, username FROM draft
                 WHERE instance_id = ?1",
                [instance_id],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .map_err(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => {
                    StoreError::UnknownDraft(instance_id.to_owned())
                }
                e => e.into(),
            })?;
        let device_id = self.profile()?.device_id;
        let now = now_millis();
        let live = self.live_draft(instance_id)?;
        if let Some(problem) = live.instance.first_problem(language) {
            return Ok(FinalizeOutcome::Blocked {
                path: problem.path,
                message: problem.message,
            });
        }
        // Stamping `end` changes the cached instance: forget it whatever happens next.
        let mut draft = self.open_draft.take().expect("live draft cached");
        draft.instance.finalize_time(now as f64);
        let payload = Payload {
            format: PAYLOAD_FORMAT,
            form_id: form_id.clone(),
            form_version: form_version.clone(),
            instance_id: instance_id.to_owned(),
            device_id,
            username,
            start: utc_timestamp(created_at),
            end: utc_timestamp(now),
            values: draft
                .instance
                .submission()
                .into_iter()
                .map(|v| (v.path, v.value))
                .collect(),
        }
        .to_bytes();
        let sha256 = sha256_hex(&payload);

        self.conn.execute_batch("PRAGMA synchronous = FULL")?;
        let written =
            self.write_outbox(instance_id, &form_id, &form_version, &payload, &sha256, now);
        // Back to the autosave setting even when the write failed.
        self.conn.execute_batch("PRAGMA synchronous = NORMAL")?;
        let device_seq = written?;
        Ok(FinalizeOutcome::Finalized {
            instance_id: instance_id.to_owned(),
            device_seq,
            sha256,
        })
    }

    fn write_outbox(
        &mut self,
        instance_id: &str,
        form_id: &str,
        form_version: &str,
        payload: &[u8],
        sha256: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        let tx = self.conn.transaction()?;
        let device_seq: i64 = tx.query_row(
            "SELECT COALESCE(MAX(device_seq), 0) + 1 FROM outbox",
            [],
            |row| row.get(0),
        )?;
        tx.execute(
            "INSERT INTO outbox (instance_id, form_id, form_version, payload, sha256,
                                 finalized_at, device_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                instance_id,
                form_id,
                form_version,
                payload,
                sha256,
                now,
                device_seq
            ],
        )?;
        tx.execute(
            "INSERT INTO sync_status (instance_id, state, queued_at, updated_at)
             VALUES (?1, 'queued', ?2, ?2)",
            params![instance_id, now],
        )?;
        tx.execute("DELETE FROM draft WHERE instance_id = ?1", [instance_id])?;
        tx.commit()?;
        Ok(device_seq)
    }

    /// Every finalized submission in device order, with its sync state.
    pub fn list_outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT o.instance_id, o.form_id, o.form_version, o.device_seq, o.sha256,
                    o.finalized_at, o.payload, s.state, s.reason, s.attempts
             FROM outbox o JOIN sync_status s USING (instance_id)
             ORDER BY o.device_seq",
        )?;
        let rows = stmt.query_map([], |row| {
            let state: String = row.get(7)?;
            Ok(OutboxEntry {
                instance_id: row.get(0)?,
                form_id: row.get(1)?,
                form_version: row.get(2)?,
                device_seq: row.get(3)?,
                sha256: row.get(4)?,
                finalized_at: row.get(5)?,
                payload: row.get(6)?,
                state: match state.as_str() {
                    "sent" => SyncState::Sent,
                    "rejected" => SyncState::Rejected,
                    _ => SyncState::Queued,
                },
                reason: row.get(8)?,
                attempts: row.get(9)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
