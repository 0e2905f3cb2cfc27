//! Whole interviews in the real field app (Tauri, WebKitGTK under Xvfb, driven by tauri-driver),
//! checked against what the device database holds afterwards.

use std::path::Path;

use fantoccini::{Client, Locator};
use fieldline_e2e::steps::{
    choose, click, database, find, gone, message_is, next, no_message, offered, on_screen,
    outbox_payloads, saved, type_answer, write_workbook, PICTURE,
};
use fieldline_e2e::{
    binary, field_app_session, save_screenshot, wait_text, within, workspace_root, FieldApp,
    TauriDriver, VirtualDisplay,
};
use serde_json::Value;

const KAP: &str = "fieldline/safe_migration_kap.xlsx";

fn app_args(data_dir: &Path, import: bool) -> Vec<String> {
    let mut args = vec!["--data-dir".into(), data_dir.display().to_string()];
    if import {
        let form = workspace_root().join("../shared/forms").join(KAP);
        args.extend(["--import".into(), form.display().to_string()]);
    }
    args
}

/// A payload's values as `(path, value)`, with the metadata whose values depend on the clock
/// and the device checked for presence and replaced by `*`.
fn answers(payload: &Value) -> anyhow::Result<Vec<(String, String)>> {
    let values = payload["values"]
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("payload without values: {payload}"))?;
    let mut out = Vec::new();
    for pair in values {
        let path = pair[0].as_str().unwrap_or_default().to_owned();
        let value = pair[1].as_str().unwrap_or_default().to_owned();
        let varies = [
            "/data/start",
            "/data/end",
            "/data/today",
            "/data/deviceid",
            "/data/meta/instanceID",
        ];
        if varies.contains(&path.as_str()) {
            anyhow::ensure!(!value.is_empty(), "{path} is empty in the payload");
            out.push((path, "*".into()));
        } else {
            out.push((path, value));
        }
    }
    Ok(out)
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(p, v)| (p.to_string(), v.to_string()))
        .collect()
}

async fn start_interview(client: &Client) -> anyhow::Result<()> {
    click(
        client,
        r#".form-card[data-form-id="safe_migration_kap"] .start-interview"#,
    )
    .await?;
    on_screen(client, "/data/province").await
}

/// Where every interview starts: the place, with the cascading municipality list checked.
async fn answer_location(client: &Client, municipality: &str, ward: &str) -> anyhow::Result<()> {
    choose(client, "/data/province", "madhesh").await?;
    next(client).await?;
    on_screen(client, "/data/municipality").await?;
    anyhow::ensure!(
        offered(client, "/data/municipality").await? == ["janakpur", "birgunj"],
        "Madhesh's municipalities are not the ones offered"
    );
    // Back to the province: a different answer changes the choices that follow.
    click(client, "#previous").await?;
    on_screen(client, "/data/province").await?;
    choose(client, "/data/province", "koshi").await?;
    next(client).await?;
    on_screen(client, "/data/municipality").await?;
    anyhow::ensure!(
        offered(client, "/data/municipality").await? == ["biratnagar", "dharan"],
        "Koshi's municipalities are not the ones offered"
    );
    choose(client, "/data/municipality", municipality).await?;
    next(client).await?;
    on_screen(client, "/data/ward").await?;
    type_answer(client, "/data/ward", ward).await?;
    next(client).await?;
    on_screen(client, "/data/consent").await
}

/// From the last question to the outbox.
async fn finish(client: &Client) -> anyhow::Result<()> {
    on_screen(client, "/data/end_note").await?;
    next(client).await?;
    on_screen(client, "#end").await?;
    find(client, "#review-ready").await?;
    save_screenshot(client, "interview-end.png").await?;
    click(client, "#finalize").await?;
    find(client, "#finalized").await?;
    Ok(())
}

/// Answers the household member abroad at position `n` (already added), screen by screen, back
/// to the list of members.
async fn household_member(
    client: &Client,
    n: usize,
    relation: &str,
    country: &str,
    contract: &str,
) -> anyhow::Result<()> {
    let member = format!("/data/migrants[{n}]");
    on_screen(client, &format!("{member}/m_relation")).await?;
    type_answer(client, &format!("{member}/m_relation"), relation).await?;
    next(client).await?;
    choose(client, &format!("{member}/m_country"), country).await?;
    next(client).await?;
    choose(client, &format!("{member}/m_contract"), contract).await?;
    next(client).await?;
    on_screen(client, "/data/migrants").await
}

