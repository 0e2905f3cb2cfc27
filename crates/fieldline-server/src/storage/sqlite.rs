//! The embedded SQLite storage (the default): one file, WAL, every commit synced to disk before
//! it returns (`Durability::Full`), so the server answers a device only once its data is durable.
//!
//! rusqlite is synchronous: each call runs on tokio's blocking pool with the one connection,
//! so a slow disk never stalls the async runtime. SQLite has one writer at a time anyway.

use std::{
    path::Path,
    sync::{Arc, Mutex, PoisonError},
};

use async_trait::async_trait;
use rusqlite::{
    params, types::Value, Connection, ErrorCode, OptionalExtension, Row, TransactionBehavior,
};

use super::{
    AuditAction, AuditEvent, Campaign, Device, Id, Incoming, NewAuditEvent, NewRound, Organization,
    Outcome, PayloadEncoding, Role, Round, SamplingPlan, ServerInfo, SetAside, Storage,
    StorageError, Submission, SubmissionFilter, User,
};

/// The server's storage in an embedded SQLite database.
#[derive(Clone)]
pub struct SqliteStorage {
    conn: Arc<Mutex<Connection>>,
}

impl From<rusqlite::Error> for StorageError {
    fn from(err: rusqlite::Error) -> Self {
        match err.sqlite_error_code() {
            Some(ErrorCode::ConstraintViolation) => {
                StorageError::Conflict(format!("this would break a rule of the data: {err}"))
            }
            _ => StorageError::Backend(err.to_string()),
        }
    }
}

fn new_id() -> Id {
    uuid::Uuid::now_v7().to_string()
}

/// Now, as RFC 3339 UTC text with milliseconds (SQLite's clock, the same for every row).
fn now(conn: &Connection) -> rusqlite::Result<String> {
    conn.query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')", [], |row| {
        row.get(0)
    })
}

fn encoding_str(encoding: PayloadEncoding) -> &'static str {
    match encoding {
        PayloadEncoding::Json => "json",
        PayloadEncoding::Age => "age",
    }
}

fn bad_column(index: usize, what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        index,
        rusqlite::types::Type::Text,
        format!("unknown {what} {value:?}").into(),
    )
}

const USER_COLUMNS: &str =
    "u.id, u.organization_id, u.email, u.role, u.password_hash, u.disabled_at IS NOT NULL";

fn user_from_row(row: &Row) -> rusqlite::Result<User> {
    let role: String = row.get(3)?;
    Ok(User {
        id: row.get(0)?,
        organization_id: row.get(1)?,
        email: row.get(2)?,
        role: Role::parse(&role).ok_or_else(|| bad_column(3, "role", &role))?,
        password_hash: row.get(4)?,
        disabled: row.get(5)?,
    })
}

const AUDIT_COLUMNS: &str = "seq, at, action, actor, campaign_id, subject, client";

fn audit_from_row(row: &Row) -> rusqlite::Result<AuditEvent> {
    let action: String = row.get(2)?;
    Ok(AuditEvent {
        seq: row.get(0)?,
        at: row.get(1)?,
        action: AuditAction::parse(&action).ok_or_else(|| bad_column(2, "action", &action))?,
        actor: row.get(3)?,
        campaign_id: row.get(4)?,
        subject: row.get(5)?,
        client: row.get(6)?,
    })
}

const ROUND_COLUMNS: &str =
    "id, campaign_id, name, form_id, form_version, title, file_name, sha256, seq, published_at";

fn round_from_row(row: &Row) -> rusqlite::Result<Round> {
    Ok(Round {
        id: row.get(0)?,
        campaign_id: row.get(1)?,
        name: row.get(2)?,
        form_id: row.get(3)?,
        form_version: row.get(4)?,
        title: row.get(5)?,
        file_name: row.get(6)?,
        sha256: row.get(7)?,
        seq: row.get(8)?,
        published_at: row.get(9)?,
    })
}

const DEVICE_COLUMNS: &str =
    "id, device_id, label, campaign_id, organization_id, enrolled_at, revoked, last_seen_at";

fn device_from_row(row: &Row) -> rusqlite::Result<Device> {
    Ok(Device {
        id: row.get(0)?,
        device_id: row.get(1)?,
        label: row.get(2)?,
        campaign_id: row.get(3)?,
        organization_id: row.get(4)?,
        enrolled_at: row.get(5)?,
        revoked: row.get(6)?,
        last_seen_at: row.get(7)?,
    })
}

fn disabled_account() -> StorageError {
    StorageError::Conflict("this account is disabled: it holds no session".into())
}

/// `NotFound` for no such person, `Conflict` when their role is no longer `seen` (inside the
/// write transaction, so nothing changes it before the caller's update).
fn role_still(conn: &Connection, id: &str, seen: Role) -> Result<(), StorageError> {
    let role: Option<String> = conn
        .query_row("SELECT role FROM app_user WHERE id = ?1", [id], |row| {
            row.get(0)
        })
        .optional()?;
    match role {
        None => Err(StorageError::NotFound(format!(
            "there is no user with id {id}"
        ))),
        Some(role) if role != seen.as_str() => Err(super::role_changed_meanwhile(&role)),
        Some(_) => Ok(()),
    }
}

