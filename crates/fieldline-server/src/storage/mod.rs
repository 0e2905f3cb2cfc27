//! The server's storage, behind one trait with two implementations: embedded SQLite (the
//! default) and PostgreSQL (for deployments that outgrow one machine), chosen by the database
//! URL. Both pass the same conformance story (`tests/storage.rs`).
//!
//! Every method that changes data commits before it returns: the API answers a device only
//! after its submissions are durable. Secrets (passwords, session and device tokens, enrollment
//! codes) are stored only as hashes computed by the caller; this layer never sees them in clear.

pub mod postgres;
mod postgres_tls;
mod sqlite;

use std::{fmt, path::PathBuf, str::FromStr, sync::Arc};

use async_trait::async_trait;
use serde::Serialize;

pub use fieldline_protocol::{Outcome, PayloadEncoding, Role};
pub use postgres::PostgresStorage;
pub use sqlite::SqliteStorage;

/// Where the server keeps its data, as given to `--db`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite:PATH`: the embedded database in one file (created with its directory if needed).
    Sqlite(PathBuf),
    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (or `postgresql://`), as libpq reads it.
    Postgres(String),
}

/// A `--db` value no backend understands.
#[derive(Debug, thiserror::Error)]
#[error("unsupported database URL {0:?}: use sqlite:PATH (for example sqlite:/var/lib/fieldline/server.sqlite3) or postgres://USER:PASSWORD@HOST:PORT/DATABASE (postgresql:// too)")]
pub struct UnsupportedUrl(pub String);

impl FromStr for DatabaseUrl {
    type Err = UnsupportedUrl;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let driver_url = postgres_tls::PostgresUrl::parse(url).driver_url;
            return match driver_url.parse::<tokio_postgres::Config>() {
                Ok(_) => Ok(Self::Postgres(url.to_owned())),
                Err(_) => Err(UnsupportedUrl(postgres::redacted(url))),
            };
        }
        match url.strip_prefix("sqlite:") {
            Some(path) if !path.trim_start_matches("//").is_empty() => {
                Ok(Self::Sqlite(PathBuf::from(path.trim_start_matches("//"))))
            }
            _ => Err(UnsupportedUrl(url.to_owned())),
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            Self::Postgres(url) => f.write_str(&postgres::redacted(url)),
        }
    }
}

/// Opens the storage a URL names, bringing its schema up to date.
pub async fn open_storage(url: &DatabaseUrl) -> Result<Arc<dyn Storage>, StorageError> {
    match url {
        DatabaseUrl::Sqlite(path) => Ok(Arc::new(SqliteStorage::open(path).await?)),
        DatabaseUrl::Postgres(url) => Ok(Arc::new(PostgresStorage::open(url).await?)),
    }
}

/// Ids are UUIDv7 strings, created by the storage.
pub type Id = String;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A name or email already taken, a code already used... worded for people.
    #[error("{0}")]
    Conflict(String),
    /// Something referred to does not exist (an organization, a campaign...).
    #[error("{0}")]
    NotFound(String),
    #[error("the database: {0}")]
    Backend(String),
}

/// Identity and schema of this installation, as reported by `/api/v1/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerInfo {
    pub server_id: String,
    pub schema_version: u32,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organization {
    pub id: Id,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Id,
    pub organization_id: Id,
    pub email: String,
    pub role: Role,
    /// PHC string (argon2id).
    pub password_hash: String,
    /// Disabled accounts cannot sign in and hold no session.
    pub disabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Campaign {
    pub id: Id,
    pub name: String,
    /// The organization running the campaign.
    pub owner_id: Id,
    /// Organizations collecting for it (the owner's own devices count as the owner's).
    pub partner_ids: Vec<Id>,
}

/// A round (baseline, endline, a midline) publishes one form version, never changed after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Round {
    pub id: Id,
    pub campaign_id: Id,
    pub name: String,
    pub form_id: String,
    pub form_version: String,
    pub title: String,
    pub file_name: String,
    pub sha256: String,
    /// Publication order within the server: a device's rounds cursor.
    pub seq: i64,
    pub published_at: String,
}

/// What a round stores besides its description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRound {
    pub campaign_id: Id,
    pub name: String,
    pub form_id: String,
    pub form_version: String,
    pub title: String,
    pub file_name: String,
    pub sha256: String,
    pub xlsform: Vec<u8>,
    /// JSON of `fieldline_form::Form`.
    pub definition: String,
}

