//! The PostgreSQL storage (`--db postgres://...`), for deployments that outgrow one machine: the
//! same tables, rules and answers as the embedded SQLite storage, on a pool of connections.
//!
//! Writes that two requests could race on are made safe by the database itself, not by luck:
//! a batch of submissions locks its instance ids (transaction-level advisory locks, taken in one
//! sorted order so two batches never deadlock) before it looks at what is held, so concurrent
//! batches carrying the same interview store it once and agree on what each copy was; an
//! attachment's row is locked before a chunk is appended at the offset the device named; rounds
//! are published one at a time so their `seq` (the devices' cursor) follows commit order. A
//! transaction the server aborts anyway (a serialization failure or a deadlock) is run again.
//!
//! The schema is `migrations/server-postgres/`, applied by [`migrate`] under an advisory lock with
//! the same rules and wording as the SQLite runner in `fieldline-migrations`.

use std::{collections::HashMap, future::Future, time::Duration};

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use fieldline_migrations::{Migration, MigrationError};
use tokio_postgres::{error::SqlState, types::ToSql, Client, GenericClient, Row};

use super::postgres_tls::{self, PostgresUrl};

use super::{
    AuditAction, AuditEvent, Campaign, Device, Id, Incoming, NewAuditEvent, NewRound, Organization,
    Outcome, PayloadEncoding, Role, Round, SamplingPlan, ServerInfo, SetAside, Storage,
    StorageError, Submission, SubmissionFilter, User,
};

/// Connections each server keeps at most (PostgreSQL's default allows 100 in all).
const POOL_SIZE: usize = 16;

/// How long connecting may take unless the URL says (`connect_timeout=SECONDS`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How often a transaction PostgreSQL aborted for a serialization failure or a deadlock is tried.
const ATTEMPTS: u32 = 20;

/// The advisory lock two servers take turns on while migrating the same database.
pub const MIGRATION_LOCK: i64 = 0x6669_656c_646c_696e; // "fieldlin"

/// The class of the two-key advisory locks on submission instance ids (the key is the id's hash).
const INSTANCE_LOCK_CLASS: i32 = 0x4649_0001;

/// The server's storage in a PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStorage {
    pool: Pool,
}

/// What went wrong inside one attempt: the driver's error (kept whole so a transaction the server
/// aborted can be told apart and run again) or the storage's own answer.
enum Fail {
    Db(tokio_postgres::Error),
    Storage(StorageError),
}

impl From<tokio_postgres::Error> for Fail {
    fn from(err: tokio_postgres::Error) -> Self {
        Fail::Db(err)
    }
}

impl From<StorageError> for Fail {
    fn from(err: StorageError) -> Self {
        Fail::Storage(err)
    }
}

impl From<deadpool_postgres::PoolError> for Fail {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        Fail::Storage(StorageError::Backend(format!(
            "cannot get a connection to PostgreSQL: {}",
            chain(&err)
        )))
    }
}

impl From<Fail> for StorageError {
    fn from(fail: Fail) -> Self {
        match fail {
            Fail::Storage(err) => err,
            Fail::Db(err) => err.into(),
        }
    }
}

impl From<tokio_postgres::Error> for StorageError {
    fn from(err: tokio_postgres::Error) -> Self {
        let integrity = err.code().is_some_and(|code| code.code().starts_with("23"));
        if integrity {
            StorageError::Conflict(format!(
                "this would break a rule of the data: {}",
                describe(&err)
            ))
        } else {
            StorageError::Backend(describe(&err))
        }
    }
}

/// The server's message (with its detail) for a database error; the chain of causes otherwise
/// (tokio-postgres' own text for both is just "db error").
pub fn describe(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_owned(),
        },
        None => chain(err),
    }
}

fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        // Wrappers often repeat their cause's words: say each once.
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn has_code(err: &Fail, code: &SqlState) -> bool {
    matches!(err, Fail::Db(err) if err.code() == Some(code))
}

/// Runs `attempt` until it is not aborted by PostgreSQL for a serialization failure or a
/// deadlock (each try is a whole transaction, rolled back by the server when aborted).
async fn retry<T, F, Fut>(mut attempt: F) -> Result<T, StorageError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Fail>>,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(fail)
                if tries < ATTEMPTS
                    && (has_code(&fail, &SqlState::T_R_SERIALIZATION_FAILURE)
                        || has_code(&fail, &SqlState::T_R_DEADLOCK_DETECTED)) =>
            {
                tokio::time::sleep(Duration::from_millis(2 * u64::from(tries))).await;
                tries += 1;
            }
            result => return result.map_err(StorageError::from),
        }
    }
}

/// A URL as it may be shown: without its password.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // The last `@` ends the credentials even when a password holds an unescaped `/`, `?` or
    // `@` (a URL the driver would refuse, whose error must not show it either); hiding too
    // much is the safe way to be wrong.
    let rest = match rest.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => rest.to_owned(),
        },
        None => rest.to_owned(),
    };
    // A password given as a parameter instead.
    let rest = match rest.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => rest,
    };
    format!("{scheme}://{rest}")
}

/// `NotFound` for no such person, `Conflict` when their role is no longer `seen`; the row stays
/// locked until the caller's transaction ends, so nothing changes it in between.
async fn role_still(
    client: &(impl GenericClient + Sync),
    id: &str,
    seen: Role,
) -> Result<(), Fail> {
    let role: Option<String> = client
        .query_opt("SELECT role FROM app_user WHERE id = $1 FOR UPDATE", &[&id])
        .await?
        .map(|row| row.get(0));
    match role {
        None => Err(StorageError::NotFound(format!("there is no user with id {id}")).into()),
        Some(role) if role != seen.as_str() => Err(super::role_changed_meanwhile(&role).into()),
        Some(_) => Ok(()),
    }
}

/// `NotFound` when an update touched no user.
fn user_changed(changed: u64, id: &str) -> Result<(), Fail> {
    if changed == 0 {
        return Err(StorageError::NotFound(format!("there is no user with id {id}")).into());
    }
    Ok(())
}

fn new_id() -> Id {
    uuid::Uuid::now_v7().to_string()
}

fn encoding_str(encoding: PayloadEncoding) -> &'static str {
    match encoding {
        PayloadEncoding::Json => "json",
        PayloadEncoding::Age => "age",
    }
}

fn bad_value(what: &str, value: &str) -> Fail {
    Fail::Storage(StorageError::Backend(format!(
        "the database holds an unknown {what} {value:?}"
    )))
}

const AUDIT_COLUMNS: &str = "seq, rfc3339(at), action, actor, campaign_id, subject, client";

