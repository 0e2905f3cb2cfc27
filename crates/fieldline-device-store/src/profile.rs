//! The device profile: its identity and the enumerator's settings.

use std::path::PathBuf;

use rusqlite::OptionalExtension;
use serde::Serialize;

use crate::{DeviceStore, StoreError, MAX_USERNAME_CHARS};

/// What the home screen shows about this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceProfile {
    pub device_id: String,
    pub username: Option<String>,
    pub server_url: Option<String>,
    pub database_path: PathBuf,
}

const SETTING_USERNAME: &str = "username";
const SETTING_SERVER_URL: &str = "server_url";
const SETTING_BATCH_BYTES: &str = "sync.batch_bytes";

impl DeviceStore {
    pub fn profile(&self) -> Result<DeviceProfile, StoreError> {
        let device_id = self
            .conn
            .query_row("SELECT device_id FROM device", [], |row| row.get(0))?;
        Ok(DeviceProfile {
            device_id,
            username: self.setting(SETTING_USERNAME)?,
            server_url: self.setting(SETTING_SERVER_URL)?,
            database_path: self.path.clone(),
        })
    }

    /// Records the enumerator's name, reported as XLSForm `username` metadata. Surrounding
    /// whitespace is dropped; an empty or overlong name is refused.
    pub fn set_username(&self, name: &str) -> Result<(), StoreError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::EmptyUsername);
        }
        let chars = name.chars().count();
        if chars > MAX_USERNAME_CHARS {
            return Err(StoreError::UsernameTooLong(chars));
        }
        self.put_setting(SETTING_USERNAME, name)
    }

    /// Records the campaign server this device syncs with.
    pub fn set_server_url(&self, url: &str) -> Result<(), StoreError> {
        self.put_setting(SETTING_SERVER_URL, url.trim())
    }

    /// The batch size (payload bytes) the sync client learned this device's link carries, if it
    /// has learned one: kept across restarts because a village's link stays what it is.
    pub fn learned_batch_bytes(&self) -> Result<Option<usize>, StoreError> {
        // A value this version cannot read is as good as none: the client learns it again.
        Ok(self
            .setting(SETTING_BATCH_BYTES)?
            .and_then(|value| value.parse().ok()))
    }

    pub fn set_learned_batch_bytes(&self, bytes: usize) -> Result<(), StoreError> {
        self.put_setting(SETTING_BATCH_BYTES, &bytes.to_string())
    }

    fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM setting WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()?)
    }

    fn put_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO setting (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
            [key, value],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreError;

    #[test]
    fn a_profile_keeps_its_identity_and_settings_across_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let first = {
            let store = DeviceStore::open(dir.path()).unwrap();
            store.set_username("  Sunita Devi ").unwrap();
            store.set_server_url("http://127.0.0.1:8080").unwrap();
            store.profile().unwrap()
        };
        assert!(first.device_id.starts_with("fieldline:"));
        let again = DeviceStore::open(dir.path()).unwrap().profile().unwrap();
        assert_eq!(again, first);
        assert_eq!(again.username.as_deref(), Some("Sunita Devi"));
        assert_eq!(again.server_url.as_deref(), Some("http://127.0.0.1:8080"));
    }

    #[test]
    fn the_learned_batch_size_outlives_the_store() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = DeviceStore::open(dir.path()).unwrap();
            assert_eq!(store.learned_batch_bytes().unwrap(), None);
            store.set_learned_batch_bytes(65_536).unwrap();
            store.set_learned_batch_bytes(32_768).unwrap();
        }
        let store = DeviceStore::open(dir.path()).unwrap();
        assert_eq!(store.learned_batch_bytes().unwrap(), Some(32_768));
    }

    #[test]
    fn the_database_runs_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let store = DeviceStore::open(dir.path()).unwrap();
        let mode: String = store
            .conn
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn refuses_empty_and_overlong_names_without_touching_the_stored_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = DeviceStore::open(dir.path()).unwrap();
        store.set_username("Asha").unwrap();
        assert!(matches!(
            store.set_username("   "),
            Err(StoreError::EmptyUsername)
        ));
        let long = "x".repeat(MAX_USERNAME_CHARS + 1);
        assert!(matches!(
            store.set_username(&long),
            Err(StoreError::UsernameTooLong(81))
        ));
        assert_eq!(store.profile().unwrap().username.as_deref(), Some("Asha"));
    }
}
