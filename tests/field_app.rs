//! The real field app, in its real webview under Xvfb, driven through tauri-driver.

use fantoccini::{Client, Locator};
use fieldline_e2e::{
    binary, field_app_session, save_screenshot, wait_text, within, workspace_root, TauriDriver,
    VirtualDisplay, TIMEOUT,
};

const SERVER_URL: &str = "http://127.0.0.1:8080";

fn app_args(data_dir: &std::path::Path, imports: &[&str]) -> Vec<String> {
    let mut args = vec![
        "--data-dir".into(),
        data_dir.display().to_string(),
        "--server".into(),
        SERVER_URL.into(),
    ];
    for form in imports {
        let path = workspace_root().join("../shared/forms").join(form);
        args.extend(["--import".into(), path.display().to_string()]);
    }
    args
}

/// Reads a setting straight from the device database, bypassing the app.
fn stored_setting(data_dir: &std::path::Path, key: &str) -> anyhow::Result<Option<String>> {
    let conn = fieldline_e2e::steps::database(data_dir)?;
    let mut stmt = conn.prepare("SELECT value FROM setting WHERE key = ?1")?;
    let mut rows = stmt.query([key])?;
    Ok(match rows.next()? {
        Some(row) => Some(row.get(0)?),
        None => None,
    })
}

async fn type_name_and_save(client: &Client, name: &str) -> anyhow::Result<()> {
    let input = client
        .wait()
        .at_most(TIMEOUT)
        .for_element(Locator::Css("#username"))
        .await?;
    input.clear().await?;
    input.send_keys(name).await?;
    client
        .find(Locator::Css("#save-username"))
        .await?
        .click()
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_home_screen_saves_the_enumerator_and_the_profile_keeps_its_own_language(
) -> anyhow::Result<()> {
    let app = binary("FIELDLINE_APP_BIN", "fieldline-app")?;
    let data_dir = tempfile::tempdir()?;
    let display = VirtualDisplay::start()?;
    let driver = TauriDriver::start(&display)?;

    // One usable form and one that pyxform refuses too: the first is listed, the second explained.
    let imports = [
        "fieldline/safe_migration_kap.xlsx",
        "public/pyxform/duplicate_columns.xlsx",
    ];
    let client = within(
        "starting the app",
        field_app_session(&driver.url(), &app, &app_args(data_dir.path(), &imports)),
    )
    .await?;
    let outcome = within("the first session", async {
        wait_text(&client, "#app-title", "Fieldline").await?;
        wait_text(&client, "#forms .form-title", "Safe migration KAP survey").await?;
        wait_text(
            &client,
            "#forms .form-counts",
            "Drafts 0 · Finalized 0 · Not sent 0",
        )
        .await?;
        let notice = client.find(Locator::Css(".notice")).await?.text().await?;
        anyhow::ensure!(
            notice.contains("duplicate_columns.xlsx")
                && notice.contains("Duplicate column header: label"),
            "the refused form's notice says {notice:?}"
        );
        wait_text(&client, "#server-url", SERVER_URL).await?;
        wait_text(&client, "#profile-username", "not set").await?;
        let device_id = client
            .find(Locator::Css("#device-id"))
            .await?
            .text()
            .await?;
        anyhow::ensure!(
            device_id.starts_with("fieldline:"),
            "device id {device_id:?}"
        );

        // The store refuses an empty name; the UI shows its message and nothing is written.
        type_name_and_save(&client, "   ").await?;
        wait_text(
            &client,
            "#username-error",
            "the user name is empty; type the name you sign your interviews with",
        )
        .await?;
        anyhow::ensure!(stored_setting(data_dir.path(), "username")?.is_none());

        // A real name goes through the command into SQLite and back onto the screen.
        type_name_and_save(&client, "Sunita Devi").await?;
        wait_text(&client, "#username-saved", "Saved as Sunita Devi").await?;
        wait_text(&client, "#profile-username", "Sunita Devi").await?;
        save_screenshot(&client, "field-app-home.png").await?;
        anyhow::ensure!(
            stored_setting(data_dir.path(), "username")?.as_deref() == Some("Sunita Devi"),
            "the device database does not hold the saved name"
        );
        // The app's words in Hindi for this profile.
        client
            .find(Locator::Css("#app-language"))
            .await?
            .select_by_value("hi")
            .await?;
        wait_text(&client, "#nav-drafts", "ड्राफ़्ट").await?;
        anyhow::Ok(device_id)
    })
    .await;
    within("closing the app", async { Ok(client.close().await?) }).await?;
    let device_id = outcome?;

    // Another profile on the same machine does not inherit the first one's language: each keeps
    // its webview storage in its own directory.
    let other_dir = tempfile::tempdir()?;
    let client = within(
        "starting the app on another profile",
        field_app_session(&driver.url(), &app, &app_args(other_dir.path(), &[])),
    )
    .await?;
    let other = within("the other profile", async {
        wait_text(&client, "#profile-username", "not set").await?;
        wait_text(&client, "#nav-drafts", "Drafts").await
    })
    .await;
    within("closing the app", async { Ok(client.close().await?) }).await?;
    other?;
    anyhow::ensure!(
        other_dir.path().join("webview").is_dir() && data_dir.path().join("webview").is_dir(),
        "the webview's storage is not inside the profiles' directories"
    );

    // A new start of the app reads the same profile back from the database.
    let client = within(
        "restarting the app",
        field_app_session(&driver.url(), &app, &app_args(data_dir.path(), &[])),
    )
    .await?;
    let reopened = within("the second session", async {
        wait_text(&client, "#profile-username", "Sunita Devi").await?;
        wait_text(&client, "#nav-drafts", "ड्राफ़्ट").await?;
        // The imported form stays on the device; nothing to import, nothing to report.
        wait_text(&client, "#forms .form-title", "Safe migration KAP survey").await?;
        anyhow::ensure!(client.find(Locator::Css(".notice")).await.is_err());
        wait_text(&client, "#device-id", &device_id).await
    })
    .await;
    within("closing the app", async { Ok(client.close().await?) }).await?;
    reopened
}
