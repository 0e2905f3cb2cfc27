//! The schema of every Fieldline database, as SQL files under `migrations/`, and the runner that
//! brings a SQLite database up to date. The server's PostgreSQL migrations (`SERVER_POSTGRES`) are
//! compiled in here too, as plain text; the server runs them with its own PostgreSQL driver, by the
//! same rules and with the same [`MigrationError`] wording, so the device's tree never carries one.
//!
//! Each migration runs in one transaction together with the row that records it, so a crash can never
//! leave a migration applied but unrecorded (or the reverse). A database remembers a checksum of every
//! migration it received: opening it with a program whose migration files differ (an edited migration)
//! or that knows fewer migrations (an older program) is refused instead of guessed at.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use sha2::{Digest, Sha256};

/// One schema step: `migrations/<database>/NNNN_name.sql`.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

impl Migration {
    /// Lowercase hex SHA-256 of the SQL, as a database records it.
    pub fn checksum(&self) -> String {
        Sha256::digest(self.sql.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("migration {name} failed: {source}")]
    Failed {
        name: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "this database received migration {version} with different contents than this program's \
         {name}.sql; shipped migrations must never be edited: restore the file and add a new migration"
    )]
    Edited { version: u32, name: &'static str },
    #[error(
        "this database is at schema version {found}, newer than this program knows ({known}); \
         upgrade Fieldline to open it"
    )]
    TooNew { found: u32, known: u32 },
    #[error("cannot read the schema version: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// How hard each commit presses data onto the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// WAL's NORMAL: durable across a crash of the program; a power cut may lose the last
    /// commits. Commits that must survive one ask for FULL themselves.
    Normal,
    /// Every commit reaches the disk before it returns.
    Full,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot create the directory {path} for the database: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("the database {path} cannot be brought up to date: {source}")]
    Migrate {
        path: PathBuf,
        #[source]
        source: MigrationError,
    },
}

/// Opens (creating it and its directory if needed) the SQLite database at `path` the way every
/// Fieldline database runs: WAL, so readers and the writer keep out of each other's way and a crash
/// loses at most the transaction in flight; foreign keys on; a busy timeout; and `migrations`
/// applied.
pub fn open(
    path: &Path,
    migrations: &[Migration],
    durability: Durability,
) -> Result<Connection, OpenError> {
    open_with(path, migrations, durability, |_| Ok(()))
}

/// [`open`], with `first` run on the new connection before anything reads the file: where an
/// encrypted database is given its key (SQLCipher's `PRAGMA key` must come before any other
/// statement, the pragmas here included). An error from `first` is an [`OpenError::Open`].
pub fn open_with(
    path: &Path,
    migrations: &[Migration],
    durability: Durability,
    first: impl FnOnce(&Connection) -> rusqlite::Result<()>,
) -> Result<Connection, OpenError> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| OpenError::CreateDir {
            path: dir.to_owned(),
            source,
        })?;
    }
    let open_error = |source| OpenError::Open {
        path: path.to_owned(),
        source,
    };
    let mut conn = Connection::open(path).map_err(open_error)?;
    first(&conn).map_err(open_error)?;
    let synchronous = match durability {
        Durability::Normal => "NORMAL",
        Durability::Full => "FULL",
    };
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = {synchronous};
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;"
    ))
    .map_err(open_error)?;
    apply(&mut conn, migrations).map_err(|source| OpenError::Migrate {
        path: path.to_owned(),
        source,
    })?;
    Ok(conn)
}

