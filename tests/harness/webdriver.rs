//! WebDriver sessions for the field app (through tauri-driver) and for Chromium.

use std::path::Path;

use anyhow::Context as _;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

use crate::TIMEOUT;

async fn connect(driver_url: &str, capabilities: Value) -> anyhow::Result<Client> {
    let Value::Object(capabilities) = capabilities else {
        unreachable!("capabilities are built as an object")
    };
    // Plain HTTP to a driver on loopback: no TLS stack needed.
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(driver_url)
        .await
        .with_context(|| format!("cannot open a WebDriver session at {driver_url}"))
}

/// A session in the real field app, started with `args`.
pub async fn field_app_session(
    driver_url: &str,
    app: &Path,
    args: &[String],
) -> anyhow::Result<Client> {
    connect(
        driver_url,
        json!({
            "browserName": "wry",
            "tauri:options": { "application": app, "args": args },
        }),
    )
    .await
}

/// A session in headless Chromium with a fresh profile that makes no connections of its own;
/// files the page downloads are saved, without asking, into `profile_dir/downloads`.
pub async fn chromium_session(driver_url: &str, profile_dir: &Path) -> anyhow::Result<Client> {
    connect(
        driver_url,
        json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--window-size=1280,800",
                    format!("--user-data-dir={}", profile_dir.display()),
                ],
                "prefs": {
                    "download.default_directory": downloads_of(profile_dir),
                    "download.prompt_for_download": false,
                },
            },
        }),
    )
    .await
}

/// Where a Chromium session with this profile saves downloads.
pub fn downloads_of(profile_dir: &Path) -> std::path::PathBuf {
    profile_dir.join("downloads")
}

/// Waits until the element `css` shows exactly `expected`, returning the last text seen on timeout
/// in the error so a failure says what was on screen instead.
pub async fn wait_text(client: &Client, css: &str, expected: &str) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    let mut last = None;
    while tokio::time::Instant::now() < deadline {
        if let Ok(element) = client.find(Locator::Css(css)).await {
            match element.text().await {
                Ok(text) if text == expected => return Ok(()),
                Ok(text) => last = Some(text),
                // The page re-rendered the element between finding and reading it: look again.
                Err(err) if err.is_stale_element_reference() => {}
                Err(err) => return Err(err.into()),
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("{css} never showed {expected:?}; last seen: {last:?}")
}

pub async fn save_screenshot(client: &Client, name: &str) -> anyhow::Result<std::path::PathBuf> {
    // WebKit snapshots what it last painted: let two frames pass so the latest change is on it.
    client
        .execute_async(
            "const done = arguments[0]; \
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            vec![],
        )
        .await?;
    let png = client.screenshot().await?;
    let path = crate::artifact_dir()?.join(name);
    std::fs::write(&path, png)?;
    Ok(path)
}
