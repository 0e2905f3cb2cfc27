//! The device's local store: one SQLite database per device profile, in a directory the app chooses.
//!
//! Everything an enumerator enters lives here until the server has acknowledged it, so the database
//! runs in WAL mode with foreign keys on, and every write is its own small transaction.

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
}

// The app keeps the store behind a Mutex in state shared across threads, so it must stay Send
// (the cached draft included); this fails to compile otherwise.
const _: fn() = || {
    fn send<T: Send>() {}
    send::<DeviceStore>();
};

impl DeviceStore {
    /// Opens (creating if needed) the profile in `data_dir`, migrating it to the current schema.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let path = data_dir.join(DATABASE_FILE);
        // NORMAL is durable across app crashes in WAL mode; commits that must survive power loss
        // (finalized submissions) ask for FULL themselves.
        let conn = fieldline_migrations::open(
            &path,
            fieldline_migrations::DEVICE,
            fieldline_migrations::Durability::Normal,
        )?;
        conn.execute(
            "INSERT INTO device (singleton, device_id) VALUES (1, ?1) ON CONFLICT DO NOTHING",
            [format!("fieldline:{}", uuid::Uuid::now_v7())],
        )?;
        Ok(Self {
            conn,
            path,
            open_draft: None,
        })
    }
}

/// Now, in milliseconds since 1970-01-01T00:00:00Z: the form engine's clock.
pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