fn audit_from_row(row: &Row) -> Result<AuditEvent, Fail> {
    let action: String = row.try_get(2)?;
    Ok(AuditEvent {
        seq: row.try_get(0)?,
        at: row.try_get(1)?,
        action: AuditAction::parse(&action).ok_or_else(|| bad_value("audit action", &action))?,
        actor: row.try_get(3)?,
        campaign_id: row.try_get(4)?,
        subject: row.try_get(5)?,
        client: row.try_get(6)?,
    })
}

const USER_COLUMNS: &str =
    "u.id, u.organization_id, u.email, u.role, u.password_hash, u.disabled_at IS NOT NULL";

fn user_from_row(row: &Row) -> Result<User, Fail> {
    let role: String = row.try_get(3)?;
    Ok(User {
        id: row.try_get(0)?,
        organization_id: row.try_get(1)?,
        email: row.try_get(2)?,
        role: Role::parse(&role).ok_or_else(|| bad_value("role", &role))?,
        password_hash: row.try_get(4)?,
        disabled: row.try_get(5)?,
    })
}

const ROUND_COLUMNS: &str = "id, campaign_id, name, form_id, form_version, title, file_name, \
                             sha256, seq, rfc3339(published_at)";

fn round_from_row(row: &Row) -> Result<Round, Fail> {
    Ok(Round {
        id: row.try_get(0)?,
        campaign_id: row.try_get(1)?,
        name: row.try_get(2)?,
        form_id: row.try_get(3)?,
        form_version: row.try_get(4)?,
        title: row.try_get(5)?,
        file_name: row.try_get(6)?,
        sha256: row.try_get(7)?,
        seq: row.try_get(8)?,
        published_at: row.try_get(9)?,
    })
}

const DEVICE_COLUMNS: &str =
    "id, device_id, label, campaign_id, organization_id, rfc3339(enrolled_at), revoked, \
     rfc3339(last_seen_at)";

fn device_from_row(row: &Row) -> Result<Device, Fail> {
    Ok(Device {
        id: row.try_get(0)?,
        device_id: row.try_get(1)?,
        label: row.try_get(2)?,
        campaign_id: row.try_get(3)?,
        organization_id: row.try_get(4)?,
        enrolled_at: row.try_get(5)?,
        revoked: row.try_get(6)?,
        last_seen_at: row.try_get(7)?,
    })
}

const CAMPAIGN_COLUMNS: &str = "c.id, c.name, c.owner_id, \
     ARRAY(SELECT p.organization_id FROM campaign_partner p WHERE p.campaign_id = c.id \
           ORDER BY p.added_at, p.organization_id)";

fn campaign_from_row(row: &Row) -> Result<Campaign, Fail> {
    Ok(Campaign {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        owner_id: row.try_get(2)?,
        partner_ids: row.try_get(3)?,
    })
}

fn rows<T>(rows: Vec<Row>, from_row: fn(&Row) -> Result<T, Fail>) -> Result<Vec<T>, Fail> {
    rows.iter().map(from_row).collect()
}

impl PostgresStorage {
    /// The row `sql` finds, if any, read by `from_row` (run again like any statement PostgreSQL
    /// aborted).
    async fn one<T>(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        from_row: fn(&Row) -> Result<T, Fail>,
    ) -> Result<Option<T>, StorageError> {
        retry(|| async {
            let row = self.client().await?.query_opt(sql, params).await?;
            row.as_ref().map(from_row).transpose()
        })
        .await
    }

    /// Every row `sql` finds, read by `from_row`.
    async fn all<T>(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        from_row: fn(&Row) -> Result<T, Fail>,
    ) -> Result<Vec<T>, StorageError> {
        retry(|| async { rows(self.client().await?.query(sql, params).await?, from_row) }).await
    }
}

async fn organization_exists(client: &(impl GenericClient + Sync), id: &str) -> Result<(), Fail> {
    match client
        .query_opt("SELECT 1 FROM organization WHERE id = $1", &[&id])
        .await?
    {
        Some(_) => Ok(()),
        None => {
            Err(StorageError::NotFound(format!("there is no organization with id {id}")).into())
        }
    }
}

/// The campaign's owner.
async fn campaign_owner(client: &(impl GenericClient + Sync), id: &str) -> Result<String, Fail> {
    match client
        .query_opt("SELECT owner_id FROM campaign WHERE id = $1", &[&id])
        .await?
    {
        Some(row) => Ok(row.try_get(0)?),
        None => Err(StorageError::NotFound(format!("there is no campaign with id {id}")).into()),
    }
}

/// `WHERE` clause and parameters selecting a campaign's rows through the device (`d`) and,
/// when given, the round (`r`, joined on the row) and the device's organization.
fn filter_clause(filter: &SubmissionFilter) -> (String, Vec<String>) {
    let mut clause = String::from("d.campaign_id = $1");
    let mut values = vec![filter.campaign_id.clone()];
    if let Some(round) = &filter.round {
        values.push(round.clone());
        clause.push_str(&format!(" AND r.name = ${}", values.len()));
    }
    if let Some(organization) = &filter.organization_id {
        values.push(organization.clone());
        clause.push_str(&format!(" AND d.organization_id = ${}", values.len()));
    }
    (clause, values)
}

fn params(values: &[String]) -> Vec<&(dyn ToSql + Sync)> {
    values.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

fn conflict_reason(held_sha256: &str) -> String {
    format!(
        "the server already holds another version of this interview (sha256 {held_sha256}); \
         this one is kept aside for review and the first is unchanged"
    )
}

/// Keeps a submission aside; the same bytes with the same outcome again add nothing.
async fn set_aside_item(
    tx: &deadpool_postgres::Transaction<'_>,
    item: &Incoming,
    outcome: &str,
    reason: &str,
) -> Result<(), Fail> {
    let insert = tx
        .prepare_cached(
            "INSERT INTO submission_set_aside (id, instance_id, device, device_seq, form_id,
                 form_version, round, outcome, reason, sha256, encoding, payload, attachments)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (instance_id, sha256, outcome) DO NOTHING",
        )
        .await?;
    tx.execute(
        &insert,
        &[
            &new_id(),
            &item.instance_id,
            &item.device,
            &item.device_seq,
            &item.form_id,
            &item.form_version,
            &item.round_id,
            &outcome,
            &reason,
            &item.sha256,
            &encoding_str(item.encoding),
            &item.payload,
            &item.attachments,
        ],
    )
    .await
    .map_err(|err| unknown_device_or_round(err, item))?;
    Ok(())
}

fn unknown_device_or_round(err: tokio_postgres::Error, item: &Incoming) -> Fail {
    if err.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) {
        StorageError::NotFound(format!(
            "submission {} names a device or round this server does not have",
            item.instance_id
        ))
        .into()
    } else {
        err.into()
    }
}