/// `NotFound` when an update touched no user.
fn user_changed(changed: usize, id: &str) -> Result<(), StorageError> {
    if changed == 0 {
        return Err(StorageError::NotFound(format!(
            "there is no user with id {id}"
        )));
    }
    Ok(())
}

fn organization_exists(conn: &Connection, id: &str) -> Result<(), StorageError> {
    let found: Option<i64> = conn
        .query_row("SELECT 1 FROM organization WHERE id = ?1", [id], |row| {
            row.get(0)
        })
        .optional()?;
    match found {
        Some(_) => Ok(()),
        None => Err(StorageError::NotFound(format!(
            "there is no organization with id {id}"
        ))),
    }
}

fn campaign_owner(conn: &Connection, id: &str) -> Result<String, StorageError> {
    conn.query_row("SELECT owner_id FROM campaign WHERE id = ?1", [id], |row| {
        row.get(0)
    })
    .optional()?
    .ok_or_else(|| StorageError::NotFound(format!("there is no campaign with id {id}")))
}

fn load_campaign(conn: &Connection, id: &str) -> Result<Option<Campaign>, StorageError> {
    let Some((name, owner_id)) = conn
        .prepare_cached("SELECT name, owner_id FROM campaign WHERE id = ?1")?
        .query_row([id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?
    else {
        return Ok(None);
    };
    let partner_ids = conn
        .prepare_cached(
            "SELECT organization_id FROM campaign_partner WHERE campaign_id = ?1
             ORDER BY added_at, rowid",
        )?
        .query_map([id], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(Campaign {
        id: id.to_owned(),
        name,
        owner_id,
        partner_ids,
    }))
}

/// `WHERE` clause and parameters selecting a campaign's rows through the device (`d`) and,
/// when given, the round (`r`, joined on the row) and the device's organization.
fn filter_clause(filter: &SubmissionFilter) -> (String, Vec<Value>) {
    let mut clause = String::from("d.campaign_id = ?");
    let mut values = vec![Value::Text(filter.campaign_id.clone())];
    if let Some(round) = &filter.round {
        clause.push_str(" AND r.name = ?");
        values.push(Value::Text(round.clone()));
    }
    if let Some(organization) = &filter.organization_id {
        clause.push_str(" AND d.organization_id = ?");
        values.push(Value::Text(organization.clone()));
    }
    (clause, values)
}

fn conflict_reason(held_sha256: &str) -> String {
    format!(
        "the server already holds another version of this interview (sha256 {held_sha256}); \
         this one is kept aside for review and the first is unchanged"
    )
}

/// Keeps a submission aside; the same bytes with the same outcome again add nothing.
fn set_aside_item(
    conn: &Connection,
    item: &Incoming,
    outcome: &str,
    reason: &str,
    received_at: &str,
) -> Result<(), StorageError> {
    conn.prepare_cached(
        "INSERT INTO submission_set_aside (id, instance_id, device, device_seq, form_id,
             form_version, round, outcome, reason, sha256, encoding, payload, attachments,
             received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (instance_id, sha256, outcome) DO NOTHING",
    )?
    .execute(params![
        new_id(),
        item.instance_id,
        item.device,
        item.device_seq,
        item.form_id,
        item.form_version,
        item.round_id,
        outcome,
        reason,
        item.sha256,
        encoding_str(item.encoding),
        item.payload,
        item.attachments,
        received_at,
    ])?;
    Ok(())
}

fn store_one(
    conn: &Connection,
    item: &Incoming,
    received_at: &str,
) -> Result<Outcome, StorageError> {
    let held: Option<String> = conn
        .prepare_cached("SELECT sha256 FROM submission WHERE instance_id = ?1")?
        .query_row([&item.instance_id], |row| row.get(0))
        .optional()?;
    if held.as_deref() == Some(item.sha256.as_str()) {
        return Ok(Outcome::Duplicate);
    }
    let rejection = match (&item.rejection, &item.round_id) {
        (Some(reason), _) => Some(reason.clone()),
        (None, None) => Some(format!(
            "no round of this campaign publishes form {} version {}",
            item.form_id, item.form_version
        )),
        (None, Some(_)) => None,
    };
    if let Some(reason) = rejection {
        set_aside_item(conn, item, "rejected", &reason, received_at)?;
        return Ok(Outcome::Rejected);
    }
    if let Some(held) = held {
        set_aside_item(conn, item, "conflict", &conflict_reason(&held), received_at)?;
        return Ok(Outcome::Conflict);
    }
    conn.prepare_cached(
        "INSERT INTO submission (instance_id, device, device_seq, form_id, form_version, round,
             sha256, encoding, payload, attachments, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        item.instance_id,
        item.device,
        item.device_seq,
        item.form_id,
        item.form_version,
        item.round_id,
        item.sha256,
        encoding_str(item.encoding),
        item.payload,
        item.attachments,
        received_at,
    ])
    .map_err(|err| match err.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) => StorageError::NotFound(format!(
            "submission {} names a device or round this server does not have",
            item.instance_id
        )),
        _ => err.into(),
    })?;
    Ok(Outcome::Accepted)
}

