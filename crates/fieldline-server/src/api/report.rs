//! `GET /api/v1/campaigns/{campaign}/report?by=COL&by=COL&cluster=COL&weight=COL&format=json|html|xlsx`:
//! baseline (the round named `baseline`) against endline (`endline`) for every indicator of the
//! baseline's form, computed by `fieldline_analysis` over the rows `fieldline_export` makes of the
//! stored payloads: each round is written as the CSV `fieldline analyze` reads into a bounded
//! channel that the analysis reads on another thread, so no round is held whole.
//!
//! Who sees what: everyone who reads the campaign. The campaign's managers (and admins) get
//! every organization's submissions; a partner's people get a report of their own
//! organization's submissions only, as every listing restricts them (the JSON says
//! `"reach": "organization"`, and the html and xlsx carry the same numbers). A partner learns
//! how its own fieldwork moved the indicators, never another partner's data.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fieldline_analysis::view::{report_view, DataReach};
use fieldline_analysis::{analyze, read_round, render, Analysis, Round, Spec};
use fieldline_export::CsvWriter;

use super::export::{attachment, file_name};
use super::rows::{channel, ChannelReader, RoundSource};
use super::{ApiError, AppState};
use crate::access::{Access, Reach};
use crate::auth::PersonAuth;

pub async fn report(
    State(state): State<AppState>,
    PersonAuth(user): PersonAuth,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let campaign = state.storage.campaign(&id).await?;
    let reach = Access::of(&user).read(campaign.as_ref())?;
    let campaign = campaign.ok_or_else(ApiError::no_campaign)?;
    if !state.storage.campaign_recipients(&id).await?.is_empty() {
        // Computing from what is readable would be an empty report that looks like no
        // fieldwork: say why there is none instead.
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "the campaign {:?} is end-to-end encrypted: the server cannot read its answers; \
                 compute the report with the campaign's key: fieldline analyze --campaign {:?} \
                 --identity fieldline-identity.txt",
                campaign.name, campaign.name
            ),
        ));
    }
    let mut by = Vec::new();
    let (mut cluster, mut weight, mut format) = (None, None, "json".to_string());
    for (key, value) in query {
        let value = value.trim().to_string();
        match key.as_str() {
            "by" if !value.is_empty() => {
                if !by.contains(&value) {
                    by.push(value)
                }
            }
            "cluster" if !value.is_empty() => cluster = Some(value),
            "weight" if !value.is_empty() => weight = Some(value),
            "format" => format = value,
            "by" | "cluster" | "weight" => {}
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown parameter {other:?}: the report takes by, cluster, weight and format"
                )))
            }
        }
    }
    if !["json", "html", "xlsx"].contains(&format.as_str()) {
        return Err(ApiError::bad_request(format!(
            "format {format:?} is not one of json, html, xlsx"
        )));
    }
    let baseline = RoundSource::open(&state.storage, &campaign, &reach, "baseline").await?;
    let endline = RoundSource::open(&state.storage, &campaign, &reach, "endline").await?;
    // A breakdown shows each value as a group's label: a sensitive field's values are as
    // identifying there as in an export, so the same people may ask for them.
    let sensitive = by.iter().chain(&cluster).chain(&weight).find(|name| {
        [&baseline.form, &endline.form].into_iter().any(|form| {
            form.find(name)
                .or_else(|| form.by_path(name))
                .is_some_and(|node| form.is_sensitive(node))
        })
    });
    if let Some(name) = sensitive {
        Access::of(&user).read_sensitive_fields().map_err(|_| {
            ApiError::forbidden(format!(
                "the form marks {name:?} sensitive: a viewer's report is not broken down, \
                 clustered or weighted by it; ask a partner-admin or manager"
            ))
        })?;
    }
    let spec = Spec {
        by,
        cluster,
        weight,
        panel_id: None,
        now_millis: now_millis(),
    };
    let analysis = Analysis::new(baseline.form.clone(), spec.clone())
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let analysis = Arc::new(analysis);
    let (b, e) = tokio::join!(
        read(analysis.clone(), Arc::new(baseline)),
        read(analysis.clone(), Arc::new(endline))
    );
    let ((baseline_round, baseline), (endline_round, _)) = (b?, e?);
    let report = analyze(&analysis, &baseline_round, &endline_round);
    let stem = [campaign.name.as_str(), "report"];
    match format.as_str() {
        "html" => Ok((
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    attachment(&file_name(&stem, "html")),
                ),
            ],
            render::html(&report),
        )
            .into_response()),
        "xlsx" => {
            let bytes = render::xlsx(&report)
                .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
            Ok((
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static(
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        ),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        attachment(&file_name(&stem, "xlsx")),
                    ),
                ],
                bytes,
            )
                .into_response())
        }
        _ => {
            let reach = match reach {
                Reach::All => DataReach::All,
                Reach::Organization(_) => DataReach::Organization,
            };
            let view = report_view(&report, &baseline.form, &baseline.layout, reach, &spec);
            Ok(Json(view).into_response())
        }
    }
}

/// One round read through the analysis: a blocking thread writes its CSV into a channel, another
/// reads it. Answers the round and its source back.
async fn read(
    analysis: Arc<Analysis>,
    source: Arc<RoundSource>,
) -> Result<(Round, Arc<RoundSource>), ApiError> {
    let (out, rx) = channel();
    let handle = tokio::runtime::Handle::current();
    let writing = source.clone();
    let writer = tokio::task::spawn_blocking(move || {
        let mut out = out;
        let result = CsvWriter::new(&mut out, &writing.layout)
            .and_then(|csv| writing.write_all(&handle, Box::new(csv)));
        match result {
            Ok(_) => drop(out),
            Err(e) => out.fail(e.to_string()),
        }
    });
    let name = source.round.name.clone();
    let reader =
        tokio::task::spawn_blocking(move || read_round(&analysis, &name, ChannelReader::new(rx)));
    let (written, read) = tokio::join!(writer, reader);
    written.map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let round = read
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok((round, source))
}

/// `now()` and `today()` in an indicator read the time of the report.
fn now_millis() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_millis() as f64)
}