/// Brings `conn` up to the last of `migrations`, returning the versions applied now (empty when the
/// database was already current).
pub fn apply(conn: &mut Connection, migrations: &[Migration]) -> Result<Vec<u32>, MigrationError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migration (
             version     INTEGER PRIMARY KEY,
             name        TEXT NOT NULL,
             sha256      TEXT NOT NULL,
             applied_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
         )",
    )?;
    let mut applied_now = Vec::new();
    for migration in migrations {
        // IMMEDIATE takes the write lock before reading, so two processes opening the same database
        // at once cannot both decide to apply the same step.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let recorded: Option<String> = tx
            .query_row(
                "SELECT sha256 FROM schema_migration WHERE version = ?1",
                [migration.version],
                |row| row.get(0),
            )
            .optional()?;
        match recorded {
            Some(sha) if sha == migration.checksum() => continue,
            Some(_) => {
                return Err(MigrationError::Edited {
                    version: migration.version,
                    name: migration.name,
                })
            }
            None => {}
        }
        let failed = |source| MigrationError::Failed {
            name: migration.name,
            source,
        };
        tx.execute_batch(migration.sql).map_err(failed)?;
        tx.execute(
            "INSERT INTO schema_migration (version, name, sha256) VALUES (?1, ?2, ?3)",
            params![migration.version, migration.name, migration.checksum()],
        )
        .map_err(failed)?;
        tx.commit().map_err(failed)?;
        applied_now.push(migration.version);
    }
    let known = migrations.last().map_or(0, |m| m.version);
    let found: u32 = conn.query_row(
        "SELECT coalesce(max(version), 0) FROM schema_migration",
        [],
        |row| row.get(0),
    )?;
    if found > known {
        return Err(MigrationError::TooNew { found, known });
    }
    Ok(applied_now)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn tables(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        stmt.query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn applies_each_step_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(apply(&mut conn, &TWO_STEPS[..1]).unwrap(), vec![1]);
        assert_eq!(apply(&mut conn, TWO_STEPS).unwrap(), vec![2]);
        assert!(apply(&mut conn, TWO_STEPS).unwrap().is_empty());
        assert_eq!(tables(&conn), ["a", "b", "schema_migration"]);
    }

    #[test]
    fn a_failing_step_leaves_neither_its_changes_nor_its_record() {
        let broken = [
            TWO_STEPS[0],
            Migration {
                version: 2,
                name: "0002_broken",
                sql: "CREATE TABLE c (z INTEGER); THIS IS NOT SQL;",
            },
        ];
        let mut conn = Connection::open_in_memory().unwrap();
        let err = apply(&mut conn, &broken).unwrap_err();
        assert!(err.to_string().contains("0002_broken"), "{err}");
        assert_eq!(tables(&conn), ["a", "schema_migration"]);
        let versions: u32 = conn
            .query_row("SELECT count(*) FROM schema_migration", [], |r| r.get(0))
            .unwrap();
        assert_eq!(versions, 1);
    }

    #[test]
    fn refuses_an_edited_migration() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn, TWO_STEPS).unwrap();
        let edited = [
            TWO_STEPS[0],
            Migration {
                sql: "CREATE TABLE b (y TEXT);",
                ..TWO_STEPS[1]
            },
        ];
        let err = apply(&mut conn, &edited).unwrap_err();
        assert!(
            matches!(err, MigrationError::Edited { version: 2, .. }),
            "{err}"
        );
    }

    #[test]
    fn refuses_a_database_from_a_newer_program() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn, TWO_STEPS).unwrap();
        let err = apply(&mut conn, &TWO_STEPS[..1]).unwrap_err();
        assert!(
            matches!(err, MigrationError::TooNew { found: 2, known: 1 }),
            "{err}"
        );
    }

    #[test]
    fn open_creates_the_directory_and_runs_in_wal_with_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/db.sqlite3");
        let conn = open(&path, TWO_STEPS, Durability::Full).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        let (synchronous, foreign_keys): (i64, i64) = conn
            .query_row(
                "SELECT * FROM pragma_synchronous, pragma_foreign_keys",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((mode.as_str(), synchronous, foreign_keys), ("wal", 2, 1));
        assert_eq!(tables(&conn), ["a", "b", "schema_migration"]);
    }

    #[test]
    fn postgres_migrations_are_compiled_in_without_touching_the_sqlite_sets() {
        assert!(!SERVER_POSTGRES.is_empty());
        assert!(SERVER_POSTGRES[0]
            .sql
            .contains("CREATE TABLE server_instance"));
        for (index, migration) in SERVER_POSTGRES.iter().enumerate() {
            assert_eq!(migration.version as usize, index + 1);
            assert_eq!(migration.checksum().len(), 64);
        }
    }

    #[test]
    fn shipped_migration_sets_apply_cleanly() {
        for set in [DEVICE, SERVER_SQLITE] {
            assert!(!set.is_empty());
            let mut conn = Connection::open_in_memory().unwrap();
            let applied = apply(&mut conn, set).unwrap();
            assert_eq!(applied.len(), set.len());
        }
    }
}
