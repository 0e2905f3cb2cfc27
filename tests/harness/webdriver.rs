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

/// The PIN every end-to-end test profile is locked with.
pub const TEST_PIN: &str = "246810";

/// A session in the real field app, started with `args`, unlocked with [`TEST_PIN`]: a new
/// profile gets it as its PIN, an existing one is unlocked with it.
pub async fn field_app_session(
    driver_url: &str,
    app: &Path,
    args: &[String],
) -> anyhow::Result<Client> {
    let client = locked_field_app_session(driver_url, app, args).await?;
    match unlock_with_pin(&client, TEST_PIN).await {
        Ok(()) => Ok(client),
        Err(err) => {
            // The test never gets this client to close, and an open session keeps the app running.
            let _ = client.close().await;
            Err(err)
        }
    }
}

/// A session in the real field app, started with `args`, left on its PIN screen.
pub async fn locked_field_app_session(
    driver_url: &str,
    app: &Path,
    args: &[String],
) -> anyhow::Result<Client> {
    // A restart on the same profile waits for the last instance to be gone: its webview still
    // holds the profile's web storage for a moment after its session closed, and a second
    // WebKit on the same storage can hang at start on a loaded machine.
    if let Some(dir) = args
        .iter()
        .position(|a| a == "--data-dir")
        .and_then(|i| args.get(i + 1))
    {
        app_gone(dir).await;
    }
    let capabilities = json!({
        "browserName": "wry",
        "tauri:options": { "application": app, "args": args },
    });
    // A start that hangs (seen under a full run's load, restarting on the same profile) is
    // abandoned and tried once more, instead of failing the test two minutes later.
    let attempt = std::time::Duration::from_secs(45);
    match tokio::time::timeout(attempt, connect(driver_url, capabilities.clone())).await {
        Ok(session) => session,
        Err(_) => {
            eprintln!(
                "the app did not start within {attempt:?} (the drivers' and the app's output \
                 is in target/e2e/logs/); starting it again"
            );
            connect(driver_url, capabilities).await
        }
    }
}

/// Waits (up to [`TIMEOUT`]) until no running process was started with `--data-dir DIR`.
async fn app_gone(dir: &str) {
    let running = || {
        std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| std::fs::read(entry.path().join("cmdline")).ok())
            .any(|cmdline| {
                let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
                args.windows(2)
                    .any(|pair| pair[0] == b"--data-dir" && pair[1] == dir.as_bytes())
            })
    };
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while running() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The PIN screen the app shows at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinScreen {
    /// A profile without a PIN: choose one, typed twice.
    Choose,
    /// A profile with a PIN: type it.
    Unlock,
}

/// Waits for the app's PIN screen and says which it is.
pub async fn pin_screen(client: &Client) -> anyhow::Result<PinScreen> {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while tokio::time::Instant::now() < deadline {
        if !client
            .find_all(Locator::Css("#pin-choose"))
            .await?
            .is_empty()
        {
            return Ok(PinScreen::Choose);
        }
        if !client
            .find_all(Locator::Css("#pin-unlock"))
            .await?
            .is_empty()
        {
            return Ok(PinScreen::Unlock);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("the app never showed its PIN screen")
}

/// Sets `pin` on a new profile or types it on the unlock screen, then waits until the app is
/// open.
pub async fn unlock_with_pin(client: &Client, pin: &str) -> anyhow::Result<()> {
    match pin_screen(client).await? {
        PinScreen::Choose => {
            type_pin(client, "#pin-new", pin).await?;
            type_pin(client, "#pin-repeat", pin).await?;
            tap(client, "#pin-choose-submit").await?;
        }
        PinScreen::Unlock => {
            type_pin(client, "#pin-unlock-input", pin).await?;
            tap(client, "#pin-unlock-submit").await?;
        }
    }
    wait_unlocked(client).await
}

/// Types `pin` into the PIN field `css`, replacing what is there.
pub async fn type_pin(client: &Client, css: &str, pin: &str) -> anyhow::Result<()> {
    let input = client
        .wait()
        .at_most(TIMEOUT)
        .for_element(Locator::Css(css))
        .await?;
    input.clear().await?;
    input.send_keys(pin).await?;
    Ok(())
}

async fn tap(client: &Client, css: &str) -> anyhow::Result<()> {
    client.find(Locator::Css(css)).await?.click().await?;
    Ok(())
}

/// Waits until the lock screen has gone and the app is open, or fails with what the lock screen
/// said (a wrong PIN, a wait).
pub async fn wait_unlocked(client: &Client) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while tokio::time::Instant::now() < deadline {
        if !client.find_all(Locator::Css("#lock-now")).await?.is_empty() {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let said = match client.find(Locator::Css("#pin-error")).await {
        Ok(error) => error.text().await?,
        Err(_) => "nothing".to_owned(),
    };
    anyhow::bail!("the app did not unlock; the lock screen says {said:?}")
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