/// A round's sampling plan: the fields of its form that name a cluster (the primary sampling
/// unit: a village, a ward) and the interviews each cluster should yield. Set again, it replaces
/// the round's plan: fieldwork plans change, published forms do not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SamplingPlan {
    pub round_id: Id,
    /// A cluster is the values of these fields, in this order (e.g. municipality and ward).
    pub cluster_fields: Vec<String>,
    /// The target of a cluster that `planned` does not list.
    pub per_cluster: u32,
    /// The clusters drawn for the sample, each with its target, in the plan's order.
    pub planned: Vec<PlannedCluster>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PlannedCluster {
    /// The cluster's field values joined with [`CLUSTER_SEPARATOR`].
    pub cluster: String,
    pub target: u32,
}

/// Between the values of a cluster named by several fields: "dharan / 3".
pub const CLUSTER_SEPARATOR: &str = " / ";

impl SamplingPlan {
    /// The plan's lists as the JSON text both databases store.
    fn columns(&self) -> (String, String) {
        let planned: Vec<(&str, u32)> = self
            .planned
            .iter()
            .map(|c| (c.cluster.as_str(), c.target))
            .collect();
        (
            serde_json::to_string(&self.cluster_fields).unwrap_or_else(|_| "[]".into()),
            serde_json::to_string(&planned).unwrap_or_else(|_| "[]".into()),
        )
    }

    /// A plan read back from its columns.
    fn from_columns(
        round_id: Id,
        cluster_fields: &str,
        per_cluster: i64,
        planned: &str,
    ) -> Result<Self, String> {
        let cluster_fields: Vec<String> = serde_json::from_str(cluster_fields)
            .map_err(|e| format!("the sampling plan's cluster fields cannot be read: {e}"))?;
        let planned: Vec<(String, u32)> = serde_json::from_str(planned)
            .map_err(|e| format!("the sampling plan's clusters cannot be read: {e}"))?;
        Ok(SamplingPlan {
            round_id,
            cluster_fields,
            per_cluster: u32::try_from(per_cluster).unwrap_or(0),
            planned: planned
                .into_iter()
                .map(|(cluster, target)| PlannedCluster { cluster, target })
                .collect(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Device {
    pub id: Id,
    /// The device's own id (`fieldline:UUID`).
    pub device_id: String,
    pub label: String,
    pub campaign_id: Id,
    pub organization_id: Id,
    pub enrolled_at: String,
    pub revoked: bool,
    /// The device's last request to the server (to the minute); `None` before its first.
    pub last_seen_at: Option<String>,
}

/// A submission as received, before the storage decides what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// The storage's id of the sending device.
    pub device: Id,
    pub instance_id: String,
    pub device_seq: i64,
    pub form_id: String,
    pub form_version: String,
    /// The round whose form it answers (`None` when no round matches: then it is rejected).
    pub round_id: Option<Id>,
    pub sha256: String,
    pub encoding: PayloadEncoding,
    pub payload: Vec<u8>,
    /// `[{name, sha256, size, media_type}]` as JSON, as the envelope listed them.
    pub attachments: String,
    /// `Some(reason)` when validation refused it: kept aside as rejected.
    pub rejection: Option<String>,
}

/// A stored submission, as listings show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Submission {
    pub instance_id: String,
    pub sha256: String,
    pub round: String,
    /// The sending device's organization.
    pub organization_id: Id,
    /// The sending device's own id (`fieldline:UUID`).
    pub device: String,
    pub device_seq: i64,
    pub received_at: String,
}

/// A stored submission of a round with its payload, as exports page through them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundPayload {
    /// The receive order (SQLite: the rowid; PostgreSQL: `received_seq`): the next page starts
    /// after the last one's.
    pub seq: i64,
    pub instance_id: String,
    /// The sending device's own id (`fieldline:UUID`).
    pub device: String,
    pub received_at: String,
    pub encoding: PayloadEncoding,
    pub payload: Vec<u8>,
}

/// A submission kept aside (rejected or conflicting), for review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetAside {
    pub instance_id: String,
    pub sha256: String,
    pub organization_id: Id,
    /// The sending device's own id (`fieldline:UUID`).
    pub device: String,
    /// `rejected` or `conflict`.
    pub outcome: Outcome,
    pub reason: String,
    pub received_at: String,
}

/// What an audit event records: something a person (or the command line) did that an admin may
/// later need to account for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuditAction {
    SignIn,
    /// A sign-in with a wrong email or password, or refused by the rate limit.
    SignInRefused,
    SignOut,
    /// A round's rows or a report downloaded as a file.
    Export,
    /// A campaign's encryption public keys stored.
    KeyUpload,
    DeviceRevoked,
    EnrollmentCodes,
    Deletion,
    /// A person created with a role.
    RoleGranted,
    RoleChanged,
    /// A person's account disabled (their sessions ended) or enabled again.
    UserDisabled,
    UserEnabled,
    /// A person's password replaced by someone else (their sessions ended).
    PasswordReset,
}

