//! The files attached to a form, as the caller supplies them. Its own module so the
//! builders that read attachments need not depend on `form`, which drives them.

use std::collections::BTreeMap;

/// Files attached to a form (its media folder), by file name: the CSVs of
/// `select_one_from_file`, images... The library never reads the file system itself.
#[derive(Debug, Clone, Default)]
pub struct Attachments {
    files: BTreeMap<String, Vec<u8>>,
}

impl Attachments {
    /// No attachments.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a file by name (as the form refers to it, e.g. `cities.csv`).
    pub fn insert(&mut self, name: impl Into<String>, bytes: Vec<u8>) -> &mut Self {
        self.files.insert(name.into(), bytes);
        self
    }

    /// The bytes of an attached file.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.files.get(name).map(Vec::as_slice)
    }
}
