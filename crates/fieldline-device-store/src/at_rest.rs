//! The device database encrypted at rest: SQLCipher, keyed with Argon2id of the enumerator's PIN.
//!
//! The key is never written anywhere. What is written, in the clear beside the database
//! ([`KEY_FILE`]), is what deriving it again needs (the salt and the Argon2id parameters) and the
//! count of wrong PINs in a row, so that guessing at the unlock screen slows down even across
//! restarts. Whoever copies the files can still guess offline, without the waits: that is what the
//! deliberately slow derivation and the PIN's minimum length are for.
//!
//! Whether a profile is encrypted is read from the database file itself (a plain SQLite file starts
//! with "SQLite format 3"; an SQLCipher file with random bytes), never from the key file, so the two
//! cannot disagree in a way that locks the enumerator out: see [`encrypt_in_place`].

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{now_millis, StoreError, DATABASE_FILE};

/// The clear file beside the database with the salt, the KDF parameters and the failure count.
pub const KEY_FILE: &str = "fieldline-device.key.json";

/// Where an existing plain database is written encrypted before it replaces the plain one.
const ENCRYPTING_FILE: &str = "fieldline-device.sqlite3.encrypting";

/// Shortest PIN accepted. Whoever copies the files guesses offline, where the waits do not apply:
/// at ~0.35 s a guess, 6 digits is about four days of one core, 4 digits would be an hour.
pub const MIN_PIN_DIGITS: usize = 6;
/// Longest PIN accepted: long enough for anyone who wants more, short enough to type on a keypad.
pub const MAX_PIN_DIGITS: usize = 16;

/// Argon2id memory: 64 MiB, what a cheap tablet can spare while the app runs.
const KDF_MEMORY_KIB: u32 = 64 * 1024;
/// Argon2id passes: 10, ~0.35 s on the development machine (2 cores, x86-64), within the
/// 0.3-0.5 s an unlock may take; slower tablets take longer.
const KDF_ITERATIONS: u32 = 10;
/// Argon2id lanes: 1, since the app derives on one thread.
const KDF_PARALLELISM: u32 = 1;
const SALT_BYTES: usize = 16;
const KEY_BYTES: usize = 32;

/// Wrong PINs in a row allowed before each further try has to wait.
pub const FREE_ATTEMPTS: u32 = 5;
/// The first wait, after [`FREE_ATTEMPTS`] wrong PINs; each further wrong PIN doubles it.
const FIRST_WAIT_MS: i64 = 30_000;
/// The longest wait: an hour, so a forgetful enumerator is slowed, not locked out for days.
const LONGEST_WAIT_MS: i64 = 60 * 60 * 1000;

/// The 32-byte database key; wiped from memory when dropped.
pub(crate) type DatabaseKey = Zeroizing<[u8; KEY_BYTES]>;

/// Refuses a PIN that is not [`MIN_PIN_DIGITS`] to [`MAX_PIN_DIGITS`] digits.
pub(crate) fn check_pin(pin: &str) -> Result<(), StoreError> {
    let digits = pin.chars().count();
    if !pin.chars().all(|c| c.is_ascii_digit()) {
        return Err(StoreError::InvalidPin(
            "it has something other than the digits 0-9".to_owned(),
        ));
    }
    if digits < MIN_PIN_DIGITS {
        return Err(StoreError::InvalidPin(format!(
            "it has only {digits} digits"
        )));
    }
    if digits > MAX_PIN_DIGITS {
        return Err(StoreError::InvalidPin(format!("it has {digits} digits")));
    }
    Ok(())
}

/// What the database file says about the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DatabaseState {
    /// No database yet (or an empty file SQLite created and never wrote).
    New,
    /// A plain SQLite database, readable by anyone.
    Plain,
    /// Anything else: an SQLCipher database, readable only with its key.
    Encrypted,
}

pub(crate) fn database_state(path: &Path) -> Result<DatabaseState, StoreError> {
    const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(DatabaseState::New),
        Err(e) => return Err(file_error(path, e)),
    };
    let mut header = Vec::with_capacity(SQLITE_HEADER.len());
    (&mut file)
        .take(SQLITE_HEADER.len() as u64)
        .read_to_end(&mut header)
        .map_err(|e| file_error(path, e))?;
    Ok(match header.as_slice() {
        [] => DatabaseState::New,
        h if h == SQLITE_HEADER => DatabaseState::Plain,
        _ => DatabaseState::Encrypted,
    })
}