/// The interview's progress bar, in percent.
async fn progress_value(client: &Client) -> anyhow::Result<u32> {
    let bar = find(client, "#progress").await?;
    let value = bar.attr("aria-valuenow").await?.unwrap_or_default();
    value
        .parse()
        .map_err(|_| anyhow::anyhow!("the progress bar's value is {value:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_consent_and_a_full_interview_reach_the_outbox_with_exactly_their_answers(
) -> anyhow::Result<()> {
    let app = binary("FIELDLINE_APP_BIN", "fieldline-app")?;
    let data_dir = tempfile::tempdir()?;
    let display = VirtualDisplay::start()?;
    let driver = TauriDriver::start(&display)?;
    let client = within(
        "starting the app",
        field_app_session(&driver.url(), &app, &app_args(data_dir.path(), true)),
    )
    .await?;
    let outcome = within("two interviews", async {
        // A respondent who refuses: the interview ends after consent.
        start_interview(&client).await?;
        save_screenshot(&client, "interview-question.png").await?;
        answer_location(&client, "biratnagar", "3").await?;
        choose(&client, "/data/consent", "no").await?;
        next(&client).await?;
        finish(&client).await?;
        save_screenshot(&client, "interview-finalized.png").await?;
        click(&client, "#finalized-home").await?;

        // A full interview.
        wait_text(
            &client,
            "#forms .form-counts",
            "Drafts 0 · Finalized 1 · Not sent 1",
        )
        .await?;
        start_interview(&client).await?;
        // A ward out of range is refused by the form's constraint, shown, then fixed.
        choose(&client, "/data/province", "koshi").await?;
        next(&client).await?;
        choose(&client, "/data/municipality", "dharan").await?;
        next(&client).await?;
        type_answer(&client, "/data/ward", "99").await?;
        message_is(&client, "/data/ward", "Ward numbers run from 1 to 35").await?;
        save_screenshot(&client, "interview-constraint.png").await?;
        type_answer(&client, "/data/ward", "7").await?;
        no_message(&client, "/data/ward").await?;
        next(&client).await?;
        let at_consent = progress_value(&client).await?;
        choose(&client, "/data/consent", "yes").await?;
        next(&client).await?;

        // A field list: three questions on one screen.
        on_screen(&client, "/data/about").await?;
        // Whole numbers bring up the numeric keyboard.
        let age = find(&client, r#".question[data-path="/data/about/age"] .answer"#).await?;
        anyhow::ensure!(
            age.attr("inputmode").await?.as_deref() == Some("numeric"),
            "the age field does not ask for the numeric keyboard"
        );
        choose(&client, "/data/about/gender", "woman").await?;
        type_answer(&client, "/data/about/age", "23").await?;
        choose(&client, "/data/about/education", "secondary").await?;
        save_screenshot(&client, "interview-field-list.png").await?;
        next(&client).await?;

        on_screen(&client, "/data/know/heard_trafficking").await?;
        choose(&client, "/data/know/heard_trafficking", "yes").await?;
        next(&client).await?;
        // "Don't know" excludes the other channels: the form's own constraint says so.
        on_screen(&client, "/data/know/channels").await?;
        choose(&client, "/data/know/channels", "radio").await?;
        choose(&client, "/data/know/channels", "dont_know").await?;
        message_is(
            &client,
            "/data/know/channels",
            "'Don't know' cannot be combined with other answers",
        )
        .await?;
        save_screenshot(&client, "interview-exclusive-choice.png").await?;
        click(
            &client,
            r#".question[data-path="/data/know/channels"] .choice[data-value="dont_know"]"#,
        )
        .await?;
        no_message(&client, "/data/know/channels").await?;
        choose(&client, "/data/know/channels", "street_drama").await?;
        next(&client).await?;

        // Half way, the respondent prefers Nepali: the form switches, answers stay.
        on_screen(&client, "/data/know/knows_hotline").await?;
        find(&client, "#form-language")
            .await?
            .select_by_value("Nepali (ne)")
            .await?;
        wait_text(
            &client,
            r#".question[data-path="/data/know/knows_hotline"] .question-label"#,
            "के तपाईंलाई बेचबिखन उजुरी गर्ने हटलाइन थाहा छ? *",
        )
        .await?;
        choose(&client, "/data/know/knows_hotline", "yes").await?;
        wait_text(&client, r#".choice[data-value="yes"] .choice-label"#, "हो").await?;
        save_screenshot(&client, "interview-nepali.png").await?;
        next(&client).await?;
        type_answer(&client, "/data/know/hotline", "1098").await?;
        next(&client).await?;
        choose(&client, "/data/know/before_leaving", "check_agency").await?;
        choose(&client, "/data/know/before_leaving", "read_contract").await?;
        // Earlier answers survived the switch.
        click(&client, "#overview-button").await?;
        find(
            &client,
            r#".overview-item[data-path="/data/about/age"][data-status="answered"]"#,
        )
        .await?;
        find(
            &client,
            r#".overview-item[data-path="/data/views/view_debt"][data-status="unanswered"]"#,
        )
        .await?;
        save_screenshot(&client, "interview-overview.png").await?;
        click(
            &client,
            r#".overview-item[data-path="/data/views/view_debt"] .overview-jump"#,
        )
        .await?;

        // Likert rows: the five points of the scale side by side, not stacked cards.
        on_screen(&client, "/data/views").await?;
        let tops = client
            .execute(
                r#"return Array.from(document.querySelectorAll(
                     '.question[data-path="/data/views/view_debt"] .choices.likert .choice'))
                   .map(e => Math.round(e.getBoundingClientRect().top));"#,
                vec![],
            )
            .await?;
        let tops: Vec<i64> = serde_json::from_value(tops)?;
        anyhow::ensure!(
            tops.len() == 5 && tops.iter().all(|t| (t - tops[0]).abs() <= 2),
            "the Likert scale is not one row: tops {tops:?}"
        );
        choose(&client, "/data/views/view_debt", "2").await?;
        choose(&client, "/data/views/view_report", "5").await?;
        save_screenshot(&client, "interview-likert.png").await?;
        // The progress bar has moved on since the consent.
        let now = progress_value(&client).await?;
        anyhow::ensure!(
            now > at_consent && now < 100,
            "the progress bar reads {now}% here, {at_consent}% at the consent"
        );
        next(&client).await?;

        // Two household members abroad.
        household_member(&client, 1, "Brother", "qatar", "no").await?;
        // The count is in the app's own words and language, which stayed English.
        wait_text(&client, "#repeat-count", "1 added").await?;
        click(&client, "#add-repeat").await?;
        household_member(&client, 2, "Sister", "malaysia", "yes").await?;
        wait_text(&client, "#repeat-count", "2 added").await?;
        save_screenshot(&client, "interview-repeat.png").await?;
        // Removing a member asks first: "no" keeps her, "yes" removes her with her answers.
        let remove_second = r#".repeat-instance[data-path="/data/migrants[2]"] .remove-repeat"#;
        click(&client, remove_second).await?;
        click(
            &client,
            r#".repeat-instance[data-path="/data/migrants[2]"] .confirm button.secondary"#,
        )
        .await?;
        wait_text(&client, "#repeat-count", "2 added").await?;
        click(&client, remove_second).await?;
        click(&client, ".confirm-remove").await?;
        wait_text(&client, "#repeat-count", "1 added").await?;
        // Added again, so the payload below holds both.
        click(&client, "#add-repeat").await?;
        on_screen(&client, "/data/migrants[2]/m_relation").await?;
        let relation = find(
            &client,
            r#".question[data-path="/data/migrants[2]/m_relation"] .answer"#,
        )
        .await?;
        anyhow::ensure!(
            relation.prop("value").await?.as_deref() == Some(""),
            "a removed member's answers came back with the new one"
        );
        household_member(&client, 2, "Sister", "malaysia", "yes").await?;
        wait_text(&client, "#repeat-count", "2 added").await?;
        next(&client).await?;
        finish(&client).await?;
        click(&client, "#finalized-outbox").await?;
        find(&client, "#outbox-screen .outbox-card").await?;
        save_screenshot(&client, "outbox.png").await?;
        anyhow::Ok(())
    })
    .await;
    within("closing the app", async { Ok(client.close().await?) }).await?;
    outcome?;

    let payloads = outbox_payloads(data_dir.path())?;
    anyhow::ensure!(payloads.len() == 2, "outbox holds {} items", payloads.len());
    let refused = answers(&payloads[0])?;
    let expected_refused = pairs(&[
        ("/data/start", "*"),
        ("/data/end", "*"),
        ("/data/today", "*"),
        ("/data/deviceid", "*"),
        ("/data/province", "koshi"),
        ("/data/municipality", "biratnagar"),
        ("/data/ward", "3"),
        ("/data/consent", "no"),
        ("/data/youth", "no"),
        ("/data/n_without_contract", "0"),
        ("/data/end_note", ""),
        ("/data/meta/instanceID", "*"),
    ]);
    anyhow::ensure!(
        refused == expected_refused,
        "the refused interview's payload holds {refused:#?}"
    );
    let full = answers(&payloads[1])?;
    let expected_full = pairs(&[
        ("/data/start", "*"),
        ("/data/end", "*"),
        ("/data/today", "*"),
        ("/data/deviceid", "*"),
        ("/data/province", "koshi"),
        ("/data/municipality", "dharan"),
        ("/data/ward", "7"),
        ("/data/consent", "yes"),
        ("/data/about/gender", "woman"),
        ("/data/about/age", "23"),
        ("/data/about/education", "secondary"),
        ("/data/youth", "yes"),
        ("/data/know/heard_trafficking", "yes"),
        ("/data/know/channels", "radio street_drama"),
        ("/data/know/knows_hotline", "yes"),
        ("/data/know/hotline", "1098"),
        ("/data/know/before_leaving", "check_agency read_contract"),
        ("/data/views/view_debt", "2"),
        ("/data/views/view_report", "5"),
        ("/data/migrants[1]/m_relation", "Brother"),
        ("/data/migrants[1]/m_country", "qatar"),
        ("/data/migrants[1]/m_contract", "no"),
        ("/data/migrants[2]/m_relation", "Sister"),
        ("/data/migrants[2]/m_country", "malaysia"),
        ("/data/migrants[2]/m_contract", "yes"),
        ("/data/n_without_contract", "1"),
        ("/data/end_note", ""),
        ("/data/meta/instanceID", "*"),
    ]);
    anyhow::ensure!(
        full == expected_full,
        "the full interview's payload holds {full:#?}"
    );
    let draft_count: i64 =
        database(data_dir.path())?.query_row("SELECT COUNT(*) FROM draft", [], |r| r.get(0))?;
    anyhow::ensure!(draft_count == 0, "{draft_count} drafts left behind");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_draft_resumes_where_it_was_after_a_restart_and_is_discarded_only_when_confirmed(
) -> anyhow::Result<()> {
    let app = binary("FIELDLINE_APP_BIN", "fieldline-app")?;
    let data_dir = tempfile::tempdir()?;
    let display = VirtualDisplay::start()?;
    let driver = TauriDriver::start(&display)?;
    let client = within(
        "starting the app",
        field_app_session(&driver.url(), &app, &app_args(data_dir.path(), true)),
    )
    .await?;
    let first = within("an interview left half way", async {
        // Another form, imported from the home screen's file picker.
        let other = workspace_root().join("../shared/forms/public/pyxform/field-list.xlsx");
        find(&client, "#import-file")
            .await?
            .send_keys(&other.display().to_string())
            .await?;
        find(&client, "#import-done").await?;
        anyhow::ensure!(
            client
                .find_all(Locator::Css("#forms .form-card"))
                .await?
                .len()
                == 2,
            "the imported form is not listed"
        );
        // The app's own words in Hindi, then back.
        find(&client, "#app-language")
            .await?
            .select_by_value("hi")
            .await?;
        wait_text(&client, "#nav-drafts", "ड्राफ़्ट").await?;
        wait_text(
            &client,
            r#".form-card[data-form-id="safe_migration_kap"] .start-interview"#,
            "साक्षात्कार शुरू करें",
        )
        .await?;
        save_screenshot(&client, "home-hindi.png").await?;
        find(&client, "#app-language")
            .await?
            .select_by_value("en")
            .await?;
        wait_text(&client, "#nav-drafts", "Drafts").await?;

        start_interview(&client).await?;
        answer_location(&client, "dharan", "12").await?;
        choose(&client, "/data/consent", "yes").await?;
        next(&client).await?;
        on_screen(&client, "/data/about").await?;
        type_answer(&client, "/data/about/age", "41").await?;
        saved(&client, "Saved").await?;
        // A phone held upright: the same screen fits 360 px without sideways scrolling.
        client.set_window_size(360, 740).await?;
        let fits = client
            .execute(
                "return document.documentElement.scrollWidth <= window.innerWidth;",
                vec![],
            )
            .await?;
        save_screenshot(&client, "interview-phone.png").await?;
        anyhow::ensure!(
            fits == Value::Bool(true),
            "the phone layout scrolls sideways"
        );
        client.set_window_size(1280, 800).await?;
        anyhow::Ok(())
    })
    .await;
    // Closing the session ends the app while the draft is open.
    within("closing the app", async { Ok(client.close().await?) }).await?;
    first?;

    let client = within(
        "restarting the app",
        field_app_session(&driver.url(), &app, &app_args(data_dir.path(), false)),
    )
    .await?;
    let second = within("resuming and discarding", async {
        wait_text(
            &client,
            "#forms .form-counts",
            "Drafts 1 · Finalized 0 · Not sent 0",
        )
        .await?;
        click(&client, "#nav-drafts").await?;
        find(&client, "#drafts .draft-card").await?;
        save_screenshot(&client, "drafts.png").await?;
        click(&client, "#drafts .resume-draft").await?;
        // Back on the screen it was left on, with its answers.
        on_screen(&client, "/data/about").await?;
        let age = find(&client, r#".question[data-path="/data/about/age"] .answer"#).await?;
        anyhow::ensure!(
            age.prop("value").await?.as_deref() == Some("41"),
            "the age typed before the restart is gone"
        );
        // Finalizing with questions left takes the enumerator to the first of them: jump from
        // the overview to its last question, walk on to the end, finalize.
        click(&client, "#overview-button").await?;
        find(&client, ".overview-item .overview-jump").await?;
        client
            .execute(
                "const all = document.querySelectorAll('.overview-item .overview-jump'); \
                 all[all.length - 1].click();",
                vec![],
            )
            .await?;
        for _ in 0..10 {
            if !client
                .find_all(Locator::Css(r##"[data-screen="#end"]"##))
                .await?
                .is_empty()
            {
                break;
            }
            next(&client).await?;
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        on_screen(&client, "#end").await?;
        click(&client, "#finalize").await?;
        on_screen(&client, "/data/about").await?;
        find(
            &client,
            r#".question[data-path="/data/about/gender"] .message"#,
        )
        .await?;
        save_screenshot(&client, "interview-finalize-problem.png").await?;
        click(&client, "#previous").await?;
        on_screen(&client, "/data/consent").await?;
        find(&client, r#".choice[data-value="yes"][aria-checked="true"]"#).await?;
        click(&client, "#leave-interview").await?;

        // Discarding asks first; "keep it" keeps it.
        click(&client, "#nav-drafts").await?;
        click(&client, "#drafts .discard-draft").await?;
        find(&client, ".confirm").await?;
        save_screenshot(&client, "drafts-discard.png").await?;
        click(&client, ".keep-draft").await?;
        find(&client, "#drafts .resume-draft").await?;
        click(&client, "#drafts .discard-draft").await?;
        click(&client, ".confirm-discard").await?;
        find(&client, "#no-drafts").await?;
        gone(&client, "#drafts .draft-card").await?;
        anyhow::Ok(())
    })
    .await;
    within("closing the app", async { Ok(client.close().await?) }).await?;
    second?;
    let drafts: i64 =
        database(data_dir.path())?.query_row("SELECT COUNT(*) FROM draft", [], |r| r.get(0))?;
    anyhow::ensure!(drafts == 0, "the discarded draft is still stored");
    Ok(())
}

/// A tenth of a second of silence as 8 kHz mono WAV.
fn silence() -> Vec<u8> {
    let samples = 800u32;
    let mut wav = Vec::new();
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + samples).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&8000u32.to_le_bytes());
    wav.extend_from_slice(&8000u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&8u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&samples.to_le_bytes());
    wav.extend(std::iter::repeat_n(128u8, samples as usize));
    wav
}

/// A one-question form with a picture and an audio prompt per language, written next to its
/// `-media` folder as ODK lays them out; returns the form's path.
fn form_with_media(dir: &Path) -> anyhow::Result<std::path::PathBuf> {
    let sheets: [(&str, &[&[&str]]); 3] = [
        (
            "survey",
            &[
                &[
                    "type",
                    "name",
                    "label::English (en)",
                    "label::Hindi (hi)",
                    "media::image",
                    "media::audio::English (en)",
                    "media::audio::Hindi (hi)",
                ],
                &[
                    "select_one yn",
                    "heard",
                    "Have you heard the radio drama?",
                    "क्या आपने रेडियो नाटक सुना है?",
                    "radio.png",
                    "heard-en.wav",
                    "heard-hi.wav",
                ],
            ],
        ),
        (
            "choices",
            &[
                &[
                    "list_name",
                    "name",
                    "label::English (en)",
                    "label::Hindi (hi)",
                ],
                &["yn", "yes", "Yes", "हाँ"],
                &["yn", "no", "No", "नहीं"],
            ],
        ),
        (
            "settings",
            &[
                &["form_id", "form_title", "version"],
                &["radio_kap", "Radio drama KAP", "1"],
            ],
        ),
    ];
    let form = dir.join("radio_kap.xlsx");
    write_workbook(&form, &sheets)?;
    let media = dir.join("radio_kap-media");
    std::fs::create_dir(&media)?;
    std::fs::write(media.join("radio.png"), PICTURE)?;
    std::fs::write(media.join("heard-en.wav"), silence())?;
    std::fs::write(media.join("heard-hi.wav"), silence())?;
    Ok(form)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_question_shows_its_picture_and_plays_the_audio_prompt_of_the_form_language(
) -> anyhow::Result<()> {
    let forms = tempfile::tempdir()?;
    let form = form_with_media(forms.path())?;
    let app = FieldApp::with_form(&form).await?;
    let client = app.client.clone();
    let outcome = within("a question with media", async {
        click(
            &client,
            r#".form-card[data-form-id="radio_kap"] .start-interview"#,
        )
        .await?;
        on_screen(&client, "/data/heard").await?;
        // The picture is served from the device store and decodes.
        let deadline = tokio::time::Instant::now() + fieldline_e2e::TIMEOUT;
        loop {
            let width = client
                .execute(
                    "const img = document.querySelector('img.media-image'); \
                     return img && img.complete ? img.naturalWidth : 0;",
                    vec![],
                )
                .await?;
            if width == 8 {
                break;
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "the question's picture never loaded (width {width})"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let audio = find(&client, "audio.media-audio").await?;
        let file = audio.attr("data-file").await?.unwrap_or_default();
        anyhow::ensure!(
            file == "heard-en.wav",
            "the English audio prompt is {file:?}"
        );
        // The recording is served too: the webview reads its length (a tenth of a second).
        let deadline = tokio::time::Instant::now() + fieldline_e2e::TIMEOUT;
        loop {
            let duration = client
                .execute(
                    "const a = document.querySelector('audio.media-audio'); \
                     a.preload = 'auto'; \
                     return a.error ? 'error ' + a.error.code + ' ' + a.error.message \
                         : (isFinite(a.duration) ? a.duration : 0);",
                    vec![],
                )
                .await?;
            let Some(duration) = duration.as_f64() else {
                anyhow::bail!("the webview could not play the audio prompt: {duration}");
            };
            if (duration - 0.1).abs() < 0.01 {
                break;
            }
            if tokio::time::Instant::now() >= deadline {
                let state = client
                    .execute(
                        "const a = document.querySelector('audio.media-audio'); \
                         return [a.readyState, a.networkState, String(a.error && a.error.code)];",
                        vec![],
                    )
                    .await?;
                anyhow::bail!("the audio prompt never loaded (duration {duration}, state {state})");
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        save_screenshot(&client, "interview-media.png").await?;
        // The respondent's language brings its own recording.
        find(&client, "#form-language")
            .await?
            .select_by_value("Hindi (hi)")
            .await?;
        wait_text(
            &client,
            r#".question[data-path="/data/heard"] .question-label"#,
            "क्या आपने रेडियो नाटक सुना है?",
        )
        .await?;
        let file = find(&client, "audio.media-audio")
            .await?
            .attr("data-file")
            .await?
            .unwrap_or_default();
        anyhow::ensure!(file == "heard-hi.wav", "the Hindi audio prompt is {file:?}");
        anyhow::Ok(())
    })
    .await;
    app.close().await?;
    outcome
}
