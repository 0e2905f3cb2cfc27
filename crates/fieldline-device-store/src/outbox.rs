//! Finalizing drafts into the outbox, and what the outbox screen (and sync) reads from it.
//!
//! An outbox row is written once, in a durable transaction, and the schema refuses to change or
//! delete it afterwards; only its `sync_status` row moves (queued -> sent, rejected or
//! conflict). The files sent with a submission (the audit log, the photos, recordings and files
//! given as answers) are written with it, in the same transaction, and are just as immutable.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::audit::{self, AttachmentInfo, AuditConfig, AuditRow, NewAttachment, AUDIT_FILE};
use crate::payload::{sha256_hex, utc_timestamp, Payload, PayloadAttachment, PAYLOAD_FORMAT};
use fieldline_protocol::PayloadEncoding;

use crate::{files, now_millis, DeviceStore, StoreError};

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
    /// The server already holds this instance id with other content; the enumerator must be
    /// told, and sending it again cannot help.
    Conflict,
}

impl SyncState {
    /// How the state is written in `sync_status.state`.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncState::Queued => "queued",
            SyncState::Sent => "sent",
            SyncState::Rejected => "rejected",
            SyncState::Conflict => "conflict",
        }
    }

    fn from_column(state: &str) -> SyncState {
        match state {
            "sent" => SyncState::Sent,
            "rejected" => SyncState::Rejected,
            "conflict" => SyncState::Conflict,
            _ => SyncState::Queued,
        }
    }
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
    /// The server's reason, for a rejected or conflicting item.
    pub reason: Option<String>,
    pub attempts: i64,
    /// The files sent with it (the audit log's `audit.csv`, the photos, recordings and files
    /// given as answers), by name; the payload lists the same ones.
    pub attachments: Vec<AttachmentInfo>,
}

/// What finalizing writes to the outbox.
struct Submission<'a> {
    instance_id: &'a str,
    form_id: &'a str,
    form_version: &'a str,
    payload: &'a [u8],
    sha256: &'a str,
    encoding: PayloadEncoding,
    attachments: &'a [NewAttachment],
    finalized_at: i64,
}

/// How the outbox's `encoding` column names an encoding.
pub(crate) fn encoding_name(encoding: PayloadEncoding) -> &'static str {
    match encoding {
        PayloadEncoding::Json => "json",
        PayloadEncoding::Age => "age",
    }
}

