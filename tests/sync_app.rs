//! The field app joins a campaign with a coordinator's code, receives the campaign's form by
//! sync, and sends a finalized interview that the server then holds with the same SHA-256; an
//! interview of a form the campaign does not publish comes back rejected, the reason in the
//! outbox.

use std::path::Path;
use std::process::Command;

use fieldline_e2e::steps::{
    choose, click, database, find, next, on_screen, type_answer, write_workbook,
};
use fieldline_e2e::{
    binary, save_screenshot, wait_text, within, workspace_root, FieldApp, FieldlineServer,
};

/// `fieldline admin --db sqlite:DB ARGS`, returning its output.
fn admin(fieldline: &Path, db: &Path, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new(fieldline)
        .arg("admin")
        .arg("--db")
        .arg(format!("sqlite:{}", db.display()))
        .args(args)
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "fieldline admin {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_enrolls_receives_the_form_and_its_interview_reaches_the_server(
) -> anyhow::Result<()> {
    let fieldline = binary("FIELDLINE_BIN", "fieldline")?;
    let server_dir = tempfile::tempdir()?;
    let server = FieldlineServer::start(&fieldline, server_dir.path())?;
    let db = FieldlineServer::database_path(server_dir.path());
    let office = admin(&fieldline, &db, &["org", "create", "Campaign office"])?;
    let partner = admin(&fieldline, &db, &["org", "create", "Partner NGO"])?;
    let campaign = admin(
        &fieldline,
        &db,
        &[
            "campaign",
            "create",
            "--owner",
            &office,
            "--name",
            "Radio drama",
        ],
    )?;
    admin(
        &fieldline,
        &db,
        &[
            "campaign",
            "add-partner",
            "--campaign",
            &campaign,
            "--org",
            &partner,
        ],
    )?;
    let form = workspace_root().join("../shared/forms/fieldline/safe_migration_kap.xlsx");
    admin(
        &fieldline,
        &db,
        &[
            "round",
            "create",
            "--campaign",
            &campaign,
            "--name",
            "baseline",
            "--form",
            &form.display().to_string(),
        ],
    )?;
    let code = admin(
        &fieldline,
        &db,
        &["enroll-code", "--campaign", &campaign, "--org", &partner],
    )?;

    let forms = tempfile::tempdir()?;
    let local_form = forms.path().join("tablet_notes.xlsx");
    write_workbook(
        &local_form,
        &[
            (
                "survey",
                &[&["type", "name", "label"], &["text", "remark", "Remark"]],
            ),
            (
                "settings",
                &[
                    &["form_id", "form_title", "version"],
                    &["tablet_notes", "Notes made on the tablet", "1"],
                ],
            ),
        ],
    )?;

    let running = FieldApp::start(&["--server".into(), server.url().to_owned()]).await?;
    let client = running.client.clone();
    let outcome = within("enrolling, interviewing and syncing", async {
        // No form yet: it comes with the campaign.
        find(&client, "#no-forms").await?;
        // Typed as people type codes: lower case, without the dashes.
        let typed = code.replace('-', "").to_lowercase();
        find(&client, "#enroll-code")
            .await?
            .send_keys(&typed)
            .await?;
        save_screenshot(&client, "home-enrollment.png").await?;
        click(&client, "#enroll-submit").await?;
        wait_text(
            &client,
            "#campaign-joined",
            "Collecting for Radio drama with Partner NGO.",
        )
        .await?;
        // The background sync pulls the round's form; the home screen lists it on its next look.
        let deadline = tokio::time::Instant::now() + fieldline_e2e::TIMEOUT;
        while client
            .find_all(fantoccini::Locator::Css("#forms .form-card"))
            .await?
            .is_empty()
        {
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "the campaign's form never arrived"
            );
            click(&client, "#nav-outbox").await?;
            click(&client, "#nav-home").await?;
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
        save_screenshot(&client, "home-enrolled.png").await?;

        click(
            &client,
            r#".form-card[data-form-id="safe_migration_kap"] .start-interview"#,
        )
        .await?;
        on_screen(&client, "/data/province").await?;
        choose(&client, "/data/province", "koshi").await?;
        next(&client).await?;
        choose(&client, "/data/municipality", "dharan").await?;
        next(&client).await?;
        type_answer(&client, "/data/ward", "4").await?;
        next(&client).await?;
        choose(&client, "/data/consent", "no").await?;
        next(&client).await?;
        next(&client).await?;
        click(&client, "#finalize").await?;
        find(&client, "#finalized").await?;
        click(&client, "#finalized-outbox").await?;
        find(&client, r#".outbox-card[data-state="queued"]"#).await?;
        click(&client, "#sync-now").await?;
        find(&client, r#".outbox-card[data-state="sent"]"#).await?;
        wait_text(&client, "#sync-phase", "Up to date with the server.").await?;
        save_screenshot(&client, "outbox-synced.png").await?;

        // A form imported on the tablet, which no round of the campaign publishes: its
        // interview is refused by the server, and the outbox says why instead of retrying.
        click(&client, "#nav-home").await?;
        find(&client, "#import-file")
            .await?
            .send_keys(&local_form.display().to_string())
            .await?;
        find(&client, "#import-done").await?;
        click(
            &client,
            r#".form-card[data-form-id="tablet_notes"] .start-interview"#,
        )
        .await?;
        on_screen(&client, "/data/remark").await?;
        type_answer(&client, "/data/remark", "Met the ward chair").await?;
        next(&client).await?;
        click(&client, "#finalize").await?;
        find(&client, "#finalized").await?;
        click(&client, "#finalized-outbox").await?;
        click(&client, "#sync-now").await?;
        let rejected = r#".outbox-card[data-state="rejected"]"#;
        let reason = find(&client, &format!("{rejected} .reason"))
            .await?
            .text()
            .await?;
        anyhow::ensure!(
            reason.contains("is not published in this campaign"),
            "the rejected interview's reason reads {reason:?}"
        );
        // The sync's progress counts what it sent: the one interview.
        let progress = find(&client, "#sync-progress").await?.text().await?;
        anyhow::ensure!(
            progress.starts_with("1 of 1 sent"),
            "the sync's progress reads {progress:?}"
        );
        save_screenshot(&client, "outbox-rejected.png").await?;
        anyhow::Ok(())
    })
    .await;
    running.close().await?;
    outcome?;

    // The server holds the interview once, with the bytes the device finalized.
    let (instance_id, sha256): (String, String) = database(running.data_dir.path())?.query_row(
        "SELECT instance_id, sha256 FROM outbox",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let listed = admin(
        &fieldline,
        &db,
        &["submissions", "--campaign", &campaign, "--json"],
    )?;
    let rows: Vec<serde_json::Value> = listed
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    anyhow::ensure!(rows.len() == 1, "the server lists {listed}");
    anyhow::ensure!(
        rows[0]["instance_id"] == instance_id.as_str() && rows[0]["sha256"] == sha256.as_str(),
        "the server holds {listed}, the device finalized {instance_id} with {sha256}"
    );
    Ok(())
}
