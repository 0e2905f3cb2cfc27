//! The dashboard (Yew, wasm) served by the real `fieldline serve`, in real headless Chromium, on
//! the demo campaign with baseline and endline interviews filled and synced by headless devices:
//! a manager signs in (the session in an HttpOnly, SameSite=Strict cookie no script can read),
//! reads the fieldwork progress against the sampling plan, opens the baseline-versus-endline
//! report, breaks it down by gender and downloads it, revokes a tablet in the devices view (whose
//! next sync is refused at once) and signs out; an admin reads the audit log and disables the
//! manager, whose password then no longer opens the dashboard.

use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::Locator;
use fieldline_demo::{DeviceWork, Plan, MANAGER_EMAIL, MANAGER_PASSWORD};
use fieldline_e2e::page::{more_than, script_readable_storage, sign_in, texts};
use fieldline_e2e::steps::click;
use fieldline_e2e::{
    binary, chromium_session, downloads_of, save_screenshot, wait_text, within, ChromeDriver,
    FieldlineServer, TIMEOUT,
};

/// Small enough to fill in seconds, large enough for a change the statistics call significant.
const FIELDWORK: Plan = Plan {
    baseline: 60,
    endline: 60,
    devices_per_partner: 1,
    seed: 2026,
};

/// The server's admin, besides the demo's manager.
const ADMIN_EMAIL: &str = "admin@demo.fieldline";
const ADMIN_PASSWORD: &str = "a long admin password";

/// The demo campaign on a running server with its fieldwork synced: the devices that synced it.
fn demo_campaign(
    fieldline: &Path,
    server: &FieldlineServer,
    data_dir: &Path,
) -> anyhow::Result<Vec<DeviceWork>> {
    let work_dir = data_dir.join("demo");
    std::fs::create_dir_all(&work_dir)?;
    let db_url = fieldline_demo::sqlite_url(&FieldlineServer::database_path(data_dir));
    let demo = fieldline_demo::seed(fieldline, &db_url, &work_dir)?;
    // An admin of the campaign office, who reads the audit log.
    let admin = std::process::Command::new(fieldline)
        .args([
            "admin",
            "--db",
            &db_url,
            "user",
            "create",
            "--org",
            &demo.office_id,
        ])
        .args(["--email", ADMIN_EMAIL, "--role", "admin"])
        .env("FIELDLINE_PASSWORD", ADMIN_PASSWORD)
        .output()?;
    anyhow::ensure!(
        admin.status.success(),
        "creating the admin: {}",
        String::from_utf8_lossy(&admin.stderr)
    );
    let generated = fieldline_demo::generate_interviews(
        fieldline,
        server.url(),
        &demo,
        &work_dir.join("devices"),
        &FIELDWORK,
    )?;
    anyhow::ensure!(
        (generated.baseline, generated.endline) == (FIELDWORK.baseline, FIELDWORK.endline),
        "the demo's fieldwork synced {} baseline and {} endline interviews",
        generated.baseline,
        generated.endline
    );
    Ok(generated.devices)
}

/// `fieldline device --home HOME sync`: whether it succeeded, and what it said.
fn device_sync(fieldline: &Path, home: &Path) -> anyhow::Result<(bool, String)> {
    let out = std::process::Command::new(fieldline)
        .args(["device", "--home"])
        .arg(home)
        .arg("sync")
        .env("FIELDLINE_LOG", "warn")
        .output()?;
    Ok((
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    ))
}