impl AuditAction {
    pub const ALL: [AuditAction; 13] = [
        AuditAction::SignIn,
        AuditAction::SignInRefused,
        AuditAction::SignOut,
        AuditAction::Export,
        AuditAction::KeyUpload,
        AuditAction::DeviceRevoked,
        AuditAction::EnrollmentCodes,
        AuditAction::Deletion,
        AuditAction::RoleGranted,
        AuditAction::RoleChanged,
        AuditAction::UserDisabled,
        AuditAction::UserEnabled,
        AuditAction::PasswordReset,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignIn => "sign-in",
            AuditAction::SignInRefused => "sign-in-refused",
            AuditAction::SignOut => "sign-out",
            AuditAction::Export => "export",
            AuditAction::KeyUpload => "key-upload",
            AuditAction::DeviceRevoked => "device-revoked",
            AuditAction::EnrollmentCodes => "enrollment-codes",
            AuditAction::Deletion => "deletion",
            AuditAction::RoleGranted => "role-granted",
            AuditAction::RoleChanged => "role-changed",
            AuditAction::UserDisabled => "user-disabled",
            AuditAction::UserEnabled => "user-enabled",
            AuditAction::PasswordReset => "password-reset",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// Who did something, as the audit log names them when it is not a signed-in person.
pub const COMMAND_LINE_ACTOR: &str = "fieldline admin";

/// An event to append to the audit log (the storage adds its number and time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    pub action: AuditAction,
    /// A person's email, `device:ID`, or [`COMMAND_LINE_ACTOR`].
    pub actor: String,
    pub campaign_id: Option<Id>,
    /// What it was done to, in words (a device, a round and format, a user).
    pub subject: String,
    /// The client's IP address, for what came over HTTP.
    pub client: Option<String>,
}

/// An event of the audit log, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AuditEvent {
    /// Its place in the log: increasing, never reused.
    pub seq: i64,
    /// RFC 3339, UTC.
    pub at: String,
    pub action: AuditAction,
    pub actor: String,
    pub campaign_id: Option<Id>,
    pub subject: String,
    pub client: Option<String>,
}

/// Which submissions a listing shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubmissionFilter {
    pub campaign_id: Id,
    /// Only this round (by name).
    pub round: Option<String>,
    /// Only this organization's devices.
    pub organization_id: Option<Id>,
}

/// The answer when a person's role changed between the permission check and the change.
pub(crate) fn role_changed_meanwhile(now: &str) -> StorageError {
    StorageError::Conflict(format!(
        "this person's role changed meanwhile (now {now}); look again before changing their access"
    ))
}

