//! What sync with the campaign server keeps on the device: the enrollment, the rounds received
//! with their cursor, the outbox as envelopes to send, and what the server answered for each.
//!
//! Every method is one short store call (one query or one transaction), so the sync client can
//! lock the store around each call and release it for the network: an interview never waits
//! for more than one of them.

use base64::Engine as _;
use fieldline_protocol::{
    AttachmentRef, Enrolled, Envelope, ItemResult, Named, Outcome, PayloadEncoding, RoundsPage,
};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::forms::{store_parsed, ParsedForm};
use crate::payload::sha256_hex;
use crate::{now_millis, DeviceStore, StoreError, MAX_UTC_OFFSET_MINUTES};

/// The device's enrollment with a campaign server.
#[derive(Clone, PartialEq, Eq)]
pub struct Enrollment {
    pub server_url: String,
    /// The device's secret for `Authorization: Bearer`.
    pub device_token: String,
    pub server_id: String,
    pub campaign: Named,
    pub organization: Named,
    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub enrolled_at: i64,
    /// The campaign's age public keys, pinned at enrollment; empty when it is not end-to-end
    /// encrypted.
    pub recipients: Vec<String>,
}

// The token is a secret: a log line or a panic message must not carry it.
impl std::fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrollment")
            .field("server_url", &self.server_url)
            .field("device_token", &"<secret>")
            .field("server_id", &self.server_id)
            .field("campaign", &self.campaign)
            .field("organization", &self.organization)
            .field("enrolled_at", &self.enrolled_at)
            .finish()
    }
}

/// A round received from the server: interviews for it use its form version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoundInfo {
    pub round_id: String,
    /// `baseline`, `endline`, `midline-1`...
    pub name: String,
    pub form_id: String,
    pub form_version: String,
    /// The form's title.
    pub title: String,
    pub received_at: i64,
}

/// What applying a page of rounds changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedPage {
    /// Rounds of the page not held before, by name.
    pub new_rounds: Vec<String>,
    /// Forms stored by this page (a round reusing a held form stores none).
    pub new_forms: usize,
    pub cursor: i64,
}

/// The outbox and drafts counted for the status line and `fieldline device status`.
///
/// `finalized = pending + sent + rejected + conflict`. Conflicts are kept apart from rejections
/// here (the outbox screen words them differently); `fieldline device status --json` prints
/// `rejected` as both together, since neither will be sent again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SyncCounts {
    pub drafts: i64,
    pub finalized: i64,
    /// Finalized and still queued for the server.
    pub pending: i64,
    pub sent: i64,
    pub rejected: i64,
    pub conflict: i64,
}

/// What the outbox still has to send (see [`DeviceStore::pending_totals`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PendingTotals {
    pub items: u64,
    pub payload_bytes: u64,
    pub attachment_bytes: u64,
}

/// What [`DeviceStore::record_results`] did with a reply's items, by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RecordedResults {
    pub accepted: usize,
    pub duplicate: usize,
    pub rejected: usize,
    pub conflict: usize,
    pub retry: usize,
    /// Items the reply listed that are not queued on this device (unknown ids, or already
    /// settled by an earlier reply): nothing changed for them.
    pub ignored: usize,
}

impl RecordedResults {
    /// Items now sent (accepted or duplicate).
    pub fn sent(&self) -> usize {
        self.accepted + self.duplicate
    }

    /// Adds another reply's counts.
    pub fn add(&mut self, other: &RecordedResults) {
        self.accepted += other.accepted;
        self.duplicate += other.duplicate;
        self.rejected += other.rejected;
        self.conflict += other.conflict;
        self.retry += other.retry;
        self.ignored += other.ignored;
    }
}

const ROUNDS_STREAM: &str = "rounds";

/// A page of rounds with every workbook decoded, hash-checked and read by the engine, ready for
/// [`DeviceStore::apply_prepared_rounds`]. Preparing needs no store, so the engine's work (tens
/// of milliseconds a form) happens without holding it.
pub struct PreparedRounds {
    rounds: Vec<(PreparedRound, ParsedForm)>,
    cursor: i64,
}