/// Waits for a finished download (Chromium writes `NAME.crdownload` until it is complete).
async fn downloaded(dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let path = dir.join(name);
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while tokio::time::Instant::now() < deadline {
        if path.exists() && !dir.join(format!("{name}.crdownload")).exists() {
            return Ok(path);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("{} was never downloaded", path.display())
}

/// "23% -> 71%, +48 points, p < 0.001": the change read from its sentence.
fn is_change_sentence(text: &str) -> bool {
    let parts: Vec<&str> = text.split(", ").collect();
    parts.len() == 3
        && parts[0].contains("% -> ")
        && parts[1].ends_with("points")
        && parts[2].starts_with("p ")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manager_reads_the_demo_campaigns_progress_and_report_and_downloads_it(
) -> anyhow::Result<()> {
    let fieldline = binary("FIELDLINE_BIN", "fieldline")?;
    let data_dir = tempfile::tempdir()?;
    let profile_dir = tempfile::tempdir()?;
    let server = FieldlineServer::start(&fieldline, data_dir.path())?;
    let devices = demo_campaign(&fieldline, &server, data_dir.path())?;
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
        sign_in(&client, MANAGER_EMAIL, "wrong").await?;
        wait_text(
            &client,
            "#sign-in-error",
            "this email and password do not match a user here",
        )
        .await?;
        sign_in(&client, MANAGER_EMAIL, MANAGER_PASSWORD).await?;
        wait_text(
            &client,
            "#campaigns .campaign",
            fieldline_demo::CAMPAIGN_NAME,
        )
        .await?;
        anyhow::ensure!(
            client
                .find_all(Locator::Css("#open-audit"))
                .await?
                .is_empty(),
            "a manager is offered the audit log"
        );
        // The session is a cookie no script can read, sent back to this site only; nothing of
        // it is kept where the page's JavaScript could find it.
        let readable = script_readable_storage(&client).await?;
        anyhow::ensure!(
            readable == serde_json::json!(["", 0, 0]),
            "the page can read (document.cookie, sessionStorage, localStorage): {readable}"
        );
        let cookies = client.get_all_cookies().await?;
        let session = cookies
            .iter()
            .find(|c| c.name() == "fieldline-session")
            .ok_or_else(|| anyhow::anyhow!("no session cookie among {cookies:?}"))?;
        anyhow::ensure!(
            session.http_only() == Some(true)
                && session.same_site().is_some_and(|s| s.is_strict())
                && session.path() == Some("/")
                && !session.value().is_empty(),
            "the session cookie is {session:?}"
        );

        // Fieldwork progress: every synced interview, and each village against its target.
        click(&client, "#campaigns .campaign").await?;
        wait_text(&client, "#campaign-name", fieldline_demo::CAMPAIGN_NAME).await?;
        let total = (FIELDWORK.baseline + FIELDWORK.endline).to_string();
        wait_text(&client, "#total", &total).await?;
        wait_text(&client, "#problems h3", "Set aside: 0 submission(s)").await?;
        let villages = texts(&client, "#sampling-baseline tr.cluster").await?;
        anyhow::ensure!(
            villages.len() >= fieldline_demo::respondents::villages().len(),
            "the baseline's sampling table lists {villages:?}"
        );
        let heading = texts(&client, "#sampling-baseline h3").await?;
        anyhow::ensure!(
            heading.len() == 1
                && heading[0].starts_with("baseline: ")
                && heading[0].ends_with("by municipality and ward"),
            "the baseline's sampling heading is {heading:?}"
        );
        // Each village's bar is as full as its interviews are of its target.
        let bars = client
            .execute(
                "return [...document.querySelectorAll('#sampling-baseline tr.cluster')].map(r => \
                 [Number(r.querySelector('.count').textContent), \
                  Number(r.querySelector('.target').textContent), \
                  r.querySelector('progress') ? r.querySelector('progress').position : null])",
                vec![],
            )
            .await?;
        let bars: Vec<(u64, u64, Option<f64>)> = serde_json::from_value(bars)?;
        anyhow::ensure!(
            bars.iter().any(|(count, target, _)| count < target)
                && bars.iter().all(|&(count, target, position)| {
                    let expected = count.min(target) as f64 / target as f64;
                    position.is_some_and(|p| (p - expected).abs() < 1e-6)
                }),
            "the villages' bars do not show their progress: {bars:?}"
        );
        save_screenshot(&client, "dashboard-progress.png").await?;

        // The report: the whole sample first, its change in plain words.
        click(&client, "#tab-report").await?;
        let heard = "#indicator-heard_trafficking td.change";
        let whole = more_than(&client, heard, 0).await?;
        anyhow::ensure!(
            whole.len() == 1 && is_change_sentence(&whole[0]),
            "heard_trafficking's change reads {whole:?}"
        );
        anyhow::ensure!(
            whole[0].ends_with("p < 0.001"),
            "the demo's campaign should have clearly worked: {whole:?}"
        );

        // Broken down by gender: a row per gender under the same whole-sample row, with its
        // own numbers.
        client
            .find(Locator::Css("#breakdown"))
            .await?
            .select_by_value("gender")
            .await?;
        let by_gender = more_than(&client, heard, 1).await?;
        anyhow::ensure!(
            by_gender[0] == whole[0],
            "the whole sample changed with the breakdown: {by_gender:?}"
        );
        let titles = texts(&client, "#indicator-heard_trafficking tr td:first-child").await?;
        anyhow::ensure!(
            titles.iter().filter(|t| t.starts_with("gender: ")).count() >= 2,
            "the groups are {titles:?}"
        );
        anyhow::ensure!(
            by_gender[1..].iter().all(|c| c != &whole[0]),
            "a gender's change reads the same as the whole sample's: {by_gender:?}"
        );
        save_screenshot(&client, "dashboard-report.png").await?;

        // Downloads: the report as an HTML page with the same groups and numbers, and as Excel.
        let downloads = downloads_of(profile_dir.path());
        click(&client, "#download-html").await?;
        let page = downloaded(&downloads, "safe_migration_radio_drama-report.html").await?;
        let page = std::fs::read_to_string(page)?;
        for title in titles.iter().filter(|t| t.starts_with("gender: ")) {
            anyhow::ensure!(
                page.contains(title.as_str()),
                "the downloaded page lacks {title:?}"
            );
        }
        for change in &by_gender {
            let escaped = change.replace('>', "&gt;").replace('<', "&lt;");
            anyhow::ensure!(
                page.contains(&escaped),
                "the downloaded page lacks the change {change:?}"
            );
        }
        click(&client, "#download-xlsx").await?;
        let workbook = downloaded(&downloads, "safe_migration_radio_drama-report.xlsx").await?;
        anyhow::ensure!(
            std::fs::read(workbook)?.starts_with(b"PK"),
            "the downloaded workbook is not an .xlsx (zip) file"
        );
        wait_text(
            &client,
            "#download-status",
            "Downloaded safe_migration_radio_drama-report.xlsx",
        )
        .await?;
        // A round's repeat as its own table, keyed back to the interviews.
        click(&client, ".export-baseline-migrants-csv").await?;
        let table = downloaded(
            &downloads,
            "safe_migration_radio_drama-baseline-migrants.csv",
        )
        .await?;
        let table = std::fs::read_to_string(table)?;
        let header = table.lines().next().unwrap_or_default();
        anyhow::ensure!(
            header.starts_with("m_relation,") && header.ends_with("PARENT_KEY,KEY"),
            "the migrants table's header is {header:?}"
        );
        anyhow::ensure!(
            table
                .lines()
                .skip(1)
                .all(|line| line.contains("/migrants[")),
            "a migrants row lacks its key:\n{table}"
        );

        // A lost tablet, revoked in one click (after a confirmation): its next sync is refused.
        let lost = devices
            .first()
            .ok_or_else(|| anyhow::anyhow!("the demo synced from no device"))?;
        let (synced, said) = device_sync(&fieldline, &lost.home)?;
        anyhow::ensure!(
            synced,
            "{} could not sync before it was revoked: {said}",
            lost.label
        );
        click(&client, "#tab-devices").await?;
        let row = format!("#devices tr.device[data-label='{}']", lost.label);
        wait_text(&client, &format!("{row} .status"), "active").await?;
        let listed = texts(&client, "#devices tr.device").await?;
        anyhow::ensure!(
            listed.len() == devices.len(),
            "the devices view lists {listed:?}, the demo synced from {} devices",
            devices.len()
        );
        // Each tablet that synced says when it was last seen and how many interviews arrived.
        let seen = texts(&client, &format!("{row} .last-seen")).await?;
        let received = texts(&client, &format!("{row} .received")).await?;
        anyhow::ensure!(
            seen.len() == 1 && seen[0].ends_with(" UTC"),
            "{}'s last visit reads {seen:?}",
            lost.label
        );
        anyhow::ensure!(
            received.len() == 1 && received[0].parse::<u64>().is_ok_and(|n| n > 0),
            "{}'s interviews received read {received:?}",
            lost.label
        );
        click(&client, &format!("{row} button.revoke")).await?;
        let question = more_than(&client, "#confirm-revoke p", 0).await?;
        anyhow::ensure!(
            question.len() == 1 && question[0].starts_with(&format!("Revoke {}?", lost.label)),
            "the confirmation reads {question:?}"
        );
        save_screenshot(&client, "dashboard-devices.png").await?;
        click(&client, "#confirm-revoke-yes").await?;
        wait_text(&client, &format!("{row} .status"), "revoked").await?;
        anyhow::ensure!(
            client
                .find_all(Locator::Css(&format!("{row} button.revoke")))
                .await?
                .is_empty(),
            "a revoked device still offers to be revoked"
        );
        let (synced, said) = device_sync(&fieldline, &lost.home)?;
        anyhow::ensure!(
            !synced && said.contains("revoked"),
            "{}'s sync after its revocation: {said}",
            lost.label
        );
        let other = &devices[1];
        let (synced, said) = device_sync(&fieldline, &other.home)?;
        anyhow::ensure!(
            synced,
            "{} was refused with the lost tablet: {said}",
            other.label
        );

        // Signing out ends the session on the server: a reload asks to sign in again.
        click(&client, "#sign-out").await?;
        wait_text(&client, "#sign-in h2", "Sign in").await?;
        client.refresh().await?;
        wait_text(&client, "#sign-in h2", "Sign in").await?;
        // The manager has no audit log to open; an admin reads who did what, the manager's
        // sign-in, the downloads and the revocation among it.
        sign_in(&client, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        click(&client, "#open-audit").await?;
        let actions = more_than(&client, "#audit tr.audit-event .action", 0).await?;
        for action in [
            "sign-in",
            "sign-in-refused",
            "export",
            "device-revoked",
            "sign-out",
        ] {
            anyhow::ensure!(
                actions.iter().any(|a| a == action),
                "the audit log lacks {action}: {actions:?}"
            );
        }
        let events = texts(&client, "#audit tr.audit-event").await?;
        anyhow::ensure!(
            events
                .iter()
                .any(|e| e.contains("device-revoked") && e.contains(MANAGER_EMAIL)),
            "the revocation does not name who did it: {events:?}"
        );
        save_screenshot(&client, "dashboard-audit.png").await?;

        // The manager leaves: the admin disables them in People (after a confirmation), and
        // their password no longer opens the dashboard.
        click(&client, "#back").await?;
        click(&client, "#open-people").await?;
        let manager_row = format!("#people tr.person[data-email='{MANAGER_EMAIL}']");
        wait_text(&client, &format!("{manager_row} .access"), "can sign in").await?;
        let own_row = format!("#people tr.person[data-email='{ADMIN_EMAIL}']");
        anyhow::ensure!(
            client
                .find_all(Locator::Css(&format!("{own_row} button")))
                .await?
                .is_empty(),
            "the admin is offered to disable themselves"
        );
        // A role changes in place: the manager made a viewer, then a manager again.
        for role in ["viewer", "manager"] {
            // The list reloads after each change: wait for its select before choosing.
            click(
                &client,
                &format!("{manager_row} select.role-select option[value='{role}']"),
            )
            .await?;
            wait_text(
                &client,
                "#people-status",
                &format!("{MANAGER_EMAIL} is now {role}, from their next request on."),
            )
            .await?;
            // Stored: the reloaded list shows it.
            let deadline = tokio::time::Instant::now() + fieldline_e2e::TIMEOUT;
            loop {
                let shown = match client
                    .find(Locator::Css(&format!("{manager_row} select.role-select")))
                    .await
                {
                    Ok(select) => select.prop("value").await.ok().flatten(),
                    Err(_) => None,
                };
                if shown.as_deref() == Some(role) {
                    break;
                }
                anyhow::ensure!(
                    tokio::time::Instant::now() < deadline,
                    "the list never showed the manager as {role} (last: {shown:?})"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        click(&client, &format!("{manager_row} button.disable")).await?;
        let question = more_than(&client, "#confirm-disable p", 0).await?;
        anyhow::ensure!(
            question[0].starts_with(&format!("Disable {MANAGER_EMAIL}?")),
            "the confirmation reads {question:?}"
        );
        click(&client, "#confirm-disable-yes").await?;
        wait_text(&client, &format!("{manager_row} .access"), "disabled").await?;
        save_screenshot(&client, "dashboard-people.png").await?;
        click(&client, "#sign-out").await?;
        wait_text(&client, "#sign-in h2", "Sign in").await?;
        sign_in(&client, MANAGER_EMAIL, MANAGER_PASSWORD).await?;
        wait_text(
            &client,
            "#sign-in-error",
            "this account is disabled; ask an admin of your organization to enable it",
        )
        .await?;
        anyhow::Ok(())
    })
    .await;
    within("closing Chromium", async { Ok(client.close().await?) }).await?;
    outcome
}
