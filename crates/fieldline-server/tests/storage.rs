//! The storage conformance story on SQLite, and what a restart keeps.

mod storage_story;

use std::sync::Arc;

use fieldline_server::storage::{open_storage, DatabaseUrl, Role, Storage};

#[tokio::test]
async fn sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite(dir.path().join("server.sqlite3"));
    let storage: Arc<dyn Storage> = open_storage(&url).await.unwrap();
    storage_story::story(storage).await;
}

#[tokio::test]
async fn sqlite_keeps_everything_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite(dir.path().join("nested/server.sqlite3"));
    let storage = open_storage(&url).await.unwrap();
    let info = storage.server_info().await.unwrap();
    assert_eq!(
        info.schema_version,
        fieldline_migrations::SERVER_SQLITE.len() as u32
    );
    let org = storage.create_organization("Owner NGO").await.unwrap();
    storage
        .create_user(&org.id, "admin@example.org", Role::Admin, "$argon2id$x")
        .await
        .unwrap();
    let campaign = storage.create_campaign(&org.id, "Campaign").await.unwrap();
    drop(storage);

    let storage = open_storage(&url).await.unwrap();
    assert_eq!(storage.server_info().await.unwrap(), info);
    assert_eq!(storage.organizations().await.unwrap(), vec![org]);
    assert_eq!(storage.campaigns().await.unwrap(), vec![campaign]);
    assert!(storage
        .user_by_email("ADMIN@example.org")
        .await
        .unwrap()
        .is_some());
}

/// The schema itself refuses to rewrite the audit log, whoever asks.
#[tokio::test]
async fn the_audit_log_is_append_only() {
    use fieldline_server::storage::{AuditAction, NewAuditEvent};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.sqlite3");
    let storage = open_storage(&DatabaseUrl::Sqlite(path.clone()))
        .await
        .unwrap();
    storage
        .record_audit(NewAuditEvent {
            action: AuditAction::DeviceRevoked,
            actor: "manager@example.org".into(),
            campaign_id: None,
            subject: "tablet 7".into(),
            client: None,
        })
        .await
        .unwrap();
    drop(storage);
    let conn = rusqlite::Connection::open(&path).unwrap();
    for sql in [
        "UPDATE audit_event SET actor = 'someone else'",
        "DELETE FROM audit_event",
    ] {
        let err = conn.execute(sql, []).unwrap_err().to_string();
        assert!(err.contains("the audit log is append-only"), "{sql}: {err}");
    }
    let count: i64 = conn
        .query_row("SELECT count(*) FROM audit_event", [], |row| row.get(0))
        .unwrap();
    assert_eq!(count, 1);
}
