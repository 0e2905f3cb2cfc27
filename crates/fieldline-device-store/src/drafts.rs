//! Drafts: interviews in progress, saved answer by answer as an append-only log.
//!
//! Every answer, repeat added or removed is checked by the engine first and then written in its
//! own small transaction (autosave), so a killed app loses at most the answer being typed.

use fieldline_form::instance::Instance;
use fieldline_form::Form;
use fieldline_interview::{apply, Action, DraftFacts};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;

use crate::audit::{self, AuditConfig, AuditEvent};
use crate::session::OpenDraft;
use crate::{now_millis, DeviceStore, StoreError, MAX_UTC_OFFSET_MINUTES};

/// How an action is written in the log's `kind` column.
fn kind_of(action: &Action) -> &'static str {
    match action {
        Action::Set { .. } => "set",
        Action::AddRepeat { .. } => "add_repeat",
        Action::RemoveRepeat { .. } => "remove_repeat",
    }
}

/// The action a log row records, `None` for a kind this version does not know.
fn action_of(kind: &str, path: String, value: Option<String>) -> Option<Action> {
    Some(match kind {
        "set" => Action::Set {
            path,
            value: value.unwrap_or_default(),
        },
        "add_repeat" => Action::AddRepeat { path },
        "remove_repeat" => Action::RemoveRepeat { path },
        _ => return None,
    })
}

/// Everything the UI needs to replay a draft itself: its facts, its log and where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftLog {
    pub facts: DraftFacts,
    pub actions: Vec<Action>,
    pub position: Option<String>,
}

/// A draft as the drafts screen lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DraftSummary {
    pub instance_id: String,
    pub form_id: String,
    pub form_version: String,
    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub created_at: i64,
    pub updated_at: i64,
    pub position: Option<String>,
    /// Entries in the answer log.
    pub events: i64,
}

