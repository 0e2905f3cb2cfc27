//! The sync protocol, version 1: what a field device and the campaign server say to each other.
//!
//! Both sides compile against these types, so a renamed field breaks the build instead of a
//! sync. Bodies are JSON, gzip-compressed in both directions (`Content-Encoding: gzip` on
//! requests, `Accept-Encoding: gzip` for answers). Binary fields (form workbooks, payloads)
//! travel as standard base64 strings inside the JSON.
//!
//! # Who is who
//! A device enrolls once with a one-time code ([`EnrollRequest`]) and from then on sends
//! `Authorization: Bearer <device token>`. People sign in ([`LoginRequest`]) and send their
//! session token the same way.
//!
//! # Downstream: forms
//! `GET /api/v1/device/rounds?after=CURSOR` answers a [`RoundsPage`]: the rounds published for
//! the device's campaign after the cursor, oldest first, at most about [`PAGE_BYTES`] of
//! workbooks per page. The device applies a page and stores its `cursor` in one transaction,
//! then asks again while `more` is true.
//!
//! # Upstream: submissions
//! Attachments first: for each file a submission names, `HEAD /api/v1/device/attachments/SHA256`
//! answers `Upload-Offset: N` (bytes held so far, 404 when none); `PATCH` with `Upload-Offset: N`
//! and the bytes from N on appends them; once the bytes hash to SHA256 the file is complete
//! (`Upload-Complete: 1`), so a broken upload resumes where it broke. Then
//! `POST /api/v1/device/submissions` with a [`SubmitBatch`] of at most [`BATCH_BYTES`] answers a
//! [`SubmitReply`] with one [`ItemResult`] per item. The server commits before it answers. A
//! device marks an item sent only when a reply lists it as accepted or duplicate, and rejected or
//! conflicting when the reply says so; anything else is retried. `GET /api/v1/device/status`
//! answers a [`DeviceStatus`]: the highest device sequence number below which the server holds
//! every submission, so a gap shows.
//!
//! # Room for end-to-end encryption
//! [`Envelope`] carries what the server needs without reading the payload (instance id, form,
//! sequence number, hash, attachment list); `encoding` says how the payload is written. Only
//! `json` payloads are validated by the server's form engine; others are stored as they came.

pub mod dashboard;

use serde::{Deserialize, Serialize};

/// The API's path prefix.
pub const API: &str = "/api/v1";

/// Largest request body the server accepts, compressed or not (a batch, an attachment chunk).
pub const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// How many payload bytes (before compression) a device puts in one batch, at most; one larger
/// submission travels alone.
pub const BATCH_BYTES: usize = 512 * 1024;

/// Roughly how many workbook bytes a rounds page carries.
pub const PAGE_BYTES: usize = 4 * 1024 * 1024;

/// Header of an attachment upload: bytes the server holds / the offset a chunk starts at.
pub const UPLOAD_OFFSET: &str = "upload-offset";
/// Header of an attachment answer: `1` once the file is whole and its hash checked.
pub const UPLOAD_COMPLETE: &str = "upload-complete";

/// `POST /api/v1/enroll`: a device joins a campaign for a partner with a one-time code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    pub code: String,
    /// The device's own id (`fieldline:UUID`), sent with every submission.
    pub device_id: String,
    /// What the people managing devices see, e.g. the enumerator's name.
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolled {
    /// The device's secret from now on; the server keeps only its hash.
    pub device_token: String,
    pub server_id: String,
    pub campaign: Named,
    pub organization: Named,
    /// The campaign's age public keys (`age1...`) when it is end-to-end encrypted: the device
    /// seals every submission to them. Empty for a campaign the server may read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<String>,
}

/// Something with an id and a name people read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub id: String,
    pub name: String,
}

/// `POST /api/v1/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedIn {
    pub token: String,
    pub role: Role,
    pub organization: Named,
}

/// What a person may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Everything on the server.
    Admin,
    /// Everything in the campaigns their organization owns.
    Manager,
    /// Their own organization's devices and submissions.
    PartnerAdmin,
    /// Reads what their organization may read.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Manager, Role::PartnerAdmin, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::PartnerAdmin => "partner-admin",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// One round's form, as a device receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundForm {
    pub round_id: String,
    /// `baseline`, `endline`, `midline-1`...
    pub round_name: String,
    pub form_id: String,
    pub form_version: String,
    pub title: String,
    pub file_name: String,
    /// Lowercase hex SHA-256 of the workbook.
    pub sha256: String,
    /// The XLSForm workbook, base64.
    pub xlsform: String,
}

/// `GET /api/v1/device/rounds?after=CURSOR`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundsPage {
    pub rounds: Vec<RoundForm>,
    /// Ask with this next time (and store it with the page).
    pub cursor: i64,
    /// Whether more rounds wait after this page.
    pub more: bool,
}

/// How a submission's payload is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayloadEncoding {
    /// The device store's canonical JSON (format 1); the server validates it.
    Json,
    /// Encrypted to the campaign's keys; the server stores it unread.
    Age,
}

/// A file a submission carries, uploaded separately by content hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRef {
    pub name: String,
    pub sha256: String,
    pub size: i64,
    pub media_type: String,
}

/// One finalized submission, as it leaves the device's outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub instance_id: String,
    /// 1, 2, 3... on the device, without gaps.
    pub device_seq: i64,
    pub form_id: String,
    pub form_version: String,
    /// Lowercase hex SHA-256 of the payload bytes.
    pub sha256: String,
    pub encoding: PayloadEncoding,
    /// The payload's exact bytes, base64.
    pub payload: String,
    pub attachments: Vec<AttachmentRef>,
}

/// `POST /api/v1/device/submissions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitBatch {
    pub items: Vec<Envelope>,
}

/// What the server did with one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Stored now.
    Accepted,
    /// Already held with the same SHA-256: success.
    Duplicate,
    /// Already held with other bytes: this one is kept aside, the first is never overwritten.
    Conflict,
    /// Invalid (the reason says why); kept aside for review, not to be sent again.
    Rejected,
    /// Not stored yet (an attachment is missing); send it again later.
    Retry,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemResult {
    pub instance_id: String,
    pub outcome: Outcome,
    /// For `rejected`, `conflict` and `retry`: why, in words for people.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitReply {
    pub results: Vec<ItemResult>,
    pub status: DeviceStatus,
}

/// `GET /api/v1/device/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceStatus {
    pub device_id: String,
    /// Every submission with a device sequence number up to this one is on the server (0: none).
    pub contiguous_seq: i64,
    /// Submissions the server holds from this device (accepted, conflicts and rejections kept
    /// aside included).
    pub held: i64,
}

/// An error as the API reports it, with the HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_on_the_wire_are_stable() {
        assert_eq!(
            serde_json::to_string(&Outcome::Duplicate).unwrap(),
            r#""duplicate""#
        );
        assert_eq!(
            serde_json::to_string(&Role::PartnerAdmin).unwrap(),
            r#""partner-admin""#
        );
        assert_eq!(Role::parse("partner-admin"), Some(Role::PartnerAdmin));
        assert_eq!(
            serde_json::to_string(&PayloadEncoding::Json).unwrap(),
            r#""json""#
        );
    }
}
