//! The field app's PIN lock, in the real app: the device's data encrypted at rest, the unlock
//! screen with the store's words for a wrong PIN, changing the PIN, and locking after inactivity
//! or at a tap.

use std::path::Path;

use fantoccini::Client;
use fieldline_e2e::steps::{
    click, database, find, gone, on_screen, saved, type_answer, write_workbook,
};
use fieldline_e2e::{
    binary, locked_field_app_session, pin_screen, save_screenshot, type_pin, unlock_with_pin,
    wait_text, wait_unlocked, within, PinScreen, TauriDriver, VirtualDisplay, TEST_PIN,
};

/// An answer no file on the device may hold in the clear.
const SECRET: &str = "Kalpana-met-the-agent-at-Raxaul-7391";

const NEW_PIN: &str = "97531086";

/// A form of one text question.
fn note_form(dir: &Path) -> anyhow::Result<std::path::PathBuf> {
    let survey: &[&[&str]] = &[
        &["type", "name", "label"],
        &["text", "note", "What did the respondent say?"],
    ];
    let settings: &[&[&str]] = &[
        &["form_id", "form_title", "version"],
        &["pin_note", "PIN note", "1"],
    ];
    let form = dir.join("pin_note.xlsx");
    write_workbook(&form, &[("survey", survey), ("settings", settings)])?;
    Ok(form)
}

fn app_args(data_dir: &Path, extra: &[String]) -> Vec<String> {
    let mut args = vec!["--data-dir".into(), data_dir.display().to_string()];
    args.extend_from_slice(extra);
    args
}

/// Every file under `dir` (the webview's storage included) that holds `text`, as UTF-8 or as
/// UTF-16 (how WebKit keeps some strings).
fn files_holding(dir: &Path, text: &str) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let utf16 = fieldline_test_support::utf16le(text);
    let found = fieldline_test_support::files_holding(dir, &[text.as_bytes(), &utf16])?;
    Ok(found.into_iter().map(|f| f.file).collect())
}