/// Decides what one item is and stores it accordingly, its instance id locked by the caller;
/// `held` maps the batch's instance ids to the SHA-256 stored for them, this item's included
/// once it is stored.
async fn store_one(
    tx: &deadpool_postgres::Transaction<'_>,
    item: &Incoming,
    held: &mut HashMap<String, String>,
) -> Result<Outcome, Fail> {
    let held_sha = held.get(&item.instance_id).cloned();
    if held_sha.as_deref() == Some(item.sha256.as_str()) {
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
        set_aside_item(tx, item, "rejected", &reason).await?;
        return Ok(Outcome::Rejected);
    }
    if let Some(held_sha) = held_sha {
        set_aside_item(tx, item, "conflict", &conflict_reason(&held_sha)).await?;
        return Ok(Outcome::Conflict);
    }
    let insert = tx
        .prepare_cached(
            "INSERT INTO submission (instance_id, device, device_seq, form_id, form_version,
                 round, sha256, encoding, payload, attachments)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .await?;
    tx.execute(
        &insert,
        &[
            &item.instance_id,
            &item.device,
            &item.device_seq,
            &item.form_id,
            &item.form_version,
            &item.round_id,
            &item.sha256,
            &encoding_str(item.encoding),
            &item.payload,
            &item.attachments,
        ],
    )
    .await
    .map_err(|err| unknown_device_or_round(err, item))?;
    held.insert(item.instance_id.clone(), item.sha256.clone());
    Ok(Outcome::Accepted)
}

/// Why a PostgreSQL schema could not be brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum PgMigrationError {
    #[error("migration {name} failed: {}", describe(.source))]
    Failed {
        name: &'static str,
        #[source]
        source: tokio_postgres::Error,
    },
    /// An edited migration or a database from a newer program, worded as for SQLite.
    #[error(transparent)]
    Refused(MigrationError),
    #[error("cannot read the schema version: {}", describe(.0))]
    Postgres(#[source] tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for PgMigrationError {
    fn from(err: tokio_postgres::Error) -> Self {
        Self::Postgres(err)
    }
}

/// Brings the database `client` is connected to up to the last of `migrations` (normally
/// `fieldline_migrations::SERVER_POSTGRES`), returning the versions applied now. Each migration
/// runs in one transaction with the row recording its version and SHA-256; a recorded migration
/// whose file differs now, or a database further along than `migrations`, is refused. Servers
/// starting together on one database take turns on an advisory lock.
pub async fn migrate(
    client: &mut Client,
    migrations: &[Migration],
) -> Result<Vec<u32>, PgMigrationError> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let result = migrate_locked(client, migrations).await;
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await;
    let applied = result?;
    unlocked?;
    Ok(applied)
}

async fn migrate_locked(
    client: &mut Client,
    migrations: &[Migration],
) -> Result<Vec<u32>, PgMigrationError> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migration (
                 version     INTEGER PRIMARY KEY,
                 name        TEXT NOT NULL,
                 sha256      TEXT NOT NULL,
                 applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
             )",
        )
        .await?;
    let mut applied_now = Vec::new();
    for migration in migrations {
        let version = migration.version as i32;
        let tx = client.transaction().await?;
        let recorded: Option<String> = tx
            .query_opt(
                "SELECT sha256 FROM schema_migration WHERE version = $1",
                &[&version],
            )
            .await?
            .map(|row| row.try_get(0))
            .transpose()?;
        match recorded {
            Some(sha) if sha == migration.checksum() => continue,
            Some(_) => {
                return Err(PgMigrationError::Refused(MigrationError::Edited {
                    version: migration.version,
                    name: migration.name,
                }))
            }
            None => {}
        }
        let failed = |source| PgMigrationError::Failed {
            name: migration.name,
            source,
        };
        tx.batch_execute(migration.sql).await.map_err(failed)?;
        tx.execute(
            "INSERT INTO schema_migration (version, name, sha256) VALUES ($1, $2, $3)",
            &[&version, &migration.name, &migration.checksum()],
        )
        .await
        .map_err(failed)?;
        tx.commit().await.map_err(failed)?;
        applied_now.push(migration.version);
    }
    let known = migrations.last().map_or(0, |m| m.version);
    let found: i32 = client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migration",
            &[],
        )
        .await?
        .try_get(0)?;
    let found = found as u32;
    if found > known {
        return Err(PgMigrationError::Refused(MigrationError::TooNew {
            found,
            known,
        }));
    }
    Ok(applied_now)
}

impl PostgresStorage {
    /// Connects to the database a `postgres://` or `postgresql://` URL names and brings its
    /// schema up to date. TLS as the URL's `sslmode` says, the server's certificate always
    /// verified (`sslrootcert=PATH` adds a CA; see [`postgres_tls`]).
    pub async fn open(url: &str) -> Result<Self, StorageError> {
        let parsed = PostgresUrl::parse(url);
        let mut config: tokio_postgres::Config = parsed.driver_url.parse().map_err(|err| {
            StorageError::Backend(format!(
                "the PostgreSQL URL {} cannot be read: {}",
                redacted(url),
                chain(&err)
            ))
        })?;
        let connected = match parsed
            .apply_ssl_policy(&mut config)
            .and_then(|()| postgres_tls::connector(parsed.root_cert.as_deref()))
        {
            Ok(tls) => Self::connect_with(config, tls).await,
            Err(err) => Err(err),
        };
        connected.map_err(|err| match err {
            StorageError::Backend(message) => {
                let hint = postgres_tls::certificate_hint(&message)
                    .map(|hint| format!("; {hint}"))
                    .unwrap_or_default();
                StorageError::Backend(format!("PostgreSQL at {}: {message}{hint}", redacted(url)))
            }
            other => other,
        })
    }

    /// As [`PostgresStorage::open`], from a driver configuration (TLS verified against the
    /// public certificate authorities only).
    pub async fn connect(config: tokio_postgres::Config) -> Result<Self, StorageError> {
        Self::connect_with(config, postgres_tls::connector(None)?).await
    }

    async fn connect_with(
        mut config: tokio_postgres::Config,
        tls: tokio_postgres_rustls::MakeRustlsConnect,
    ) -> Result<Self, StorageError> {
        // An unreachable host fails the request in a while, not after TCP's minutes.
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let manager = Manager::from_config(
            config,
            tls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|err| {
                StorageError::Backend(format!("cannot make a connection pool: {err}"))
            })?;
        let storage = Self { pool };
        let mut client = storage.client().await?;
        migrate(&mut client, fieldline_migrations::SERVER_POSTGRES)
            .await
            .map_err(|err| {
                StorageError::Backend(format!("the schema cannot be brought up to date: {err}"))
            })?;
        client
            .execute(
                "INSERT INTO server_instance (singleton, server_id) VALUES (1, $1)
                 ON CONFLICT DO NOTHING",
                &[&new_id()],
            )
            .await?;
        drop(client);
        Ok(storage)
    }

