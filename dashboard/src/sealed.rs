//! The report of an end-to-end encrypted campaign, computed in this page: the server cannot read
//! the answers, so the manager gives the page their key file (`fieldline-identity.txt` of
//! `fieldline keys new`). The page reads it, opens both rounds' sealed submissions with it
//! (`/rounds/{name}/sealed`), makes each round the CSV `fieldline analyze` reads (the export's
//! layout) and runs the same analysis and the same view as the server, so the report is the one
//! the server would show. The key is read from the file into memory and dropped once the
//! submissions are open; it is never stored or sent. The opened answers stay in this page's
//! memory until it leaves the report.

use std::rc::Rc;

use base64::Engine as _;
use fieldline_analysis::view::{report_view, DataReach};
use fieldline_analysis::{analyze, read_round, render, Analysis, Spec};
use fieldline_export::{CsvWriter, Layout, PayloadValues, RowWriter};
use fieldline_form::Form;
use fieldline_protocol::dashboard::ReportView;
use fieldline_seal::{Binding, Identity, SealError};
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api::{self, Campaign};
use crate::report_view;

/// The rounds a report compares, by name.
const ROUNDS: [&str; 2] = ["baseline", "endline"];

/// A page of `GET /api/v1/campaigns/{c}/rounds/{name}/sealed`.
#[derive(Deserialize)]
struct SealedPage {
    form_id: String,
    form_version: String,
    form: Form,
    submissions: Vec<SealedSubmission>,
    next_after: Option<i64>,
}

#[derive(Deserialize)]
struct SealedSubmission {
    instance_id: String,
    device: String,
    received_at: String,
    /// `age` (sealed) or `json`.
    encoding: String,
    /// Base64.
    payload: String,
}

/// A round opened: its form and its rows as the CSV its export would be.
struct OpenedRound {
    form: Form,
    csv: Vec<u8>,
}

/// Both rounds opened.
struct Opened {
    baseline: OpenedRound,
    endline: OpenedRound,
}

enum Stage {
    WaitingForKey,
    Working(String),
    Failed(String),
    Open(Rc<Opened>),
}

/// A report computed here: the view and the same report as a self-contained HTML page.
struct Computed {
    view: ReportView,
    html: String,
}

#[derive(Properties, PartialEq)]
pub struct SealedReportProps {
    pub campaign: Campaign,
    pub on_refused: Callback<()>,
}

