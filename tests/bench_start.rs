//! Times the field app's start up to its home screen, under Xvfb through tauri-driver, the way the
//! end-to-end tests start it (`cargo xtask bench` runs this with the release app).
//!
//! One Xvfb and one tauri-driver (with its WebKitWebDriver already listening) serve every run. A
//! first start imports the campaign form into a fresh data directory (reported on its own, not in
//! the figures); then each measured run opens a new WebDriver session, which launches the app on
//! that data directory, and waits for the home screen's forms card (`#forms`, or `#no-forms` on a
//! device without forms) to be in the page's DOM. The moment it appears is taken inside the page
//! (`performance.timeOrigin + performance.now()`, from a MutationObserver), so the interval does not
//! include the polling or the answer's trip back to this process.
//!
//! Prints one JSON line. Usage: `bench_start --app PATH [--runs N] [--form FORM.xlsx]`.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use anyhow::{bail, Context as _};
use fantoccini::Client;
use fieldline_e2e::{field_app_session, within, workspace_root, TauriDriver, VirtualDisplay};
use serde_json::{json, Value};

/// Resolves with the moment the forms card is in the DOM (page clock, ms since 1970), or null
/// after a second without it (then it is asked again: the page may not have loaded yet).
const WAIT_FOR_HOME: &str = r#"
const done = arguments[arguments.length - 1];
const found = () => document.querySelector('#forms, #no-forms');
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
    /// New-session request to the forms card in the DOM.
    home: f64,
    /// New-session request to the session's answer (the app is up, its webview under automation).
    session: f64,
    /// The page's navigation start to the forms card in the DOM.
    page: f64,
    /// New-session request to the page's answer arriving here (polling and the trip back included):
    /// a check on the page's clock, which must not put the card later than this.
    seen: f64,
}

fn epoch_ms(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
        * 1000.0
}

async fn wait_for_home(client: &Client) -> anyhow::Result<Value> {
    let deadline = Instant::now() + fieldline_e2e::TIMEOUT;
    let mut last_error = None;
    while Instant::now() < deadline {
        match client.execute_async(WAIT_FOR_HOME, vec![]).await {
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
        "the home screen's #forms/#no-forms never appeared within {:?} (last error: {last_error:?})",
        fieldline_e2e::TIMEOUT
    )
}

async fn start(driver: &TauriDriver, app: &Path, args: &[String]) -> anyhow::Result<Start> {
    let requested = SystemTime::now();
    let clock = Instant::now();
    let client = within(
        "starting the app",
        field_app_session(&driver.url(), app, args),
    )
    .await?;
    let session = clock.elapsed().as_secs_f64() * 1000.0;
    let found = within("waiting for the home screen", wait_for_home(&client)).await;
    let seen = clock.elapsed().as_secs_f64() * 1000.0;
    within("closing the app", async { Ok(client.close().await?) }).await?;
    let found = found?;
    let at = found["at"]
        .as_f64()
        .with_context(|| format!("the page answered {found}"))?;
    Ok(Start {
        home: at - epoch_ms(requested),
        session,
        page: found["since_navigation"].as_f64().unwrap_or(f64::NAN),
        seen,
    })
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
    eprintln!("  home after {:.0} ms", warm_up.home);

    let mut runs = Vec::new();
    for run in 1..=args.runs {
        eprintln!("start {run} of {}", args.runs);
        let measured = start(&driver, &args.app, &base).await?;
        eprintln!("  home after {:.0} ms", measured.home);
        runs.push(measured);
    }
    let pick = |f: fn(&Start) -> f64| summary(runs.iter().map(f).collect());
    let result = json!({
        "app": args.app.display().to_string(),
        "runs": args.runs,
        "home_ms": pick(|s| s.home),
        "session_ms": pick(|s| s.session),
        "page_ms": pick(|s| s.page),
        "seen_ms": pick(|s| s.seen),
        "first_start": {
            "home_ms": warm_up.home,
            "session_ms": warm_up.session,
            "page_ms": warm_up.page,
        },
    });
    println!("{result}");
    Ok(())
}
