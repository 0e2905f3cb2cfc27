//! Why the store refused something, worded for the person holding the tablet.

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
}

impl From<fieldline_interview::ActionError> for StoreError {
    fn from(err: fieldline_interview::ActionError) -> Self {
        match err {
            fieldline_interview::ActionError::Answer(e) => StoreError::AnswerRefused(e),
            fieldline_interview::ActionError::Repeat(reason) => StoreError::RepeatRefused(reason),
        }
    }
}
