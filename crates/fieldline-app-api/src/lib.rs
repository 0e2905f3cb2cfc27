//! The contract between the field app's shell (`src-tauri`, native) and its UI (`ui`, wasm): command
//! names, their arguments and results, and the error every command may return. Both sides compile
//! against this crate, so a renamed field breaks the build instead of the interview.
//!
//! Argument structs are sent as the command's named arguments; the shell's commands take them in
//! snake_case (`#[tauri::command(rename_all = "snake_case")]`).

use serde::{Deserialize, Serialize};

pub use fieldline_interview::{Action, DraftFacts};

/// Names of the Tauri commands, as the UI invokes them.
pub mod command {
    pub const SET_USERNAME: &str = "set_username";
    pub const HOME: &str = "home";
    pub const IMPORT_FORM: &str = "import_form";
    pub const START_INTERVIEW: &str = "start_interview";
    pub const OPEN_DRAFT: &str = "open_draft";
    pub const RECORD: &str = "record";
    pub const SET_POSITION: &str = "set_position";
    pub const LEAVE_DRAFT: &str = "leave_draft";
    pub const FINALIZE: &str = "finalize";
    pub const DRAFTS: &str = "drafts";
    pub const DISCARD_DRAFT: &str = "discard_draft";
    pub const OUTBOX: &str = "outbox";
    pub const FORM_MEDIA: &str = "form_media";
    pub const ATTACH_FILE: &str = "attach_file";
    pub const DRAFT_FILE: &str = "draft_file";
    pub const ENROLL: &str = "enroll";
    pub const SYNC_NOW: &str = "sync_now";
    pub const SYNC_STATUS: &str = "sync_status";
    pub const LOCK_STATUS: &str = "lock_status";
    pub const CHOOSE_PIN: &str = "choose_pin";
    pub const UNLOCK: &str = "unlock";
    pub const LOCK: &str = "lock";
    pub const CHANGE_PIN: &str = "change_pin";
}

/// Headers of [`command::ATTACH_FILE`], whose body is the file's raw bytes (a photo is too big
/// to travel as JSON). Values are percent-encoded UTF-8 (`encodeURIComponent`).
pub mod attach_header {
    pub const INSTANCE_ID: &str = "fieldline-instance-id";
    /// The question's instance path.
    pub const PATH: &str = "fieldline-path";
    /// The file's name on the device it came from (its extension names the type).
    pub const FILE_NAME: &str = "fieldline-file-name";
}

/// What the home screen shows about this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceProfile {
    pub device_id: String,
    /// The enumerator's name, sent as XLSForm `username` metadata.
    pub username: Option<String>,
    /// The campaign server this device syncs with, when one is set.
    pub server_url: Option<String>,
    pub database_path: String,
}

/// A form on this device, as the home screen lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormCard {
    pub form_id: String,
    pub version: String,
    pub title: String,
    /// Interviews started and not finalized.
    pub drafts: i64,
    /// Interviews finalized on this device.
    pub finalized: i64,
    /// Finalized and not yet accepted by the server.
    pub not_sent: i64,
}

/// The campaign this device collects for, once enrolled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignView {
    pub campaign: String,
    /// The NGO partner (or the campaign's owner) the device collects for.
    pub organization: String,
    pub server_url: String,
}

/// Everything the home screen shows ([`command::HOME`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeView {
    pub profile: DeviceProfile,
    /// `None` until the device is enrolled.
    pub campaign: Option<CampaignView>,
    pub forms: Vec<FormCard>,
    /// Problems met while starting, e.g. a form given with `--import` that cannot be used.
    pub notices: Vec<String>,
}

/// Arguments of [`command::SET_USERNAME`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetUsername {
    pub name: String,
}

/// Arguments of [`command::IMPORT_FORM`]: an XLSForm chosen on the device, with any of its media
/// files (pictures, audio prompts) chosen alongside. Answers with an [`Imported`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportForm {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub media: Vec<MediaUpload>,
}

/// A media file given with a form.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MediaUpload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What importing did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imported {
    pub form: FormCard,
    /// Media files the form uses that are still not on the device.
    pub media_missing: Vec<String>,
    /// Files given that the form does not use (left out).
    pub media_ignored: Vec<String>,
}

/// Arguments of [`command::START_INTERVIEW`]; answers with the new draft's instance id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StartInterview {
    pub form_id: String,
    pub version: String,
    /// The device's offset from UTC now, in minutes (the UI knows the time zone; the store
    /// does not).
    pub utc_offset_minutes: i32,
}

/// Arguments of the commands about one draft ([`command::OPEN_DRAFT`],
/// [`command::LEAVE_DRAFT`], [`command::DISCARD_DRAFT`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DraftRef {
    pub instance_id: String,
}

