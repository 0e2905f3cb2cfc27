//! The storage conformance story on PostgreSQL, its migrations, and writers racing each other.
//!
//! Each test makes its own database on the server named by `FIELDLINE_TEST_POSTGRES_URL` and
//! drops it at the end. `cargo xtask test` starts a throwaway PostgreSQL and sets the variable;
//! without it these tests fail rather than pass without having run.

mod storage_story;

use std::{collections::HashMap, sync::Arc};

use fieldline_migrations::{Migration, MigrationError};
use fieldline_server::{
    secrets::token_hash,
    storage::{
        open_storage,
        postgres::{migrate, PostgresStorage, MIGRATION_LOCK},
        AuditAction, DatabaseUrl, Incoming, NewAuditEvent, NewRound, Outcome, PayloadEncoding,
        Role, Storage, StorageError, SubmissionFilter,
    },
};
use tokio_postgres::NoTls;

const URL_VAR: &str = "FIELDLINE_TEST_POSTGRES_URL";

/// A database of its own for one test, dropped by [`TestDatabase::drop`].
struct TestDatabase {
    server_url: String,
    name: String,
}

impl TestDatabase {
    async fn create(purpose: &str) -> Self {
        let server_url = std::env::var(URL_VAR).unwrap_or_else(|_| {
            panic!(
                "{URL_VAR} is not set, so the PostgreSQL storage tests cannot run. Run the tests \
                 through `cargo xtask test`, which starts a throwaway PostgreSQL and sets it; for \
                 these tests alone: `cargo xtask with-postgres cargo test -p fieldline-server \
                 --test storage_postgres`"
            )
        });
        let name = format!("fieldline_test_{purpose}_{}", uuid::Uuid::new_v4().simple());
        admin(&server_url)
            .await
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|err| panic!("cannot create database {name}: {err:?}"));
        Self { server_url, name }
    }

    /// This database's URL: the server's, with its own database name.
    fn url(&self) -> String {
        with_database(&self.server_url, &self.name)
    }

    async fn client(&self) -> tokio_postgres::Client {
        admin(&self.url()).await
    }

    async fn drop(self) {
        admin(&self.server_url)
            .await
            .batch_execute(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
            .await
            .unwrap();
    }
}

/// `url` naming the database `name` instead of its own.
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let path_start = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(path_start);
    let query = path.find('?').map_or("", |at| &path[at..]);
    format!("{scheme}://{authority}/{name}{query}")
}

async fn admin(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|err| panic!("cannot connect to {url}: {err:?}"));
    tokio::spawn(connection);
    client
}

#[tokio::test]
async fn postgres() {
    let db = TestDatabase::create("story").await;
    let url: DatabaseUrl = db.url().parse().unwrap();
    assert!(matches!(url, DatabaseUrl::Postgres(_)));
    let storage: Arc<dyn Storage> = open_storage(&url).await.unwrap();
    assert_eq!(
        storage.server_info().await.unwrap().schema_version,
        fieldline_migrations::SERVER_POSTGRES.len() as u32
    );
    storage_story::story(storage).await;
    db.drop().await;
}

#[tokio::test]
async fn postgres_keeps_everything_across_a_restart() {
    let db = TestDatabase::create("restart").await;
    let storage = PostgresStorage::open(&db.url()).await.unwrap();
    let info = storage.server_info().await.unwrap();
    let org = storage.create_organization("Owner NGO").await.unwrap();
    storage
        .create_user(&org.id, "admin@example.org", Role::Admin, "$argon2id$x")
        .await
        .unwrap();
    let campaign = storage.create_campaign(&org.id, "Campaign").await.unwrap();
    drop(storage);

    let storage = PostgresStorage::open(&db.url()).await.unwrap();
    assert_eq!(storage.server_info().await.unwrap(), info);
    assert_eq!(storage.organizations().await.unwrap(), vec![org]);
    assert_eq!(storage.campaigns().await.unwrap(), vec![campaign]);
    assert!(storage
        .user_by_email("ADMIN@example.org")
        .await
        .unwrap()
        .is_some());
    drop(storage);
    db.drop().await;
}

const TWO_STEPS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_a",
        sql: "CREATE TABLE a (x INTEGER);",
    },
    Migration {
        version: 2,
        name: "0002_b",
        sql: "CREATE TABLE b (y INTEGER);",
    },
];