impl DeviceStore {
    /// Starts an interview of an imported form; returns its instance id (UUIDv7).
    ///
    /// `utc_offset_minutes` is the device's offset from UTC now (e.g. 345 in Nepal): the form's
    /// dates are local, and the store cannot know the zone itself (the UI does).
    ///
    /// When the form has an `audit` question, its log begins with `form start`.
    pub fn start_draft(
        &mut self,
        form_id: &str,
        version: &str,
        utc_offset_minutes: i32,
    ) -> Result<String, StoreError> {
        if !(-MAX_UTC_OFFSET_MINUTES..=MAX_UTC_OFFSET_MINUTES).contains(&utc_offset_minutes) {
            return Err(StoreError::UtcOffset(utc_offset_minutes));
        }
        let plan = self.plan(form_id, version)?;
        let audited = AuditConfig::of(plan.form()).is_some();
        let instance_id = uuid::Uuid::now_v7().to_string();
        let now = now_millis();
        let username = self.profile()?.username.unwrap_or_default();
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO draft (instance_id, form_id, form_version, created_at,
                                utc_offset_minutes, username, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?4)",
            params![
                instance_id,
                form_id,
                version,
                now,
                utc_offset_minutes,
                username
            ],
        )?;
        if audited {
            audit::append(&tx, &instance_id, "form start", "", now, None)?;
        }
        tx.commit()?;
        Ok(instance_id)
    }

    /// Saves an answer (`key`: a question name or instance path). The engine checks it first; an
    /// answer the form cannot take is refused with the engine's reason and nothing is stored.
    /// Returns the answered leaf's path.
    pub fn record_answer(
        &mut self,
        instance_id: &str,
        key: &str,
        value: &str,
    ) -> Result<String, StoreError> {
        self.record(
            instance_id,
            &Action::Set {
                path: key.to_owned(),
                value: value.to_owned(),
            },
        )
    }

    /// Adds an instance at the end of the repeat at `repeat_path` (`/data/migrants`, or
    /// `/data/a[2]/b` inside another repeat); returns the new instance's path.
    pub fn add_repeat(
        &mut self,
        instance_id: &str,
        repeat_path: &str,
    ) -> Result<String, StoreError> {
        self.record(
            instance_id,
            &Action::AddRepeat {
                path: repeat_path.to_owned(),
            },
        )
    }

    /// Removes the repeat instance at `instance_path` (`/data/migrants[2]`).
    pub fn remove_repeat(
        &mut self,
        instance_id: &str,
        instance_path: &str,
    ) -> Result<(), StoreError> {
        self.record(
            instance_id,
            &Action::RemoveRepeat {
                path: instance_path.to_owned(),
            },
        )
        .map(drop)
    }

    /// Remembers where the enumerator is, so resuming returns there. The UI calls it on every
    /// screen shown, with the screen's key: a question's instance path (`/data/ward`), a
    /// field-list group's or repeat instance's path, a repeat's path without a position for the
    /// prompt to add another (`/data/migrants`), or [`END_SCREEN_KEY`](crate::END_SCREEN_KEY)
    /// for the end screen.
    ///
    /// When the form has an `audit` question, the screen is logged (`question`,
    /// `group questions`, `prompt new repeat` or `end screen`, told apart by the form); the same
    /// screen shown again with nothing else logged in between (the UI redrawing it) is not
    /// logged twice.
    pub fn set_position(&self, instance_id: &str, position: &str) -> Result<(), StoreError> {
        let screen = self.with_draft_form(instance_id, |form| {
            AuditConfig::of(form).map(|_| audit::screen_event(form, position))
        })?;
        let now = now_millis();
        // The position and the screen's audit row are saved together or not at all (`&self`
        // keeps this method's signature: rusqlite then checks nesting at run time).
        let tx = self.conn.unchecked_transaction()?;
        let changed = tx.execute(
            "UPDATE draft SET position = ?2, updated_at = ?3 WHERE instance_id = ?1",
            params![instance_id, position, now],
        )?;
        if changed == 0 {
            return Err(StoreError::UnknownDraft(instance_id.to_owned()));
        }
        if let Some((event, node)) = screen {
            let last = audit::last_event(&tx, instance_id)?;
            if last.as_ref() != Some(&(event.to_owned(), node.clone())) {
                audit::append(&tx, instance_id, event, &node, now, None)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Logs a moment of the interview the app sees itself (reopened, left, saved) in the audit
    /// log of a draft whose form has an `audit` question; for any other form it records nothing.
    pub fn audit_event(&mut self, instance_id: &str, event: AuditEvent) -> Result<(), StoreError> {
        let audited = self.with_draft_form(instance_id, |form| AuditConfig::of(form).is_some())?;
        if audited {
            let tx = self.conn.transaction()?;
            audit::append(&tx, instance_id, event.name(), "", now_millis(), None)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// Runs `f` on the form of a draft: the cached one when the draft is open, else the stored
    /// definition (without replaying the draft).
    fn with_draft_form<R>(
        &self,
        instance_id: &str,
        f: impl FnOnce(&Form) -> R,
    ) -> Result<R, StoreError> {
        if let Some(live) = self
            .open_draft
            .as_ref()
            .filter(|d| d.instance_id == instance_id)
        {
            return Ok(f(live.instance.form()));
        }
        let (form_id, version): (String, String) = self
            .conn
            .query_row(
                "SELECT form_id, form_version FROM draft WHERE instance_id = ?1",
                [instance_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| StoreError::UnknownDraft(instance_id.to_owned()))?;
        let definition = self.form_definition(&form_id, &version)?;
        let form: Form =
            serde_json::from_str(&definition).map_err(|e| StoreError::CorruptForm {
                form_id: form_id.clone(),
                reason: e.to_string(),
            })?;
        Ok(f(&form))
    }

    /// The draft's engine instance, rebuilt by replaying its log: every answer and repeat as
    /// they were saved.
    pub fn open_draft(&mut self, instance_id: &str) -> Result<&Instance, StoreError> {
        Ok(&self.live_draft(instance_id)?.instance)
    }

    /// Every draft, most recently touched first.
    pub fn list_drafts(&self) -> Result<Vec<DraftSummary>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT d.instance_id, d.form_id, d.form_version, d.created_at, d.updated_at,
                    d.position,
                    (SELECT COUNT(*) FROM draft_event e WHERE e.instance_id = d.instance_id)
             FROM draft d ORDER BY d.updated_at DESC, d.instance_id DESC",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(DraftSummary {
                instance_id: row.get(0)?,
                form_id: row.get(1)?,
                form_version: row.get(2)?,
                created_at: row.get(3)?,
                updated_at: row.get(4)?,
                position: row.get(5)?,
                events: row.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Deletes a draft and its answers (the UI asks for confirmation first).
    pub fn discard_draft(&mut self, instance_id: &str) -> Result<(), StoreError> {
        self.forget_draft(instance_id);
        // The log, the audit log and the files go with the draft (ON DELETE CASCADE), in the
        // same statement.
        let deleted = self
            .conn
            .execute("DELETE FROM draft WHERE instance_id = ?1", [instance_id])?;
        if deleted == 0 {
            return Err(StoreError::UnknownDraft(instance_id.to_owned()));
        }
        Ok(())
    }

    /// Applies one action through the engine and, when the engine takes it, appends it to the
    /// draft's log in its own transaction. Returns the path [`apply`] returns.
    ///
    /// When the form has an `audit` question, repeats added and removed go to its log in the
    /// same transaction (`add repeat`, `delete repeat`), and with `track-changes=true` so does
    /// each answer that changes a value, with the value before and after.
    pub fn record(&mut self, instance_id: &str, action: &Action) -> Result<String, StoreError> {
        self.record_with(instance_id, action, |_| Ok(()))
    }

    /// As [`DeviceStore::record`], and runs `also` inside the same transaction before it
    /// commits: what it writes is kept together with the action or not at all, and when it
    /// fails nothing is stored.
    pub(crate) fn record_with(
        &mut self,
        instance_id: &str,
        action: &Action,
        also: impl FnOnce(&Transaction<'_>) -> Result<(), StoreError>,
    ) -> Result<String, StoreError> {
        let live = self.live_draft(instance_id)?;
        let audit = AuditConfig::of(live.instance.form());
        let current = |inst: &Instance, key: &str| {
            inst.find_key(key)
                .map(|n| inst.value(n).to_owned())
                .unwrap_or_default()
        };
        let old_value = match (audit, action) {
            (Some(c), Action::Set { path, .. }) if c.track_changes => {
                Some(current(&live.instance, path))
            }
            _ => None,
        };
        let applied = apply(&mut live.instance, action).map_err(StoreError::from);
        let change = match (&applied, old_value) {
            (Ok(path), Some(old)) => {
                let new = current(&live.instance, path);
                (old != new).then_some((old, new))
            }
            _ => None,
        };
        let seq = live.next_seq;
        let logged = applied.and_then(|result_path| {
            // A repeat addition is logged as the repeat it was asked of (the instance path it
            // returns is not there yet when replaying); answers and removals as resolved paths.
            let (logged_path, value) = match action {
                Action::AddRepeat { path } => (path.as_str(), None),
                Action::Set { value, .. } => (result_path.as_str(), Some(value.as_str())),
                Action::RemoveRepeat { .. } => (result_path.as_str(), None),
            };
            let tx = self.conn.transaction()?;
            let now = now_millis();
            tx.execute(
                "INSERT INTO draft_event (instance_id, seq, kind, path, value, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![instance_id, seq, kind_of(action), logged_path, value, now],
            )?;
            if audit.is_some() {
                match (action, &change) {
                    (Action::Set { .. }, Some((old, new))) => audit::append(
                        &tx,
                        instance_id,
                        "answer",
                        &result_path,
                        now,
                        Some((old, new)),
                    )?,
                    (Action::Set { .. }, None) => {}
                    (Action::AddRepeat { .. }, _) => {
                        audit::append(&tx, instance_id, "add repeat", &result_path, now, None)?
                    }
                    (Action::RemoveRepeat { .. }, _) => {
                        audit::append(&tx, instance_id, "delete repeat", &result_path, now, None)?
                    }
                }
            }
            also(&tx)?;
            tx.execute(
                "UPDATE draft SET updated_at = ?2 WHERE instance_id = ?1",
                params![instance_id, now],
            )?;
            tx.commit()?;
            Ok(result_path)
        });
        match &logged {
            Ok(_) => {
                if let Some(live) = self.open_draft.as_mut() {
                    live.next_seq += 1;
                }
            }
            // The instance may now differ from the log; the next action replays it.
            Err(_) => self.forget_draft(instance_id),
        }
        logged
    }

    pub(crate) fn forget_draft(&mut self, instance_id: &str) {
        if self
            .open_draft
            .as_ref()
            .is_some_and(|d| d.instance_id == instance_id)
        {
            self.open_draft = None;
        }
    }

    /// The cached replay of `instance_id`, replaying the log when another draft (or none) is
    /// cached.
    pub(crate) fn live_draft(&mut self, instance_id: &str) -> Result<&mut OpenDraft, StoreError> {
        let cached = self
            .open_draft
            .as_ref()
            .is_some_and(|d| d.instance_id == instance_id);
        if !cached {
            self.open_draft = None;
            self.open_draft = Some(self.replay(instance_id)?);
        }
        Ok(self.open_draft.as_mut().expect("just cached"))
    }

    /// The draft's facts, its log and its position, as stored.
    pub fn draft_log(&self, instance_id: &str) -> Result<DraftLog, StoreError> {
        let (facts, position) = self.draft_facts(instance_id)?;
        let mut stmt = self.conn.prepare(
            "SELECT seq, kind, path, value FROM draft_event WHERE instance_id = ?1 ORDER BY seq",
        )?;
        let mut rows = stmt.query([instance_id])?;
        let mut actions = Vec::new();
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            let kind: String = row.get(1)?;
            let action =
                action_of(&kind, row.get(2)?, row.get(3)?).ok_or_else(|| StoreError::Replay {
                    instance_id: instance_id.to_owned(),
                    seq,
                    reason: format!("unknown action {kind:?}"),
                })?;
            actions.push(action);
        }
        Ok(DraftLog {
            facts,
            actions,
            position,
        })
    }

    fn draft_facts(&self, instance_id: &str) -> Result<(DraftFacts, Option<String>), StoreError> {
        let device_id = self.profile()?.device_id;
        self.conn
            .query_row(
                "SELECT form_id, form_version, created_at, utc_offset_minutes, username, position
                 FROM draft WHERE instance_id = ?1",
                [instance_id],
                |row| {
                    Ok((
                        DraftFacts {
                            instance_id: instance_id.to_owned(),
                            form_id: row.get(0)?,
                            form_version: row.get(1)?,
                            created_at: row.get(2)?,
                            utc_offset_minutes: row.get(3)?,
                            device_id: device_id.clone(),
                            username: row.get(4)?,
                        },
                        row.get(5)?,
                    ))
                },
            )
            .optional()?
            .ok_or_else(|| StoreError::UnknownDraft(instance_id.to_owned()))
    }

    fn replay(&self, instance_id: &str) -> Result<OpenDraft, StoreError> {
        let log = self.draft_log(instance_id)?;
        let plan = self.plan(&log.facts.form_id, &log.facts.form_version)?;
        let mut instance = Instance::from_plan(plan, log.facts.environment());
        for (seq, action) in (1..).zip(&log.actions) {
            apply(&mut instance, action).map_err(|e| StoreError::Replay {
                instance_id: instance_id.to_owned(),
                seq,
                reason: e.to_string(),
            })?;
        }
        Ok(OpenDraft {
            instance_id: instance_id.to_owned(),
            instance,
            next_seq: log.actions.len() as i64 + 1,
        })
    }
}
