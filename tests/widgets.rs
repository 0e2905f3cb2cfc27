//! Every kind of question an enumerator answers, through its widget in the real app, down to
//! the value the outbox holds; and a constraint message in the form language chosen.

use std::path::Path;

use anyhow::Context as _;
use fantoccini::Client;
use fieldline_e2e::steps;
use fieldline_e2e::steps::{
    centre, click, find, message_is, on_screen, outbox_payloads, start_interview_of, type_answer,
    write_workbook, PICTURE,
};
use fieldline_e2e::{save_screenshot, wait_text, within, FieldApp};

/// One field-list screen with a question of each kind.
fn widgets_form(dir: &Path) -> anyhow::Result<std::path::PathBuf> {
    let survey: &[&[&str]] = &[
        &[
            "type",
            "name",
            "label",
            "appearance",
            "parameters",
            "required",
        ],
        &["begin_group", "w", "All the widgets", "field-list", "", ""],
        &["note", "intro", "Answer every question below.", "", "", ""],
        &["text", "respondent", "Name", "", "", "yes"],
        &["text", "remarks", "Remarks", "multiline", "", ""],
        &["integer", "members", "Household members", "", "", ""],
        &["decimal", "income", "Monthly income", "", "", ""],
        &[
            "range",
            "trust",
            "Trust in the police",
            "",
            "start=1 end=5 step=1",
            "",
        ],
        &["date", "birth", "Date of birth", "", "", ""],
        &[
            "date",
            "left_home",
            "Month they left home",
            "month-year",
            "",
            "",
        ],
        &["time", "woke", "Time of waking", "", "", ""],
        &["dateTime", "visit", "Visit", "", "", ""],
        &["rank needs", "needs", "Rank the needs", "", "", ""],
        &[
            "acknowledge",
            "read_out",
            "The consent text was read out",
            "",
            "",
            "",
        ],
        &["geopoint", "home", "Home", "", "", ""],
        &["image", "house", "Photo of the house", "", "", ""],
        &["end_group", "", "", "", "", ""],
    ];
    let choices: &[&[&str]] = &[
        &["list_name", "name", "label"],
        &["needs", "roads", "Roads"],
        &["needs", "water", "Water"],
        &["needs", "schools", "Schools"],
    ];
    let settings: &[&[&str]] = &[
        &["form_id", "form_title", "version"],
        &["widgets", "Every widget", "1"],
    ];
    let form = dir.join("widgets.xlsx");
    write_workbook(
        &form,
        &[
            ("survey", survey),
            ("choices", choices),
            ("settings", settings),
        ],
    )?;
    Ok(form)
}