impl DeviceStore {
    /// Finalizes a draft: when the engine finds a required question unanswered or a constraint
    /// broken, returns the first one (message in `language`, the form's default when `None`)
    /// and changes nothing. Otherwise writes the canonical payload, its SHA-256 and the next
    /// device sequence number to the outbox and deletes the draft, in one transaction committed
    /// with `synchronous = FULL` so it survives a power cut.
    ///
    /// When the form has an `audit` question, its log ends with `form finalize` and is written,
    /// as `audit.csv`, to the outbox in the same transaction; the payload lists it and gives it
    /// as the audit question's value.
    ///
    /// The files answering `image`, `audio`, `video` and `file` questions (see
    /// [`DeviceStore::attach_file`]) that are in the submission are copied to the outbox in the
    /// same transaction, under the names the answers give, and the payload lists them; files
    /// the draft kept that are no longer answers are deleted with it. An answer naming a file
    /// the draft does not have blocks finalizing at that question.
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
        let form = draft.instance.form();
        let audit_path = audit::audit_path(form).map(str::to_owned);
        let attachments: Vec<NewAttachment> = match AuditConfig::of(form) {
            Some(config) => {
                let mut rows = audit::rows(&self.conn, instance_id)?;
                // Written only into the file: the draft and its log go in the same transaction.
                rows.push(AuditRow {
                    event: "form finalize".into(),
                    node: String::new(),
                    at: now,
                    old_value: None,
                    new_value: None,
                });
                vec![NewAttachment::audit(audit::csv(&rows, config, &username))]
            }
            None => Vec::new(),
        };
        let mut values: Vec<(String, String)> = draft
            .instance
            .submission()
            .into_iter()
            .map(|v| (v.path, v.value))
            .collect();
        if let Some(path) = audit_path.filter(|_| !attachments.is_empty()) {
            for (p, value) in &mut values {
                if *p == path {
                    *value = AUDIT_FILE.to_owned();
                }
            }
        }
        // Every file that is an answer in the submission goes with it; files the draft kept
        // that are no longer answers (replaced, or their question no longer relevant) do not.
        let file_questions = files::file_question_paths(form);
        let mut attachments = attachments;
        let mut sent_files = std::collections::BTreeSet::new();
        for (path, name) in &values {
            if name.is_empty()
                || !file_questions.contains(files::without_positions(path).as_str())
                || !sent_files.insert(name.as_str())
            {
                continue;
            }
            match files::submitted_file(&self.conn, instance_id, name)? {
                Some(file) => attachments.push(file),
                None => {
                    return Ok(FinalizeOutcome::Blocked {
                        path: path.clone(),
                        message: format!(
                            "the file {name} given as this answer is not on this device; take \
                             the photo, make the recording or choose the file again"
                        ),
                    })
                }
            }
        }
        attachments.sort_by(|a, b| a.name.cmp(&b.name));
        let payload = Payload {
            format: PAYLOAD_FORMAT,
            form_id: form_id.clone(),
            form_version: form_version.clone(),
            instance_id: instance_id.to_owned(),
            device_id,
            username,
            start: utc_timestamp(created_at),
            end: utc_timestamp(now),
            values,
            attachments: attachments
                .iter()
                .map(|a| PayloadAttachment {
                    name: a.name.clone(),
                    media_type: a.media_type.clone(),
                    sha256: a.sha256.clone(),
                    size: a.size as u64,
                })
                .collect(),
        }
        .to_bytes();
        // An end-to-end encrypted campaign: the outbox gets the sealed bytes only, the files
        // inside them; nothing readable is written.
        let (payload, attachments, encoding) = match crate::seal::pinned_recipients(&self.conn)? {
            None => (payload, attachments, PayloadEncoding::Json),
            Some(recipients) => {
                let contents =
                    crate::seal::contents(&self.conn, instance_id, &payload, &attachments)?;
                let binding = fieldline_seal::Binding {
                    instance_id: instance_id.to_owned(),
                    form_id: form_id.clone(),
                    form_version: form_version.clone(),
                };
                let sealed = fieldline_seal::seal(&recipients, &binding, &contents)
                    .map_err(|e| StoreError::Sealing(e.to_string()))?;
                (sealed, Vec::new(), PayloadEncoding::Age)
            }
        };
        let sha256 = sha256_hex(&payload);

