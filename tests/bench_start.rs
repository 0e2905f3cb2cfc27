//! Times the field app's start under Xvfb through tauri-driver, the way the end-to-end tests
//! start it (`cargo xtask bench` runs this with the release app): up to its first screen (the
//! PIN screen: the device's data is encrypted under the enumerator's PIN), then from the PIN's
//! submission to the home screen (the key derived from the PIN, the database opened, the forms
//! listed).
//!
//! One Xvfb and one tauri-driver (with its WebKitWebDriver already listening) serve every run. A
//! first start imports the campaign form into a fresh data directory and chooses the PIN (reported
//! on its own, not in the figures); then each measured run opens a new WebDriver session, which
//! launches the app on that data directory, waits for the PIN screen, types the PIN and waits for
//! the home screen's forms card (`#forms`, or `#no-forms` on a device without forms). Each moment a
//! screen appears is taken inside the page (`performance.timeOrigin + performance.now()`, from a
//! MutationObserver), so the intervals do not include the polling or the answer's trip back.
//!
//! Prints one JSON line. Usage: `bench_start --app PATH [--runs N] [--form FORM.xlsx]`.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use anyhow::{bail, Context as _};
use fantoccini::Client;
use fieldline_e2e::{
    locked_field_app_session, pin_screen, type_pin, within, workspace_root, PinScreen, TauriDriver,
    VirtualDisplay, TEST_PIN,
};
use serde_json::{json, Value};

/// Resolves with the moment an element matching the selector (the script's first argument) is
/// in the DOM (page clock, ms since 1970), or null after a second without it (then it is asked
/// again: the page may not have loaded yet).
const WAIT_FOR: &str = r#"
const selector = arguments[0];
const done = arguments[arguments.length - 1];
const found = () => document.querySelector(selector);
const report = () => done({
    at: performance.timeOrigin + performance.now(),
    since_navigation: performance.now(),
    href: location.href,
});
if (found()) { report(); return; }
const observer = new MutationObserver(() => {
    if (found()) { observer.disconnect(); report(); }
});
observer.observe(document, { subtree: true, childList: true });
setTimeout(() => { observer.disconnect(); done(null); }, 1000);
"#;

/// The app's first screen: the PIN screen (choose one, or type it).
const FIRST_SCREEN: &str = "#pin-unlock, #pin-choose";
/// The home screen's forms card.
const HOME: &str = "#forms, #no-forms";

struct Args {
    app: PathBuf,
    runs: usize,
    form: PathBuf,
}

fn args() -> anyhow::Result<Args> {
    let usage = "usage: bench_start --app PATH [--runs N] [--form FORM.xlsx]";
    let mut app = None;
    let mut runs = 7;
    let mut form = workspace_root().join("../shared/forms/fieldline/safe_migration_kap.xlsx");
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().context(usage);
        match arg.as_str() {
            "--app" => app = Some(PathBuf::from(value()?)),
            "--runs" => runs = value()?.parse().context(usage)?,
            "--form" => form = PathBuf::from(value()?),
            _ => bail!("{usage}"),
        }
    }
    let app = app.context(usage)?;
    anyhow::ensure!(app.is_file(), "{} is not built", app.display());
    anyhow::ensure!(form.is_file(), "{} is missing", form.display());
    anyhow::ensure!(runs > 0, "{usage}");
    Ok(Args { app, runs, form })
}

/// One start's figures, in milliseconds.
struct Start {
    /// New-session request to the first screen (the PIN screen) in the DOM: the app's start.
    first_screen: f64,
    /// New-session request to the session's answer (the app is up, its webview under automation).
    session: f64,
    /// The page's navigation start to the first screen in the DOM.
    page: f64,
    /// The PIN's submission to the home screen's forms card in the DOM: the key derived from the
    /// PIN (Argon2id), the encrypted database opened, the forms listed and shown.
    unlock: f64,
    /// New-session request to the forms card, the PIN typed by WebDriver on the way.
    home: f64,
}

fn epoch_ms(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
        * 1000.0
}