async fn close(client: Client) -> anyhow::Result<()> {
    within("closing the app", async { Ok(client.close().await?) }).await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_device_data_is_encrypted_under_the_pin_and_locks_after_inactivity(
) -> anyhow::Result<()> {
    let app = binary("FIELDLINE_APP_BIN", "fieldline-app")?;
    let data_dir = tempfile::tempdir()?;
    let forms = tempfile::tempdir()?;
    let form = note_form(forms.path())?;
    let display = VirtualDisplay::start()?;
    let driver = TauriDriver::start(&display)?;

    // A new profile: nothing of the app until a PIN is chosen, typed the same twice.
    let import = ["--import".to_owned(), form.display().to_string()];
    let client = within(
        "starting the app",
        locked_field_app_session(&driver.url(), &app, &app_args(data_dir.path(), &import)),
    )
    .await?;
    let first = within("choosing a PIN and answering", async {
        anyhow::ensure!(pin_screen(&client).await? == PinScreen::Choose);
        gone(&client, "#nav-home").await?;
        let field = find(&client, "#pin-new").await?;
        anyhow::ensure!(
            field.attr("type").await?.as_deref() == Some("password")
                && field.attr("inputmode").await?.as_deref() == Some("numeric"),
            "the PIN field is not a hidden numeric field"
        );
        type_pin(&client, "#pin-new", TEST_PIN).await?;
        type_pin(&client, "#pin-repeat", "246811").await?;
        click(&client, "#pin-choose-submit").await?;
        wait_text(
            &client,
            "#pin-error",
            "The two PINs are not the same. Type the same PIN twice.",
        )
        .await?;
        unlock_with_pin(&client, TEST_PIN).await?;

        // The form given with --import is imported once the profile is open.
        click(
            &client,
            r#".form-card[data-form-id="pin_note"] .start-interview"#,
        )
        .await?;
        on_screen(&client, "/data/note").await?;
        type_answer(&client, "/data/note", SECRET).await?;
        saved(&client, "Saved").await?;
        anyhow::Ok(())
    })
    .await;
    // Closing the session ends the app with the draft open.
    close(client).await?;
    first?;

    // The answer is in the profile (read with the PIN's key), so not finding it in the files
    // below means it is encrypted there, not that it was never written.
    let stored: i64 = database(data_dir.path())?.query_row(
        "SELECT count(*) FROM draft_event WHERE value = ?1",
        [SECRET],
        |row| row.get(0),
    )?;
    anyhow::ensure!(stored == 1, "the answer is not in the device database");
    let holding = files_holding(data_dir.path(), SECRET)?;
    anyhow::ensure!(
        holding.is_empty(),
        "the answer is readable in the clear in {holding:?}"
    );
    anyhow::ensure!(
        data_dir.path().join("webview").is_dir(),
        "the webview's storage is not in the profile, so it was not searched"
    );

    // Restarted: the unlock screen, a wrong PIN refused in the store's words, the right one opens
    // and the draft is there to resume.
    let client = within(
        "restarting the app",
        locked_field_app_session(&driver.url(), &app, &app_args(data_dir.path(), &[])),
    )
    .await?;
    let second = within("unlocking and changing the PIN", async {
        anyhow::ensure!(pin_screen(&client).await? == PinScreen::Unlock);
        type_pin(&client, "#pin-unlock-input", "111111").await?;
        click(&client, "#pin-unlock-submit").await?;
        wait_text(
            &client,
            "#pin-error",
            "the PIN is wrong; 4 more wrong PIN(s) and each try will have to wait, longer each time",
        )
        .await?;
        save_screenshot(&client, "pin-unlock.png").await?;
        gone(&client, "#nav-drafts").await?;
        type_pin(&client, "#pin-unlock-input", TEST_PIN).await?;
        click(&client, "#pin-unlock-submit").await?;
        wait_unlocked(&client).await?;
        click(&client, "#nav-drafts").await?;
        click(&client, "#drafts .resume-draft").await?;
        on_screen(&client, "/data/note").await?;
        let note = find(&client, r#".question[data-path="/data/note"] .answer"#).await?;
        anyhow::ensure!(
            note.prop("value").await?.as_deref() == Some(SECRET),
            "the answer given before the restart is not in the draft"
        );

        // The Lock button, mid-interview: back to the unlock screen; unlocking resumes from Drafts.
        click(&client, "#lock-now").await?;
        anyhow::ensure!(pin_screen(&client).await? == PinScreen::Unlock);
        gone(&client, r#"[data-screen="/data/note"]"#).await?;
        unlock_with_pin(&client, TEST_PIN).await?;
        click(&client, "#nav-drafts").await?;
        find(&client, "#drafts .resume-draft").await?;

        // Changing the PIN asks for the current one.
        click(&client, "#nav-home").await?;
        type_pin(&client, "#pin-old", "000000").await?;
        type_pin(&client, "#pin-change-new", NEW_PIN).await?;
        type_pin(&client, "#pin-change-repeat", NEW_PIN).await?;
        click(&client, "#pin-change-submit").await?;
        find(&client, "#pin-change-error").await?;
        type_pin(&client, "#pin-old", TEST_PIN).await?;
        type_pin(&client, "#pin-change-new", NEW_PIN).await?;
        type_pin(&client, "#pin-change-repeat", NEW_PIN).await?;
        click(&client, "#pin-change-submit").await?;
        wait_text(
            &client,
            "#pin-changed",
            "The PIN is changed. Use the new one from now on.",
        )
        .await?;
        anyhow::Ok(())
    })
    .await;
    close(client).await?;
    second?;

    // With --lock-after 2, two seconds without a touch lock the app again.
    let lock_after = ["--lock-after".to_owned(), "2".to_owned()];
    let client = within(
        "starting the app to lock after 2 s",
        locked_field_app_session(&driver.url(), &app, &app_args(data_dir.path(), &lock_after)),
    )
    .await?;
    let third = within("locking after inactivity", async {
        unlock_with_pin(&client, NEW_PIN).await?;
        find(&client, "#forms").await?;
        anyhow::ensure!(pin_screen(&client).await? == PinScreen::Unlock);
        gone(&client, "#forms").await?;
        anyhow::Ok(())
    })
    .await;
    close(client).await?;
    third
}