/// The server's storage. Implementations: `SqliteStorage`, `PostgresStorage`.
#[async_trait]
pub trait Storage: Send + Sync + 'static {
    async fn server_info(&self) -> Result<ServerInfo, StorageError>;

    async fn create_organization(&self, name: &str) -> Result<Organization, StorageError>;
    async fn organization(&self, id: &str) -> Result<Option<Organization>, StorageError>;
    /// Every organization, in creation order.
    async fn organizations(&self) -> Result<Vec<Organization>, StorageError>;

    async fn create_user(
        &self,
        organization_id: &str,
        email: &str,
        role: Role,
        password_hash: &str,
    ) -> Result<User, StorageError>;
    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StorageError>;
    async fn user(&self, id: &str) -> Result<Option<User>, StorageError>;
    /// People in creation order: all, or one organization's.
    async fn users(&self, organization_id: Option<&str>) -> Result<Vec<User>, StorageError>;
    /// Gives a person `role`. `seen_role` is the role the change was allowed for: if the person
    /// holds another by now (someone changed it meanwhile), nothing changes and the answer is
    /// `Conflict`.
    async fn set_user_role(
        &self,
        id: &str,
        role: Role,
        seen_role: Role,
    ) -> Result<(), StorageError>;
    /// Disables an account (ending its sessions in the same transaction) or enables it again;
    /// `Conflict` if its role is no longer `seen_role`.
    async fn set_user_disabled(
        &self,
        id: &str,
        disabled: bool,
        seen_role: Role,
    ) -> Result<(), StorageError>;
    /// Replaces a password hash, ending the person's sessions in the same transaction.
    async fn set_user_password(&self, id: &str, password_hash: &str) -> Result<(), StorageError>;

    /// Stores a session (`token_hash`: SHA-256 hex of the token) valid until `expires_at`
    /// (RFC 3339).
    async fn create_session(
        &self,
        user_id: &str,
        token_hash: &str,
        expires_at: &str,
    ) -> Result<(), StorageError>;
    /// The user of an unexpired session.
    async fn session_user(&self, token_hash: &str, now: &str)
        -> Result<Option<User>, StorageError>;
    /// Ends a session (signing out); whether there was one.
    async fn delete_session(&self, token_hash: &str) -> Result<bool, StorageError>;

    async fn create_campaign(&self, owner_id: &str, name: &str) -> Result<Campaign, StorageError>;
    async fn add_partner(
        &self,
        campaign_id: &str,
        organization_id: &str,
    ) -> Result<(), StorageError>;
    async fn campaign(&self, id: &str) -> Result<Option<Campaign>, StorageError>;
    /// Every campaign, in creation order (partners in the order they were added).
    async fn campaigns(&self) -> Result<Vec<Campaign>, StorageError>;

    /// Publishes a round; its name is unique in the campaign and its form version on the
    /// server (a form id + version is never reused with other content).
    async fn create_round(&self, round: NewRound) -> Result<Round, StorageError>;
    /// The campaign's rounds in publication order.
    async fn rounds(&self, campaign_id: &str) -> Result<Vec<Round>, StorageError>;
    /// Rounds of the campaign with `seq > after`, oldest first, with their workbooks, up to
    /// about `max_bytes` of workbooks (at least one when any).
    async fn rounds_after(
        &self,
        campaign_id: &str,
        after: i64,
        max_bytes: usize,
    ) -> Result<Vec<(Round, Vec<u8>)>, StorageError>;
    /// The round of the campaign publishing this form version, with its definition (JSON).
    async fn round_for_form(
        &self,
        campaign_id: &str,
        form_id: &str,
        form_version: &str,
    ) -> Result<Option<(Round, String)>, StorageError>;

    /// Makes the campaign end-to-end encrypted to these age public keys (checked by the
    /// caller), in this order. Only once, and only before any round is published: devices pin
    /// the keys when they enroll. `NotFound` for an unknown campaign, `Conflict` otherwise.
    async fn add_campaign_recipients(
        &self,
        campaign_id: &str,
        recipients: &[String],
    ) -> Result<(), StorageError>;
    /// The campaign's age public keys in order; empty when the server may read its submissions.
    async fn campaign_recipients(&self, campaign_id: &str) -> Result<Vec<String>, StorageError>;

    /// Sets (or replaces) a round's sampling plan. `NotFound` for an unknown round.
    async fn set_sampling_plan(&self, plan: SamplingPlan) -> Result<(), StorageError>;
    /// The sampling plans of the campaign's rounds, in the rounds' publication order.
    async fn sampling_plans(&self, campaign_id: &str) -> Result<Vec<SamplingPlan>, StorageError>;

    /// Stores one-time enrollment codes (by hash) for devices of `organization_id` in the
    /// campaign.
    async fn create_enrollment_codes(
        &self,
        campaign_id: &str,
        organization_id: &str,
        code_hashes: &[String],
    ) -> Result<(), StorageError>;
    /// Uses a code once: enrolls the device with its token hash. `NotFound` for an unknown
    /// code, `Conflict` for one already used.
    async fn enroll(
        &self,
        code_hash: &str,
        device_id: &str,
        label: &str,
        token_hash: &str,
    ) -> Result<Device, StorageError>;
    /// The device a token belongs to (revoked ones included: the caller refuses them).
    async fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>, StorageError>;
    /// The campaign's devices in enrollment order.
    async fn devices(&self, campaign_id: &str) -> Result<Vec<Device>, StorageError>;
    async fn revoke_device(&self, id: &str) -> Result<(), StorageError>;
    /// Records that the device just made a request, for the coordinator's "last seen"; at most
    /// one write a minute per device, so a sync's many requests cost one.
    async fn device_seen(&self, id: &str) -> Result<(), StorageError>;

    /// Stores a batch of submissions from one device in one transaction and says what each
    /// one was: accepted (new), duplicate (same instance id and SHA-256 already held),
    /// conflict (same instance id, other bytes: kept aside, the first never overwritten) or
    /// rejected (`rejection` set: kept aside). Commits before returning.
    async fn store_submissions(&self, items: Vec<Incoming>) -> Result<Vec<Outcome>, StorageError>;
    /// The highest device sequence number `n` such that the server holds every submission
    /// `1..=n` from this device (set-aside ones count as held), and how many it holds.
    async fn device_progress(&self, device: &str) -> Result<(i64, i64), StorageError>;
    /// Stored submissions in the order received.
    async fn submissions(&self, filter: &SubmissionFilter)
        -> Result<Vec<Submission>, StorageError>;
    /// A stored submission's payload.
    async fn submission_payload(&self, instance_id: &str) -> Result<Option<Vec<u8>>, StorageError>;
    /// Up to `limit` stored submissions of a round with `seq > after`, in the order received:
    /// a page of an export, so a whole round is read without holding it.
    async fn round_payloads_after(
        &self,
        round_id: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<RoundPayload>, StorageError>;
    /// Submissions kept aside in the order received (a campaign's through its devices; with a
    /// round filter, only those matched to that round).
    async fn set_aside(&self, filter: &SubmissionFilter) -> Result<Vec<SetAside>, StorageError>;

    /// Bytes held so far of the attachment with this SHA-256 (`None`: nothing yet).
    async fn attachment_offset(&self, sha256: &str) -> Result<Option<(i64, bool)>, StorageError>;
    /// Appends `bytes` at `offset` (which must equal the bytes held); returns the new length.
    async fn append_attachment(
        &self,
        sha256: &str,
        offset: i64,
        bytes: &[u8],
    ) -> Result<i64, StorageError>;
    /// Marks the attachment complete once its bytes hash to `sha256` (checked by the caller).
    async fn complete_attachment(&self, sha256: &str) -> Result<(), StorageError>;
    /// Forgets the bytes held of an attachment that is not complete (they did not hash to its
    /// SHA-256, so the upload starts again from 0). A complete attachment is never discarded.
    async fn discard_attachment(&self, sha256: &str) -> Result<(), StorageError>;
    /// The whole bytes of an attachment held so far.
    async fn attachment(&self, sha256: &str) -> Result<Option<Vec<u8>>, StorageError>;

    /// Appends an event to the audit log (append-only: the database refuses to change or
    /// delete one) and returns it as stored.
    async fn record_audit(&self, event: NewAuditEvent) -> Result<AuditEvent, StorageError>;
    /// Up to `limit` events of the audit log with `seq > after`, oldest first.
    async fn audit_events(&self, after: i64, limit: usize)
        -> Result<Vec<AuditEvent>, StorageError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sqlite_urls_and_refuses_others_with_advice() {
        assert_eq!(
            "sqlite:/tmp/x.db".parse::<DatabaseUrl>().unwrap(),
            DatabaseUrl::Sqlite("/tmp/x.db".into())
        );
        assert_eq!(
            "sqlite://data/x.db".parse::<DatabaseUrl>().unwrap(),
            DatabaseUrl::Sqlite("data/x.db".into())
        );
        assert_eq!(
            DatabaseUrl::Sqlite("/tmp/x.db".into()).to_string(),
            "sqlite:/tmp/x.db"
        );
        for bad in [
            "sqlite:",
            "sqlite://",
            "mysql://x",
            "/tmp/x.db",
            "postgres://u:secret@host:notaport/db",
        ] {
            let err = bad.parse::<DatabaseUrl>().unwrap_err().to_string();
            assert!(err.contains("use sqlite:PATH"), "{err}");
            assert!(err.contains("or postgres://USER:PASSWORD@HOST"), "{err}");
            assert!(!err.contains("secret"), "{err}");
        }
    }

    #[test]
    fn parses_postgres_urls_and_shows_them_without_the_password() {
        for url in [
            "postgres://fieldline@127.0.0.1:5432/fieldline?sslmode=disable",
            "postgresql://fieldline:s3cret@db.internal/fieldline",
            "postgres://fieldline@db.internal/fieldline?sslmode=verify-full&sslrootcert=/etc/fieldline/ca.pem",
        ] {
            assert_eq!(
                url.parse::<DatabaseUrl>().unwrap(),
                DatabaseUrl::Postgres(url.to_owned())
            );
        }
        let url: DatabaseUrl = "postgresql://fieldline:s3cret@db.internal/fieldline"
            .parse()
            .unwrap();
        assert_eq!(
            url.to_string(),
            "postgresql://fieldline:***@db.internal/fieldline"
        );
    }
}