        let device_seq = self.durably(|store| {
            store.write_outbox(&Submission {
                instance_id,
                form_id: &form_id,
                form_version: &form_version,
                payload: &payload,
                sha256: &sha256,
                encoding,
                attachments: &attachments,
                finalized_at: now,
            })
        })?;
        Ok(FinalizeOutcome::Finalized {
            instance_id: instance_id.to_owned(),
            device_seq,
            sha256,
        })
    }

    /// Runs `f` with `synchronous = FULL`, so what it commits is on disk before this returns,
    /// whatever a power cut does next (autosave's `NORMAL` may lose the last answers to one, never
    /// a finalized interview); `NORMAL` comes back afterwards, even when `f` failed, whose error
    /// then comes first.
    fn durably<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.conn.execute_batch("PRAGMA synchronous = FULL")?;
        let out = f(self);
        let restored = self.conn.execute_batch("PRAGMA synchronous = NORMAL");
        let out = out?;
        restored?;
        Ok(out)
    }

    /// Writes the submission, its attachments and its sync status and deletes the draft (its
    /// log and audit log with it), in one transaction.
    fn write_outbox(&mut self, submission: &Submission<'_>) -> Result<i64, StoreError> {
        let Submission {
            instance_id,
            form_id,
            form_version,
            payload,
            sha256,
            encoding,
            attachments,
            finalized_at: now,
        } = *submission;
        let tx = self.conn.transaction()?;
        let device_seq: i64 = tx.query_row(
            "SELECT COALESCE(MAX(device_seq), 0) + 1 FROM outbox",
            [],
            |row| row.get(0),
        )?;
        tx.execute(
            "INSERT INTO outbox (instance_id, form_id, form_version, payload, sha256,
                                 finalized_at, device_seq, encoding)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                instance_id,
                form_id,
                form_version,
                payload,
                sha256,
                now,
                device_seq,
                encoding_name(encoding)
            ],
        )?;
        for a in attachments {
            match &a.bytes {
                Some(bytes) => {
                    tx.execute(
                        "INSERT INTO outbox_attachment
                             (instance_id, name, media_type, sha256, size, bytes)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![instance_id, a.name, a.media_type, a.sha256, a.size, bytes],
                    )?;
                }
                None => {
                    // The draft's file, byte for byte, checked against what the payload says.
                    let copied = tx.execute(
                        "INSERT INTO outbox_attachment
                             (instance_id, name, media_type, sha256, size, bytes)
                         SELECT instance_id, name, media_type, sha256, size, bytes
                         FROM draft_file
                         WHERE instance_id = ?1 AND name = ?2 AND sha256 = ?3 AND size = ?4",
                        params![instance_id, a.name, a.sha256, a.size],
                    )?;
                    if copied != 1 {
                        return Err(StoreError::MissingDraftFile {
                            instance_id: instance_id.to_owned(),
                            name: a.name.clone(),
                        });
                    }
                }
            }
        }
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
                state: SyncState::from_column(&state),
                reason: row.get(8)?,
                attempts: row.get(9)?,
                attachments: Vec::new(),
            })
        })?;
        let mut entries: Vec<OutboxEntry> = rows.collect::<Result<_, _>>()?;
        let mut stmt = self.conn.prepare(
            "SELECT name, media_type, sha256, size FROM outbox_attachment
             WHERE instance_id = ?1 ORDER BY name",
        )?;
        for entry in &mut entries {
            let rows = stmt.query_map([&entry.instance_id], |row| {
                Ok(AttachmentInfo {
                    name: row.get(0)?,
                    media_type: row.get(1)?,
                    sha256: row.get(2)?,
                    size: row.get(3)?,
                })
            })?;
            entry.attachments = rows.collect::<Result<_, _>>()?;
        }
        Ok(entries)
    }

    /// The bytes of a file sent with a finalized submission (`audit.csv`, a photo...), as
    /// stored when it was finalized.
    pub fn outbox_attachment(&self, instance_id: &str, name: &str) -> Result<Vec<u8>, StoreError> {
        self.conn
            .query_row(
                "SELECT bytes FROM outbox_attachment WHERE instance_id = ?1 AND name = ?2",
                [instance_id, name],
                |row| row.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::UnknownAttachment {
                instance_id: instance_id.to_owned(),
                name: name.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synchronous(store: &DeviceStore) -> i64 {
        store
            .conn
            .query_row("PRAGMA synchronous", [], |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn a_durable_write_commits_with_full_sync_and_autosave_gets_normal_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = DeviceStore::open(dir.path()).unwrap();
        // 1 = NORMAL, 2 = FULL.
        assert_eq!(synchronous(&store), 1);
        let inside = store.durably(|s| Ok(synchronous(s))).unwrap();
        assert_eq!(inside, 2);
        assert_eq!(synchronous(&store), 1);
        let failed: Result<(), StoreError> =
            store.durably(|_| Err(StoreError::UnknownDraft("x".into())));
        assert!(failed.is_err());
        assert_eq!(synchronous(&store), 1, "a failed write left FULL behind");
    }
}
