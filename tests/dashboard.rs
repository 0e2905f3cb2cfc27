//! The dashboard (Yew, wasm) served by the real `fieldline serve`, in real headless Chromium:
//! a manager signs in, sees the campaign, opens it and reads its fieldwork progress.

use std::process::Command;

use fantoccini::Locator;
use fieldline_e2e::steps::click;
use fieldline_e2e::{
    binary, chromium_session, save_screenshot, wait_text, within, ChromeDriver, FieldlineServer,
};

const EMAIL: &str = "manager@example.org";
const PASSWORD: &str = "a long e2e password";

fn admin(fieldline: &std::path::Path, db: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(fieldline)
        .args(["admin", "--db", db])
        .args(args)
        .env("FIELDLINE_PASSWORD", PASSWORD)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "fieldline admin {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manager_signs_in_and_reads_the_campaigns_progress() -> anyhow::Result<()> {
    let fieldline = binary("FIELDLINE_BIN", "fieldline")?;
    let data_dir = tempfile::tempdir()?;
    let profile_dir = tempfile::tempdir()?;
    let server = FieldlineServer::start(&fieldline, data_dir.path())?;
    let db = format!(
        "sqlite:{}",
        FieldlineServer::database_path(data_dir.path()).display()
    );
    let office = admin(&fieldline, &db, &["org", "create", "Campaign office"])?;
    admin(
        &fieldline,
        &db,
        &[
            "user", "create", "--org", &office, "--email", EMAIL, "--role", "manager",
        ],
    )?;
    admin(
        &fieldline,
        &db,
        &[
            "campaign", "create", "--owner", &office, "--name", "KAP 2026",
        ],
    )?;
    let driver = ChromeDriver::start()?;

    let client = within(
        "starting Chromium",
        chromium_session(&driver.url(), profile_dir.path()),
    )
    .await?;
    let outcome = within("the dashboard session", async {
        client.goto(server.url()).await?;
        anyhow::ensure!(client.title().await? == "Fieldline dashboard");
        wait_text(&client, "#sign-in h2", "Sign in").await?;
        save_screenshot(&client, "dashboard-signin.png").await?;
        // A wrong password is refused in words.
        client
            .find(Locator::Css("#email"))
            .await?
            .send_keys(EMAIL)
            .await?;
        client
            .find(Locator::Css("#password"))
            .await?
            .send_keys("wrong")
            .await?;
        click(&client, "#sign-in-button").await?;
        wait_text(
            &client,
            "#sign-in-error",
            "this email and password do not match a user here",
        )
        .await?;
        client
            .find(Locator::Css("#password"))
            .await?
            .clear()
            .await?;
        client
            .find(Locator::Css("#password"))
            .await?
            .send_keys(PASSWORD)
            .await?;
        click(&client, "#sign-in-button").await?;
        wait_text(&client, "#campaigns .campaign", "KAP 2026").await?;
        // The token is kept for this tab only.
        let token = client
            .execute("return sessionStorage.getItem('fieldline-token')", vec![])
            .await?;
        anyhow::ensure!(token.as_str().is_some_and(|t| !t.is_empty()));
        click(&client, "#campaigns .campaign").await?;
        wait_text(&client, "#campaign-name", "KAP 2026").await?;
        wait_text(&client, "#total", "0").await?;
        wait_text(&client, "#problems h3", "Set aside: 0 submission(s)").await?;
        save_screenshot(&client, "dashboard-progress.png").await?;
        Ok(())
    })
    .await;
    within("closing Chromium", async { Ok(client.close().await?) }).await?;
    outcome
}