fn in_question(path: &str, css: &str) -> String {
    format!(r#".question[data-path="{path}"] {css}"#)
}

async fn pick(client: &Client, path: &str, css: &str, value: &str) -> anyhow::Result<()> {
    let select = find(client, &in_question(path, css)).await?;
    centre(client, &select).await?;
    select
        .select_by_value(value)
        .await
        .with_context(|| format!("choosing {value} in {css} of {path}"))?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn every_widget_gives_the_value_odk_would_store() -> anyhow::Result<()> {
    let forms = tempfile::tempdir()?;
    let form = widgets_form(forms.path())?;
    let app = FieldApp::with_form(&form).await?;
    let client = app.client.clone();
    let outcome = within("answering every widget", async {
        start_interview_of(&client, "widgets").await?;
        on_screen(&client, "/data/w").await?;
        wait_text(
            &client,
            &in_question("/data/w/intro", ".question-label"),
            "Answer every question below.",
        )
        .await?;
        type_answer(&client, "/data/w/respondent", "Meena Kumari").await?;
        type_answer(&client, "/data/w/remarks", "Lives near the brick kiln, with her aunt").await?;
        type_answer(&client, "/data/w/members", "6").await?;
        type_answer(&client, "/data/w/income", "1250.5").await?;
        // A slider: set as a finger would leave it.
        client
            .execute(
                r#"const r = document.querySelector('.question[data-path="/data/w/trust"] input[type=range]');
                   r.value = '4'; r.dispatchEvent(new Event('change', { bubbles: true }));"#,
                vec![],
            )
            .await
            .context("moving the slider")?;
        pick(&client, "/data/w/birth", ".date-2", "14").await?;
        pick(&client, "/data/w/birth", ".date-1", "07").await?;
        pick(&client, "/data/w/birth", ".date-0", "1990").await?;
        pick(&client, "/data/w/left_home", ".date-1", "03").await?;
        pick(&client, "/data/w/left_home", ".date-0", "2024").await?;
        pick(&client, "/data/w/woke", ".time-hour", "05").await?;
        pick(&client, "/data/w/woke", ".time-minute", "30").await?;
        pick(&client, "/data/w/visit", ".date-2", "20").await?;
        pick(&client, "/data/w/visit", ".date-1", "11").await?;
        pick(&client, "/data/w/visit", ".date-0", "2026").await?;
        pick(&client, "/data/w/visit", ".time-of-day", "09:15").await?;
        click(
            &client,
            &in_question("/data/w/needs", r#".rank-item[data-value="water"] .rank-up"#),
        )
        .await?;
        click(&client, &in_question("/data/w/read_out", ".choice")).await?;
        find(&client, &in_question("/data/w/read_out", r#".choice[aria-checked="true"]"#))
            .await?;
        for (css, text) in [(".geo-latitude", "26.45"), (".geo-longitude", "87.27")] {
            let input = find(&client, &in_question("/data/w/home", css)).await?;
            input.send_keys(text).await?;
            input.send_keys("\u{E004}").await?;
        }
        let photo = forms.path().join("house.PNG");
        std::fs::write(&photo, PICTURE)?;
        find(&client, &in_question("/data/w/house", ".capture-input"))
            .await?
            .send_keys(&photo.display().to_string())
            .await?;
        // Kept by the store, named by it, and shown back from the bytes.
        find(&client, &in_question("/data/w/house", "img.answer-photo")).await?;
        save_screenshot(&client, "interview-widgets.png").await?;
        click(&client, "#next").await?;
        on_screen(&client, "#end").await?;
        click(&client, "#finalize").await?;
        find(&client, "#finalized").await?;
        anyhow::Ok(())
    })
    .await;
    app.close().await?;
    outcome?;

    let payloads = outbox_payloads(app.data_dir.path())?;
    anyhow::ensure!(payloads.len() == 1, "outbox holds {} items", payloads.len());
    let values: Vec<(String, String)> = payloads[0]["values"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|pair| {
            (
                pair[0].as_str().unwrap_or_default().to_owned(),
                pair[1].as_str().unwrap_or_default().to_owned(),
            )
        })
        .filter(|(path, _)| path.starts_with("/data/w/"))
        .collect();
    // ODK's naming: milliseconds since 1970 and the original extension, lowercased.
    let photo_name = values
        .iter()
        .find(|(p, _)| p == "/data/w/house")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    anyhow::ensure!(
        photo_name.len() == 17 && photo_name.ends_with(".png"),
        "the photo is named {photo_name:?}"
    );
    let kept: Vec<u8> = steps::database(app.data_dir.path())?.query_row(
        "SELECT bytes FROM outbox_attachment WHERE name = ?1",
        [&photo_name],
        |row| row.get(0),
    )?;
    anyhow::ensure!(
        kept == PICTURE,
        "the outbox holds other bytes for the photo"
    );
    let expected: Vec<(String, String)> = [
        ("/data/w/intro", ""),
        ("/data/w/respondent", "Meena Kumari"),
        (
            "/data/w/remarks",
            "Lives near the brick kiln, with her aunt",
        ),
        ("/data/w/members", "6"),
        ("/data/w/income", "1250.5"),
        ("/data/w/trust", "4"),
        ("/data/w/birth", "1990-07-14"),
        ("/data/w/left_home", "2024-03-01"),
        ("/data/w/woke", "05:30:00"),
        ("/data/w/visit", "2026-11-20T09:15:00"),
        ("/data/w/needs", "water roads schools"),
        ("/data/w/read_out", "OK"),
        ("/data/w/home", "26.45 87.27 0.0 0.0"),
        ("/data/w/house", photo_name.as_str()),
    ]
    .iter()
    .map(|(p, v)| (p.to_string(), v.to_string()))
    .collect();
    anyhow::ensure!(values == expected, "the widgets gave {values:#?}");
    Ok(())
}

/// A question in two languages whose constraint message is translated.
fn bilingual_form(dir: &Path) -> anyhow::Result<std::path::PathBuf> {
    let survey: &[&[&str]] = &[
        &[
            "type",
            "name",
            "label::English (en)",
            "label::Hindi (hi)",
            "constraint",
            "constraint_message::English (en)",
            "constraint_message::Hindi (hi)",
        ],
        &[
            "integer",
            "children",
            "Children in the household",
            "घर में बच्चे",
            ". < 20",
            "Fewer than 20, please",
            "20 से कम लिखें",
        ],
    ];
    let settings: &[&[&str]] = &[
        &["form_id", "form_title", "version", "default_language"],
        &["bilingual", "Two languages", "1", "English (en)"],
    ];
    let form = dir.join("bilingual.xlsx");
    write_workbook(&form, &[("survey", survey), ("settings", settings)])?;
    Ok(form)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_constraint_message_speaks_the_form_language_chosen_now() -> anyhow::Result<()> {
    let forms = tempfile::tempdir()?;
    let form = bilingual_form(forms.path())?;
    let app = FieldApp::with_form(&form).await?;
    let client = app.client.clone();
    let outcome = within("a message in two languages", async {
        start_interview_of(&client, "bilingual").await?;
        on_screen(&client, "/data/children").await?;
        type_answer(&client, "/data/children", "25").await?;
        message_is(&client, "/data/children", "Fewer than 20, please").await?;
        // The respondent prefers Hindi: the message already shown follows the language.
        find(&client, "#form-language")
            .await?
            .select_by_value("Hindi (hi)")
            .await?;
        message_is(&client, "/data/children", "20 से कम लिखें").await?;
        save_screenshot(&client, "constraint-hindi.png").await?;
        anyhow::Ok(())
    })
    .await;
    app.close().await?;
    outcome
}