struct PreparedRound {
    round_id: String,
    name: String,
    form_id: String,
    form_version: String,
}

impl PreparedRounds {
    /// Decodes and checks every workbook of the page; the first unusable one refuses the page.
    pub fn prepare(page: &RoundsPage) -> Result<Self, StoreError> {
        let mut rounds = Vec::with_capacity(page.rounds.len());
        for round in &page.rounds {
            let bad = |reason: String| StoreError::BadRound {
                round: round.round_name.clone(),
                reason,
            };
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&round.xlsform)
                .map_err(|e| bad(format!("its workbook is not base64: {e}")))?;
            let sha = sha256_hex(&bytes);
            if !sha.eq_ignore_ascii_case(&round.sha256) {
                return Err(bad(format!(
                    "its workbook hashes to {sha}, not the {} the server announced",
                    round.sha256
                )));
            }
            let form =
                ParsedForm::parse(&round.file_name, &bytes, &[]).map_err(|e| bad(e.to_string()))?;
            if form.form_id != round.form_id || form.version != round.form_version {
                return Err(bad(format!(
                    "its workbook is form {} version {:?}, not the announced {} version {:?}",
                    form.form_id, form.version, round.form_id, round.form_version
                )));
            }
            rounds.push((
                PreparedRound {
                    round_id: round.round_id.clone(),
                    name: round.round_name.clone(),
                    form_id: round.form_id.clone(),
                    form_version: round.form_version.clone(),
                },
                form,
            ));
        }
        Ok(Self {
            rounds,
            cursor: page.cursor,
        })
    }

    /// The cursor the page brings.
    pub fn cursor(&self) -> i64 {
        self.cursor
    }
}