#[function_component(SealedReport)]
pub fn sealed_report(props: &SealedReportProps) -> Html {
    let stage = use_state(|| Stage::WaitingForKey);
    // Bumped each time the rounds are opened, so the report is computed again.
    let opened_generation = use_state(|| 0u32);
    let by = use_state(String::new);
    let cluster = use_state(String::new);
    let weight = use_state(String::new);
    let download_status = use_state(String::new);
    let opened = match &*stage {
        Stage::Open(opened) => Some(opened.clone()),
        _ => None,
    };
    let reach = if props.campaign.reach == "organization" {
        DataReach::Organization
    } else {
        DataReach::All
    };
    let computed = use_memo(
        (
            *opened_generation,
            (*by).clone(),
            (*cluster).clone(),
            (*weight).clone(),
        ),
        move |(_, by, cluster, weight)| {
            opened.map(|opened| compute(&opened, by, cluster, weight, reach))
        },
    );
    let on_key_file = {
        let (stage, opened_generation) = (stage.clone(), opened_generation.clone());
        let (campaign_id, on_refused) = (props.campaign.id.clone(), props.on_refused.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            // Choosing the same file again (after a wrong one) is a change again.
            input.set_value("");
            let (stage, opened_generation) = (stage.clone(), opened_generation.clone());
            let (campaign_id, on_refused) = (campaign_id.clone(), on_refused.clone());
            spawn_local(async move {
                stage.set(Stage::Working("Reading the key…".into()));
                let identity = match read_identity(&file).await {
                    Ok(identity) => identity,
                    Err(message) => return stage.set(Stage::Failed(message)),
                };
                let progress = {
                    let stage = stage.clone();
                    move |message: String| stage.set(Stage::Working(message))
                };
                match open_rounds(&campaign_id, &identity, &progress, &on_refused).await {
                    Ok(opened) => {
                        opened_generation.set(*opened_generation + 1);
                        stage.set(Stage::Open(Rc::new(opened)));
                    }
                    Err(message) => stage.set(Stage::Failed(message)),
                }
                // The key goes out of scope here: nothing keeps it.
            });
        })
    };
    let key_input = html! {
        <p>
            <label class="primary" for="identity-file">{ "Open with your key" }</label>
            <input id="identity-file" type="file" accept=".txt,text/plain" onchange={on_key_file} />
            <span class="muted">{ " the fieldline-identity.txt that `fieldline keys new` made. It stays in this page: it is not uploaded or saved." }</span>
        </p>
    };
    let explanation = if matches!(&*stage, Stage::Open(_)) {
        " This report was computed in this page from the submissions opened with your key; the server never saw them readable."
    } else {
        " The server stores its submissions sealed and cannot read them, so it cannot compute this report. Open them here with the campaign's key: this page decrypts and computes the report itself."
    };
    let notice = html! {
        <section id="sealed-notice">
            <p><strong>{ "This campaign is end-to-end encrypted." }</strong>{ explanation }</p>
            { key_input }
        </section>
    };
    let body = match (&*stage, computed.as_ref()) {
        (Stage::WaitingForKey, _) => html! {},
        (Stage::Working(message), _) => {
            html! { <p class="muted loading" id="sealed-status">{ message }</p> }
        }
        (Stage::Failed(message), _) => html! { <p class="error" id="sealed-error">{ message }</p> },
        (Stage::Open(_), Some(Err(message))) => {
            html! { <p class="error" id="sealed-error">{ message }</p> }
        }
        (Stage::Open(_), Some(Ok(computed))) => {
            let save = {
                let (status, html) = (download_status.clone(), computed.html.clone());
                let file = format!("{}-report.html", slug(&props.campaign.name));
                Callback::from(move |_| match save_html(&html, &file) {
                    Ok(()) => status.set(format!("Saved {file}")),
                    Err(message) => status.set(format!("{file}: {message}")),
                })
            };
            html! {
                <>
                    { report_view::summary_and_settings(&computed.view, [&by, &cluster, &weight]) }
                    { report_view::indicators(&computed.view) }
                    <section class="downloads">
                        <h3>{ "Downloads" }</h3>
                        <p><button id="download-html" onclick={save}>{ "Report (HTML page)" }</button></p>
                        <p class="muted">{ "Computed in this page from the opened submissions. The Excel report and the rounds' data files are not offered for an encrypted campaign: the server cannot make them and this page does not write them. `fieldline export --identity` and `fieldline analyze --identity` do, on your own machine." }</p>
                        <p class="muted" id="download-status">{ &*download_status }</p>
                    </section>
                </>
            }
        }
        (Stage::Open(_), None) => html! {},
    };
    html! {
        <div id="report" class="sealed">
            { notice }
            { body }
        </div>
    }
}

/// The identity in the chosen file, or why it is not one.
async fn read_identity(file: &web_sys::File) -> Result<Identity, String> {
    let text = JsFuture::from(file.text())
        .await
        .map_err(|e| format!("the file cannot be read: {}", js_text(&e)))?
        .as_string()
        .unwrap_or_default();
    Identity::parse(&text).map_err(|e| e.to_string())
}

/// Both rounds' submissions fetched a page at a time and opened with `identity`, as CSV in
/// memory; `progress` hears how far it is.
async fn open_rounds(
    campaign_id: &str,
    identity: &Identity,
    progress: &impl Fn(String),
    on_refused: &Callback<()>,
) -> Result<Opened, String> {
    let [baseline, endline] = ROUNDS;
    Ok(Opened {
        baseline: open_round(campaign_id, baseline, identity, progress, on_refused).await?,
        endline: open_round(campaign_id, endline, identity, progress, on_refused).await?,
    })
}

