//! The server's storage. The embedded SQLite database is the default; the URL scheme chooses the
//! backend so that a deployment can move without changing anything else.

use std::{
    fmt,
    path::{Path, PathBuf},
    str::FromStr,
    sync::{Arc, Mutex},
};

use rusqlite::Connection;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("unsupported database URL {0:?}: use sqlite:PATH (for example sqlite:/var/lib/fieldline/server.sqlite3)")]
    UnsupportedUrl(String),
    #[error(transparent)]
    Open(#[from] fieldline_migrations::OpenError),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("a database task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Where the server keeps its data, as given to `--db`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
}

impl FromStr for DatabaseUrl {
    type Err = DatabaseError;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        match url.strip_prefix("sqlite:") {
            Some(path) if !path.is_empty() => {
                Ok(Self::Sqlite(PathBuf::from(path.trim_start_matches("//"))))
            }
            _ => Err(DatabaseError::UnsupportedUrl(url.to_owned())),
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
        }
    }
}

/// Identity and schema of this installation, as reported by `/api/v1/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerInfo {
    pub server_id: String,
    pub schema_version: u32,
    pub created_at: String,
}

/// A handle to the server's database, cheap to clone into request handlers.
#[derive(Clone)]
pub struct Database {
    // rusqlite is synchronous: handlers reach the connection through `spawn_blocking` so a slow
    // disk never stalls the async runtime.
    conn: Arc<Mutex<Connection>>,
}

impl Database {
    pub async fn open(url: &DatabaseUrl) -> Result<Self, DatabaseError> {
        let DatabaseUrl::Sqlite(path) = url;
        let path = path.clone();
        tokio::task::spawn_blocking(move || Self::open_sqlite(&path)).await?
    }

    fn open_sqlite(path: &Path) -> Result<Self, DatabaseError> {
        // The server answers a device only after its commit is on disk (issue 5): FULL.
        let conn = fieldline_migrations::open(
            path,
            fieldline_migrations::SERVER_SQLITE,
            fieldline_migrations::Durability::Full,
        )?;
        conn.execute(
            "INSERT INTO server_instance (singleton, server_id) VALUES (1, ?1)
             ON CONFLICT DO NOTHING",
            [uuid::Uuid::now_v7().to_string()],
        )?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    pub async fn server_info(&self) -> Result<ServerInfo, DatabaseError> {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
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
        .await?
    }
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
        for bad in ["sqlite:", "mysql://x", "/tmp/x.db"] {
            let err = bad.parse::<DatabaseUrl>().unwrap_err().to_string();
            assert!(err.contains("use sqlite:PATH"), "{err}");
        }
    }

    #[tokio::test]
    async fn keeps_its_identity_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::Sqlite(dir.path().join("nested/server.sqlite3"));
        let first = Database::open(&url)
            .await
            .unwrap()
            .server_info()
            .await
            .unwrap();
        let again = Database::open(&url)
            .await
            .unwrap()
            .server_info()
            .await
            .unwrap();
        assert_eq!(first, again);
        assert_eq!(
            first.schema_version,
            fieldline_migrations::SERVER_SQLITE.len() as u32
        );
    }
}