    async fn client(&self) -> Result<Object, Fail> {
        Ok(self.pool.get().await?)
    }
}

#[async_trait]
impl Storage for PostgresStorage {
    async fn server_info(&self) -> Result<ServerInfo, StorageError> {
        retry(move || async move {
            let row = self
                .client()
                .await?
                .query_one(
                    "SELECT (SELECT max(version) FROM schema_migration), server_id,
                         rfc3339(created_at)
                     FROM server_instance",
                    &[],
                )
                .await?;
            let schema_version: i32 = row.try_get(0)?;
            Ok(ServerInfo {
                schema_version: schema_version as u32,
                server_id: row.try_get(1)?,
                created_at: row.try_get(2)?,
            })
        })
        .await
    }

    async fn create_organization(&self, name: &str) -> Result<Organization, StorageError> {
        retry(move || async move {
            let id = new_id();
            let inserted = self
                .client()
                .await?
                .execute(
                    "INSERT INTO organization (id, name) VALUES ($1, $2)
                     ON CONFLICT (name) DO NOTHING",
                    &[&id, &name],
                )
                .await?;
            if inserted == 0 {
                return Err(StorageError::Conflict(format!(
                    "an organization named {name:?} already exists"
                ))
                .into());
            }
            Ok(Organization {
                id,
                name: name.to_owned(),
            })
        })
        .await
    }

    async fn organization(&self, id: &str) -> Result<Option<Organization>, StorageError> {
        retry(move || async move {
            let row = self
                .client()
                .await?
                .query_opt("SELECT id, name FROM organization WHERE id = $1", &[&id])
                .await?;
            Ok(match row {
                Some(row) => Some(Organization {
                    id: row.try_get(0)?,
                    name: row.try_get(1)?,
                }),
                None => None,
            })
        })
        .await
    }

