//! Imported forms: the XLSForm bytes as received, their hash, and the engine's parsed definition.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use fieldline_form::instance::Plan;
use fieldline_form::{Attachments, Form};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::media::{media_type, referenced_media, MediaFile};
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
    /// Media files given with this import that the form uses, now on the device (stored now or
    /// already held with the same bytes), by name.
    pub media_stored: Vec<String>,
    /// Files given with this import that the form does not use, not stored, by name.
    pub media_ignored: Vec<String>,
    /// Media files the form uses that are still not on the device, by name: give them with a
    /// later import of the same form.
    pub media_missing: Vec<String>,
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
    /// Media files the form uses that are not on the device (their pictures and sounds cannot
    /// be shown or played).
    pub media_missing: i64,
}

impl DeviceStore {
    /// Imports an XLSForm workbook. The engine must accept the form; its problems are returned
    /// otherwise. Importing the same bytes again is a no-op, but a form id + version already
    /// held with other content is refused: submissions name their form by id and version only.
    pub fn import_form(&self, file_name: &str, bytes: &[u8]) -> Result<ImportedForm, StoreError> {
        self.import_form_with_media(file_name, bytes, &[])
    }

    /// Imports an XLSForm workbook as [`DeviceStore::import_form`] does, with its media files
    /// (e.g. from [`crate::media_files_next_to`]), in one transaction. Files the form uses in a
    /// media column (any kind, any language, questions and choices) are stored with it; others
    /// are reported and left out. Importing the same form again with more files adds them, as
    /// media often arrive after their form; a file whose name is already stored for this form
    /// version with other bytes is refused, and then nothing is imported.
    pub fn import_form_with_media(
        &self,
        file_name: &str,
        bytes: &[u8],
        media: &[MediaFile],
    ) -> Result<ImportedForm, StoreError> {
        let parsed = ParsedForm::parse(file_name, bytes, media)?;
        let tx = self.conn.unchecked_transaction()?;
        let imported = store_parsed(&tx, &parsed)?;
        tx.commit()?;
        Ok(imported)
    }

    /// Every form on the device with its counts of drafts, finalized and not-yet-sent
    /// submissions and missing media files, by title.
    pub fn list_forms(&self) -> Result<Vec<FormSummary>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT f.form_id, f.version, f.title,
                (SELECT COUNT(*) FROM draft d
                  WHERE d.form_id = f.form_id AND d.form_version = f.version),
                (SELECT COUNT(*) FROM outbox o
                  WHERE o.form_id = f.form_id AND o.form_version = f.version),
                (SELECT COUNT(*) FROM outbox o JOIN sync_status s USING (instance_id)
                  WHERE o.form_id = f.form_id AND o.form_version = f.version
                    AND s.state <> 'sent'),
                f.definition
             FROM form f ORDER BY f.title, f.form_id, f.version",
        )?;
        let mut rows = stmt.query([])?;
        let mut forms = Vec::new();
        while let Some(row) = rows.next()? {
            let form_id: String = row.get(0)?;
            let version: String = row.get(1)?;
            let definition: String = row.get(6)?;
            let referenced = referenced_media(&form_id, &definition)?;
            let media_missing = if referenced.is_empty() {
                0
            } else {
                let on_device = stored_media_names(&self.conn, &form_id, &version)?;
                referenced.difference(&on_device).count() as i64
            };
            forms.push(FormSummary {
                form_id,
                version,
                title: row.get(2)?,
                drafts: row.get(3)?,
                finalized: row.get(4)?,
                not_sent: row.get(5)?,
                media_missing,
            });
        }
        Ok(forms)
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

/// The files given with an import, by name, each once; two different files with one name are
/// refused (the form could show only one of them).
fn distinct(media: &[MediaFile]) -> Result<BTreeMap<&str, &[u8]>, StoreError> {
    let mut files = BTreeMap::new();
    for file in media {
        match files.insert(file.name.as_str(), file.bytes.as_slice()) {
            Some(other) if other != file.bytes.as_slice() => {
                return Err(StoreError::DuplicateMedia(file.name.clone()))
            }
            _ => {}
        }
    }
    Ok(files)
}

/// The names of a form version's media files on the device.
fn stored_media_names(
    conn: &Connection,
    form_id: &str,
    version: &str,
) -> Result<BTreeSet<String>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT name FROM form_media WHERE form_id = ?1 AND version = ?2")?;
    let names = stmt.query_map([form_id, version], |row| row.get(0))?;
    Ok(names.collect::<Result<_, _>>()?)
}

