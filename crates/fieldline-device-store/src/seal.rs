//! Sealing finalized submissions of an end-to-end encrypted campaign (see `fieldline_seal`):
//! the recipients pinned at enrollment, and the sealed contents of a submission.

use rusqlite::{Connection, OptionalExtension};

use fieldline_seal::{Contents, Recipients, SealedFile};

use crate::audit::NewAttachment;
use crate::StoreError;

/// The recipients the device seals to: those of the campaign it is enrolled in, `None` when
/// it is not enrolled or the campaign is not end-to-end encrypted.
pub(crate) fn pinned_recipients(conn: &Connection) -> Result<Option<Recipients>, StoreError> {
    let text: Option<String> = conn
        .query_row("SELECT recipients FROM enrollment", [], |row| row.get(0))
        .optional()?;
    match text.filter(|t| !t.trim().is_empty()) {
        None => Ok(None),
        Some(text) => Recipients::parse(&text)
            .map(Some)
            .map_err(|e| StoreError::Sealing(e.to_string())),
    }
}

/// The payload and every file of a submission, read whole: the files a draft kept are read
/// from `draft_file` (the only time they are all in memory: sealing needs them together).
pub(crate) fn contents(
    conn: &Connection,
    instance_id: &str,
    payload: &[u8],
    attachments: &[NewAttachment],
) -> Result<Contents, StoreError> {
    let mut files = Vec::with_capacity(attachments.len());
    for a in attachments {
        let bytes = match &a.bytes {
            Some(bytes) => bytes.clone(),
            None => conn
                .query_row(
                    "SELECT bytes FROM draft_file
                     WHERE instance_id = ?1 AND name = ?2 AND sha256 = ?3",
                    rusqlite::params![instance_id, a.name, a.sha256],
                    |row| row.get(0),
                )
                .optional()?
                .ok_or_else(|| StoreError::MissingDraftFile {
                    instance_id: instance_id.to_owned(),
                    name: a.name.clone(),
                })?,
        };
        files.push(SealedFile {
            name: a.name.clone(),
            media_type: a.media_type.clone(),
            bytes,
        });
    }
    Ok(Contents {
        payload: payload.to_vec(),
        files,
    })
}
