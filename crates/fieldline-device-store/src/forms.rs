//! Imported forms: the XLSForm bytes as received, their hash, and the engine's parsed definition.

use std::sync::Arc;

use fieldline_form::instance::Plan;
use fieldline_form::{Attachments, Form};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::payload::sha256_hex;
use crate::{now_millis, DeviceStore, StoreError};

/// A form on the device, as the import reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedForm {
    pub form_id: String,
    /// The XLSForm `version` setting; `""` when the form has none.
    pub version: String,
    pub title: String,
    /// False when the very same form was already on the device (importing again changes nothing).
    pub newly_imported: bool,
}

/// A form with what the home screen counts for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormSummary {
    pub form_id: String,
    pub version: String,
    pub title: String,
    pub drafts: i64,
    pub finalized: i64,
    /// Finalized and not yet accepted by the server (queued or rejected).
    pub not_sent: i64,
}

impl DeviceStore {
    /// Imports an XLSForm workbook. The engine must accept the form; its problems are returned
    /// otherwise. Importing the same bytes again is a no-op, but a form id + version already
    /// held with other content is refused: submissions name their form by id and version only.
    pub fn import_form(&self, file_name: &str, bytes: &[u8]) -> Result<ImportedForm, StoreError> {
        let form = Form::from_xlsform_named(file_name, bytes, &Attachments::new())?;
        let form_id = form.settings.form_id.clone();
        let version = form.settings.version.clone().unwrap_or_default();
        let title = form.settings.form_title.clone();
        let sha = sha256_hex(bytes);
        let imported = |newly_imported| ImportedForm {
            form_id: form_id.clone(),
            version: version.clone(),
            title: title.clone(),
            newly_imported,
        };
        let held: Option<String> = self
            .conn
            .query_row(
                "SELECT sha256 FROM form WHERE form_id = ?1 AND version = ?2",
                [&form_id, &version],
                |row| row.get(0),
            )
            .optional()?;
        match held {
            Some(h) if h == sha => return Ok(imported(false)),
            Some(_) => {
                return Err(StoreError::FormVersionConflict {
                    form_id: form_id.clone(),
                    version: version.clone(),
                })
            }
            None => {}
        }
        let definition = serde_json::to_string(&form).map_err(|e| StoreError::CorruptForm {
            form_id: form_id.clone(),
            reason: e.to_string(),
        })?;
        self.conn.execute(
            "INSERT INTO form (form_id, version, title, file_name, sha256, xlsform, definition,
                               imported_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                form_id,
                version,
                title,
                file_name,
                sha,
                bytes,
                definition,
                now_millis()
            ],
        )?;
        Ok(imported(true))
    }

    /// Every form on the device with its counts of drafts, finalized and not-yet-sent
    /// submissions, by title.
    pub fn list_forms(&self) -> Result<Vec<FormSummary>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT f.form_id, f.version, f.title,
                (SELECT COUNT(*) FROM draft d
                  WHERE d.form_id = f.form_id AND d.form_version = f.version),
                (SELECT COUNT(*) FROM outbox o
                  WHERE o.form_id = f.form_id AND o.form_version = f.version),
                (SELECT COUNT(*) FROM outbox o JOIN sync_status s USING (instance_id)
                  WHERE o.form_id = f.form_id AND o.form_version = f.version
                    AND s.state <> 'sent')
             FROM form f ORDER BY f.title, f.form_id, f.version",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(FormSummary {
                form_id: row.get(0)?,
                version: row.get(1)?,
                title: row.get(2)?,
                drafts: row.get(3)?,
                finalized: row.get(4)?,
                not_sent: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The engine's definition of a form as stored: JSON of `fieldline_form::Form`, which the
    /// UI parses to run the same engine.
    pub fn form_definition(&self, form_id: &str, version: &str) -> Result<String, StoreError> {
        self.conn
            .query_row(
                "SELECT definition FROM form WHERE form_id = ?1 AND version = ?2",
                [form_id, version],
                |row| row.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::UnknownForm {
                form_id: form_id.to_owned(),
                version: version.to_owned(),
            })
    }

    /// The compiled form, ready for instances.
    pub(crate) fn plan(&self, form_id: &str, version: &str) -> Result<Arc<Plan>, StoreError> {
        let definition = self.form_definition(form_id, version)?;
        let form: Form =
            serde_json::from_str(&definition).map_err(|e| StoreError::CorruptForm {
                form_id: form_id.to_owned(),
                reason: e.to_string(),
            })?;
        Ok(Arc::new(Plan::new(Arc::new(form))))
    }
}