async fn tables(client: &tokio_postgres::Client) -> Vec<String> {
    client
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[tokio::test]
async fn migrations_apply_once_and_refuse_edited_or_newer_ones() {
    let db = TestDatabase::create("migrations").await;
    let mut client = db.client().await;

    assert_eq!(migrate(&mut client, &TWO_STEPS[..1]).await.unwrap(), [1]);
    assert_eq!(migrate(&mut client, TWO_STEPS).await.unwrap(), [2]);
    assert!(migrate(&mut client, TWO_STEPS).await.unwrap().is_empty());
    assert_eq!(tables(&client).await, ["a", "b", "schema_migration"]);

    // An edited migration: refused, worded as the SQLite runner words it.
    let edited = [
        TWO_STEPS[0],
        Migration {
            sql: "CREATE TABLE b (y TEXT);",
            ..TWO_STEPS[1]
        },
    ];
    let err = migrate(&mut client, &edited).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        MigrationError::Edited {
            version: 2,
            name: "0002_b"
        }
        .to_string()
    );
    assert!(err.to_string().contains("must never be edited"), "{err}");

    // A program that knows fewer migrations than the database received.
    let err = migrate(&mut client, &TWO_STEPS[..1]).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        MigrationError::TooNew { found: 2, known: 1 }.to_string()
    );

    // A failing step leaves neither its changes nor its record.
    let broken = [
        TWO_STEPS[0],
        TWO_STEPS[1],
        Migration {
            version: 3,
            name: "0003_broken",
            sql: "CREATE TABLE c (z INTEGER); THIS IS NOT SQL;",
        },
    ];
    let err = migrate(&mut client, &broken).await.unwrap_err();
    assert!(err.to_string().contains("0003_broken"), "{err}");
    assert_eq!(tables(&client).await, ["a", "b", "schema_migration"]);
    let recorded: i64 = client
        .query_one("SELECT count(*) FROM schema_migration", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(recorded, 2);

    // The lock was given back every time, errors included: another session can take it.
    let other = db.client().await;
    let free: bool = other
        .query_one("SELECT pg_try_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .unwrap()
        .get(0);
    assert!(free, "the migration lock is still held");
    drop((client, other));
    db.drop().await;
}

#[tokio::test]
async fn the_server_refuses_a_database_whose_shipped_migration_was_edited() {
    let db = TestDatabase::create("edited").await;
    drop(PostgresStorage::open(&db.url()).await.unwrap());
    db.client()
        .await
        .execute(
            "UPDATE schema_migration SET sha256 = repeat('0', 64) WHERE version = 1",
            &[],
        )
        .await
        .unwrap();
    let err = match PostgresStorage::open(&db.url()).await {
        Err(err) => err.to_string(),
        Ok(_) => panic!("an edited migration was accepted"),
    };
    let first = fieldline_migrations::SERVER_POSTGRES[0].name;
    assert!(
        err.contains(&format!(
            "this database received migration 1 with different contents than this program's \
             {first}.sql"
        )),
        "{err}"
    );
    db.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn servers_starting_together_migrate_once() {
    let db = TestDatabase::create("together").await;
    let url = db.url();
    let opened = futures_join_all(
        (0..4)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(async move { PostgresStorage::open(&url).await.map(drop) })
            })
            .collect(),
    )
    .await;
    for result in opened {
        result.unwrap();
    }
    let recorded: i64 = db
        .client()
        .await
        .query_one("SELECT count(*) FROM schema_migration", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(recorded, fieldline_migrations::SERVER_POSTGRES.len() as i64);
    db.drop().await;
}

/// Awaits every task, in order.
async fn futures_join_all<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

/// A campaign with one round and `devices` enrolled devices (their storage ids).
async fn campaign_with_devices(storage: &PostgresStorage, devices: usize) -> (String, Vec<String>) {
    let owner = storage.create_organization("Owner").await.unwrap();
    let campaign = storage.create_campaign(&owner.id, "Race").await.unwrap();
    let round = storage
        .create_round(NewRound {
            campaign_id: campaign.id.clone(),
            name: "baseline".into(),
            form_id: "kap".into(),
            form_version: "1".into(),
            title: "KAP".into(),
            file_name: "kap.xlsx".into(),
            sha256: "0".repeat(64),
            xlsform: vec![1; 10],
            definition: "{}".into(),
        })
        .await
        .unwrap();
    let codes: Vec<String> = (0..devices).map(|i| format!("code-{i}")).collect();
    storage
        .create_enrollment_codes(&campaign.id, &owner.id, &codes)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        let device = storage
            .enroll(code, &format!("fieldline:d{i}"), "tablet", &format!("t{i}"))
            .await
            .unwrap();
        ids.push(device.id);
    }
    (round.id, ids)
}