impl SqliteStorage {
    /// Opens (creating it and its directory if needed) the database at `path` and brings its
    /// schema up to date.
    pub async fn open(path: &Path) -> Result<Self, StorageError> {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || Self::open_blocking(&path))
            .await
            .map_err(|err| StorageError::Backend(format!("a database task failed: {err}")))?
    }

    fn open_blocking(path: &Path) -> Result<Self, StorageError> {
        let conn = fieldline_migrations::open(
            path,
            fieldline_migrations::SERVER_SQLITE,
            fieldline_migrations::Durability::Full,
        )
        .map_err(|err| StorageError::Backend(err.to_string()))?;
        conn.execute(
            "INSERT INTO server_instance (singleton, server_id) VALUES (1, ?1)
             ON CONFLICT DO NOTHING",
            [new_id()],
        )?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` with the connection on the blocking pool.
    async fn with<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StorageError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut conn)
        })
        .await
        .map_err(|err| StorageError::Backend(format!("a database task failed: {err}")))?
    }

    /// Runs `f` in one write transaction, committed (and synced) before this returns.
    async fn write<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StorageError> + Send + 'static,
    {
        self.with(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
    }
}

#[async_trait]
impl Storage for SqliteStorage {
    async fn server_info(&self) -> Result<ServerInfo, StorageError> {
        self.with(|conn| {
            let schema_version =
                conn.query_row("SELECT max(version) FROM schema_migration", [], |row| {
                    row.get(0)
                })?;
            let (server_id, created_at) = conn.query_row(
                "SELECT server_id, created_at FROM server_instance",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            Ok(ServerInfo {
                server_id,
                schema_version,
                created_at,
            })
        })
        .await
    }

    async fn create_organization(&self, name: &str) -> Result<Organization, StorageError> {
        let name = name.to_owned();
        self.write(move |conn| {
            let taken: Option<i64> = conn
                .query_row(
                    "SELECT 1 FROM organization WHERE name = ?1",
                    [&name],
                    |row| row.get(0),
                )
                .optional()?;
            if taken.is_some() {
                return Err(StorageError::Conflict(format!(
                    "an organization named {name:?} already exists"
                )));
            }
            let id = new_id();
            conn.execute(
                "INSERT INTO organization (id, name, created_at) VALUES (?1, ?2, ?3)",
                params![id, name, now(conn)?],
            )?;
            Ok(Organization { id, name })
        })
        .await
    }

    async fn organization(&self, id: &str) -> Result<Option<Organization>, StorageError> {
        let id = id.to_owned();
        self.with(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT id, name FROM organization WHERE id = ?1",
                    [id],
                    |row| {
                        Ok(Organization {
                            id: row.get(0)?,
                            name: row.get(1)?,
                        })
                    },
                )
                .optional()?)
        })
        .await
    }

    async fn organizations(&self) -> Result<Vec<Organization>, StorageError> {
        self.with(|conn| {
            let mut stmt =
                conn.prepare_cached("SELECT id, name FROM organization ORDER BY created_at, id")?;
            let rows = stmt.query_map([], |row| {
                Ok(Organization {
                    id: row.get(0)?,
                    name: row.get(1)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn create_user(
        &self,
        organization_id: &str,
        email: &str,
        role: Role,
        password_hash: &str,
    ) -> Result<User, StorageError> {
        let (organization_id, email, password_hash) = (
            organization_id.to_owned(),
            email.trim().to_owned(),
            password_hash.to_owned(),
        );
        self.write(move |conn| {
            organization_exists(conn, &organization_id)?;
            let taken: Option<i64> = conn
                .query_row(
                    "SELECT 1 FROM app_user WHERE email = ?1 COLLATE NOCASE",
                    [&email],
                    |row| row.get(0),
                )
                .optional()?;
            if taken.is_some() {
                return Err(StorageError::Conflict(format!(
                    "a user with the email {email} already exists"
                )));
            }
            let id = new_id();
            conn.execute(
                "INSERT INTO app_user (id, organization_id, email, role, password_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    id,
                    organization_id,
                    email,
                    role.as_str(),
                    password_hash,
                    now(conn)?
                ],
            )?;
            Ok(User {
                id,
                organization_id,
                email,
                role,
                password_hash,
                disabled: false,
            })
        })
        .await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StorageError> {
        let email = email.trim().to_owned();
        self.with(move |conn| {
            Ok(conn
                .query_row(
                    &format!(
                        "SELECT {USER_COLUMNS} FROM app_user u WHERE u.email = ?1 COLLATE NOCASE"
                    ),
                    [email],
                    user_from_row,
                )
                .optional()?)
        })
        .await
    }

    async fn user(&self, id: &str) -> Result<Option<User>, StorageError> {
        let id = id.to_owned();
        self.with(move |conn| {
            Ok(conn
                .query_row(
                    &format!("SELECT {USER_COLUMNS} FROM app_user u WHERE u.id = ?1"),
                    [id],
                    user_from_row,
                )
                .optional()?)
        })
        .await
    }

    async fn users(&self, organization_id: Option<&str>) -> Result<Vec<User>, StorageError> {
        let organization_id = organization_id.map(str::to_owned);
        self.with(move |conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {USER_COLUMNS} FROM app_user u
                     WHERE ?1 IS NULL OR u.organization_id = ?1
                     ORDER BY u.created_at, u.id"
                ))?
                .query_map([organization_id], user_from_row)?
                .collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn set_user_role(
        &self,
        id: &str,
        role: Role,
        seen_role: Role,
    ) -> Result<(), StorageError> {
        let id = id.to_owned();
        self.write(move |conn| {
            role_still(conn, &id, seen_role)?;
            conn.execute(
                "UPDATE app_user SET role = ?2 WHERE id = ?1",
                params![id, role.as_str()],
            )?;
            Ok(())
        })
        .await
    }

    async fn set_user_disabled(
        &self,
        id: &str,
        disabled: bool,
        seen_role: Role,
    ) -> Result<(), StorageError> {
        let id = id.to_owned();
        self.write(move |conn| {
            role_still(conn, &id, seen_role)?;
            if disabled {
                conn.execute(
                    "UPDATE app_user SET disabled_at = coalesce(disabled_at, ?2) WHERE id = ?1",
                    params![id, now(conn)?],
                )?;
                conn.execute("DELETE FROM session WHERE user_id = ?1", [&id])?;
            } else {
                conn.execute(
                    "UPDATE app_user SET disabled_at = NULL WHERE id = ?1",
                    [&id],
                )?;
            }
            Ok(())
        })
        .await
    }

    async fn set_user_password(&self, id: &str, password_hash: &str) -> Result<(), StorageError> {
        let (id, password_hash) = (id.to_owned(), password_hash.to_owned());
        self.write(move |conn| {
            let changed = conn.execute(
                "UPDATE app_user SET password_hash = ?2 WHERE id = ?1",
                params![id, password_hash],
            )?;
            conn.execute("DELETE FROM session WHERE user_id = ?1", [&id])?;
            user_changed(changed, &id)
        })
        .await
    }

    async fn create_session(
        &self,
        user_id: &str,
        token_hash: &str,
        expires_at: &str,
    ) -> Result<(), StorageError> {
        let (user_id, token_hash, expires_at) = (
            user_id.to_owned(),
            token_hash.to_owned(),
            expires_at.to_owned(),
        );
        self.write(move |conn| {
            let disabled: Option<bool> = conn
                .query_row(
                    "SELECT disabled_at IS NOT NULL FROM app_user WHERE id = ?1",
                    [&user_id],
                    |row| row.get(0),
                )
                .optional()?;
            match disabled {
                None => {
                    return Err(StorageError::NotFound(format!(
                        "there is no user with id {user_id}"
                    )))
                }
                Some(true) => return Err(disabled_account()),
                Some(false) => {}
            }
            conn.execute(
                "INSERT INTO session (token_hash, user_id, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![token_hash, user_id, now(conn)?, expires_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn session_user(
        &self,
        token_hash: &str,
        now: &str,
    ) -> Result<Option<User>, StorageError> {
        let (token_hash, now) = (token_hash.to_owned(), now.to_owned());
        self.with(move |conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {USER_COLUMNS} FROM session s JOIN app_user u ON u.id = s.user_id
                     WHERE s.token_hash = ?1 AND julianday(s.expires_at) > julianday(?2)
                       AND u.disabled_at IS NULL"
                ))?
                .query_row([token_hash, now], user_from_row)
                .optional()?)
        })
        .await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<bool, StorageError> {
        let token_hash = token_hash.to_owned();
        self.write(move |conn| {
            Ok(conn.execute("DELETE FROM session WHERE token_hash = ?1", [token_hash])? > 0)
        })
        .await
    }

    async fn create_campaign(&self, owner_id: &str, name: &str) -> Result<Campaign, StorageError> {
        let (owner_id, name) = (owner_id.to_owned(), name.to_owned());
        self.write(move |conn| {
            organization_exists(conn, &owner_id)?;
            let taken: Option<i64> = conn
                .query_row("SELECT 1 FROM campaign WHERE name = ?1", [&name], |row| {
                    row.get(0)
                })
                .optional()?;
            if taken.is_some() {
                return Err(StorageError::Conflict(format!(
                    "a campaign named {name:?} already exists"
                )));
            }
            let id = new_id();
            conn.execute(
                "INSERT INTO campaign (id, name, owner_id, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![id, name, owner_id, now(conn)?],
            )?;
            Ok(Campaign {
                id,
                name,
                owner_id,
                partner_ids: Vec::new(),
            })
        })
        .await
    }

    async fn add_partner(
        &self,
        campaign_id: &str,
        organization_id: &str,
    ) -> Result<(), StorageError> {
        let (campaign_id, organization_id) = (campaign_id.to_owned(), organization_id.to_owned());
        self.write(move |conn| {
            let owner = campaign_owner(conn, &campaign_id)?;
            organization_exists(conn, &organization_id)?;
            if owner == organization_id {
                return Err(StorageError::Conflict(
                    "this organization owns the campaign; it cannot also be its partner".into(),
                ));
            }
            conn.execute(
                "INSERT INTO campaign_partner (campaign_id, organization_id, added_at)
                 VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                params![campaign_id, organization_id, now(conn)?],
            )?;
            Ok(())
        })
        .await
    }

    async fn campaign(&self, id: &str) -> Result<Option<Campaign>, StorageError> {
        let id = id.to_owned();
        self.with(move |conn| load_campaign(conn, &id)).await
    }

    async fn campaigns(&self) -> Result<Vec<Campaign>, StorageError> {
        self.with(|conn| {
            let ids: Vec<String> = conn
                .prepare_cached("SELECT id FROM campaign ORDER BY created_at, id")?
                .query_map([], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut campaigns = Vec::with_capacity(ids.len());
            for id in ids {
                campaigns.extend(load_campaign(conn, &id)?);
            }
            Ok(campaigns)
        })
        .await
    }

    async fn create_round(&self, round: NewRound) -> Result<Round, StorageError> {
        self.write(move |conn| {
            campaign_owner(conn, &round.campaign_id)?;
            let same_name: Option<i64> = conn
                .query_row(
                    "SELECT 1 FROM round WHERE campaign_id = ?1 AND name = ?2",
                    params![round.campaign_id, round.name],
                    |row| row.get(0),
                )
                .optional()?;
            if same_name.is_some() {
                return Err(StorageError::Conflict(format!(
                    "this campaign already has a round named {:?}; choose another name",
                    round.name
                )));
            }
            let same_form: Option<String> = conn
                .query_row(
                    "SELECT name FROM round WHERE form_id = ?1 AND form_version = ?2",
                    params![round.form_id, round.form_version],
                    |row| row.get(0),
                )
                .optional()?;
            if let Some(other) = same_form {
                return Err(StorageError::Conflict(format!(
                    "form {} version {} is already published (round {other:?}); a form version \
                     is published once: change the version in the form's settings sheet",
                    round.form_id, round.form_version
                )));
            }
            let id = new_id();
            let published_at = now(conn)?;
            conn.execute(
                "INSERT INTO round (id, campaign_id, name, form_id, form_version, title,
                     file_name, sha256, xlsform, definition, published_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    id,
                    round.campaign_id,
                    round.name,
                    round.form_id,
                    round.form_version,
                    round.title,
                    round.file_name,
                    round.sha256,
                    round.xlsform,
                    round.definition,
                    published_at,
                ],
            )?;
            Ok(Round {
                seq: conn.last_insert_rowid(),
                id,
                campaign_id: round.campaign_id,
                name: round.name,
                form_id: round.form_id,
                form_version: round.form_version,
                title: round.title,
                file_name: round.file_name,
                sha256: round.sha256,
                published_at,
            })
        })
        .await
    }

    async fn rounds(&self, campaign_id: &str) -> Result<Vec<Round>, StorageError> {
        let campaign_id = campaign_id.to_owned();
        self.with(move |conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {ROUND_COLUMNS} FROM round WHERE campaign_id = ?1 ORDER BY seq"
                ))?
                .query_map([campaign_id], round_from_row)?
                .collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn rounds_after(
        &self,
        campaign_id: &str,
        after: i64,
        max_bytes: usize,
    ) -> Result<Vec<(Round, Vec<u8>)>, StorageError> {
        let campaign_id = campaign_id.to_owned();
        self.with(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {ROUND_COLUMNS}, xlsform FROM round
                 WHERE campaign_id = ?1 AND seq > ?2 ORDER BY seq"
            ))?;
            let mut rows = stmt.query(params![campaign_id, after])?;
            let mut page = Vec::new();
            let mut bytes = 0usize;
            while let Some(row) = rows.next()? {
                let xlsform: Vec<u8> = row.get(10)?;
                if !page.is_empty() && bytes + xlsform.len() > max_bytes {
                    break;
                }
                bytes += xlsform.len();
                page.push((round_from_row(row)?, xlsform));
            }
            Ok(page)
        })
        .await
    }

    async fn round_for_form(
        &self,
        campaign_id: &str,
        form_id: &str,
        form_version: &str,
    ) -> Result<Option<(Round, String)>, StorageError> {
        let (campaign_id, form_id, form_version) = (
            campaign_id.to_owned(),
            form_id.to_owned(),
            form_version.to_owned(),
        );
        self.with(move |conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {ROUND_COLUMNS}, definition FROM round
                     WHERE campaign_id = ?1 AND form_id = ?2 AND form_version = ?3"
                ))?
                .query_row([campaign_id, form_id, form_version], |row| {
                    Ok((round_from_row(row)?, row.get(10)?))
                })
                .optional()?)
        })
        .await
    }

    async fn add_campaign_recipients(
        &self,
        campaign_id: &str,
        recipients: &[String],
    ) -> Result<(), StorageError> {
        let (campaign_id, recipients) = (campaign_id.to_owned(), recipients.to_vec());
        self.write(move |conn| {
            campaign_owner(conn, &campaign_id)?;
            let (keys, rounds): (i64, i64) = conn.query_row(
                "SELECT (SELECT COUNT(*) FROM campaign_recipient WHERE campaign_id = ?1),
                        (SELECT COUNT(*) FROM round WHERE campaign_id = ?1)",
                [&campaign_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            if keys > 0 || rounds > 0 {
                return Err(StorageError::Conflict(
                    "a campaign's encryption keys are set when it is created, before any round: \
                     devices pin them when they enroll; create a new campaign to use other keys"
                        .into(),
                ));
            }
            let added_at = now(conn)?;
            for (position, recipient) in recipients.iter().enumerate() {
                conn.execute(
                    "INSERT INTO campaign_recipient (campaign_id, position, recipient, added_at)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![campaign_id, position as i64, recipient, added_at],
                )?;
            }
            Ok(())
        })
        .await
    }

    async fn campaign_recipients(&self, campaign_id: &str) -> Result<Vec<String>, StorageError> {
        let campaign_id = campaign_id.to_owned();
        self.with(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT recipient FROM campaign_recipient WHERE campaign_id = ?1
                     ORDER BY position",
                )?
                .query_map([campaign_id], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn set_sampling_plan(&self, plan: SamplingPlan) -> Result<(), StorageError> {
        self.write(move |conn| {
            let known: Option<i64> = conn
                .query_row(
                    "SELECT 1 FROM round WHERE id = ?1",
                    [&plan.round_id],
                    |row| row.get(0),
                )
                .optional()?;
            if known.is_none() {
                return Err(StorageError::NotFound(format!(
                    "there is no round with id {}",
                    plan.round_id
                )));
            }
            let (cluster_fields, planned) = plan.columns();
            let set_at = now(conn)?;
            conn.execute(
                "INSERT INTO sampling_plan (round_id, cluster_fields, per_cluster, planned, set_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (round_id) DO UPDATE SET cluster_fields = excluded.cluster_fields,
                     per_cluster = excluded.per_cluster, planned = excluded.planned,
                     set_at = excluded.set_at",
                params![
                    plan.round_id,
                    cluster_fields,
                    plan.per_cluster,
                    planned,
                    set_at
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn sampling_plans(&self, campaign_id: &str) -> Result<Vec<SamplingPlan>, StorageError> {
        let campaign_id = campaign_id.to_owned();
        self.with(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT p.round_id, p.cluster_fields, p.per_cluster, p.planned
                 FROM sampling_plan p JOIN round r ON r.id = p.round_id
                 WHERE r.campaign_id = ?1 ORDER BY r.seq",
            )?;
            let rows = stmt.query_map([campaign_id], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, String>(3)?,
                ))
            })?;
            let mut plans = Vec::new();
            for row in rows {
                let (round_id, fields, per_cluster, planned) = row?;
                plans.push(
                    SamplingPlan::from_columns(round_id, &fields, per_cluster, &planned)
                        .map_err(StorageError::Backend)?,
                );
            }
            Ok(plans)
        })
        .await
    }

    async fn create_enrollment_codes(
        &self,
        campaign_id: &str,
        organization_id: &str,
        code_hashes: &[String],
    ) -> Result<(), StorageError> {
        let (campaign_id, organization_id, code_hashes) = (
            campaign_id.to_owned(),
            organization_id.to_owned(),
            code_hashes.to_vec(),
        );
        self.write(move |conn| {
            let owner = campaign_owner(conn, &campaign_id)?;
            organization_exists(conn, &organization_id)?;
            let partner: Option<i64> = conn
                .query_row(
                    "SELECT 1 FROM campaign_partner WHERE campaign_id = ?1 AND organization_id = ?2",
                    [&campaign_id, &organization_id],
                    |row| row.get(0),
                )
                .optional()?;
            if owner != organization_id && partner.is_none() {
                return Err(StorageError::Conflict(
                    "this organization is neither the campaign's owner nor one of its partners: \
                     add it as a partner first"
                        .into(),
                ));
            }
            let created_at = now(conn)?;
            let mut insert = conn.prepare_cached(
                "INSERT INTO enrollment_code (code_hash, campaign_id, organization_id, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for code_hash in &code_hashes {
                insert
                    .execute(params![code_hash, campaign_id, organization_id, created_at])
                    .map_err(|err| match err.sqlite_error_code() {
                        Some(ErrorCode::ConstraintViolation) => StorageError::Conflict(
                            "this enrollment code already exists; make another".into(),
                        ),
                        _ => err.into(),
                    })?;
            }
            Ok(())
        })
        .await
    }

    async fn enroll(
        &self,
        code_hash: &str,
        device_id: &str,
        label: &str,
        token_hash: &str,
    ) -> Result<Device, StorageError> {
        let (code_hash, device_id, label, token_hash) = (
            code_hash.to_owned(),
            device_id.to_owned(),
            label.to_owned(),
            token_hash.to_owned(),
        );
        self.write(move |conn| {
            let code: Option<(String, String, Option<String>)> = conn
                .query_row(
                    "SELECT campaign_id, organization_id, used_at FROM enrollment_code
                     WHERE code_hash = ?1",
                    [&code_hash],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()?;
            let Some((campaign_id, organization_id, used_at)) = code else {
                return Err(StorageError::NotFound(
                    "this enrollment code is unknown: check it, or ask the campaign for a new one"
                        .into(),
                ));
            };
            if used_at.is_some() {
                return Err(StorageError::Conflict(
                    "this enrollment code was already used; each code enrolls one device: ask \
                     the campaign for a new one"
                        .into(),
                ));
            }
            let taken: Option<i64> = conn
                .query_row(
                    "SELECT 1 FROM device WHERE token_hash = ?1",
                    [&token_hash],
                    |row| row.get(0),
                )
                .optional()?;
            if taken.is_some() {
                return Err(StorageError::Conflict(
                    "this device token is already in use".into(),
                ));
            }
            let id = new_id();
            let enrolled_at = now(conn)?;
            conn.execute(
                "INSERT INTO device (id, device_id, label, campaign_id, organization_id,
                     token_hash, enrolled_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    id,
                    device_id,
                    label,
                    campaign_id,
                    organization_id,
                    token_hash,
                    enrolled_at
                ],
            )?;
            conn.execute(
                "UPDATE enrollment_code SET used_at = ?2, device = ?3 WHERE code_hash = ?1",
                params![code_hash, enrolled_at, id],
            )?;
            Ok(Device {
                id,
                device_id,
                label,
                campaign_id,
                organization_id,
                enrolled_at,
                revoked: false,
                last_seen_at: None,
            })
        })
        .await
    }

    async fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>, StorageError> {
        let token_hash = token_hash.to_owned();
        self.with(move |conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {DEVICE_COLUMNS} FROM device WHERE token_hash = ?1"
                ))?
                .query_row([token_hash], device_from_row)
                .optional()?)
        })
        .await
    }

    async fn devices(&self, campaign_id: &str) -> Result<Vec<Device>, StorageError> {
        let campaign_id = campaign_id.to_owned();
        self.with(move |conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {DEVICE_COLUMNS} FROM device WHERE campaign_id = ?1
                     ORDER BY enrolled_at, id"
                ))?
                .query_map([campaign_id], device_from_row)?
                .collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn device_seen(&self, id: &str) -> Result<(), StorageError> {
        let id = id.to_owned();
        self.write(move |conn| {
            // Timestamps share one layout, so they compare as text.
            conn.prepare_cached(
                "UPDATE device SET last_seen_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                 WHERE id = ?1 AND (last_seen_at IS NULL
                     OR last_seen_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-60 seconds'))",
            )?
            .execute([id])?;
            Ok(())
        })
        .await
    }

    async fn revoke_device(&self, id: &str) -> Result<(), StorageError> {
        let id = id.to_owned();
        self.write(move |conn| {
            let changed = conn.execute(
                "UPDATE device SET revoked = 1, revoked_at = coalesce(revoked_at, ?2)
                 WHERE id = ?1",
                params![id, now(conn)?],
            )?;
            if changed == 0 {
                return Err(StorageError::NotFound(format!(
                    "there is no device with id {id}"
                )));
            }
            Ok(())
        })
        .await
    }

    async fn store_submissions(&self, items: Vec<Incoming>) -> Result<Vec<Outcome>, StorageError> {
        self.write(move |conn| {
            let received_at = now(conn)?;
            items
                .iter()
                .map(|item| store_one(conn, item, &received_at))
                .collect()
        })
        .await
    }

    async fn device_progress(&self, device: &str) -> Result<(i64, i64), StorageError> {
        let device = device.to_owned();
        self.with(move |conn| {
            let seqs: Vec<i64> = conn
                .prepare_cached(
                    "SELECT device_seq FROM submission WHERE device = ?1
                     UNION
                     SELECT device_seq FROM submission_set_aside WHERE device = ?1
                     ORDER BY 1",
                )?
                .query_map([&device], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut contiguous = 0;
            for seq in seqs {
                if seq == contiguous + 1 {
                    contiguous = seq;
                } else if seq > contiguous + 1 {
                    break;
                }
            }
            let held = conn
                .prepare_cached(
                    "SELECT count(*) FROM (
                         SELECT instance_id FROM submission WHERE device = ?1
                         UNION
                         SELECT instance_id FROM submission_set_aside WHERE device = ?1)",
                )?
                .query_row([&device], |row| row.get(0))?;
            Ok((contiguous, held))
        })
        .await
    }

    async fn submissions(
        &self,
        filter: &SubmissionFilter,
    ) -> Result<Vec<Submission>, StorageError> {
        let (clause, values) = filter_clause(filter);
        self.with(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT s.instance_id, s.sha256, r.name, d.organization_id, d.device_id,
                     s.device_seq, s.received_at
                 FROM submission s
                 JOIN round r ON r.id = s.round
                 JOIN device d ON d.id = s.device
                 WHERE {clause}
                 ORDER BY s.rowid"
            ))?;
            let rows = stmt.query_map(rusqlite::params_from_iter(values), |row| {
                Ok(Submission {
                    instance_id: row.get(0)?,
                    sha256: row.get(1)?,
                    round: row.get(2)?,
                    organization_id: row.get(3)?,
                    device: row.get(4)?,
                    device_seq: row.get(5)?,
                    received_at: row.get(6)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn submission_payload(&self, instance_id: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let instance_id = instance_id.to_owned();
        self.with(move |conn| {
            Ok(conn
                .prepare_cached("SELECT payload FROM submission WHERE instance_id = ?1")?
                .query_row([instance_id], |row| row.get(0))
                .optional()?)
        })
        .await
    }

    async fn round_payloads_after(
        &self,
        round_id: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<super::RoundPayload>, StorageError> {
        let round_id = round_id.to_owned();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT s.rowid, s.instance_id, d.device_id, s.received_at, s.encoding, s.payload
                 FROM submission s
                 JOIN device d ON d.id = s.device
                 WHERE s.round = ?1 AND s.rowid > ?2
                 ORDER BY s.rowid
                 LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![round_id, after, limit], |row| {
                let encoding: String = row.get(4)?;
                Ok(super::RoundPayload {
                    seq: row.get(0)?,
                    instance_id: row.get(1)?,
                    device: row.get(2)?,
                    received_at: row.get(3)?,
                    encoding: match encoding.as_str() {
                        "json" => PayloadEncoding::Json,
                        "age" => PayloadEncoding::Age,
                        other => return Err(bad_column(4, "encoding", other)),
                    },
                    payload: row.get(5)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn set_aside(&self, filter: &SubmissionFilter) -> Result<Vec<SetAside>, StorageError> {
        let (clause, values) = filter_clause(filter);
        self.with(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT a.instance_id, a.sha256, d.organization_id, d.device_id, a.outcome,
                     a.reason, a.received_at
                 FROM submission_set_aside a
                 LEFT JOIN round r ON r.id = a.round
                 JOIN device d ON d.id = a.device
                 WHERE {clause}
                 ORDER BY a.rowid"
            ))?;
            let rows = stmt.query_map(rusqlite::params_from_iter(values), |row| {
                let outcome: String = row.get(4)?;
                Ok(SetAside {
                    instance_id: row.get(0)?,
                    sha256: row.get(1)?,
                    organization_id: row.get(2)?,
                    device: row.get(3)?,
                    outcome: match outcome.as_str() {
                        "rejected" => Outcome::Rejected,
                        "conflict" => Outcome::Conflict,
                        other => return Err(bad_column(4, "outcome", other)),
                    },
                    reason: row.get(5)?,
                    received_at: row.get(6)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn attachment_offset(&self, sha256: &str) -> Result<Option<(i64, bool)>, StorageError> {
        let sha256 = sha256.to_owned();
        self.with(move |conn| {
            Ok(conn
                .prepare_cached("SELECT length(bytes), complete FROM attachment WHERE sha256 = ?1")?
                .query_row([sha256], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()?)
        })
        .await
    }

    async fn append_attachment(
        &self,
        sha256: &str,
        offset: i64,
        bytes: &[u8],
    ) -> Result<i64, StorageError> {
        let (sha256, bytes) = (sha256.to_owned(), bytes.to_vec());
        self.write(move |conn| {
            let held: Option<(i64, bool)> = conn
                .query_row(
                    "SELECT length(bytes), complete FROM attachment WHERE sha256 = ?1",
                    [&sha256],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            let (length, complete) = held.unwrap_or((0, false));
            if offset != length {
                return Err(StorageError::Conflict(format!(
                    "the server holds {length} bytes of this attachment; continue from there"
                )));
            }
            if complete && !bytes.is_empty() {
                return Err(StorageError::Conflict(
                    "this attachment is already complete".into(),
                ));
            }
            if held.is_none() {
                conn.execute(
                    "INSERT INTO attachment (sha256, bytes, created_at) VALUES (?1, ?2, ?3)",
                    params![sha256, bytes, now(conn)?],
                )?;
            } else if !bytes.is_empty() {
                conn.execute(
                    // `||` concatenates the bytes as they are (NULs and invalid UTF-8
                    // included) but types the result as text: cast it back.
                    "UPDATE attachment SET bytes = CAST(bytes || ?2 AS BLOB) WHERE sha256 = ?1",
                    params![sha256, bytes],
                )?;
            }
            Ok(length + bytes.len() as i64)
        })
        .await
    }

    async fn complete_attachment(&self, sha256: &str) -> Result<(), StorageError> {
        let sha256 = sha256.to_owned();
        self.write(move |conn| {
            let changed = conn.execute(
                "UPDATE attachment SET complete = 1, completed_at = coalesce(completed_at, ?2)
                 WHERE sha256 = ?1",
                params![sha256, now(conn)?],
            )?;
            if changed == 0 {
                return Err(StorageError::NotFound(format!(
                    "no bytes of attachment {sha256} have been uploaded"
                )));
            }
            Ok(())
        })
        .await
    }

    async fn discard_attachment(&self, sha256: &str) -> Result<(), StorageError> {
        let sha256 = sha256.to_owned();
        self.write(move |conn| {
            conn.execute(
                "DELETE FROM attachment WHERE sha256 = ?1 AND complete = 0",
                [sha256],
            )?;
            Ok(())
        })
        .await
    }

    async fn attachment(&self, sha256: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let sha256 = sha256.to_owned();
        self.with(move |conn| {
            Ok(conn
                .prepare_cached("SELECT bytes FROM attachment WHERE sha256 = ?1")?
                .query_row([sha256], |row| row.get(0))
                .optional()?)
        })
        .await
    }

    async fn record_audit(&self, event: NewAuditEvent) -> Result<AuditEvent, StorageError> {
        self.write(move |conn| {
            let at = now(conn)?;
            conn.execute(
                "INSERT INTO audit_event (at, action, actor, campaign_id, subject, client)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    at,
                    event.action.as_str(),
                    event.actor,
                    event.campaign_id,
                    event.subject,
                    event.client
                ],
            )?;
            Ok(AuditEvent {
                seq: conn.last_insert_rowid(),
                at,
                action: event.action,
                actor: event.actor,
                campaign_id: event.campaign_id,
                subject: event.subject,
                client: event.client,
            })
        })
        .await
    }

    async fn audit_events(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<AuditEvent>, StorageError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(move |conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_event WHERE seq > ?1 ORDER BY seq LIMIT ?2"
                ))?
                .query_map(params![after, limit], audit_from_row)?
                .collect::<rusqlite::Result<_>>()?)
        })
        .await
    }
}
