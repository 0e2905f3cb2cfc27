//! Files given as answers: the photo an `image` question takes, the recording of an `audio` or
//! `video` question, the file a `file` question picks. The draft keeps each one in `draft_file`
//! and the answer's value is its name; finalizing sends the ones that are still answers.

use std::collections::BTreeSet;

use fieldline_form::{Form, Node, QuestionType};
use fieldline_interview::Action;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::audit::NewAttachment;
use crate::media::media_type;
use crate::payload::sha256_hex;
use crate::{now_millis, DeviceStore, StoreError};

/// The largest file an answer can be given with: 50 MiB (a long recording or a short video;
/// photos are a few MiB).
pub const MAX_ANSWER_FILE_BYTES: usize = 50 * 1024 * 1024;

/// Longest extension kept from the original file's name.
const MAX_EXTENSION_CHARS: usize = 10;

/// A file kept as the answer to a question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachedFile {
    /// The answered leaf's instance path (`/data/photo`, `/data/hh[2]/photo`).
    pub path: String,
    /// The stored file's name (`1764000000123.jpg`), which is the answer's value.
    pub name: String,
    /// From the name's extension; `application/octet-stream` when it tells nothing.
    pub media_type: String,
    /// Bytes.
    pub size: i64,
}

/// Whether a question is answered with a file.
pub(crate) fn is_file_question(node: &Node) -> bool {
    matches!(
        node.question_type(),
        Some(QuestionType::Image | QuestionType::Audio | QuestionType::Video | QuestionType::File)
    )
}

/// The paths (without repeat positions) of the form's questions answered with a file.
pub(crate) fn file_question_paths(form: &Form) -> BTreeSet<&str> {
    form.leaves()
        .filter(|n| is_file_question(n))
        .map(|n| n.path.as_str())
        .collect()
}

/// `/data/hh/photo` for `/data/hh[2]/photo`.
pub(crate) fn without_positions(path: &str) -> String {
    path.split('/')
        .map(|step| step.split_once('[').map_or(step, |(name, _)| name))
        .collect::<Vec<_>>()
        .join("/")
}

/// The form's question a key (a name, or an instance path) denotes, if the form has it.
fn question_of<'f>(form: &'f Form, key: &str) -> Option<&'f Node> {
    if key.starts_with('/') {
        form.by_path(&without_positions(key))
    } else {
        form.leaves().find(|n| n.name == key)
    }
}

/// The extension of the original file's name, lowercased, when it is a plain one (ASCII letters
/// and digits); `None` otherwise, and the stored file then has none.
fn extension(original_name: &str) -> Option<String> {
    let base = original_name.rsplit(['/', '\\']).next().unwrap_or_default();
    let (stem, ext) = base.rsplit_once('.')?;
    let plain = !stem.is_empty()
        && (1..=MAX_EXTENSION_CHARS).contains(&ext.len())
        && ext.bytes().all(|b| b.is_ascii_alphanumeric());
    plain.then(|| ext.to_ascii_lowercase())
}

/// A draft's kept file as finalizing sends it (the database copies its bytes).
pub(crate) fn submitted_file(
    conn: &rusqlite::Connection,
    instance_id: &str,
    name: &str,
) -> rusqlite::Result<Option<NewAttachment>> {
    conn.query_row(
        "SELECT media_type, sha256, size FROM draft_file WHERE instance_id = ?1 AND name = ?2",
        [instance_id, name],
        |row| {
            Ok(NewAttachment {
                name: name.to_owned(),
                media_type: row.get(0)?,
                sha256: row.get(1)?,
                size: row.get(2)?,
                bytes: None,
            })
        },
    )
    .optional()
}

