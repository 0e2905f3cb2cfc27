//! The dashboard's home page, served by the real `fieldline serve`, in real headless Chromium.

use fantoccini::Locator;
use fieldline_e2e::{
    binary, chromium_session, save_screenshot, wait_text, within, ChromeDriver, FieldlineServer,
};
use rusqlite::{Connection, OpenFlags};

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_home_shows_the_server_and_its_database() -> anyhow::Result<()> {
    let fieldline = binary("FIELDLINE_BIN", "fieldline")?;
    let data_dir = tempfile::tempdir()?;
    let profile_dir = tempfile::tempdir()?;
    let server = FieldlineServer::start(&fieldline, data_dir.path())?;
    let driver = ChromeDriver::start()?;

    let client = within(
        "starting Chromium",
        chromium_session(&driver.url(), profile_dir.path()),
    )
    .await?;
    let outcome = within("the dashboard session", async {
        client.goto(server.url()).await?;
        anyhow::ensure!(client.title().await? == "Fieldline dashboard");
        wait_text(&client, "#status-line", "Server and database are up").await?;
        wait_text(&client, "#schema-version", "1").await?;
        let shown_id = client
            .find(Locator::Css("#server-id"))
            .await?
            .text()
            .await?;
        save_screenshot(&client, "dashboard-home.png").await?;

        let db = Connection::open_with_flags(
            FieldlineServer::database_path(data_dir.path()),
            OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?;
        let stored_id: String =
            db.query_row("SELECT server_id FROM server_instance", [], |row| {
                row.get(0)
            })?;
        anyhow::ensure!(
            shown_id == stored_id,
            "the page shows server {shown_id:?} but the database holds {stored_id:?}"
        );
        Ok(())
    })
    .await;
    within("closing Chromium", async { Ok(client.close().await?) }).await?;
    outcome
}