/// Waits for `selector` in the page; the page's report of when it appeared.
async fn wait_for(client: &Client, selector: &str) -> anyhow::Result<Value> {
    let deadline = Instant::now() + fieldline_e2e::TIMEOUT;
    let mut last_error = None;
    while Instant::now() < deadline {
        match client.execute_async(WAIT_FOR, vec![json!(selector)]).await {
            Ok(Value::Null) => {}
            Ok(found) => return Ok(found),
            // A script started while the page was being replaced is dropped with it: ask again.
            Err(err) => {
                last_error = Some(err.to_string());
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
    bail!(
        "{selector} never appeared within {:?} (last error: {last_error:?})",
        fieldline_e2e::TIMEOUT
    )
}

fn moment(found: &Value, key: &str) -> anyhow::Result<f64> {
    found[key]
        .as_f64()
        .with_context(|| format!("the page answered {found}"))
}

/// Types the PIN (twice on a new profile) and submits it; the wall clock at the submission.
async fn submit_pin(client: &Client) -> anyhow::Result<SystemTime> {
    let submit = match pin_screen(client).await? {
        PinScreen::Choose => {
            type_pin(client, "#pin-new", TEST_PIN).await?;
            type_pin(client, "#pin-repeat", TEST_PIN).await?;
            "#pin-choose-submit"
        }
        PinScreen::Unlock => {
            type_pin(client, "#pin-unlock-input", TEST_PIN).await?;
            "#pin-unlock-submit"
        }
    };
    let button = client.find(fantoccini::Locator::Css(submit)).await?;
    let at = SystemTime::now();
    button.click().await?;
    Ok(at)
}

async fn start(driver: &TauriDriver, app: &Path, args: &[String]) -> anyhow::Result<Start> {
    let requested = SystemTime::now();
    let clock = Instant::now();
    let client = within(
        "starting the app",
        locked_field_app_session(&driver.url(), app, args),
    )
    .await?;
    let session = clock.elapsed().as_secs_f64() * 1000.0;
    let measured = within("the first screen, the PIN and the home screen", async {
        let first = wait_for(&client, FIRST_SCREEN).await?;
        let submitted = submit_pin(&client).await?;
        let home = wait_for(&client, HOME).await?;
        let home_at = moment(&home, "at")?;
        Ok(Start {
            first_screen: moment(&first, "at")? - epoch_ms(requested),
            session,
            page: moment(&first, "since_navigation")?,
            unlock: home_at - epoch_ms(submitted),
            home: home_at - epoch_ms(requested),
        })
    })
    .await;
    within("closing the app", async { Ok(client.close().await?) }).await?;
    measured
}

fn summary(mut values: Vec<f64>) -> Value {
    let all = values.clone();
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    json!({ "median": median, "min": values[0], "max": values[n - 1], "all": all })
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let args = args()?;
    let data_dir = tempfile::tempdir()?;
    let display = VirtualDisplay::start()?;
    let driver = TauriDriver::start(&display)?;
    let base = vec![
        "--data-dir".to_owned(),
        data_dir.path().display().to_string(),
    ];

    // The first start imports the form; it also warms the disk cache for the measured ones.
    let mut first = base.clone();
    first.extend(["--import".to_owned(), args.form.display().to_string()]);
    eprintln!("first start (imports the form)");
    let warm_up = start(&driver, &args.app, &first).await?;
    eprintln!(
        "  PIN screen after {:.0} ms, home {:.0} ms after the PIN",
        warm_up.first_screen, warm_up.unlock
    );

    let mut runs = Vec::new();
    for run in 1..=args.runs {
        eprintln!("start {run} of {}", args.runs);
        let measured = start(&driver, &args.app, &base).await?;
        eprintln!(
            "  PIN screen after {:.0} ms, home {:.0} ms after the PIN",
            measured.first_screen, measured.unlock
        );
        runs.push(measured);
    }
    let pick = |f: fn(&Start) -> f64| summary(runs.iter().map(f).collect());
    let result = json!({
        "app": args.app.display().to_string(),
        "runs": args.runs,
        "first_screen_ms": pick(|s| s.first_screen),
        "session_ms": pick(|s| s.session),
        "page_ms": pick(|s| s.page),
        "unlock_ms": pick(|s| s.unlock),
        "home_ms": pick(|s| s.home),
        "first_start": {
            "first_screen_ms": warm_up.first_screen,
            "unlock_ms": warm_up.unlock,
        },
    });
    println!("{result}");
    Ok(())
}