impl DeviceStore {
    /// Keeps a file as the answer to an `image`, `audio`, `video` or `file` question (`key`: its
    /// name or instance path): the photo just taken, the recording just made, the file picked.
    ///
    /// The file is named as ODK Collect names captures, milliseconds since 1970 and the original
    /// name's extension lowercased (`1764000000123.jpg`), one millisecond later when the draft
    /// already has that name; the name becomes the answer's value. The file and the answer are
    /// saved in one transaction: after a crash both are there or neither is. The answer is
    /// checked by the engine as [`DeviceStore::record_answer`] checks it and logged the same way.
    ///
    /// Refused, with nothing stored: a question of another type, an empty file, a file over
    /// [`MAX_ANSWER_FILE_BYTES`], an answer the engine refuses (a read-only question...).
    ///
    /// The previous file of a question answered again stays with the draft, unused: it is not
    /// sent, and is deleted with the draft.
    pub fn attach_file(
        &mut self,
        instance_id: &str,
        key: &str,
        original_name: &str,
        bytes: &[u8],
    ) -> Result<AttachedFile, StoreError> {
        if bytes.is_empty() {
            return Err(StoreError::EmptyFile(original_name.to_owned()));
        }
        if bytes.len() > MAX_ANSWER_FILE_BYTES {
            return Err(StoreError::FileTooLarge {
                name: original_name.to_owned(),
                size: bytes.len(),
            });
        }
        let live = self.live_draft(instance_id)?;
        // A key the form does not have is left to the engine, which refuses it with its reason.
        if let Some(question) = question_of(live.instance.form(), key) {
            if !is_file_question(question) {
                return Err(StoreError::NotAFileQuestion {
                    question: question.name.clone(),
                    question_type: fieldline_form::instance::xlsform_type(question),
                });
            }
        }
        let ext = extension(original_name);
        let name_at = |millis: i64| match &ext {
            Some(ext) => format!("{millis}.{ext}"),
            None => millis.to_string(),
        };
        let mut millis = now_millis();
        let mut exists = self
            .conn
            .prepare_cached("SELECT 1 FROM draft_file WHERE instance_id = ?1 AND name = ?2")?;
        while exists.exists(params![instance_id, name_at(millis)])? {
            millis += 1;
        }
        drop(exists);
        let name = name_at(millis);
        let media_type = media_type(&name);
        let sha256 = sha256_hex(bytes);
        let size = bytes.len() as i64;
        let path = self.record_with(
            instance_id,
            &Action::Set {
                path: key.to_owned(),
                value: name.clone(),
            },
            |tx| {
                tx.execute(
                    "INSERT INTO draft_file
                         (instance_id, name, media_type, sha256, size, bytes, added_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        instance_id,
                        name,
                        media_type,
                        sha256,
                        size,
                        bytes,
                        now_millis()
                    ],
                )?;
                Ok(())
            },
        )?;
        Ok(AttachedFile {
            path,
            name,
            media_type: media_type.to_owned(),
            size,
        })
    }

    /// The files kept in a draft: `(name, media type)`, by name. Files replaced by a later
    /// capture are listed too; the draft's answers say which are current.
    pub fn draft_files(&self, instance_id: &str) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT name, media_type FROM draft_file WHERE instance_id = ?1 ORDER BY name",
        )?;
        let files = stmt.query_map([instance_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(files.collect::<Result<_, _>>()?)
    }

    /// A file the draft kept (see [`DeviceStore::attach_file`]), for showing or playing it: its
    /// media type and bytes; `None` when the draft has no file of that name.
    pub fn draft_file(
        &self,
        instance_id: &str,
        name: &str,
    ) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let file = self
            .conn
            .query_row(
                "SELECT media_type, bytes FROM draft_file WHERE instance_id = ?1 AND name = ?2",
                [instance_id, name],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        if file.is_none() {
            // Tells a draft that is not here from a file that is not here.
            let known = self
                .conn
                .prepare_cached("SELECT 1 FROM draft WHERE instance_id = ?1")?
                .exists([instance_id])?;
            if !known {
                return Err(StoreError::UnknownDraft(instance_id.to_owned()));
            }
        }
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_are_kept_lowercased_when_plain() {
        assert_eq!(extension("IMG_0042.JPG").as_deref(), Some("jpg"));
        assert_eq!(extension("/sdcard/DCIM/a.b.Jpeg").as_deref(), Some("jpeg"));
        assert_eq!(
            extension("C:\\Users\\asha\\notes.PDF").as_deref(),
            Some("pdf")
        );
        assert_eq!(extension("recording"), None);
        assert_eq!(extension(".hidden"), None);
        assert_eq!(extension("odd.j p g"), None);
        assert_eq!(extension("dir.d/file"), None);
        assert_eq!(extension("x.verylongextension"), None);
        assert_eq!(extension("x."), None);
    }

    #[test]
    fn positions_are_dropped_from_paths() {
        assert_eq!(without_positions("/data/hh[2]/photo"), "/data/hh/photo");
        assert_eq!(without_positions("/data/photo"), "/data/photo");
    }
}
