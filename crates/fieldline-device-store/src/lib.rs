//! The device's local store: one SQLite database per device profile, in a directory the app chooses.
//!
//! Everything an enumerator enters lives here until the server has acknowledged it, so the database
//! runs in WAL mode with foreign keys on, and every write is its own small transaction.
//!
//! Opened with the enumerator's PIN ([`DeviceStore::open_with_pin`]) the database is encrypted at
//! rest with SQLCipher (see `at_rest`); opened without one ([`DeviceStore::open`]) it is plain.

mod at_rest;
mod audit;
mod drafts;
mod error;
mod files;
mod forms;
mod media;
mod outbox;
pub mod payload;
mod profile;
mod seal;
mod session;
mod sync;

use std::path::{Path, PathBuf};

use rusqlite::Connection;

pub use at_rest::{FREE_ATTEMPTS, KEY_FILE, MAX_PIN_DIGITS, MIN_PIN_DIGITS};
pub use audit::{AttachmentInfo, AuditEvent, AUDIT_FILE, END_SCREEN_KEY};
pub use drafts::{DraftLog, DraftSummary};
pub use error::StoreError;
pub use fieldline_interview::{Action, DraftFacts};
pub use files::{AttachedFile, MAX_ANSWER_FILE_BYTES};
pub use forms::{FormSummary, ImportedForm};
pub use media::{media_files_next_to, media_folder_of, MediaFile};
pub use outbox::{FinalizeOutcome, OutboxEntry, SyncState};
pub use profile::DeviceProfile;
pub use sync::{
    AppliedPage, Enrollment, PendingTotals, PreparedRounds, RecordedResults, RoundInfo, SyncCounts,
};

/// File name of the profile database inside the data directory.
pub const DATABASE_FILE: &str = "fieldline-device.sqlite3";

/// Longest enumerator name accepted; names are shown on every screen and sent with each submission.
pub const MAX_USERNAME_CHARS: usize = 80;

/// Largest offset from UTC a device can report, in minutes (UTC+14 and UTC-12 are the extremes in
/// use; the schema allows up to 18 hours either way, as ISO 8601 does).
pub const MAX_UTC_OFFSET_MINUTES: i32 = 18 * 60;

/// An open device profile.
pub struct DeviceStore {
    conn: Connection,
    path: PathBuf,
    /// The draft being answered, kept live so an answer is checked by the engine without replaying
    /// the whole log each time. Dropped whenever the database and it might disagree.
    open_draft: Option<session::OpenDraft>,
    /// Whether the database is encrypted under a key derived from a PIN.
    pin_protected: bool,
}

// The app keeps the store behind a Mutex in state shared across threads, so it must stay Send
// (the cached draft included); this fails to compile otherwise.
const _: fn() = || {
    fn send<T: Send>() {}
    send::<DeviceStore>();
};