    async fn organizations(&self) -> Result<Vec<Organization>, StorageError> {
        retry(move || async move {
            let found = self
                .client()
                .await?
                .query(
                    "SELECT id, name FROM organization ORDER BY created_at, id",
                    &[],
                )
                .await?;
            rows(found, |row| {
                Ok(Organization {
                    id: row.try_get(0)?,
                    name: row.try_get(1)?,
                })
            })
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
        let email = email.trim();
        retry(move || async move {
            let client = self.client().await?;
            organization_exists(&**client, organization_id).await?;
            let id = new_id();
            let inserted = client
                .execute(
                    "INSERT INTO app_user (id, organization_id, email, role, password_hash)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT ((lower(email))) DO NOTHING",
                    &[
                        &id,
                        &organization_id,
                        &email,
                        &role.as_str(),
                        &password_hash,
                    ],
                )
                .await?;
            if inserted == 0 {
                return Err(StorageError::Conflict(format!(
                    "a user with the email {email} already exists"
                ))
                .into());
            }
            Ok(User {
                id,
                organization_id: organization_id.to_owned(),
                email: email.to_owned(),
                role,
                password_hash: password_hash.to_owned(),
                disabled: false,
            })
        })
        .await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StorageError> {
        let email = email.trim();
        self.one(
            &format!("SELECT {USER_COLUMNS} FROM app_user u WHERE lower(u.email) = lower($1)"),
            &[&email],
            user_from_row,
        )
        .await
    }

    async fn user(&self, id: &str) -> Result<Option<User>, StorageError> {
        self.one(
            &format!("SELECT {USER_COLUMNS} FROM app_user u WHERE u.id = $1"),
            &[&id],
            user_from_row,
        )
        .await
    }

    async fn users(&self, organization_id: Option<&str>) -> Result<Vec<User>, StorageError> {
        self.all(
            &format!(
                "SELECT {USER_COLUMNS} FROM app_user u
                 WHERE $1::text IS NULL OR u.organization_id = $1
                 ORDER BY u.created_at, u.id"
            ),
            &[&organization_id],
            user_from_row,
        )
        .await
    }

    async fn set_user_role(
        &self,
        id: &str,
        role: Role,
        seen_role: Role,
    ) -> Result<(), StorageError> {
        retry(move || async move {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            role_still(&*tx, id, seen_role).await?;
            tx.execute(
                "UPDATE app_user SET role = $2 WHERE id = $1",
                &[&id, &role.as_str()],
            )
            .await?;
            tx.commit().await?;
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
        retry(move || async move {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            role_still(&*tx, id, seen_role).await?;
            if disabled {
                tx.execute(
                    "UPDATE app_user SET disabled_at = coalesce(disabled_at, now())
                     WHERE id = $1",
                    &[&id],
                )
                .await?;
                tx.execute("DELETE FROM session WHERE user_id = $1", &[&id])
                    .await?;
            } else {
                tx.execute(
                    "UPDATE app_user SET disabled_at = NULL WHERE id = $1",
                    &[&id],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn set_user_password(&self, id: &str, password_hash: &str) -> Result<(), StorageError> {
        retry(move || async move {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            let changed = tx
                .execute(
                    "UPDATE app_user SET password_hash = $2 WHERE id = $1",
                    &[&id, &password_hash],
                )
                .await?;
            tx.execute("DELETE FROM session WHERE user_id = $1", &[&id])
                .await?;
            user_changed(changed, id)?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn create_session(
        &self,
        user_id: &str,
        token_hash: &str,
        expires_at: &str,
    ) -> Result<(), StorageError> {
        retry(move || async move {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            // FOR SHARE: a disabling UPDATE waits for this session to be in, then ends it.
            let disabled: Option<bool> = tx
                .query_opt(
                    "SELECT disabled_at IS NOT NULL FROM app_user WHERE id = $1 FOR SHARE",
                    &[&user_id],
                )
                .await?
                .map(|row| row.get(0));
            match disabled {
                None => {
                    return Err(StorageError::NotFound(format!(
                        "there is no user with id {user_id}"
                    ))
                    .into())
                }
                Some(true) => {
                    return Err(StorageError::Conflict(
                        "this account is disabled: it holds no session".into(),
                    )
                    .into())
                }
                Some(false) => {}
            }
            tx.execute(
                "INSERT INTO session (token_hash, user_id, expires_at)
                 VALUES ($1, $2, CAST($3::text AS timestamptz))",
                &[&token_hash, &user_id, &expires_at],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn session_user(
        &self,
        token_hash: &str,
        now: &str,
    ) -> Result<Option<User>, StorageError> {
        self.one(
            &format!(
                "SELECT {USER_COLUMNS} FROM session s JOIN app_user u ON u.id = s.user_id
                 WHERE s.token_hash = $1
                   AND s.expires_at > CAST($2::text AS timestamptz)
                   AND u.disabled_at IS NULL"
            ),
            &[&token_hash, &now],
            user_from_row,
        )
        .await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<bool, StorageError> {
        retry(move || async move {
            let deleted = self
                .client()
                .await?
                .execute("DELETE FROM session WHERE token_hash = $1", &[&token_hash])
                .await?;
            Ok(deleted > 0)
        })
        .await
    }

    async fn create_campaign(&self, owner_id: &str, name: &str) -> Result<Campaign, StorageError> {
        retry(move || async move {
            let client = self.client().await?;
            organization_exists(&**client, owner_id).await?;
            let id = new_id();
            let inserted = client
                .execute(
                    "INSERT INTO campaign (id, name, owner_id) VALUES ($1, $2, $3)
                     ON CONFLICT (name) DO NOTHING",
                    &[&id, &name, &owner_id],
                )
                .await?;
            if inserted == 0 {
                return Err(StorageError::Conflict(format!(
                    "a campaign named {name:?} already exists"
                ))
                .into());
            }
            Ok(Campaign {
                id,
                name: name.to_owned(),
                owner_id: owner_id.to_owned(),
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
        retry(move || async move {
            let client = self.client().await?;
            let owner = campaign_owner(&**client, campaign_id).await?;
            organization_exists(&**client, organization_id).await?;
            if owner == organization_id {
                return Err(StorageError::Conflict(
                    "this organization owns the campaign; it cannot also be its partner".into(),
                )
                .into());
            }
            client
                .execute(
                    "INSERT INTO campaign_partner (campaign_id, organization_id)
                     VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&campaign_id, &organization_id],
                )
                .await?;
            Ok(())
        })
        .await
    }

    async fn campaign(&self, id: &str) -> Result<Option<Campaign>, StorageError> {
        self.one(
            &format!("SELECT {CAMPAIGN_COLUMNS} FROM campaign c WHERE c.id = $1"),
            &[&id],
            campaign_from_row,
        )
        .await
    }

    async fn campaigns(&self) -> Result<Vec<Campaign>, StorageError> {
        self.all(
            &format!("SELECT {CAMPAIGN_COLUMNS} FROM campaign c ORDER BY c.created_at, c.id"),
            &[],
            campaign_from_row,
        )
        .await
    }

    async fn create_round(&self, round: NewRound) -> Result<Round, StorageError> {
        let round = &round;
        retry(move || async move {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            // One publication at a time (readers go on): `seq` is then max + 1 in commit order,
            // and the name and form version checks below cannot race.
            tx.batch_execute("LOCK TABLE round IN SHARE ROW EXCLUSIVE MODE")
                .await?;
            campaign_owner(&*tx, &round.campaign_id).await?;
            if tx
                .query_opt(
                    "SELECT 1 FROM round WHERE campaign_id = $1 AND name = $2",
                    &[&round.campaign_id, &round.name],
                )
                .await?
                .is_some()
            {
                return Err(StorageError::Conflict(format!(
                    "this campaign already has a round named {:?}; choose another name",
                    round.name
                ))
                .into());
            }
            if let Some(other) = tx
                .query_opt(
                    "SELECT name FROM round WHERE form_id = $1 AND form_version = $2",
                    &[&round.form_id, &round.form_version],
                )
                .await?
            {
                let other: String = other.try_get(0)?;
                return Err(StorageError::Conflict(format!(
                    "form {} version {} is already published (round {other:?}); a form version \
                     is published once: change the version in the form's settings sheet",
                    round.form_id, round.form_version
                ))
                .into());
            }
            let id = new_id();
            let row = tx
                .query_one(
                    "INSERT INTO round (seq, id, campaign_id, name, form_id, form_version, title,
                         file_name, sha256, xlsform, definition)
                     VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM round),
                         $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                     RETURNING seq, rfc3339(published_at)",
                    &[
                        &id,
                        &round.campaign_id,
                        &round.name,
                        &round.form_id,
                        &round.form_version,
                        &round.title,
                        &round.file_name,
                        &round.sha256,
                        &round.xlsform,
                        &round.definition,
                    ],
                )
                .await?;
            tx.commit().await?;
            Ok(Round {
                seq: row.try_get(0)?,
                published_at: row.try_get(1)?,
                id,
                campaign_id: round.campaign_id.clone(),
                name: round.name.clone(),
                form_id: round.form_id.clone(),
                form_version: round.form_version.clone(),
                title: round.title.clone(),
                file_name: round.file_name.clone(),
                sha256: round.sha256.clone(),
            })
        })
        .await
    }

    async fn rounds(&self, campaign_id: &str) -> Result<Vec<Round>, StorageError> {
        self.all(
            &format!("SELECT {ROUND_COLUMNS} FROM round WHERE campaign_id = $1 ORDER BY seq"),
            &[&campaign_id],
            round_from_row,
        )
        .await
    }

    async fn rounds_after(
        &self,
        campaign_id: &str,
        after: i64,
        max_bytes: usize,
    ) -> Result<Vec<(Round, Vec<u8>)>, StorageError> {
        retry(move || async move {
            let client = self.client().await?;
            // Sizes first, so a page never reads the workbooks it leaves for the next one.
            let found = client
                .query(
                    &format!(
                        "SELECT {ROUND_COLUMNS}, octet_length(xlsform)::bigint FROM round
                         WHERE campaign_id = $1 AND seq > $2 ORDER BY seq"
                    ),
                    &[&campaign_id, &after],
                )
                .await?;
            let mut page = Vec::new();
            let mut bytes = 0usize;
            for row in &found {
                let size: i64 = row.try_get(10)?;
                let size = size as usize;
                if !page.is_empty() && bytes + size > max_bytes {
                    break;
                }
                bytes += size;
                page.push(round_from_row(row)?);
            }
            let seqs: Vec<i64> = page.iter().map(|round| round.seq).collect();
            let workbooks = client
                .query(
                    "SELECT xlsform FROM round WHERE seq = ANY($1) ORDER BY seq",
                    &[&seqs],
                )
                .await?;
            page.into_iter()
                .zip(workbooks)
                .map(|(round, row)| Ok((round, row.try_get(0)?)))
                .collect()
        })
        .await
    }

    async fn round_for_form(
        &self,
        campaign_id: &str,
        form_id: &str,
        form_version: &str,
    ) -> Result<Option<(Round, String)>, StorageError> {
        retry(move || async move {
            let row = self
                .client()
                .await?
                .query_opt(
                    &format!(
                        "SELECT {ROUND_COLUMNS}, definition FROM round
                         WHERE campaign_id = $1 AND form_id = $2 AND form_version = $3"
                    ),
                    &[&campaign_id, &form_id, &form_version],
                )
                .await?;
            match row {
                Some(row) => Ok(Some((round_from_row(&row)?, row.try_get(10)?))),
                None => Ok(None),
            }
        })
        .await
    }

    async fn add_campaign_recipients(
        &self,
        campaign_id: &str,
        recipients: &[String],
    ) -> Result<(), StorageError> {
        retry(move || async move {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            // Serialises with round publication, so no round slips in between the check and
            // the keys.
            tx.batch_execute("LOCK TABLE round IN SHARE ROW EXCLUSIVE MODE")
                .await?;
            let known = tx
                .query_opt("SELECT 1 FROM campaign WHERE id = $1", &[&campaign_id])
                .await?;
            if known.is_none() {
                return Err(Fail::Storage(StorageError::NotFound(format!(
                    "there is no campaign with id {campaign_id}"
                ))));
            }
            let row = tx
                .query_one(
                    "SELECT (SELECT COUNT(*) FROM campaign_recipient WHERE campaign_id = $1),
                            (SELECT COUNT(*) FROM round WHERE campaign_id = $1)",
                    &[&campaign_id],
                )
                .await?;
            let (keys, rounds): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
            if keys > 0 || rounds > 0 {
                return Err(Fail::Storage(StorageError::Conflict(
                    "a campaign's encryption keys are set when it is created, before any round: \
                     devices pin them when they enroll; create a new campaign to use other keys"
                        .into(),
                )));
            }
            for (position, recipient) in recipients.iter().enumerate() {
                tx.execute(
                    "INSERT INTO campaign_recipient (campaign_id, position, recipient)
                     VALUES ($1, $2, $3)",
                    &[&campaign_id, &(position as i32), recipient],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn campaign_recipients(&self, campaign_id: &str) -> Result<Vec<String>, StorageError> {
        retry(move || async move {
            let found = self
                .client()
                .await?
                .query(
                    "SELECT recipient FROM campaign_recipient WHERE campaign_id = $1
                     ORDER BY position",
                    &[&campaign_id],
                )
                .await?;
            found.iter().map(|row| Ok(row.try_get(0)?)).collect()
        })
        .await
    }

    async fn set_sampling_plan(&self, plan: SamplingPlan) -> Result<(), StorageError> {
        let (cluster_fields, planned) = plan.columns();
        // The column is a PostgreSQL INTEGER (int4); the admin command keeps targets far below.
        let per_cluster = i32::try_from(plan.per_cluster).unwrap_or(i32::MAX);
        let plan = &plan;
        let (cluster_fields, planned) = (&cluster_fields, &planned);
        retry(move || async move {
            let client = self.client().await?;
            let known = client
                .query_opt("SELECT 1 FROM round WHERE id = $1", &[&plan.round_id])
                .await?;
            if known.is_none() {
                return Err(Fail::Storage(StorageError::NotFound(format!(
                    "there is no round with id {}",
                    plan.round_id
                ))));
            }
            client
                .execute(
                    "INSERT INTO sampling_plan (round_id, cluster_fields, per_cluster, planned)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (round_id) DO UPDATE SET cluster_fields = excluded.cluster_fields,
                         per_cluster = excluded.per_cluster, planned = excluded.planned,
                         set_at = now()",
                    &[&plan.round_id, cluster_fields, &per_cluster, planned],
                )
                .await?;
            Ok(())
        })
        .await
    }

    async fn sampling_plans(&self, campaign_id: &str) -> Result<Vec<SamplingPlan>, StorageError> {
        retry(move || async move {
            let found = self
                .client()
                .await?
                .query(
                    "SELECT p.round_id, p.cluster_fields, p.per_cluster, p.planned
                     FROM sampling_plan p JOIN round r ON r.id = p.round_id
                     WHERE r.campaign_id = $1 ORDER BY r.seq",
                    &[&campaign_id],
                )
                .await?;
            let mut plans = Vec::new();
            for row in found {
                let fields: String = row.try_get(1)?;
                let planned: String = row.try_get(3)?;
                plans.push(
                    SamplingPlan::from_columns(
                        row.try_get(0)?,
                        &fields,
                        i64::from(row.try_get::<_, i32>(2)?),
                        &planned,
                    )
                    .map_err(|e| Fail::Storage(StorageError::Backend(e)))?,
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
        retry(move || async move {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            let owner = campaign_owner(&*tx, campaign_id).await?;
            organization_exists(&*tx, organization_id).await?;
            let partner = tx
                .query_opt(
                    "SELECT 1 FROM campaign_partner WHERE campaign_id = $1 AND organization_id = $2",
                    &[&campaign_id, &organization_id],
                )
                .await?;
            if owner != organization_id && partner.is_none() {
                return Err(StorageError::Conflict(
                    "this organization is neither the campaign's owner nor one of its partners: \
                     add it as a partner first"
                        .into(),
                )
                .into());
            }
            tx.execute(
                "INSERT INTO enrollment_code (code_hash, campaign_id, organization_id)
                 SELECT code_hash, $2, $3 FROM unnest($1::text[]) AS code_hash",
                &[&code_hashes, &campaign_id, &organization_id],
            )
            .await
            .map_err(|err| -> Fail {
                if err.code() == Some(&SqlState::UNIQUE_VIOLATION) {
                    StorageError::Conflict(
                        "this enrollment code already exists; make another".into(),
                    )
                    .into()
                } else {
                    err.into()
                }
            })?;
            tx.commit().await?;
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
        retry(move || async move {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            // The code's row stays locked until this enrollment commits: a code used twice at
            // once enrolls one device, and the other use sees it used.
            let code = tx
                .query_opt(
                    "SELECT campaign_id, organization_id, used_at IS NOT NULL
                     FROM enrollment_code WHERE code_hash = $1 FOR UPDATE",
                    &[&code_hash],
                )
                .await?;
            let Some(code) = code else {
                return Err(StorageError::NotFound(
                    "this enrollment code is unknown: check it, or ask the campaign for a new one"
                        .into(),
                )
                .into());
            };
            let (campaign_id, organization_id, used): (String, String, bool) =
                (code.try_get(0)?, code.try_get(1)?, code.try_get(2)?);
            if used {
                return Err(StorageError::Conflict(
                    "this enrollment code was already used; each code enrolls one device: ask \
                     the campaign for a new one"
                        .into(),
                )
                .into());
            }
            let token_taken = || -> Fail {
                StorageError::Conflict("this device token is already in use".into()).into()
            };
            if tx
                .query_opt("SELECT 1 FROM device WHERE token_hash = $1", &[&token_hash])
                .await?
                .is_some()
            {
                return Err(token_taken());
            }
            let id = new_id();
            let row = tx
                .query_one(
                    "INSERT INTO device (id, device_id, label, campaign_id, organization_id,
                         token_hash)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     RETURNING rfc3339(enrolled_at)",
                    &[
                        &id,
                        &device_id,
                        &label,
                        &campaign_id,
                        &organization_id,
                        &token_hash,
                    ],
                )
                .await
                .map_err(|err| {
                    if err.code() == Some(&SqlState::UNIQUE_VIOLATION) {
                        token_taken()
                    } else {
                        err.into()
                    }
                })?;
            tx.execute(
                "UPDATE enrollment_code SET used_at = now(), device = $2 WHERE code_hash = $1",
                &[&code_hash, &id],
            )
            .await?;
            tx.commit().await?;
            Ok(Device {
                id,
                device_id: device_id.to_owned(),
                label: label.to_owned(),
                campaign_id,
                organization_id,
                enrolled_at: row.try_get(0)?,
                revoked: false,
                last_seen_at: None,
            })
        })
        .await
    }

    async fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>, StorageError> {
        self.one(
            &format!("SELECT {DEVICE_COLUMNS} FROM device WHERE token_hash = $1"),
            &[&token_hash],
            device_from_row,
        )
        .await
    }

    async fn devices(&self, campaign_id: &str) -> Result<Vec<Device>, StorageError> {
        self.all(
            &format!(
                "SELECT {DEVICE_COLUMNS} FROM device WHERE campaign_id = $1
                 ORDER BY enrolled_at, id"
            ),
            &[&campaign_id],
            device_from_row,
        )
        .await
    }

    async fn device_seen(&self, id: &str) -> Result<(), StorageError> {
        retry(move || async move {
            self.client()
                .await?
                .execute(
                    "UPDATE device SET last_seen_at = now()
                     WHERE id = $1 AND (last_seen_at IS NULL
                         OR last_seen_at < now() - interval '1 minute')",
                    &[&id],
                )
                .await?;
            Ok(())
        })
        .await
    }

    async fn revoke_device(&self, id: &str) -> Result<(), StorageError> {
        retry(move || async move {
            let changed = self
                .client()
                .await?
                .execute(
                    "UPDATE device SET revoked = true, revoked_at = coalesce(revoked_at, now())
                     WHERE id = $1",
                    &[&id],
                )
                .await?;
            if changed == 0 {
                return Err(
                    StorageError::NotFound(format!("there is no device with id {id}")).into(),
                );
            }
            Ok(())
        })
        .await
    }

    async fn store_submissions(&self, items: Vec<Incoming>) -> Result<Vec<Outcome>, StorageError> {
        let items = &items;
        let instance_ids: Vec<&str> = items.iter().map(|item| item.instance_id.as_str()).collect();
        let instance_ids = &instance_ids;
        retry(move || async move {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            // Every writer of these instance ids holds their locks until it commits, so what is
            // read below is what this batch decides on; taken in one sorted order, two batches
            // sharing ids wait for each other instead of deadlocking.
            let lock = tx
                .prepare_cached(
                    "SELECT pg_advisory_xact_lock($1, key) FROM (
                         SELECT DISTINCT hashtext(id) AS key FROM unnest($2::text[]) AS id
                         ORDER BY key) AS keys",
                )
                .await?;
            tx.execute(&lock, &[&INSTANCE_LOCK_CLASS, instance_ids])
                .await?;
            let held_query = tx
                .prepare_cached(
                    "SELECT instance_id, sha256 FROM submission WHERE instance_id = ANY($1)",
                )
                .await?;
            let mut held = HashMap::new();
            for row in tx.query(&held_query, &[instance_ids]).await? {
                held.insert(row.try_get(0)?, row.try_get(1)?);
            }
            let mut outcomes = Vec::with_capacity(items.len());
            for item in items {
                outcomes.push(store_one(&tx, item, &mut held).await?);
            }
            tx.commit().await?;
            Ok(outcomes)
        })
        .await
    }

    async fn device_progress(&self, device: &str) -> Result<(i64, i64), StorageError> {
        retry(move || async move {
            let client = self.client().await?;
            let seqs: Vec<i64> = client
                .query(
                    "SELECT device_seq FROM submission WHERE device = $1
                     UNION
                     SELECT device_seq FROM submission_set_aside WHERE device = $1
                     ORDER BY 1",
                    &[&device],
                )
                .await?
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<_, _>>()?;
            let mut contiguous = 0;
            for seq in seqs {
                if seq == contiguous + 1 {
                    contiguous = seq;
                } else if seq > contiguous + 1 {
                    break;
                }
            }
            let held: i64 = client
                .query_one(
                    "SELECT count(*) FROM (
                         SELECT instance_id FROM submission WHERE device = $1
                         UNION
                         SELECT instance_id FROM submission_set_aside WHERE device = $1) AS held",
                    &[&device],
                )
                .await?
                .try_get(0)?;
            Ok((contiguous, held))
        })
        .await
    }

    async fn submissions(
        &self,
        filter: &SubmissionFilter,
    ) -> Result<Vec<Submission>, StorageError> {
        let (clause, values) = filter_clause(filter);
        let (clause, values) = (&clause, &values);
        retry(move || async move {
            let found = self
                .client()
                .await?
                .query(
                    &format!(
                        "SELECT s.instance_id, s.sha256, r.name, d.organization_id, d.device_id,
                             s.device_seq, rfc3339(s.received_at)
                         FROM submission s
                         JOIN round r ON r.id = s.round
                         JOIN device d ON d.id = s.device
                         WHERE {clause}
                         ORDER BY s.received_seq"
                    ),
                    &params(values),
                )
                .await?;
            rows(found, |row| {
                Ok(Submission {
                    instance_id: row.try_get(0)?,
                    sha256: row.try_get(1)?,
                    round: row.try_get(2)?,
                    organization_id: row.try_get(3)?,
                    device: row.try_get(4)?,
                    device_seq: row.try_get(5)?,
                    received_at: row.try_get(6)?,
                })
            })
        })
        .await
    }

    async fn submission_payload(&self, instance_id: &str) -> Result<Option<Vec<u8>>, StorageError> {
        retry(move || async move {
            let row = self
                .client()
                .await?
                .query_opt(
                    "SELECT payload FROM submission WHERE instance_id = $1",
                    &[&instance_id],
                )
                .await?;
            Ok(match row {
                Some(row) => Some(row.try_get(0)?),
                None => None,
            })
        })
        .await
    }

    async fn round_payloads_after(
        &self,
        round_id: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<super::RoundPayload>, StorageError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        retry(move || async move {
            let found = self
                .client()
                .await?
                .query(
                    "SELECT s.received_seq, s.instance_id, d.device_id, rfc3339(s.received_at),
                         s.encoding, s.payload
                     FROM submission s
                     JOIN device d ON d.id = s.device
                     WHERE s.round = $1 AND s.received_seq > $2
                     ORDER BY s.received_seq
                     LIMIT $3",
                    &[&round_id, &after, &limit],
                )
                .await?;
            rows(found, |row| {
                let encoding: String = row.try_get(4)?;
                Ok(super::RoundPayload {
                    seq: row.try_get(0)?,
                    instance_id: row.try_get(1)?,
                    device: row.try_get(2)?,
                    received_at: row.try_get(3)?,
                    encoding: match encoding.as_str() {
                        "json" => PayloadEncoding::Json,
                        "age" => PayloadEncoding::Age,
                        other => return Err(bad_value("encoding", other)),
                    },
                    payload: row.try_get(5)?,
                })
            })
        })
        .await
    }

    async fn set_aside(&self, filter: &SubmissionFilter) -> Result<Vec<SetAside>, StorageError> {
        let (clause, values) = filter_clause(filter);
        let (clause, values) = (&clause, &values);
        retry(move || async move {
            let found = self
                .client()
                .await?
                .query(
                    &format!(
                        "SELECT a.instance_id, a.sha256, d.organization_id, d.device_id, a.outcome,
                             a.reason, rfc3339(a.received_at)
                         FROM submission_set_aside a
                         LEFT JOIN round r ON r.id = a.round
                         JOIN device d ON d.id = a.device
                         WHERE {clause}
                         ORDER BY a.received_seq"
                    ),
                    &params(values),
                )
                .await?;
            rows(found, |row| {
                let outcome: String = row.try_get(4)?;
                Ok(SetAside {
                    instance_id: row.try_get(0)?,
                    sha256: row.try_get(1)?,
                    organization_id: row.try_get(2)?,
                    device: row.try_get(3)?,
                    outcome: match outcome.as_str() {
                        "rejected" => Outcome::Rejected,
                        "conflict" => Outcome::Conflict,
                        other => return Err(bad_value("outcome", other)),
                    },
                    reason: row.try_get(5)?,
                    received_at: row.try_get(6)?,
                })
            })
        })
        .await
    }

    async fn attachment_offset(&self, sha256: &str) -> Result<Option<(i64, bool)>, StorageError> {
        retry(move || async move {
            let row = self
                .client()
                .await?
                .query_opt(
                    "SELECT octet_length(bytes)::bigint, complete FROM attachment
                     WHERE sha256 = $1",
                    &[&sha256],
                )
                .await?;
            Ok(match row {
                Some(row) => Some((row.try_get(0)?, row.try_get(1)?)),
                None => None,
            })
        })
        .await
    }

    async fn append_attachment(
        &self,
        sha256: &str,
        offset: i64,
        bytes: &[u8],
    ) -> Result<i64, StorageError> {
        retry(move || async move {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            // The row exists from here on (made empty if it did not; gone again with the
            // transaction if this chunk is refused), and is locked until commit: two uploads of
            // the same attachment append one after the other, the second at the new length.
            tx.execute(
                "INSERT INTO attachment (sha256, bytes) VALUES ($1, '')
                     ON CONFLICT (sha256) DO NOTHING",
                &[&sha256],
            )
            .await?;
            let held = tx
                .query_one(
                    "SELECT octet_length(bytes)::bigint, complete FROM attachment
                     WHERE sha256 = $1 FOR UPDATE",
                    &[&sha256],
                )
                .await?;
            let (length, complete): (i64, bool) = (held.try_get(0)?, held.try_get(1)?);
            if offset != length {
                return Err(StorageError::Conflict(format!(
                    "the server holds {length} bytes of this attachment; continue from there"
                ))
                .into());
            }
            if complete && !bytes.is_empty() {
                return Err(
                    StorageError::Conflict("this attachment is already complete".into()).into(),
                );
            }
            if !bytes.is_empty() {
                tx.execute(
                    "UPDATE attachment SET bytes = bytes || $2 WHERE sha256 = $1",
                    &[&sha256, &bytes],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(length + bytes.len() as i64)
        })
        .await
    }

    async fn complete_attachment(&self, sha256: &str) -> Result<(), StorageError> {
        retry(move || async move {
            let changed = self
                .client()
                .await?
                .execute(
                    "UPDATE attachment SET complete = true,
                         completed_at = coalesce(completed_at, now())
                     WHERE sha256 = $1",
                    &[&sha256],
                )
                .await?;
            if changed == 0 {
                return Err(StorageError::NotFound(format!(
                    "no bytes of attachment {sha256} have been uploaded"
                ))
                .into());
            }
            Ok(())
        })
        .await
    }

    async fn discard_attachment(&self, sha256: &str) -> Result<(), StorageError> {
        retry(move || async move {
            self.client()
                .await?
                .execute(
                    "DELETE FROM attachment WHERE sha256 = $1 AND NOT complete",
                    &[&sha256],
                )
                .await?;
            Ok(())
        })
        .await
    }

    async fn attachment(&self, sha256: &str) -> Result<Option<Vec<u8>>, StorageError> {
        retry(move || async move {
            let row = self
                .client()
                .await?
                .query_opt("SELECT bytes FROM attachment WHERE sha256 = $1", &[&sha256])
                .await?;
            Ok(match row {
                Some(row) => Some(row.try_get(0)?),
                None => None,
            })
        })
        .await
    }

    async fn record_audit(&self, event: NewAuditEvent) -> Result<AuditEvent, StorageError> {
        let event = &event;
        retry(move || async move {
            let row = self
                .client()
                .await?
                .query_one(
                    &format!(
                        "INSERT INTO audit_event (action, actor, campaign_id, subject, client)
                         VALUES ($1, $2, $3, $4, $5) RETURNING {AUDIT_COLUMNS}"
                    ),
                    &[
                        &event.action.as_str(),
                        &event.actor,
                        &event.campaign_id,
                        &event.subject,
                        &event.client,
                    ],
                )
                .await?;
            audit_from_row(&row)
        })
        .await
    }

    async fn audit_events(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<AuditEvent>, StorageError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.all(
            &format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_event WHERE seq > $1
                 ORDER BY seq LIMIT $2"
            ),
            &[&after, &limit],
            audit_from_row,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_their_password() {
        assert_eq!(
            redacted("postgres://fieldline:s3cret@db.example:5432/fieldline?sslmode=disable"),
            "postgres://fieldline:***@db.example:5432/fieldline?sslmode=disable"
        );
        assert_eq!(
            redacted("postgresql://fieldline@127.0.0.1/fieldline"),
            "postgresql://fieldline@127.0.0.1/fieldline"
        );
        assert_eq!(
            redacted("postgres://a:b:c@host/db"),
            "postgres://a:***@host/db"
        );
        // Unescaped separators in a password, and a password as a parameter.
        for (url, secret) in [
            ("postgres://a:pa/ss@host/db", "pa/ss"),
            ("postgres://a:p?w@d@host/db?sslmode=require", "p?w@d"),
            (
                "postgres://a@host/db?password=hunter2&sslmode=require",
                "hunter2",
            ),
        ] {
            let shown = redacted(url);
            assert!(!shown.contains(secret), "{shown}");
            assert!(shown.contains("***"), "{shown}");
        }
    }
}