/// A workbook the engine accepted, with everything an import writes, ready to store inside a
/// caller's transaction (an import of its own, or a page of rounds from the server).
pub(crate) struct ParsedForm {
    file_name: String,
    bytes: Vec<u8>,
    given: BTreeMap<String, Vec<u8>>,
    pub(crate) form_id: String,
    pub(crate) version: String,
    title: String,
    sha: String,
    definition: String,
    referenced: BTreeSet<String>,
}

impl ParsedForm {
    /// Reads and checks the workbook with the engine (no database work).
    pub(crate) fn parse(
        file_name: &str,
        bytes: &[u8],
        media: &[MediaFile],
    ) -> Result<Self, StoreError> {
        let given: BTreeMap<String, Vec<u8>> = distinct(media)?
            .into_iter()
            .map(|(name, file)| (name.to_owned(), file.to_vec()))
            .collect();
        let mut attachments = Attachments::new();
        for (name, file) in &given {
            attachments.insert(name.as_str(), file.clone());
        }
        let form = Form::from_xlsform_named(file_name, bytes, &attachments)?;
        let form_id = form.settings.form_id.clone();
        let version = form.settings.version.clone().unwrap_or_default();
        let title = form.settings.form_title.clone();
        let sha = sha256_hex(bytes);
        let definition = serde_json::to_string(&form).map_err(|e| StoreError::CorruptForm {
            form_id: form_id.clone(),
            reason: e.to_string(),
        })?;
        let referenced = referenced_media(&form_id, &definition)?;
        Ok(Self {
            file_name: file_name.to_owned(),
            bytes: bytes.to_vec(),
            given,
            form_id,
            version,
            title,
            sha,
            definition,
            referenced,
        })
    }
}

/// Writes a parsed form and its media inside `tx` (the caller commits): the same bytes again
/// change nothing, other bytes under a held form id + version are refused.
pub(crate) fn store_parsed(
    tx: &Connection,
    parsed: &ParsedForm,
) -> Result<ImportedForm, StoreError> {
    let ParsedForm {
        file_name,
        bytes,
        given,
        form_id,
        version,
        title,
        sha,
        definition,
        referenced,
    } = parsed;
    let held: Option<String> = tx
        .query_row(
            "SELECT sha256 FROM form WHERE form_id = ?1 AND version = ?2",
            [&form_id, &version],
            |row| row.get(0),
        )
        .optional()?;
    let newly_imported = match held {
        Some(h) if h == *sha => false,
        Some(_) => {
            return Err(StoreError::FormVersionConflict {
                form_id: form_id.clone(),
                version: version.clone(),
            })
        }
        None => {
            tx.execute(
                "INSERT INTO form (form_id, version, title, file_name, sha256, xlsform,
                                   definition, imported_at)
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
            true
        }
    };

    let mut media_stored = Vec::new();
    let mut media_ignored = Vec::new();
    for (name, file) in given.iter() {
        if !referenced.contains(name) {
            media_ignored.push(name.clone());
            continue;
        }
        let file_sha = sha256_hex(file);
        let stored: Option<String> = tx
            .query_row(
                "SELECT sha256 FROM form_media
                 WHERE form_id = ?1 AND version = ?2 AND name = ?3",
                [form_id.as_str(), version.as_str(), name.as_str()],
                |row| row.get(0),
            )
            .optional()?;
        match stored {
            Some(s) if s == file_sha => {}
            Some(_) => {
                return Err(StoreError::MediaConflict {
                    form_id: form_id.clone(),
                    version: version.clone(),
                    name: name.clone(),
                })
            }
            None => {
                tx.execute(
                    "INSERT INTO form_media (form_id, version, name, media_type, sha256,
                                             size, bytes)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        form_id,
                        version,
                        name,
                        media_type(name),
                        file_sha,
                        file.len() as i64,
                        file
                    ],
                )?;
            }
        }
        media_stored.push(name.clone());
    }
    let on_device = stored_media_names(tx, form_id, version)?;
    let media_missing = referenced.difference(&on_device).cloned().collect();
    Ok(ImportedForm {
        form_id: form_id.clone(),
        version: version.clone(),
        title: title.clone(),
        newly_imported,
        media_stored,
        media_ignored,
        media_missing,
    })
}