/// The contents of [`KEY_FILE`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct KeyFile {
    /// Always "argon2id"; named so that a future scheme can be told apart.
    kdf: String,
    /// Argon2 version (19 = 0x13).
    argon2_version: u32,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    /// Base64 of the random salt.
    salt: String,
    /// Wrong PINs in a row; counted before each check, so killing the app during one still counts.
    failed_attempts: u32,
    /// When the last try began, in milliseconds since 1970: the wait runs from there.
    last_attempt_unix_ms: i64,
}

impl KeyFile {
    /// A new salt with today's parameters.
    pub(crate) fn fresh() -> Result<Self, StoreError> {
        let mut salt = [0u8; SALT_BYTES];
        getrandom::fill(&mut salt).map_err(|e| {
            StoreError::AtRest(format!("the system gave no random bytes for the salt: {e}"))
        })?;
        Ok(Self {
            kdf: "argon2id".to_owned(),
            argon2_version: Version::V0x13 as u32,
            memory_kib: KDF_MEMORY_KIB,
            iterations: KDF_ITERATIONS,
            parallelism: KDF_PARALLELISM,
            salt: base64::engine::general_purpose::STANDARD.encode(salt),
            failed_attempts: 0,
            last_attempt_unix_ms: 0,
        })
    }

    pub(crate) fn read(data_dir: &Path) -> Result<Self, StoreError> {
        let path = data_dir.join(KEY_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| StoreError::KeyFile {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        serde_json::from_str(&text).map_err(|e| StoreError::KeyFile {
            path,
            reason: e.to_string(),
        })
    }

    /// Replaces the file whole (a temporary file renamed over it, both synced), so a crash leaves
    /// either the old contents or the new, never half of each.
    pub(crate) fn write(&self, data_dir: &Path) -> Result<(), StoreError> {
        let path = data_dir.join(KEY_FILE);
        let temporary = data_dir.join(format!("{KEY_FILE}.writing"));
        let text = serde_json::to_string_pretty(self).expect("a key file always serializes");
        let written = File::create(&temporary)
            .and_then(|mut file| {
                file.write_all(text.as_bytes())?;
                file.sync_all()
            })
            .and_then(|()| std::fs::rename(&temporary, &path))
            .and_then(|()| sync_directory(data_dir));
        written.map_err(|e| file_error(&path, e))
    }

    /// Derives the database key from `pin` with this file's salt and parameters (~0.35 s).
    pub(crate) fn derive_key(&self, pin: &str) -> Result<DatabaseKey, StoreError> {
        let unusable = |reason: String| StoreError::KeyFile {
            path: PathBuf::from(KEY_FILE),
            reason,
        };
        if self.kdf != "argon2id" || self.argon2_version != Version::V0x13 as u32 {
            return Err(unusable(format!(
                "unknown key derivation {} version {}",
                self.kdf, self.argon2_version
            )));
        }
        let salt = base64::engine::general_purpose::STANDARD
            .decode(&self.salt)
            .map_err(|e| unusable(format!("the salt is not base64: {e}")))?;
        let params = Params::new(
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Some(KEY_BYTES),
        )
        .map_err(|e| unusable(format!("the Argon2id parameters are impossible: {e}")))?;
        let mut key = Zeroizing::new([0u8; KEY_BYTES]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(pin.as_bytes(), &salt, key.as_mut())
            .map_err(|e| unusable(format!("the key cannot be derived: {e}")))?;
        Ok(key)
    }

    /// How long the next try waits after the last one, in milliseconds (0: none).
    fn wait_ms(&self) -> i64 {
        let Some(doublings) = self.failed_attempts.checked_sub(FREE_ATTEMPTS) else {
            return 0;
        };
        FIRST_WAIT_MS
            .saturating_mul(1i64 << doublings.min(20))
            .min(LONGEST_WAIT_MS)
    }

    /// How long the enumerator must still wait before the next try, in milliseconds (0: none).
    fn wait_remaining_ms(&self, now_ms: i64) -> i64 {
        // A clock set back before the last try counts as no time elapsed, not as a wait forgiven.
        let elapsed = now_ms.saturating_sub(self.last_attempt_unix_ms).max(0);
        (self.wait_ms() - elapsed).max(0)
    }

    /// Starts a try of a PIN: refused while a wait runs; otherwise counted as wrong, on disk,
    /// before the PIN is checked. [`KeyFile::attempt_succeeded`] takes the count back.
    pub(crate) fn begin_attempt(&mut self, data_dir: &Path) -> Result<(), StoreError> {
        let now = now_millis();
        let wait = self.wait_remaining_ms(now);
        if wait > 0 {
            return Err(StoreError::PinLocked {
                wait_seconds: whole_seconds(wait),
            });
        }
        self.failed_attempts = self.failed_attempts.saturating_add(1);
        self.last_attempt_unix_ms = now;
        self.write(data_dir)
    }

    /// The error for the PIN just tried and found wrong, with the whole wait it earned (counted
    /// from the start of the try, so a little of it has passed already).
    pub(crate) fn wrong_pin(&self) -> StoreError {
        StoreError::WrongPin {
            tries_before_wait: FREE_ATTEMPTS.saturating_sub(self.failed_attempts),
            wait_seconds: whole_seconds(self.wait_ms()),
        }
    }

    pub(crate) fn attempt_succeeded(&mut self, data_dir: &Path) -> Result<(), StoreError> {
        self.failed_attempts = 0;
        self.last_attempt_unix_ms = 0;
        self.write(data_dir)
    }
}

/// Milliseconds as the seconds an enumerator is told to wait, rounded up so that waiting that long
/// is always enough.
fn whole_seconds(ms: i64) -> i64 {
    ms.saturating_add(999) / 1000
}

/// SQLCipher's statement giving a connection its raw 256-bit key: the `x'...'` form skips
/// SQLCipher's own PBKDF2, since Argon2id has already made the key. Wiped when dropped.
fn key_literal(key: &DatabaseKey) -> Zeroizing<String> {
    let mut literal = Zeroizing::new(String::with_capacity(2 * KEY_BYTES + 3));
    literal.push_str("x'");
    for byte in key.iter() {
        literal.push(char::from_digit(u32::from(byte >> 4), 16).expect("a nibble"));
        literal.push(char::from_digit(u32::from(byte & 0xf), 16).expect("a nibble"));
    }
    literal.push('\'');
    literal
}

/// Gives `conn` the key, then reads the schema: with the wrong key that read fails with
/// "file is not a database" ([`is_wrong_key`]) instead of some later statement failing.
pub(crate) fn apply_key(conn: &Connection, key: &DatabaseKey) -> rusqlite::Result<()> {
    // SQLCipher prints a wrong key's failed page check to stderr; the enumerator is told in the
    // store's own words instead.
    conn.pragma_update(None, "cipher_log_level", "NONE")?;
    conn.pragma_update(None, "key", key_literal(key).as_str())?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
}

/// A new key for an open connection; SQLCipher rewrites every page in one transaction.
pub(crate) fn rekey(conn: &Connection, key: &DatabaseKey) -> rusqlite::Result<()> {
    conn.pragma_update(None, "rekey", key_literal(key).as_str())
}

/// Whether an error opening an encrypted database means its key is wrong.
pub(crate) fn is_wrong_key(error: &rusqlite::Error) -> bool {
    error.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase)
}

/// Encrypts the plain profile database in `data_dir` under a key derived from `pin`, keeping
/// everything in it, and returns the key.
///
/// Killing the app at any point leaves a usable profile. The encrypted copy is written beside the
/// plain database, and the key file with its salt is on disk before the copy replaces the plain
/// database by a rename, the only step that changes what the profile is: before it, the plain
/// database is untouched and is still what opens (the copy and key file are rewritten by the next
/// try); after it, the encrypted database and the salt that opens it are both on disk. A rename
/// within one directory is atomic, so no crash leaves half of each.
pub(crate) fn encrypt_in_place(data_dir: &Path, pin: &str) -> Result<DatabaseKey, StoreError> {
    let database = data_dir.join(DATABASE_FILE);
    let encrypting = data_dir.join(ENCRYPTING_FILE);
    // Left by a try that was killed: never yet the profile's database, so nothing is lost.
    remove_if_present(&encrypting)?;
    remove_if_present(&with_suffix(&encrypting, "-journal"))?;

    let key_file = KeyFile::fresh()?;
    let key = key_file.derive_key(pin)?;
    {
        let plain = Connection::open(&database)?;
        // A checkpoint that cannot finish means another program (the field app?) has the
        // database open: its next writes would go to a WAL about to be deleted.
        let busy: i64 = plain.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        if busy != 0 {
            return Err(StoreError::AtRest(format!(
                "{} is in use by another program; close it (the field app?) and try again",
                database.display()
            )));
        }
        plain.execute(
            "ATTACH DATABASE ?1 AS encrypted KEY ?2",
            (
                encrypting.to_string_lossy().as_ref(),
                key_literal(&key).as_str(),
            ),
        )?;
        plain.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
        let user_version: i64 = plain.query_row("PRAGMA main.user_version", [], |r| r.get(0))?;
        plain.pragma_update(Some("encrypted"), "user_version", user_version)?;
        plain.execute("DETACH DATABASE encrypted", [])?;
        // Closing the last connection checkpoints and deletes the plain WAL and shared memory.
        plain.close().map_err(|(_, e)| e)?;
    }
    File::open(&encrypting)
        .and_then(|file| file.sync_all())
        .map_err(|e| file_error(&encrypting, e))?;
    key_file.write(data_dir)?;
    // A WAL left beside the database would be replayed into the encrypted one and break it.
    remove_wal_and_shared_memory(&database)?;
    std::fs::rename(&encrypting, &database).map_err(|e| file_error(&database, e))?;
    sync_directory(data_dir).map_err(|e| file_error(data_dir, e))?;
    remove_wal_and_shared_memory(&database)?;
    Ok(key)
}

/// Makes way for a new database where the file is missing or empty. A WAL beside an empty file
/// holds nothing committed (creating a database in WAL mode writes its first page to the main
/// file), but one left by a creation that was killed would be replayed into the new database.
pub(crate) fn clear_before_creating(database: &Path) -> Result<(), StoreError> {
    remove_wal_and_shared_memory(database)
}

fn remove_wal_and_shared_memory(database: &Path) -> Result<(), StoreError> {
    remove_if_present(&with_suffix(database, "-wal"))?;
    remove_if_present(&with_suffix(database, "-shm"))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_if_present(path: &Path) -> Result<(), StoreError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(file_error(path, e)),
        _ => Ok(()),
    }
}

/// Makes a rename in `dir` durable: on Unix the directory entry is only on disk once the
/// directory itself is synced.
fn sync_directory(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn file_error(path: &Path, error: std::io::Error) -> StoreError {
    StoreError::AtRest(format!("{}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_start_after_five_wrong_pins_and_double() {
        let mut file = KeyFile::fresh().unwrap();
        file.last_attempt_unix_ms = 1_000_000;
        let wait_after = |failures, file: &mut KeyFile| {
            file.failed_attempts = failures;
            file.wait_remaining_ms(1_000_000)
        };
        assert_eq!(wait_after(4, &mut file), 0);
        assert_eq!(wait_after(5, &mut file), 30_000);
        assert_eq!(wait_after(6, &mut file), 60_000);
        assert_eq!(wait_after(7, &mut file), 120_000);
        assert_eq!(wait_after(40, &mut file), LONGEST_WAIT_MS);
        file.failed_attempts = 5;
        assert_eq!(file.wait_remaining_ms(1_000_000 + 29_000), 1_000);
        assert_eq!(file.wait_remaining_ms(1_000_000 + 30_000), 0);
        assert_eq!(file.wait_remaining_ms(0), 30_000, "clock set back");
    }

    #[test]
    fn a_try_is_counted_on_disk_before_the_pin_is_checked() {
        // So that killing the app while it derives the key (the slow part) does not take the
        // try back.
        let dir = tempfile::tempdir().unwrap();
        let mut file = KeyFile::fresh().unwrap();
        file.write(dir.path()).unwrap();
        file.begin_attempt(dir.path()).unwrap();
        let on_disk = KeyFile::read(dir.path()).unwrap();
        assert_eq!(on_disk.failed_attempts, 1);
        assert!(on_disk.last_attempt_unix_ms > 0);
        file.attempt_succeeded(dir.path()).unwrap();
        assert_eq!(KeyFile::read(dir.path()).unwrap().failed_attempts, 0);
    }

    #[test]
    fn pins_are_six_to_sixteen_digits() {
        assert!(check_pin("123456").is_ok());
        assert!(check_pin("1234567890123456").is_ok());
        for bad in [
            "12345",
            "",
            "12345a",
            "１２３４５６",
            "12345678901234567",
            "123 456",
        ] {
            let err = check_pin(bad).unwrap_err();
            assert!(matches!(err, StoreError::InvalidPin(_)), "{bad:?}: {err}");
        }
    }

    #[test]
    fn the_state_is_read_from_the_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        assert_eq!(database_state(&path).unwrap(), DatabaseState::New);
        std::fs::write(&path, b"").unwrap();
        assert_eq!(database_state(&path).unwrap(), DatabaseState::New);
        std::fs::write(&path, b"SQLite format 3\0rest").unwrap();
        assert_eq!(database_state(&path).unwrap(), DatabaseState::Plain);
        std::fs::write(&path, [7u8; 64]).unwrap();
        assert_eq!(database_state(&path).unwrap(), DatabaseState::Encrypted);
    }
}
