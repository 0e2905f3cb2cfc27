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