impl DeviceStore {
    /// Opens (creating if needed) the profile in `data_dir`, migrating it to the current schema.
    /// The database stays plain (the field app's behaviour until it asks for a PIN); a profile
    /// encrypted with a PIN is refused with [`StoreError::PinRequired`].
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let path = data_dir.join(DATABASE_FILE);
        if at_rest::database_state(&path)? == at_rest::DatabaseState::Encrypted {
            return Err(StoreError::PinRequired);
        }
        Self::open_database(path, None)
    }

    /// Opens the profile in `data_dir` encrypted at rest under a key derived from `pin`: a new
    /// profile is created encrypted, a plain one is encrypted in place (keeping everything in it),
    /// an encrypted one is unlocked. A wrong PIN is [`StoreError::WrongPin`]; after
    /// [`FREE_ATTEMPTS`] wrong PINs in a row each try must wait ([`StoreError::PinLocked`]), 30 s
    /// and doubling, up to an hour; the right PIN ends the waits. Encrypting a plain profile
    /// takes it from under any other program that has it open: close those first.
    pub fn open_with_pin(data_dir: &Path, pin: &str) -> Result<Self, StoreError> {
        at_rest::check_pin(pin)?;
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::AtRest(format!("{}: {e}", data_dir.display())))?;
        let path = data_dir.join(DATABASE_FILE);
        match at_rest::database_state(&path)? {
            at_rest::DatabaseState::New => {
                at_rest::clear_before_creating(&path)?;
                // The salt is on disk before the database exists, so no database is ever
                // without the means to open it.
                let key_file = at_rest::KeyFile::fresh()?;
                key_file.write(data_dir)?;
                let key = key_file.derive_key(pin)?;
                Self::open_database(path, Some(&key))
            }
            at_rest::DatabaseState::Plain => {
                let key = at_rest::encrypt_in_place(data_dir, pin)?;
                Self::open_database(path, Some(&key))
            }
            at_rest::DatabaseState::Encrypted => {
                let mut key_file = at_rest::KeyFile::read(data_dir)?;
                key_file.begin_attempt(data_dir)?;
                let key = key_file.derive_key(pin)?;
                match Self::open_database(path, Some(&key)) {
                    Err(StoreError::Open(fieldline_migrations::OpenError::Open {
                        source, ..
                    })) if at_rest::is_wrong_key(&source) => Err(key_file.wrong_pin()),
                    Err(other) => Err(other),
                    Ok(store) => {
                        key_file.attempt_succeeded(data_dir)?;
                        Ok(store)
                    }
                }
            }
        }
    }

    /// Replaces the PIN of a profile opened with [`DeviceStore::open_with_pin`]. The old PIN is
    /// checked like an unlock (wrong ones count towards the waits). The salt and parameters stay,
    /// so the key file keeps opening the database whatever happens, and re-encrypting under the
    /// new key is one transaction: a crash leaves the old PIN or the new one working, never
    /// neither.
    pub fn change_pin(&mut self, old_pin: &str, new_pin: &str) -> Result<(), StoreError> {
        at_rest::check_pin(new_pin)?;
        if !self.pin_protected {
            return Err(StoreError::NoPinToChange);
        }
        let data_dir = self.path.parent().map(Path::to_owned).unwrap_or_default();
        let mut key_file = at_rest::KeyFile::read(&data_dir)?;
        key_file.begin_attempt(&data_dir)?;
        let old_key = key_file.derive_key(old_pin)?;
        let check = Connection::open(&self.path)?;
        match at_rest::apply_key(&check, &old_key) {
            Err(e) if at_rest::is_wrong_key(&e) => return Err(key_file.wrong_pin()),
            other => other?,
        }
        drop(check);
        key_file.attempt_succeeded(&data_dir)?;
        let new_key = key_file.derive_key(new_pin)?;
        at_rest::rekey(&self.conn, &new_key)?;
        Ok(())
    }

    /// Whether this profile's database is encrypted under a PIN.
    pub fn is_pin_protected(&self) -> bool {
        self.pin_protected
    }

    /// Whether the profile in `data_dir` is encrypted with a PIN, read from the database file
    /// itself (as opening does): the field app asks for the PIN to unlock it, or else asks the
    /// enumerator to choose one. A directory without a database is not (yet) protected.
    pub fn is_profile_pin_protected(data_dir: &Path) -> Result<bool, StoreError> {
        let state = at_rest::database_state(&data_dir.join(DATABASE_FILE))?;
        Ok(state == at_rest::DatabaseState::Encrypted)
    }

    fn open_database(
        path: PathBuf,
        key: Option<&at_rest::DatabaseKey>,
    ) -> Result<Self, StoreError> {
        // NORMAL is durable across app crashes in WAL mode; commits that must survive power loss
        // (finalized submissions) ask for FULL themselves.
        let conn = fieldline_migrations::open_with(
            &path,
            fieldline_migrations::DEVICE,
            fieldline_migrations::Durability::Normal,
            |conn| match key {
                Some(key) => at_rest::apply_key(conn, key),
                None => Ok(()),
            },
        )?;
        conn.execute(
            "INSERT INTO device (singleton, device_id) VALUES (1, ?1) ON CONFLICT DO NOTHING",
            [format!("fieldline:{}", uuid::Uuid::now_v7())],
        )?;
        Ok(Self {
            conn,
            path,
            open_draft: None,
            pin_protected: key.is_some(),
        })
    }
}

/// A read-only connection to the profile database in `data_dir`, encrypted with `pin`, for
/// tools and tests that inspect it beside the app (the key is derived here, as the store does, so
/// the derivation lives in one place). Unlike an unlock, a wrong PIN is not counted towards the
/// waits: whoever runs this can read the files anyway.
pub fn open_read_only_with_pin(data_dir: &Path, pin: &str) -> Result<Connection, StoreError> {
    let key = at_rest::KeyFile::read(data_dir)?.derive_key(pin)?;
    let conn = Connection::open_with_flags(
        data_dir.join(DATABASE_FILE),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    match at_rest::apply_key(&conn, &key) {
        Err(e) if at_rest::is_wrong_key(&e) => Err(StoreError::AtRest(format!(
            "the PIN given does not open {}",
            data_dir.join(DATABASE_FILE).display()
        ))),
        other => other.map(|()| conn).map_err(StoreError::from),
    }
}

/// Now, in milliseconds since 1970-01-01T00:00:00Z: the form engine's clock.
pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