/// 20 tasks store overlapping batches of the same 100 interviews at once (in different orders;
/// for every tenth interview, half the tasks carry other bytes). Every interview is stored once,
/// and the answers agree with what was stored: one `accepted` per interview, `duplicate` exactly
/// for the stored bytes, `conflict` exactly for the others, each other version kept aside once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_batches_store_every_interview_once() {
    const TASKS: usize = 20;
    const INSTANCES: usize = 100;
    const DEVICES: usize = 4;
    let db = TestDatabase::create("race").await;
    let storage = Arc::new(PostgresStorage::open(&db.url()).await.unwrap());
    let (round_id, devices) = campaign_with_devices(&storage, DEVICES).await;
    let campaign_id = storage.campaigns().await.unwrap()[0].id.clone();

    let item = |task: usize, i: usize| {
        let payload = if i.is_multiple_of(10) && task % 2 == 1 {
            format!(r#"{{"i":{i},"other":true}}"#)
        } else {
            format!(r#"{{"i":{i}}}"#)
        };
        Incoming {
            device: devices[i % DEVICES].clone(),
            instance_id: format!("uuid:{i}"),
            device_seq: (i / DEVICES) as i64 + 1,
            form_id: "kap".into(),
            form_version: "1".into(),
            round_id: Some(round_id.clone()),
            sha256: token_hash(&payload),
            encoding: PayloadEncoding::Json,
            payload: payload.into_bytes(),
            attachments: "[]".into(),
            rejection: None,
        }
    };
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let mut batch: Vec<Incoming> = (0..30)
            .map(|k| item(task, (task * 5 + k) % INSTANCES))
            .collect();
        if task % 2 == 1 {
            batch.reverse();
        }
        let storage = Arc::clone(&storage);
        tasks.push(tokio::spawn(async move {
            let outcomes = storage.store_submissions(batch.clone()).await.unwrap();
            batch.into_iter().zip(outcomes).collect::<Vec<_>>()
        }));
    }
    let answers: Vec<(Incoming, Outcome)> = futures_join_all(tasks)
        .await
        .into_iter()
        .flatten()
        .collect();

    let everything = SubmissionFilter {
        campaign_id,
        ..SubmissionFilter::default()
    };
    let stored: HashMap<String, String> = storage
        .submissions(&everything)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.instance_id, s.sha256))
        .collect();
    assert_eq!(
        stored.len(),
        INSTANCES,
        "every interview stored, none twice"
    );
    let listed = storage.submissions(&everything).await.unwrap().len();
    assert_eq!(listed, INSTANCES);

    let mut accepted: HashMap<&str, usize> = HashMap::new();
    let mut conflicting: HashMap<&str, std::collections::HashSet<&str>> = HashMap::new();
    for (item, outcome) in &answers {
        let held = &stored[&item.instance_id];
        match outcome {
            Outcome::Accepted => {
                *accepted.entry(&item.instance_id).or_default() += 1;
                assert_eq!(&item.sha256, held, "accepted bytes are the stored ones");
            }
            Outcome::Duplicate => assert_eq!(&item.sha256, held, "{}", item.instance_id),
            Outcome::Conflict => {
                assert_ne!(&item.sha256, held, "{}", item.instance_id);
                conflicting
                    .entry(&item.instance_id)
                    .or_default()
                    .insert(&item.sha256);
            }
            other => panic!("{}: unexpected {other:?}", item.instance_id),
        }
    }
    assert_eq!(accepted.len(), INSTANCES);
    assert!(accepted.values().all(|&n| n == 1), "{accepted:?}");
    let aside = storage.set_aside(&everything).await.unwrap();
    assert!(aside.iter().all(|a| a.outcome == Outcome::Conflict));
    assert_eq!(
        aside.len(),
        conflicting.values().map(|shas| shas.len()).sum::<usize>()
    );
    for device in &devices {
        assert_eq!(
            storage.device_progress(device).await.unwrap(),
            ((INSTANCES / DEVICES) as i64, (INSTANCES / DEVICES) as i64)
        );
    }
    drop(storage);
    db.drop().await;
}

