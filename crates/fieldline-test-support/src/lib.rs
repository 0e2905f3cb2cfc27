//! What several crates' tests share. Tests that promise an answer never lies readable on disk
//! (the device encrypted under its PIN, a sealed campaign's server, the browser opening it with
//! its key) all ask the same question of a directory: which of its files hold these bytes?

use std::io;
use std::path::{Path, PathBuf};

/// A needle found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub file: PathBuf,
    /// Which of the needles (its index in the slice given).
    pub needle: usize,
}

impl std::fmt::Display for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "needle {} in {}", self.needle, self.file.display())
    }
}

/// Every (file, needle) such that a file under `dir`, at any depth (a database's WAL and shared
/// memory, a webview's storage), holds the needle's bytes, in a stable order. A file or
/// directory that vanishes while the search runs (a browser's lock or temporary file) is passed
/// over; one that cannot be read is an error, since it could hold what is looked for.
pub fn files_holding(dir: &Path, needles: &[&[u8]]) -> io::Result<Vec<Found>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(current) = pending.pop() {
        let entries = match std::fs::read_dir(&current) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                let bytes = match std::fs::read(entry.path()) {
                    Ok(bytes) => bytes,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                };
                for (index, needle) in needles.iter().enumerate() {
                    if holds(&bytes, needle) {
                        found.push(Found {
                            file: entry.path(),
                            needle: index,
                        });
                    }
                }
            }
        }
    }
    found.sort_by(|a, b| (&a.file, a.needle).cmp(&(&b.file, b.needle)));
    Ok(found)
}

/// Whether `haystack` holds `needle` (an empty needle is held by nothing).
pub fn holds(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// `text` as UTF-16 little-endian, as WebKit keeps some strings.
pub fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_needle_in_each_file_at_any_depth() {
        let dir =
            std::env::temp_dir().join(format!("fieldline-test-support-{}", std::process::id()));
        let deep = dir.join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(dir.join("top.db"), b"..Sunita..").unwrap();
        std::fs::write(deep.join("wal"), utf16le("Sunita")).unwrap();
        std::fs::write(deep.join("other"), b"nothing here").unwrap();
        let needles: [&[u8]; 2] = [b"Sunita", &utf16le("Sunita")];
        let found = files_holding(&dir, &needles).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            found,
            vec![
                Found {
                    file: deep.join("wal"),
                    needle: 1
                },
                Found {
                    file: dir.join("top.db"),
                    needle: 0
                },
            ]
        );
        assert!(!holds(b"abc", b""));
    }
}