/// A draft, for the UI to replay with the same engine ([`command::OPEN_DRAFT`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftView {
    pub title: String,
    pub facts: DraftFacts,
    /// The form's definition: JSON of `fieldline_form::Form`.
    pub definition: String,
    pub actions: Vec<Action>,
    /// The screen key the enumerator was on.
    pub position: Option<String>,
    /// The form's media files on the device (others show no picture or sound).
    pub media: Vec<MediaInfo>,
    /// Photos, recordings and files kept as answers in this draft; their bytes come from
    /// [`command::DRAFT_FILE`].
    pub files: Vec<MediaInfo>,
}

/// One of a form's media files on the device; its bytes come from [`command::FORM_MEDIA`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaInfo {
    pub name: String,
    pub media_type: String,
}

/// Arguments of [`command::FORM_MEDIA`], which answers with the file's raw bytes (an
/// `ArrayBuffer` in the page, not JSON: audio prompts can be large).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FormMedia {
    pub form_id: String,
    pub version: String,
    pub name: String,
}

/// Arguments of [`command::RECORD`]: one answer or repeat change, saved at once. Answers with
/// the path the engine resolved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub instance_id: String,
    pub action: Action,
}

/// Arguments of [`command::SET_POSITION`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetPosition {
    pub instance_id: String,
    pub position: String,
}

/// Arguments of [`command::FINALIZE`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finalize {
    pub instance_id: String,
    /// The form language the enumerator reads, for the message of a question still to fix.
    pub language: Option<String>,
}

/// What finalizing did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Finalized {
    /// In the outbox, never to change again.
    Finalized {
        instance_id: String,
        device_seq: i64,
    },
    /// The first question to fix; nothing was changed.
    Blocked { path: String, message: String },
}

/// A draft on the drafts screen ([`command::DRAFTS`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftCard {
    pub instance_id: String,
    pub form_title: String,
    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub created_at: i64,
    pub updated_at: i64,
    /// Answers and repeat changes saved so far.
    pub actions: i64,
}

/// Where an outbox item stands with the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendState {
    Queued,
    Sent,
    Rejected,
    Conflict,
}

/// A finalized interview on the outbox screen ([`command::OUTBOX`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxCard {
    pub instance_id: String,
    pub form_title: String,
    pub device_seq: i64,
    pub finalized_at: i64,
    pub state: SendState,
    /// The server's reason, for a rejected item.
    pub reason: Option<String>,
    pub size_bytes: i64,
}

/// A photo, recording or file kept as an answer ([`command::ATTACH_FILE`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedFile {
    /// The answered question's instance path.
    pub path: String,
    /// The stored file's name, which is the answer.
    pub name: String,
    pub media_type: String,
    pub size: i64,
}

/// Arguments of [`command::DRAFT_FILE`], which answers with the raw bytes of a file kept as an
/// answer in a draft (for its preview when the draft is reopened).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DraftFile {
    pub instance_id: String,
    pub name: String,
}

/// Arguments of [`command::ENROLL`]: the code a coordinator gave, typed or pasted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Enroll {
    /// `https://campaign.example.org`; the server remembered from `--server` when empty.
    pub server_url: String,
    pub code: String,
}

/// What sync is doing ([`command::SYNC_STATUS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    NotEnrolled,
    Probing,
    Syncing,
    Idle,
    Waiting,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncView {
    pub phase: SyncPhase,
    pub items_done: u64,
    pub items_total: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
    /// Why the last attempt failed, in words for people; `None` after a success.
    pub last_error: Option<String>,
    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub last_success_at: Option<i64>,
    /// Milliseconds until the next attempt, while waiting.
    pub next_attempt_in_ms: Option<u64>,
}

/// Where the PIN lock stands ([`command::LOCK_STATUS`]). Until the device is unlocked no other
/// command reaches the device's data: each answers with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockStatus {
    /// Whether this profile already has a PIN (the lock screen asks for it) or the enumerator
    /// must choose one first.
    pub pin_chosen: bool,
    pub unlocked: bool,
    /// Seconds without a touch or key after which the UI locks the app.
    pub lock_after_seconds: u64,
}

/// Arguments of [`command::CHOOSE_PIN`] (a profile without a PIN: encrypts it under this one)
/// and of [`command::UNLOCK`]. Both answer with the new [`LockStatus`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PinEntry {
    pub pin: String,
}

/// Arguments of [`command::CHANGE_PIN`], sent while unlocked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangePin {
    pub old_pin: String,
    pub new_pin: String,
}

/// A command's failure, in words for the person holding the tablet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppError {
    pub message: String,
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AppError {}