/// Uploads of the same attachment chunk, uses of the same enrollment code and publications of
/// rounds, each racing: one chunk appended, one device enrolled, rounds numbered in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_appends_enrollments_and_publications_keep_their_rules() {
    let db = TestDatabase::create("rules").await;
    let storage = Arc::new(PostgresStorage::open(&db.url()).await.unwrap());
    let (_, _) = campaign_with_devices(&storage, 0).await;
    let campaign = storage.campaigns().await.unwrap().remove(0);

    let appends = futures_join_all(
        (0..10)
            .map(|_| {
                let storage = Arc::clone(&storage);
                tokio::spawn(async move { storage.append_attachment("photo", 0, b"chunk-").await })
            })
            .collect(),
    )
    .await;
    let appended = appends.iter().filter(|r| matches!(r, Ok(6))).count();
    assert_eq!(appended, 1, "{appends:?}");
    assert!(appends
        .iter()
        .all(|r| matches!(r, Ok(6) | Err(StorageError::Conflict(_)))));
    assert_eq!(
        storage.attachment("photo").await.unwrap(),
        Some(b"chunk-".to_vec())
    );

    storage
        .create_enrollment_codes(&campaign.id, &campaign.owner_id, &["once".to_string()])
        .await
        .unwrap();
    let enrollments = futures_join_all(
        (0..10)
            .map(|i| {
                let storage = Arc::clone(&storage);
                tokio::spawn(async move {
                    storage
                        .enroll(
                            "once",
                            &format!("fieldline:r{i}"),
                            "tablet",
                            &format!("rt{i}"),
                        )
                        .await
                })
            })
            .collect(),
    )
    .await;
    assert_eq!(enrollments.iter().filter(|r| r.is_ok()).count(), 1);
    assert_eq!(storage.devices(&campaign.id).await.unwrap().len(), 1);

    let published = futures_join_all(
        (0..8)
            .map(|i| {
                let storage = Arc::clone(&storage);
                let campaign_id = campaign.id.clone();
                tokio::spawn(async move {
                    storage
                        .create_round(NewRound {
                            campaign_id,
                            name: format!("midline-{i}"),
                            form_id: "kap".into(),
                            form_version: format!("m{i}"),
                            title: "KAP".into(),
                            file_name: "kap.xlsx".into(),
                            sha256: "1".repeat(64),
                            xlsform: vec![2; 10],
                            definition: "{}".into(),
                        })
                        .await
                        .unwrap()
                })
            })
            .collect(),
    )
    .await;
    let mut seqs: Vec<i64> = published.iter().map(|round| round.seq).collect();
    seqs.sort();
    seqs.dedup();
    assert_eq!(seqs.len(), 8);
    let listed: Vec<i64> = storage
        .rounds(&campaign.id)
        .await
        .unwrap()
        .iter()
        .map(|round| round.seq)
        .collect();
    assert_eq!(listed, (1..=9).collect::<Vec<i64>>());
    drop(storage);
    db.drop().await;
}

