//! A form's media files (the pictures, sounds and videos its `image`, `big-image`, `audio` and
//! `video` columns name), kept on the device with the form so interviews work offline.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::Path;

use rusqlite::OptionalExtension;
use serde::Deserialize;

use crate::{DeviceStore, StoreError};

/// One file given with a form: its name (as the form's media columns write it) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Where a form's media files are expected: `kap-media/` next to `kap.xlsx`, as ODK lays them
/// out. `None` for a path without a file name.
pub fn media_folder_of(xlsform_path: &Path) -> Option<std::path::PathBuf> {
    let mut folder_name = xlsform_path.file_stem()?.to_os_string();
    folder_name.push("-media");
    Some(xlsform_path.with_file_name(folder_name))
}

/// The files in the media folder ODK places next to a form: for `kap.xlsx`, the folder
/// `kap-media` beside it. Every regular file directly in it is read (sub-folders are not), by
/// name; none when there is no such folder.
pub fn media_files_next_to(xlsform_path: &Path) -> io::Result<Vec<MediaFile>> {
    let Some(folder) = media_folder_of(xlsform_path) else {
        return Ok(Vec::new());
    };
    let entries = match std::fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry?.path();
        // Follows symbolic links: a link to a file counts as the file.
        if !std::fs::metadata(&path)?.is_file() {
            continue;
        }
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            // A name that is not Unicode cannot be the one a form's cell writes.
            continue;
        };
        files.push(MediaFile {
            name: name.to_owned(),
            bytes: std::fs::read(&path)?,
        });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// The media type of a form's media file, or of a file an answer was given with, from its
/// extension (case ignored).
pub(crate) fn media_type(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "heic" => "image/heic",
        "svg" => "image/svg+xml",
        "mp3" => "audio/mpeg",
        "ogg" | "oga" => "audio/ogg",
        "wav" => "audio/wav",
        "m4a" => "audio/mp4",
        "aac" => "audio/aac",
        "amr" => "audio/amr",
        "mp4" => "video/mp4",
        "3gp" => "video/3gpp",
        "webm" => "video/webm",
        "mov" => "video/quicktime",
        "opus" => "audio/opus",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// Just the media maps of a stored definition (JSON of `fieldline_form::Form`): reading these
/// skips everything else, so the home screen need not rebuild whole forms.
#[derive(Deserialize)]
struct MediaMaps {
    #[serde(default)]
    nodes: Vec<WithMedia>,
    #[serde(default)]
    choice_lists: Vec<ChoiceListMedia>,
}

#[derive(Deserialize)]
struct ChoiceListMedia {
    #[serde(default)]
    choices: Vec<WithMedia>,
}

#[derive(Deserialize)]
struct WithMedia {
    /// Kind (`image`, `audio`...) to language to file name.
    #[serde(default)]
    media: BTreeMap<String, BTreeMap<String, String>>,
}

/// Every file name a form's questions and choices use as media, in any kind and language,
/// exactly as written (the app looks files up by these names).
pub(crate) fn referenced_media(
    form_id: &str,
    definition: &str,
) -> Result<BTreeSet<String>, StoreError> {
    let maps: MediaMaps =
        serde_json::from_str(definition).map_err(|e| StoreError::CorruptForm {
            form_id: form_id.to_owned(),
            reason: e.to_string(),
        })?;
    let choices = maps.choice_lists.into_iter().flat_map(|l| l.choices);
    Ok(maps
        .nodes
        .into_iter()
        .chain(choices)
        .flat_map(|n| n.media.into_values())
        .flat_map(BTreeMap::into_values)
        .filter(|name| !name.trim().is_empty())
        .collect())
}

impl DeviceStore {
    /// A form's media files on the device: `(name, media type)`, sorted by name.
    pub fn form_media_list(
        &self,
        form_id: &str,
        version: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT name, media_type FROM form_media WHERE form_id = ?1 AND version = ?2
             ORDER BY name",
        )?;
        let files = stmt.query_map([form_id, version], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(files.collect::<Result<_, _>>()?)
    }

    /// A form's media file as stored: its media type and bytes; `None` when the form is on the
    /// device without that file.
    pub fn form_media(
        &self,
        form_id: &str,
        version: &str,
        name: &str,
    ) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let file = self
            .conn
            .query_row(
                "SELECT media_type, bytes FROM form_media
                 WHERE form_id = ?1 AND version = ?2 AND name = ?3",
                [form_id, version, name],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        if file.is_none() {
            // Tells a form that is not here from a file that is not here.
            self.form_definition(form_id, version)?;
        }
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_follow_the_extension() {
        assert_eq!(media_type("consent.PNG"), "image/png");
        assert_eq!(media_type("a.b.jpeg"), "image/jpeg");
        assert_eq!(media_type("consent-hi.mp3"), "audio/mpeg");
        assert_eq!(media_type("prompt.m4a"), "audio/mp4");
        assert_eq!(media_type("clip.3gp"), "video/3gpp");
        assert_eq!(media_type("README"), "application/octet-stream");
        assert_eq!(media_type("notes.txt"), "application/octet-stream");
    }

    #[test]
    fn referenced_media_reads_nodes_and_choices_in_every_language() {
        let json = r#"{
            "settings": {"ignored": true},
            "nodes": [
                {"name": "data"},
                {"name": "q", "media": {"image": {"English (en)": "a.png", "Hindi (hi)": "a-hi.png"},
                                        "audio": {"Hindi (hi)": "q-hi.mp3", "English (en)": ""}}}
            ],
            "choice_lists": [{"name": "yn", "choices": [
                {"name": "yes", "media": {"image": {"default": "yes.png"}}},
                {"name": "no"}
            ]}]
        }"#;
        let names = referenced_media("f", json).unwrap();
        assert_eq!(
            names.into_iter().collect::<Vec<_>>(),
            ["a-hi.png", "a.png", "q-hi.mp3", "yes.png"]
        );
    }
}