impl DeviceStore {
    /// Records the enrollment the server answered, for `server_url` (also remembered as the
    /// profile's server). Enrolling again replaces it; when the server or the campaign changes,
    /// the rounds of the old one and the rounds cursor are forgotten (their forms, drafts and
    /// outbox stay), so the next pull starts over.
    pub fn enroll_with(&self, enrolled: &Enrolled, server_url: &str) -> Result<(), StoreError> {
        let server_url = server_url.trim().trim_end_matches('/');
        let recipients = if enrolled.recipients.is_empty() {
            String::new()
        } else {
            let text = enrolled.recipients.join("\n");
            fieldline_seal::Recipients::parse(&text)
                .map_err(|e| StoreError::Sealing(format!("the server sent {e}")))?;
            text
        };
        let tx = self.conn.unchecked_transaction()?;
        if !recipients.is_empty() {
            // Their campaign could read them; this one must not receive them readable.
            let unsealed: i64 = tx.query_row(
                "SELECT COUNT(*) FROM outbox o JOIN sync_status s USING (instance_id)
                 WHERE o.encoding = 'json' AND s.state = 'queued'",
                [],
                |row| row.get(0),
            )?;
            if unsealed > 0 {
                return Err(StoreError::UnsealedBeforeEncryptedCampaign(unsealed));
            }
        }
        let previous: Option<(String, String, String)> = tx
            .query_row(
                "SELECT server_url, server_id, campaign_id FROM enrollment",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        let same_campaign = previous.is_some_and(|(url, server, campaign)| {
            url == server_url && server == enrolled.server_id && campaign == enrolled.campaign.id
        });
        if !same_campaign {
            tx.execute("DELETE FROM round", [])?;
            tx.execute("DELETE FROM sync_cursor", [])?;
        }
        tx.execute(
            "INSERT INTO enrollment (singleton, server_url, device_token, server_id, campaign_id,
                                     campaign_name, organization_id, organization_name,
                                     enrolled_at, recipients)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (singleton) DO UPDATE SET
                 server_url = excluded.server_url, device_token = excluded.device_token,
                 server_id = excluded.server_id, campaign_id = excluded.campaign_id,
                 campaign_name = excluded.campaign_name,
                 organization_id = excluded.organization_id,
                 organization_name = excluded.organization_name,
                 enrolled_at = excluded.enrolled_at, recipients = excluded.recipients",
            params![
                server_url,
                enrolled.device_token,
                enrolled.server_id,
                enrolled.campaign.id,
                enrolled.campaign.name,
                enrolled.organization.id,
                enrolled.organization.name,
                now_millis(),
                recipients
            ],
        )?;
        tx.execute(
            "INSERT INTO setting (key, value) VALUES ('server_url', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
            [server_url],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The device's enrollment, `None` before it enrolled.
    pub fn enrollment(&self) -> Result<Option<Enrollment>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT server_url, device_token, server_id, campaign_id, campaign_name,
                        organization_id, organization_name, enrolled_at, recipients
                 FROM enrollment",
                [],
                |row| {
                    Ok(Enrollment {
                        server_url: row.get(0)?,
                        device_token: row.get(1)?,
                        server_id: row.get(2)?,
                        campaign: Named {
                            id: row.get(3)?,
                            name: row.get(4)?,
                        },
                        organization: Named {
                            id: row.get(5)?,
                            name: row.get(6)?,
                        },
                        enrolled_at: row.get(7)?,
                        recipients: row
                            .get::<_, String>(8)?
                            .lines()
                            .map(str::to_owned)
                            .collect(),
                    })
                },
            )
            .optional()?)
    }

    /// Applies a page of rounds from the server: every round's workbook is checked by the
    /// engine and imported (as [`DeviceStore::import_form`] does), every round recorded, and the
    /// page's cursor stored, all in one transaction. When any workbook is unusable (bad base64,
    /// a hash that does not match, a form the engine refuses, a form version held with other
    /// bytes) nothing of the page is kept and the cursor stays where it was.
    ///
    /// The same as [`PreparedRounds::prepare`] then [`DeviceStore::apply_prepared_rounds`]; a
    /// caller sharing the store prepares without holding it.
    pub fn apply_rounds_page(&self, page: &RoundsPage) -> Result<AppliedPage, StoreError> {
        self.apply_prepared_rounds(PreparedRounds::prepare(page)?)
    }

    /// Stores a prepared page of rounds and its cursor in one transaction (see
    /// [`DeviceStore::apply_rounds_page`]): only database work, the engine's is done.
    pub fn apply_prepared_rounds(
        &self,
        prepared: PreparedRounds,
    ) -> Result<AppliedPage, StoreError> {
        let now = now_millis();
        let tx = self.conn.unchecked_transaction()?;
        let mut applied = AppliedPage {
            new_rounds: Vec::new(),
            new_forms: 0,
            cursor: prepared.cursor,
        };
        for (round, form) in &prepared.rounds {
            let imported = store_parsed(&tx, form).map_err(|e| match e {
                StoreError::Sqlite(e) => StoreError::Sqlite(e),
                e => StoreError::BadRound {
                    round: round.name.clone(),
                    reason: e.to_string(),
                },
            })?;
            if imported.newly_imported {
                applied.new_forms += 1;
            }
            let held: Option<String> = tx
                .query_row(
                    "SELECT name FROM round WHERE round_id = ?1",
                    [&round.round_id],
                    |row| row.get(0),
                )
                .optional()?;
            if held.is_none() {
                applied.new_rounds.push(round.name.clone());
            }
            tx.execute(
                "INSERT INTO round (round_id, name, form_id, form_version, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (round_id) DO UPDATE SET name = excluded.name,
                     form_id = excluded.form_id, form_version = excluded.form_version",
                params![
                    round.round_id,
                    round.name,
                    round.form_id,
                    round.form_version,
                    now
                ],
            )?;
        }
        tx.execute(
            "INSERT INTO sync_cursor (stream, cursor, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (stream) DO UPDATE SET cursor = excluded.cursor,
                 updated_at = excluded.updated_at",
            params![ROUNDS_STREAM, prepared.cursor, now],
        )?;
        tx.commit()?;
        Ok(applied)
    }

    /// The cursor to ask for rounds after (0 before the first page).
    pub fn rounds_cursor(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT cursor FROM sync_cursor WHERE stream = ?1",
                [ROUNDS_STREAM],
                |row| row.get(0),
            )
            .optional()?
            .unwrap_or(0))
    }

    /// The rounds received, in the order they arrived.
    pub fn rounds(&self) -> Result<Vec<RoundInfo>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT r.round_id, r.name, r.form_id, r.form_version, f.title, r.received_at
             FROM round r JOIN form f ON f.form_id = r.form_id AND f.version = r.form_version
             ORDER BY r.received_at, r.rowid",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(RoundInfo {
                round_id: row.get(0)?,
                name: row.get(1)?,
                form_id: row.get(2)?,
                form_version: row.get(3)?,
                title: row.get(4)?,
                received_at: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Starts an interview for a round (by its id), with the round's form version; the draft
    /// carries the round's name (see [`DeviceStore::draft_round`]).
    pub fn start_round_draft(
        &mut self,
        round_id: &str,
        utc_offset_minutes: i32,
    ) -> Result<String, StoreError> {
        if !(-MAX_UTC_OFFSET_MINUTES..=MAX_UTC_OFFSET_MINUTES).contains(&utc_offset_minutes) {
            return Err(StoreError::UtcOffset(utc_offset_minutes));
        }
        let (name, form_id, version): (String, String, String) = self
            .conn
            .query_row(
                "SELECT name, form_id, form_version FROM round WHERE round_id = ?1",
                [round_id],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?
            .ok_or_else(|| StoreError::UnknownRound(round_id.to_owned()))?;
        let instance_id = self.start_draft(&form_id, &version, utc_offset_minutes)?;
        self.conn.execute(
            "UPDATE draft SET round_name = ?2 WHERE instance_id = ?1",
            params![instance_id, name],
        )?;
        Ok(instance_id)
    }

    /// The round a draft was started for, `None` when it was started from a form alone.
    pub fn draft_round(&self, instance_id: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT round_name FROM draft WHERE instance_id = ?1",
                [instance_id],
                |row| row.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::UnknownDraft(instance_id.to_owned()))
    }

    /// The queued submissions to send next, in device order, as envelopes: as many as fit in
    /// `max_bytes` of payload (before base64), and at least one when any is queued, however
    /// large. Rejected, conflicting and sent items are never among them.
    pub fn pending_envelopes(&self, max_bytes: usize) -> Result<Vec<Envelope>, StoreError> {
        self.pending_envelopes_after(0, max_bytes)
    }

    /// As [`DeviceStore::pending_envelopes`], from the first queued item whose device sequence
    /// number is above `after_seq`: one pass over the outbox sends each item once even when the
    /// server asks for some to be retried.
    pub fn pending_envelopes_after(
        &self,
        after_seq: i64,
        max_bytes: usize,
    ) -> Result<Vec<Envelope>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT o.instance_id, o.device_seq, o.form_id, o.form_version, o.sha256,
                    length(o.payload)
             FROM outbox o JOIN sync_status s USING (instance_id)
             WHERE s.state = 'queued' AND o.device_seq > ?1 ORDER BY o.device_seq",
        )?;
        let mut rows = stmt.query([after_seq])?;
        let mut chosen = Vec::new();
        let mut total = 0usize;
        while let Some(row) = rows.next()? {
            let size: i64 = row.get(5)?;
            let size = size as usize;
            if !chosen.is_empty() && total + size > max_bytes {
                break;
            }
            total += size;
            chosen.push((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
            ));
        }
        drop(rows);
        let mut payload_stmt = self
            .conn
            .prepare_cached("SELECT payload, encoding FROM outbox WHERE instance_id = ?1")?;
        let mut attachment_stmt = self.conn.prepare_cached(
            "SELECT name, sha256, size, media_type FROM outbox_attachment
             WHERE instance_id = ?1 ORDER BY name",
        )?;
        let mut envelopes = Vec::with_capacity(chosen.len());
        for (instance_id, device_seq, form_id, form_version, sha256) in chosen {
            let (payload, encoding): (Vec<u8>, String) =
                payload_stmt.query_row([&instance_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
            let attachments = attachment_stmt
                .query_map([&instance_id], |row| {
                    Ok(AttachmentRef {
                        name: row.get(0)?,
                        sha256: row.get(1)?,
                        size: row.get(2)?,
                        media_type: row.get(3)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            envelopes.push(Envelope {
                instance_id,
                device_seq,
                form_id,
                form_version,
                sha256,
                encoding: if encoding == "age" {
                    PayloadEncoding::Age
                } else {
                    PayloadEncoding::Json
                },
                payload: base64::engine::general_purpose::STANDARD.encode(payload),
                attachments,
            });
        }
        Ok(envelopes)
    }

    /// Records what the server answered, in one transaction. Only the items listed change, and
    /// only while they are queued: accepted and duplicate become sent (with the time), rejected
    /// and conflict become so with the server's reason (never sent again), retry stays queued.
    /// Every listed queued item counts an attempt.
    pub fn record_results(&self, results: &[ItemResult]) -> Result<RecordedResults, StoreError> {
        let now = now_millis();
        let tx = self.conn.unchecked_transaction()?;
        let mut recorded = RecordedResults::default();
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE sync_status SET
                     state = ?2,
                     reason = ?3,
                     sent_at = CASE WHEN ?2 = 'sent' THEN ?4 ELSE sent_at END,
                     attempts = attempts + 1,
                     last_attempt_at = ?4,
                     updated_at = ?4
                 WHERE instance_id = ?1 AND state = 'queued'",
            )?;
            for result in results {
                let (state, reason) = match result.outcome {
                    Outcome::Accepted | Outcome::Duplicate => ("sent", None),
                    Outcome::Rejected => (
                        "rejected",
                        Some(result.reason.as_deref().unwrap_or("rejected by the server")),
                    ),
                    Outcome::Conflict => (
                        "conflict",
                        Some(result.reason.as_deref().unwrap_or(
                            "the server holds another submission with this instance id",
                        )),
                    ),
                    Outcome::Retry => ("queued", result.reason.as_deref()),
                };
                let changed = stmt.execute(params![result.instance_id, state, reason, now])?;
                if changed == 0 {
                    recorded.ignored += 1;
                    continue;
                }
                let count = match result.outcome {
                    Outcome::Accepted => &mut recorded.accepted,
                    Outcome::Duplicate => &mut recorded.duplicate,
                    Outcome::Rejected => &mut recorded.rejected,
                    Outcome::Conflict => &mut recorded.conflict,
                    Outcome::Retry => &mut recorded.retry,
                };
                *count += 1;
            }
        }
        tx.commit()?;
        Ok(recorded)
    }

    /// What is queued for the server: items, and bytes to upload (payloads and the files they
    /// carry), for progress bars.
    pub fn pending_totals(&self) -> Result<PendingTotals, StoreError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(length(o.payload)), 0),
                    COALESCE(SUM((SELECT SUM(a.size) FROM outbox_attachment a
                                  WHERE a.instance_id = o.instance_id)), 0)
             FROM outbox o JOIN sync_status s USING (instance_id)
             WHERE s.state = 'queued'",
            [],
            |row| {
                Ok(PendingTotals {
                    items: row.get::<_, i64>(0)? as u64,
                    payload_bytes: row.get::<_, i64>(1)? as u64,
                    attachment_bytes: row.get::<_, i64>(2)? as u64,
                })
            },
        )?)
    }

    /// Counts of drafts and of finalized submissions by sync state.
    pub fn sync_counts(&self) -> Result<SyncCounts, StoreError> {
        let drafts: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM draft", [], |row| row.get(0))?;
        let mut counts = SyncCounts {
            drafts,
            ..SyncCounts::default()
        };
        let mut stmt = self
            .conn
            .prepare("SELECT state, COUNT(*) FROM sync_status GROUP BY state")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let state: String = row.get(0)?;
            let n: i64 = row.get(1)?;
            counts.finalized += n;
            match state.as_str() {
                "queued" => counts.pending += n,
                "sent" => counts.sent += n,
                "rejected" => counts.rejected += n,
                "conflict" => counts.conflict += n,
                _ => {}
            }
        }
        Ok(counts)
    }
}