/// The schema itself refuses to change a published round or a stored submission, whoever asks.
#[tokio::test]
async fn published_rounds_and_stored_submissions_never_change() {
    let db = TestDatabase::create("immutable").await;
    let storage = PostgresStorage::open(&db.url()).await.unwrap();
    let (round_id, devices) = campaign_with_devices(&storage, 1).await;
    let payload = r#"{"a":1}"#;
    let stored = storage
        .store_submissions(vec![Incoming {
            device: devices[0].clone(),
            instance_id: "uuid:kept".into(),
            device_seq: 1,
            form_id: "kap".into(),
            form_version: "1".into(),
            round_id: Some(round_id),
            sha256: token_hash(payload),
            encoding: PayloadEncoding::Json,
            payload: payload.as_bytes().to_vec(),
            attachments: "[]".into(),
            rejection: None,
        }])
        .await
        .unwrap();
    assert_eq!(stored, [Outcome::Accepted]);

    storage
        .record_audit(NewAuditEvent {
            action: AuditAction::SignIn,
            actor: "manager@example.org".into(),
            campaign_id: None,
            subject: "the dashboard".into(),
            client: None,
        })
        .await
        .unwrap();
    let client = db.client().await;
    for (sql, message) in [
        (
            "UPDATE round SET title = 'changed'",
            "a published round never changes",
        ),
        (
            "UPDATE submission SET payload = 'changed'",
            "a stored submission never changes",
        ),
        (
            "DELETE FROM submission",
            "a stored submission is never deleted",
        ),
        (
            "TRUNCATE submission",
            "a stored submission is never deleted",
        ),
        (
            "UPDATE audit_event SET actor = 'someone else'",
            "the audit log is append-only",
        ),
        ("DELETE FROM audit_event", "the audit log is append-only"),
        ("TRUNCATE audit_event", "the audit log is append-only"),
    ] {
        let err = client.batch_execute(sql).await.unwrap_err();
        let text = err.as_db_error().map(|db| db.message().to_owned());
        assert!(
            text.as_deref().is_some_and(|text| text.contains(message)),
            "{sql}: {err:?}"
        );
    }
    assert_eq!(
        storage.submission_payload("uuid:kept").await.unwrap(),
        Some(payload.as_bytes().to_vec())
    );
    drop((storage, client));
    db.drop().await;
}

const TLS_URL_VAR: &str = "FIELDLINE_TEST_POSTGRES_TLS_URL";

#[tokio::test]
async fn over_tls_the_database_is_verified_and_nothing_crosses_in_the_clear() {
    let tls_url = std::env::var(TLS_URL_VAR).unwrap_or_else(|_| {
        panic!(
            "{TLS_URL_VAR} is not set: run the tests through `cargo xtask test` or `cargo xtask \
             with-postgres`, whose throwaway PostgreSQL serves TLS with a CA made for the run"
        )
    });
    let db = TestDatabase::create("tls").await;
    let url = with_database(&tls_url, &db.name);
    let storage = PostgresStorage::open(&url)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    storage.create_organization("Maiti Nepal").await.unwrap();
    // Every connection the storage holds to its database is encrypted.
    let row = db
        .client()
        .await
        .query_one(
            "SELECT count(*), count(*) FILTER (WHERE s.ssl)
             FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
             WHERE a.datname = $1 AND a.pid <> pg_backend_pid()",
            &[&db.name],
        )
        .await
        .unwrap();
    let (connections, encrypted): (i64, i64) = (row.get(0), row.get(1));
    assert!(
        connections >= 1 && encrypted == connections,
        "{encrypted} of {connections} connections encrypted"
    );
    drop(storage);

    // Without the run's CA the server's certificate is refused, in words that say what to do:
    // asked for TLS, and by default (TLS when offered, never a silent fall back to the clear).
    let (base, _) = url.split_once('?').unwrap();
    for unverifiable in [format!("{base}?sslmode=require"), base.to_owned()] {
        let err = PostgresStorage::open(&unverifiable)
            .await
            .err()
            .unwrap_or_else(|| panic!("{unverifiable} connected without the CA"))
            .to_string();
        assert!(err.contains("sslrootcert="), "{err}");
    }
    // Nor does a CA that did not sign it open the door.
    let dir = tempfile::tempdir().unwrap();
    let other_ca = dir.path().join("other-ca.pem");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let key = rcgen::KeyPair::generate().unwrap();
    std::fs::write(&other_ca, params.self_signed(&key).unwrap().pem()).unwrap();
    let wrong = format!(
        "{base}?sslmode=verify-full&sslrootcert={}",
        other_ca.display()
    );
    let err = PostgresStorage::open(&wrong)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("certificate"), "{err}");
    // Saying plainly to send in the clear still works (a trusted network's choice).
    let plain = PostgresStorage::open(&format!("{base}?sslmode=disable"))
        .await
        .unwrap();
    assert_eq!(plain.organizations().await.unwrap().len(), 1);
    drop(plain);
    db.drop().await;
}
