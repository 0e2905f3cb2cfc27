//! The server over real HTTP on a random loopback port, with a real SQLite file.

mod api_support;

use api_support::http_client;
use fieldline_server::{open_storage, DatabaseUrl, Server};
use tokio::sync::oneshot;

struct Running {
    base: String,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

async fn start(dir: &std::path::Path) -> Running {
    let url = DatabaseUrl::Sqlite(dir.join("server.sqlite3"));
    let database = open_storage(&url).await.unwrap();
    let server = Server::bind("127.0.0.1:0".parse().unwrap(), database)
        .await
        .unwrap();
    let base = format!("http://{}", server.local_addr());
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(async move {
        server
            .run(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    Running {
        base,
        stop: Some(stop),
        task,
    }
}

impl Running {
    async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.await.unwrap();
    }
}

#[tokio::test]
async fn health_reports_the_server_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let first: serde_json::Value = http_client()
        .get(format!("{}/api/v1/health", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first["status"], "ok");
    assert_eq!(
        first["schema_version"],
        fieldline_migrations::SERVER_SQLITE.len()
    );
    assert_eq!(first["version"], env!("CARGO_PKG_VERSION"));
    server.shutdown().await;

    let server = start(dir.path()).await;
    let again: serde_json::Value = http_client()
        .get(format!("{}/api/v1/health", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["server_id"], first["server_id"]);
    server.shutdown().await;
}

#[tokio::test]
async fn pages_carry_security_headers_and_the_dashboard_loads_its_script() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let page = http_client()
        .get(format!("{}/", server.base))
        .send()
        .await
        .unwrap();
    assert!(page.status().is_success());
    let headers = page.headers().clone();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'self'"));
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"src="/assets/dashboard.js""#));
    let script = http_client()
        .get(format!("{}/assets/dashboard.js", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        script.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let missing = http_client()
        .get(format!("{}/no-such-page", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    server.shutdown().await;
}
