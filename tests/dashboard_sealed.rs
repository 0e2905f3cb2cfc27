//! An end-to-end encrypted campaign's report, computed in the dashboard in real headless
//! Chromium: the demo campaign sealed to a fresh key, its fieldwork synced by headless devices.
//! The manager signs in, opens the report, is told the server cannot compute it, gives a wrong
//! key (refused in words), then the campaign's key file; the page opens the submissions and
//! shows the report, whose every indicator's change and n, for the whole sample and by gender,
//! are what `fieldline analyze --identity` computes from the same database. The key is never
//! found in the server's database, data directory or log, nor in the browser's storage.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context as _;
use fantoccini::{Client, Locator};
use fieldline_demo::{Plan, MANAGER_EMAIL, MANAGER_PASSWORD};
use fieldline_e2e::page::{script_readable_storage, sign_in};
use fieldline_e2e::steps::click;
use fieldline_e2e::{
    binary, chromium_session, save_screenshot, wait_text, within, ChromeDriver, FieldlineServer,
    TIMEOUT,
};
use serde_json::Value;

/// Small enough to seal, sync and open in seconds.
const FIELDWORK: Plan = Plan {
    baseline: 40,
    endline: 40,
    devices_per_partner: 1,
    seed: 11,
};

/// What every age identity's key line starts with.
const SECRET_KEY_PREFIX: &[u8] = b"AGE-SECRET-KEY";

/// `fieldline serve` with everything it logs written to a file, so the test can search it.
struct LoggedServer {
    url: String,
    child: Child,
}

impl LoggedServer {
    fn start(fieldline: &Path, data_dir: &Path, log: &Path) -> anyhow::Result<Self> {
        let mut child = Command::new(fieldline)
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            // As much as the server says, so anything that could leak would be in the log.
            .env("FIELDLINE_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log)?)
            .spawn()
            .context("cannot start fieldline serve")?;
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().expect("stdout is piped")),
            &mut line,
        )?;
        let url = line
            .trim()
            .strip_prefix("Fieldline server listening on ")
            .with_context(|| format!("unexpected first line from the server: {line:?}"))?
            .to_owned();
        Ok(Self { url, child })
    }
}

impl Drop for LoggedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `fieldline keys new --out DIR`: the identity file and the public key's file.
fn new_keys(fieldline: &Path, dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let made = Command::new(fieldline)
        .args(["keys", "new", "--out"])
        .arg(dir)
        .output()?;
    anyhow::ensure!(
        made.status.success(),
        "fieldline keys new: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    Ok((
        dir.join("fieldline-identity.txt"),
        dir.join("fieldline-recipient.txt"),
    ))
}