async fn open_round(
    campaign_id: &str,
    round: &str,
    identity: &Identity,
    progress: &impl Fn(String),
    on_refused: &Callback<()>,
) -> Result<OpenedRound, String> {
    let base = format!(
        "/api/v1/campaigns/{}/rounds/{}/sealed",
        api::encode(campaign_id),
        api::encode(round)
    );
    let fetch = |path: String| async move {
        api::get_json::<SealedPage>(&path).await.map_err(|f| {
            if f.status == 401 {
                on_refused.emit(());
            }
            format!("the {round} submissions cannot be fetched: {}", f.message)
        })
    };
    progress(format!("Opening the {round} submissions…"));
    let mut page = fetch(base.clone()).await?;
    let form = page.form.clone();
    let layout = Layout::new(&form);
    let mut csv = Vec::new();
    let mut writer = CsvWriter::new(&mut csv, &layout).map_err(|e| e.to_string())?;
    let mut count = 0usize;
    loop {
        for submission in std::mem::take(&mut page.submissions) {
            let values = open_submission(identity, &page, submission)?;
            for row in layout.rows(
                &values.answers.values,
                &values.instance_id,
                &values.device,
                &values.received_at,
            ) {
                writer.write_row(&row).map_err(|e| e.to_string())?;
            }
            count += 1;
        }
        match page.next_after {
            Some(after) => {
                progress(format!("Opening the {round} submissions: {count} opened…"));
                page = fetch(format!("{base}?after={after}")).await?;
            }
            None => break,
        }
    }
    Box::new(writer).finish().map_err(|e| e.to_string())?;
    Ok(OpenedRound { form, csv })
}

/// One submission's answers and where it came from.
struct OpenedSubmission {
    answers: PayloadValues,
    instance_id: String,
    device: String,
    received_at: String,
}

/// Opens a sealed submission (one sent readable is read as it is); a key that is not the
/// campaign's is said so once, in plain words.
fn open_submission(
    identity: &Identity,
    page: &SealedPage,
    submission: SealedSubmission,
) -> Result<OpenedSubmission, String> {
    let id = &submission.instance_id;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&submission.payload)
        .map_err(|e| format!("submission {id}: the server's copy is not base64: {e}"))?;
    let payload = if submission.encoding == "age" {
        let binding = Binding {
            instance_id: id.clone(),
            form_id: page.form_id.clone(),
            form_version: page.form_version.clone(),
        };
        match fieldline_seal::open(identity, &binding, &bytes) {
            Ok(contents) => contents.payload,
            Err(SealError::NotForThisKey) => {
                return Err(format!(
                    "This key cannot open the submissions: they were sealed to the campaign's \
                     keys, and this is not one of them (its public key is {}). Choose the \
                     fieldline-identity.txt made for this campaign.",
                    identity.recipient()
                ))
            }
            Err(e) => return Err(format!("submission {id}: {e}")),
        }
    } else {
        bytes
    };
    let answers = PayloadValues::parse(&payload)
        .map_err(|e| format!("submission {id}: its answers cannot be read: {e}"))?;
    Ok(OpenedSubmission {
        answers,
        instance_id: submission.instance_id,
        device: submission.device,
        received_at: submission.received_at,
    })
}

/// The report with these settings (each a column name, or empty for none), as the server
/// computes it for a readable campaign.
fn compute(
    opened: &Opened,
    by: &str,
    cluster: &str,
    weight: &str,
    reach: DataReach,
) -> Result<Computed, String> {
    let setting = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
    let spec = Spec {
        by: setting(by).into_iter().collect(),
        cluster: setting(cluster),
        weight: setting(weight),
        panel_id: None,
        now_millis: js_sys::Date::now(),
    };
    let form = &opened.baseline.form;
    let analysis = Analysis::new(form.clone(), spec.clone()).map_err(|e| e.to_string())?;
    let [baseline, endline] = ROUNDS;
    let baseline = read_round(&analysis, baseline, opened.baseline.csv.as_slice())
        .map_err(|e| e.to_string())?;
    let endline =
        read_round(&analysis, endline, opened.endline.csv.as_slice()).map_err(|e| e.to_string())?;
    let report = analyze(&analysis, &baseline, &endline);
    Ok(Computed {
        view: report_view(&report, form, &Layout::new(form), reach, &spec),
        html: render::html(&report),
    })
}

/// Saves `html` as a download named `file_name`, from memory: nothing goes to the server.
fn save_html(html: &str, file_name: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&JsValue::from_str(html));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/html;charset=utf-8");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| js_text(&e))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| js_text(&e))?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|e| js_text(&e))?
        .unchecked_into();
    a.set_href(&url);
    a.set_download(file_name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

fn js_text(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| "the browser refused".into())
}

/// A name made for a file: letters and digits, everything else `_`.
fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}
