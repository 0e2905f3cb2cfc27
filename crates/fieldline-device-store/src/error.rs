//! Why the store refused something, worded for the person holding the tablet.

use crate::at_rest::{MAX_PIN_DIGITS, MIN_PIN_DIGITS};
use crate::{MAX_ANSWER_FILE_BYTES, MAX_USERNAME_CHARS, MAX_UTC_OFFSET_MINUTES};

const MIB: usize = 1024 * 1024;

/// Bytes in MB (MiB), rounded up to one decimal, as a person reads a file's size: a file just
/// over the limit does not read as the limit.
fn megabytes(bytes: usize) -> String {
    let tenths = bytes.saturating_mul(10).div_ceil(MIB);
    format!("{}.{}", tenths / 10, tenths % 10)
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the device database: {0}")]
    Open(#[from] fieldline_migrations::OpenError),
    #[error("the user name is empty; type the name you sign your interviews with")]
    EmptyUsername,
    #[error(
        "the device's offset from UTC, {0} minutes, is impossible; it must lie within \
         {MAX_UTC_OFFSET_MINUTES} minutes of UTC: check the tablet's time zone"
    )]
    UtcOffset(i32),
    #[error("the user name is {0} characters long; use at most {MAX_USERNAME_CHARS}")]
    UsernameTooLong(usize),
    #[error("this form cannot be used:\n{0}")]
    UnusableForm(#[from] fieldline_form::FormErrors),
    #[error(
        "form {form_id} version {version:?} is already on this device with different content; \
         ask for a form with a new version number"
    )]
    FormVersionConflict { form_id: String, version: String },
    #[error(
        "form {form_id} version {version:?} already has a different file named {name:?}; \
         publish a new form version to change it"
    )]
    MediaConflict {
        form_id: String,
        version: String,
        name: String,
    },
    #[error(
        "two different files named {0:?} were given with the form; keep the one the form \
         should show and import again"
    )]
    DuplicateMedia(String),
    #[error("form {form_id} version {version:?} is not on this device")]
    UnknownForm { form_id: String, version: String },
    #[error("cannot seal submissions to the campaign's keys: {0}")]
    Sealing(String),
    #[error(
        "this device holds {0} finalized interview(s) not yet sent that would go to an end-to-end \
         encrypted campaign unsealed; send them to the campaign they were made for first"
    )]
    UnsealedBeforeEncryptedCampaign(i64),
    #[error("there is no draft {0} on this device (finalized or discarded already?)")]
    UnknownDraft(String),
    #[error("submission {instance_id} has no attached file {name:?} on this device")]
    UnknownAttachment { instance_id: String, name: String },
    #[error(
        "form {form_id} version {version:?} has no file named {name:?} on this device; import it \
         with the form"
    )]
    UnknownMedia {
        form_id: String,
        version: String,
        name: String,
    },
    #[error(
        "the question {question} ({question_type}) does not take a photo, recording or file; \
         nothing was saved"
    )]
    NotAFileQuestion {
        question: String,
        question_type: &'static str,
    },
    #[error(
        "the file {0:?} is empty; take the photo, make the recording or choose the file again"
    )]
    EmptyFile(String),
    #[error(
        "the file {name:?} is {} MB; a file given as an answer can be at most {} MB: record a \
         shorter clip or choose a smaller file",
        megabytes(*size),
        MAX_ANSWER_FILE_BYTES / MIB
    )]
    FileTooLarge { name: String, size: usize },
    #[error(
        "the file {name:?} of draft {instance_id} is no longer on this device; take the photo, \
         make the recording or choose the file again"
    )]
    MissingDraftFile { instance_id: String, name: String },
    #[error("the answer was not saved: {0}")]
    AnswerRefused(fieldline_form::instance::AnswerError),
    #[error("the repeat was not changed: {0}")]
    RepeatRefused(String),
    #[error(
        "draft {instance_id} cannot be replayed (answer {seq}: {reason}); the form it was \
         started with has changed"
    )]
    Replay {
        instance_id: String,
        seq: i64,
        reason: String,
    },
    #[error("the stored definition of form {form_id} cannot be read: {reason}")]
    CorruptForm { form_id: String, reason: String },
    #[error("the round {round:?} from the server cannot be used: {reason}; nothing of its page was kept")]
    BadRound { round: String, reason: String },
    #[error("there is no round {0} on this device; pull the rounds from the server first")]
    UnknownRound(String),
    #[error("device database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "this device's data is locked with a PIN; unlock it with the enumerator's PIN \
         (`fieldline device` reads it from the FIELDLINE_PIN environment variable)"
    )]
    PinRequired,
    #[error(
        "this PIN cannot be used: {0}; a PIN is {MIN_PIN_DIGITS} to {MAX_PIN_DIGITS} digits \
         (0-9 only)"
    )]
    InvalidPin(String),
    #[error("{}", wrong_pin(*tries_before_wait, *wait_seconds))]
    WrongPin {
        /// Wrong PINs still allowed before each try has to wait.
        tries_before_wait: u32,
        /// How long the next try has to wait, in seconds (0: it can come at once).
        wait_seconds: i64,
    },
    #[error(
        "too many wrong PINs in a row: wait {wait_seconds} s before trying again (each further \
         wrong PIN doubles the wait)"
    )]
    PinLocked { wait_seconds: i64 },
    #[error(
        "the PIN's key file {path} cannot be used ({reason}); without it this device's data \
         cannot be unlocked: put back the copy that was beside the database"
    )]
    KeyFile {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error(
        "this device's data has no PIN yet; open it with a PIN first (`fieldline device` with \
         FIELDLINE_PIN set), which encrypts it"
    )]
    NoPinToChange,
    #[error("the device's encrypted files: {0}")]
    AtRest(String),
}

fn wrong_pin(tries_before_wait: u32, wait_seconds: i64) -> String {
    if wait_seconds > 0 {
        format!(
            "the PIN is wrong; too many wrong PINs in a row: wait {wait_seconds} s before trying \
             again"
        )
    } else if tries_before_wait == 0 {
        "the PIN is wrong; after another wrong PIN each try will have to wait".to_owned()
    } else {
        format!(
            "the PIN is wrong; {tries_before_wait} more wrong PIN(s) and each try will have to \
             wait, longer each time"
        )
    }
}

impl From<fieldline_interview::ActionError> for StoreError {
    fn from(err: fieldline_interview::ActionError) -> Self {
        match err {
            fieldline_interview::ActionError::Answer(e) => StoreError::AnswerRefused(e),
            fieldline_interview::ActionError::Repeat(reason) => StoreError::RepeatRefused(reason),
        }
    }
}