/// `fieldline analyze --campaign ... --identity ... [--by COL]` on the server's database, as JSON.
fn analyze(
    fieldline: &Path,
    db: &Path,
    identity: &Path,
    by: Option<&str>,
) -> anyhow::Result<Value> {
    let mut command = Command::new(fieldline);
    command
        .args([
            "analyze",
            "--campaign",
            fieldline_demo::CAMPAIGN_NAME,
            "--db",
        ])
        .arg(fieldline_demo::sqlite_url(db))
        .arg("--identity")
        .arg(identity)
        .args(["--format", "json"]);
    if let Some(by) = by {
        command.args(["--by", by]);
    }
    let out = command.env_remove("FIELDLINE_DB").output()?;
    anyhow::ensure!(
        out.status.success(),
        "fieldline analyze: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// The change sentence the report shows for a group of `fieldline analyze`'s JSON (the rules of
/// `fieldline_analysis::render::change_sentence`, restated here as the test's own oracle).
fn expected_change(group: &Value) -> String {
    let percent = |p: f64| {
        let x = p * 100.0;
        if (x > 0.0 && x < 1.0) || (x > 99.0 && x < 100.0) {
            format!("{x:.1}%")
        } else {
            format!("{x:.0}%")
        }
    };
    let (b, e) = (&group["baseline"], &group["endline"]);
    let (Some(pb), Some(pe)) = (b["p"].as_f64(), e["p"].as_f64()) else {
        return match (b["n"].as_u64(), e["n"].as_u64()) {
            (Some(0), Some(0)) => "no data in either round".into(),
            (Some(0), _) => "no baseline data".into(),
            (_, Some(0)) => "no endline data".into(),
            _ => "no estimate".into(),
        };
    };
    let mut s = format!("{} -> {}", percent(pb), percent(pe));
    if let Some(d) = group["diff"]["estimate"].as_f64() {
        let points = (d * 100.0).round();
        let points = if points == 0.0 { 0.0 } else { points };
        let word = if points.abs() == 1.0 {
            "point"
        } else {
            "points"
        };
        s.push_str(&format!(", {points:+} {word}"));
    }
    if let Some(p) = group["diff"]["p_value"].as_f64() {
        if p < 0.001 {
            s.push_str(", p < 0.001");
        } else {
            s.push_str(&format!(", p = {p:.3}"));
        }
    }
    s
}

/// A group's row of the report: baseline n, endline n, the change sentence.
type GroupRow = (u64, u64, String);

/// Every indicator's name and rows, in order.
type ReportRows = Vec<(String, Vec<GroupRow>)>;

/// Each indicator's rows as `fieldline analyze` computes them.
fn expected_rows(report: &Value) -> ReportRows {
    report["indicators"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|indicator| {
            let rows = indicator["groups"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|g| {
                    (
                        g["baseline"]["n"].as_u64().unwrap_or(u64::MAX),
                        g["endline"]["n"].as_u64().unwrap_or(u64::MAX),
                        expected_change(g),
                    )
                })
                .collect();
            (
                indicator["name"].as_str().unwrap_or_default().to_string(),
                rows,
            )
        })
        .collect()
}

/// The report on the page, in the same shape: every indicator section's rows.
async fn shown_rows(client: &Client) -> anyhow::Result<ReportRows> {
    let shown = client
        .execute(
            "return [...document.querySelectorAll('section.indicator')].map(s => \
             [s.id.replace(/^indicator-/, ''), [...s.querySelectorAll('tr')].slice(1).map(r => \
             [...r.querySelectorAll('td')].map(td => td.textContent))])",
            vec![],
        )
        .await?;
    let shown: Vec<(String, Vec<Vec<String>>)> = serde_json::from_value(shown)?;
    shown
        .into_iter()
        .map(|(name, rows)| {
            let rows = rows
                .into_iter()
                .map(|cells| match cells.as_slice() {
                    [_, b, e, change] => Ok((b.parse()?, e.parse()?, change.clone())),
                    other => anyhow::bail!("{name}: a row of {other:?}"),
                })
                .collect::<anyhow::Result<_>>()?;
            Ok((name, rows))
        })
        .collect()
}

/// Waits until the page shows exactly `expected`; the last rows seen are in the error.
async fn wait_rows(client: &Client, expected: &[(String, Vec<GroupRow>)]) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let shown = shown_rows(client).await?;
        if shown == expected {
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the page's report differs from fieldline analyze's:\nshown:    {shown:?}\nexpected: {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until `css` exists and its text contains `part`.
async fn wait_containing(client: &Client, css: &str, part: &str) -> anyhow::Result<String> {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    let mut last = None;
    while tokio::time::Instant::now() < deadline {
        if let Ok(element) = client.find(Locator::Css(css)).await {
            let text = element.text().await?;
            if text.contains(part) {
                return Ok(text);
            }
            last = Some(text);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("{css} never said {part:?}; last seen: {last:?}")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manager_opens_an_encrypted_campaigns_report_with_their_key_in_the_browser(
) -> anyhow::Result<()> {
    let fieldline = binary("FIELDLINE_BIN", "fieldline")?;
    let work = tempfile::tempdir()?;
    let profile_dir = tempfile::tempdir()?;
    let (data_dir, keys_dir, other_keys_dir) = (
        work.path().join("server"),
        work.path().join("keys"),
        work.path().join("other-keys"),
    );
    std::fs::create_dir_all(&data_dir)?;
    let log = work.path().join("server.log");
    let (identity, recipient) = new_keys(&fieldline, &keys_dir)?;
    let (wrong_identity, _) = new_keys(&fieldline, &other_keys_dir)?;
    let server = LoggedServer::start(&fieldline, &data_dir, &log)?;
    let db = FieldlineServer::database_path(&data_dir);
    let demo = fieldline_demo::seed_with_keys(
        &fieldline,
        &fieldline_demo::sqlite_url(&db),
        &work.path().join("demo"),
        &[recipient],
    )?;
    let generated = fieldline_demo::generate_interviews(
        &fieldline,
        &server.url,
        &demo,
        &work.path().join("devices"),
        &FIELDWORK,
    )?;
    anyhow::ensure!(
        (generated.baseline, generated.endline) == (FIELDWORK.baseline, FIELDWORK.endline),
        "the demo's fieldwork synced {} baseline and {} endline interviews",
        generated.baseline,
        generated.endline
    );
    let whole = expected_rows(&analyze(&fieldline, &db, &identity, None)?);
    let by_gender = expected_rows(&analyze(&fieldline, &db, &identity, Some("gender"))?);
    anyhow::ensure!(
        !whole.is_empty() && whole.iter().all(|(_, rows)| rows.len() == 1),
        "fieldline analyze's whole-sample report: {whole:?}"
    );

    let driver = ChromeDriver::start()?;
    let client = within(
        "starting Chromium",
        chromium_session(&driver.url(), profile_dir.path()),
    )
    .await?;
    let outcome = within("the dashboard session", async {
        client.goto(&server.url).await?;
        wait_text(&client, "#sign-in h2", "Sign in").await?;
        sign_in(&client, MANAGER_EMAIL, MANAGER_PASSWORD).await?;
        wait_text(
            &client,
            "#campaigns .campaign",
            fieldline_demo::CAMPAIGN_NAME,
        )
        .await?;
        click(&client, "#campaigns .campaign").await?;
        wait_text(&client, "#campaign-name", fieldline_demo::CAMPAIGN_NAME).await?;

        // The server cannot compute the report, and the page says so plainly.
        click(&client, "#tab-report").await?;
        wait_containing(
            &client,
            "#sealed-notice",
            "This campaign is end-to-end encrypted.",
        )
        .await?;
        save_screenshot(&client, "dashboard-sealed-notice.png").await?;

        // Another campaign's key: refused in words, nothing shown.
        let input = client.find(Locator::Css("#identity-file")).await?;
        input
            .send_keys(&wrong_identity.display().to_string())
            .await?;
        wait_containing(
            &client,
            "#sealed-error",
            "This key cannot open the submissions",
        )
        .await?;
        anyhow::ensure!(
            client
                .find_all(Locator::Css("section.indicator"))
                .await?
                .is_empty(),
            "a report was shown for a key that opens nothing"
        );

        // The campaign's key: the report, the same as fieldline analyze's.
        let input = client.find(Locator::Css("#identity-file")).await?;
        input.send_keys(&identity.display().to_string()).await?;
        wait_rows(&client, &whole).await?;
        let summary = client
            .find(Locator::Css("#report section:not(#sealed-notice) p"))
            .await?
            .text()
            .await?;
        anyhow::ensure!(
            summary.contains(&format!(
                "baseline {} submissions, endline {} submissions",
                FIELDWORK.baseline, FIELDWORK.endline
            )),
            "the report's summary reads {summary:?}"
        );
        client
            .find(Locator::Css("#breakdown"))
            .await?
            .select_by_value("gender")
            .await?;
        wait_rows(&client, &by_gender).await?;
        let titles = client
            .execute(
                "return [...document.querySelectorAll('section.indicator tr td:first-child')]\
                 .map(td => td.textContent)",
                vec![],
            )
            .await?;
        let titles: Vec<String> = serde_json::from_value(titles)?;
        anyhow::ensure!(
            titles.iter().filter(|t| t.starts_with("gender: ")).count() >= 2,
            "the groups are {titles:?}"
        );
        client
            .execute(
                "document.querySelector('#report section:not(#sealed-notice)').scrollIntoView()",
                vec![],
            )
            .await?;
        save_screenshot(&client, "dashboard-sealed-report.png").await?;

        // Nothing of the key is kept where the page's scripts (or a later visitor) could read it.
        let readable = script_readable_storage(&client).await?;
        anyhow::ensure!(
            readable == serde_json::json!(["", 0, 0]),
            "the page keeps (document.cookie, sessionStorage, localStorage): {readable}"
        );
        let databases = client
            .execute_async(
                "const done = arguments[0]; indexedDB.databases().then(d => done(d.length));",
                vec![],
            )
            .await?;
        anyhow::ensure!(
            databases == serde_json::json!(0),
            "the page made IndexedDB databases: {databases}"
        );
        anyhow::Ok(())
    })
    .await;
    within("closing Chromium", async { Ok(client.close().await?) }).await?;
    outcome?;
    drop(driver);
    drop(server);

    // The key never reached the server (database, data directory, log) nor the browser's profile.
    let secret = std::fs::read_to_string(&identity)?;
    let key_line = secret
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY"))
        .context("the identity file has no key line")?;
    for place in [&data_dir, &profile_dir.path().to_path_buf()] {
        for needle in [SECRET_KEY_PREFIX, key_line.as_bytes()] {
            let found = fieldline_test_support::files_holding(place, &[needle])?;
            anyhow::ensure!(
                found.is_empty(),
                "{} found in {found:?}",
                String::from_utf8_lossy(needle)
            );
        }
    }
    let log = std::fs::read(&log)?;
    anyhow::ensure!(
        !log.windows(SECRET_KEY_PREFIX.len())
            .any(|w| w == SECRET_KEY_PREFIX),
        "the server's log holds a secret key"
    );
    anyhow::ensure!(
        !log.is_empty(),
        "the server logged nothing: the log search proves nothing"
    );
    Ok(())
}
