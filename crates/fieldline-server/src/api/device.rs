//! What enrolled devices call: their campaign's rounds, submissions, their status and
//! attachments (see the protocol in `fieldline_protocol`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use fieldline_form::instance::Plan;
use fieldline_form::Form;
use fieldline_protocol::{
    DeviceStatus, Envelope, ItemResult, Outcome, PayloadEncoding, RoundForm, RoundsPage,
    SubmitBatch, SubmitReply, PAGE_BYTES, UPLOAD_COMPLETE, UPLOAD_OFFSET,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{bytes_of, ApiError, AppState, Body};
use crate::auth::DeviceAuth;
use crate::storage::{Device, Incoming, Round};

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

#[derive(Deserialize)]
pub struct After {
    #[serde(default)]
    after: i64,
}

/// `GET /api/v1/device/rounds?after=CURSOR`.
pub async fn rounds(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
    Query(After { after }): Query<After>,
) -> Result<Json<RoundsPage>, ApiError> {
    let storage = &state.storage;
    let page = storage
        .rounds_after(&device.campaign_id, after, PAGE_BYTES)
        .await?;
    let cursor = page.last().map_or(after, |(round, _)| round.seq.max(after));
    let more = storage
        .rounds(&device.campaign_id)
        .await?
        .iter()
        .any(|round| round.seq > cursor);
    let rounds = page
        .into_iter()
        .map(|(round, xlsform)| RoundForm {
            round_id: round.id,
            round_name: round.name,
            form_id: round.form_id,
            form_version: round.form_version,
            title: round.title,
            file_name: round.file_name,
            sha256: round.sha256,
            xlsform: BASE64.encode(xlsform),
        })
        .collect();
    Ok(Json(RoundsPage {
        rounds,
        cursor,
        more,
    }))
}

/// `GET /api/v1/device/status`.
pub async fn status(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
) -> Result<Json<DeviceStatus>, ApiError> {
    Ok(Json(device_status(&state, &device).await?))
}

async fn device_status(state: &AppState, device: &Device) -> Result<DeviceStatus, ApiError> {
    let (contiguous_seq, held) = state.storage.device_progress(&device.id).await?;
    Ok(DeviceStatus {
        device_id: device.device_id.clone(),
        contiguous_seq,
        held,
    })
}

/// What a format-1 payload carries that the server checks (see
/// `fieldline_device_store::payload`).
#[derive(Deserialize)]
struct Payload {
    format: u32,
    form_id: String,
    form_version: String,
    instance_id: String,
    device_id: String,
    values: Vec<(String, String)>,
}

/// One item on its way: what storage gets, or the answer without storing it.
enum Checked {
    Store(Box<Incoming>),
    Retry(String),
}

/// `POST /api/v1/device/submissions`.
pub async fn submissions(
    State(state): State<AppState>,
    DeviceAuth(device): DeviceAuth,
    Body(batch): Body<SubmitBatch>,
) -> Result<Json<SubmitReply>, ApiError> {
    let mut checked = Vec::with_capacity(batch.items.len());
    let mut to_validate = Vec::new();
    for (index, envelope) in batch.items.iter().enumerate() {
        let (item, validate) = check_envelope(&state, &device, envelope).await?;
        if let Some(job) = validate {
            to_validate.push((index, job));
        }
        checked.push(item);
    }
    // The form engine is CPU work: off the async workers.
    let rejections = tokio::task::spawn_blocking(move || {
        to_validate
            .into_iter()
            .filter_map(|(index, (plan, values))| {
                fieldline_interview::check_submission(plan, &values)
                    .err()
                    .map(|reason| (index, reason))
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    for (index, reason) in rejections {
        if let Checked::Store(item) = &mut checked[index] {
            item.rejection = Some(reason);
        }
    }
    // Attachments are needed only for what would be accepted.
    for (item, envelope) in checked.iter_mut().zip(&batch.items) {
        if let Checked::Store(incoming) = item {
            if incoming.rejection.is_none() {
                if let Some(reason) = missing_attachment(&state, envelope).await? {
                    *item = Checked::Retry(reason);
                }
            }
        }
    }
    let mut reasons = Vec::new();
    let mut to_store = Vec::new();
    for item in &checked {
        if let Checked::Store(incoming) = item {
            reasons.push(incoming.rejection.clone());
            to_store.push((**incoming).clone());
        }
    }
    let outcomes = if to_store.is_empty() {
        Vec::new()
    } else {
        state.storage.store_submissions(to_store).await?
    };
    let mut outcomes = outcomes.into_iter().zip(reasons);
    let mut results = Vec::with_capacity(checked.len());
    for (item, envelope) in checked.into_iter().zip(&batch.items) {
        let (outcome, reason) = match item {
            Checked::Retry(reason) => (Outcome::Retry, Some(reason)),
            Checked::Store(_) => {
                let (outcome, rejection) = outcomes.next().ok_or_else(|| {
                    ApiError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "the storage answered fewer items than it was given",
                    )
                })?;
                let reason = match outcome {
                    Outcome::Rejected => rejection,
                    Outcome::Conflict => Some(
                        "the server already holds a submission with this instance id and \
                         different content; this one is kept aside for review"
                            .to_string(),
                    ),
                    Outcome::Accepted | Outcome::Duplicate | Outcome::Retry => None,
                };
                (outcome, reason)
            }
        };
        results.push(ItemResult {
            instance_id: envelope.instance_id.clone(),
            outcome,
            reason,
        });
    }
    let status = device_status(&state, &device).await?;
    Ok(Json(SubmitReply { results, status }))
}

type Validation = (Arc<Plan>, Vec<(String, String)>);

/// Checks an envelope: its hash, its round, its payload's identity. Returns what to store (with
/// a rejection when something is wrong) and, for a `json` payload to validate, the form and the
/// values.
async fn check_envelope(
    state: &AppState,
    device: &Device,
    envelope: &Envelope,
) -> Result<(Checked, Option<Validation>), ApiError> {
    let mut rejection = None;
    let payload = match BASE64.decode(&envelope.payload) {
        Ok(bytes) => bytes,
        Err(_) => {
            rejection = Some("the payload is not base64".to_string());
            Vec::new()
        }
    };
    if rejection.is_none() && sha256_hex(&payload) != envelope.sha256.to_ascii_lowercase() {
        rejection = Some("the payload does not match its SHA-256".to_string());
    }
    let round = state
        .storage
        .round_for_form(
            &device.campaign_id,
            &envelope.form_id,
            &envelope.form_version,
        )
        .await?;
    if round.is_none() && rejection.is_none() {
        rejection = Some(format!(
            "form {} version {} is not published in this campaign",
            envelope.form_id, envelope.form_version
        ));
    }
    let mut validation = None;
    if let (None, Some((round, definition)), PayloadEncoding::Json) =
        (&rejection, &round, envelope.encoding)
    {
        match read_payload(&payload, envelope, device) {
            Err(reason) => rejection = Some(reason),
            Ok(values) => match plan(state, round, definition) {
                Ok(plan) => validation = Some((plan, values)),
                Err(reason) => rejection = Some(reason),
            },
        }
    }
    let attachments = serde_json::to_string(&envelope.attachments)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let incoming = Incoming {
        device: device.id.clone(),
        instance_id: envelope.instance_id.clone(),
        device_seq: envelope.device_seq,
        form_id: envelope.form_id.clone(),
        form_version: envelope.form_version.clone(),
        round_id: round.map(|(round, _)| round.id),
        sha256: envelope.sha256.to_ascii_lowercase(),
        encoding: envelope.encoding,
        payload,
        attachments,
        rejection,
    };
    Ok((Checked::Store(Box::new(incoming)), validation))
}

/// The values of a format-1 payload that names this envelope and device.
fn read_payload(
    bytes: &[u8],
    envelope: &Envelope,
    device: &Device,
) -> Result<Vec<(String, String)>, String> {
    let payload: Payload = serde_json::from_slice(bytes)
        .map_err(|e| format!("the payload is not a format-1 JSON submission: {e}"))?;
    if payload.format != 1 {
        return Err(format!(
            "payload format {} is not known to this server (it reads format 1)",
            payload.format
        ));
    }
    if payload.instance_id != envelope.instance_id
        || payload.form_id != envelope.form_id
        || payload.form_version != envelope.form_version
    {
        return Err(
            "the payload names another instance id, form or version than its envelope".into(),
        );
    }
    if payload.device_id != device.device_id {
        return Err(format!(
            "the payload was written by device {}, not by this enrolled device ({})",
            payload.device_id, device.device_id
        ));
    }
    Ok(payload.values)
}

/// The compiled form of a round, compiled once per round.
fn plan(state: &AppState, round: &Round, definition: &str) -> Result<Arc<Plan>, String> {
    if let Some(plan) = lock(state).get(&round.id) {
        return Ok(plan.clone());
    }
    let form: Form = serde_json::from_str(definition).map_err(|e| {
        tracing::error!(round = %round.id, error = %e, "a round's stored form does not load");
        format!(
            "the server cannot read the form of round {}; tell the campaign's administrator",
            round.name
        )
    })?;
    let plan = Arc::new(Plan::new(Arc::new(form)));
    lock(state).insert(round.id.clone(), plan.clone());
    Ok(plan)
}

fn lock(state: &AppState) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Plan>>> {
    // A panic while holding the cache leaves only complete entries behind.
    state
        .plans
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Why an item must wait: an attachment it lists that the server does not hold whole.
async fn missing_attachment(
    state: &AppState,
    envelope: &Envelope,
) -> Result<Option<String>, ApiError> {
    for attachment in &envelope.attachments {
        let held = state
            .storage
            .attachment_offset(&attachment.sha256.to_ascii_lowercase())
            .await?;
        if !matches!(held, Some((_, true))) {
            return Ok(Some(format!(
                "the attachment {} ({}) is not on the server yet; upload it, then send this \
                 submission again",
                attachment.name, attachment.sha256
            )));
        }
    }
    Ok(None)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn valid_sha256(sha256: &str) -> Result<(), ApiError> {
    if sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(ApiError::not_found(
            "an attachment is named by the lowercase hex SHA-256 of its bytes",
        ))
    }
}

/// The upload headers: bytes held, and `Upload-Complete: 1` once whole.
fn upload_headers(offset: i64, complete: bool) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(UPLOAD_OFFSET, HeaderValue::from(offset));
    if complete {
        headers.insert(UPLOAD_COMPLETE, HeaderValue::from_static("1"));
    }
    headers
}

/// `HEAD /api/v1/device/attachments/{sha256}`: the bytes held so far (404 when none).
pub async fn attachment_offset(
    State(state): State<AppState>,
    DeviceAuth(_device): DeviceAuth,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    valid_sha256(&sha256)?;
    match state.storage.attachment_offset(&sha256).await? {
        Some((offset, complete)) => Ok((upload_headers(offset, complete), ()).into_response()),
        None => Ok((StatusCode::NOT_FOUND, upload_headers(0, false)).into_response()),
    }
}

/// `PATCH /api/v1/device/attachments/{sha256}` with `Upload-Offset: N` and the bytes from N on.
/// The whole is checked against its SHA-256 before the last bytes are kept: bytes that make it
/// whole complete it; a request saying it ends the file (`Upload-Complete: 1`) whose bytes do
/// not hash right is discarded with 422.
pub async fn attachment_append(
    State(state): State<AppState>,
    DeviceAuth(_device): DeviceAuth,
    Path(sha256): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    valid_sha256(&sha256)?;
    let (offset, last) = {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().to_owned())
        };
        let offset: Option<i64> = header(UPLOAD_OFFSET)
            .and_then(|v| v.parse().ok())
            .filter(|&n: &i64| n >= 0);
        (offset, header(UPLOAD_COMPLETE).as_deref() == Some("1"))
    };
    let offset = offset.ok_or_else(|| {
        ApiError::bad_request("send Upload-Offset: the number of bytes the server holds")
    })?;
    let storage = &state.storage;
    let (held, complete) = storage
        .attachment_offset(&sha256)
        .await?
        .unwrap_or((0, false));
    let wrong_offset = |held: i64, complete: bool| {
        let mut error = ApiError::new(
            StatusCode::CONFLICT,
            format!("the server holds {held} bytes of this attachment; continue from there"),
        );
        for (name, value) in upload_headers(held, complete) {
            if let Some(name) = name {
                error = error.with_header(name, value);
            }
        }
        error
    };
    if offset != held {
        return Err(wrong_offset(held, complete));
    }
    let chunk = bytes_of(request, &()).await?;
    if complete {
        return Ok((StatusCode::NO_CONTENT, upload_headers(held, true)).into_response());
    }
    let mut whole = Sha256::new();
    if held > 0 {
        whole.update(storage.attachment(&sha256).await?.unwrap_or_default());
    }
    whole.update(&chunk);
    let hashes_right = whole
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        == sha256;
    if last && !hashes_right {
        // Some bytes, held before or sent now, are not the file's: start the upload again.
        storage.discard_attachment(&sha256).await?;
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the bytes sent do not hash to the attachment's SHA-256; the server discarded them: \
             send the whole file again from offset 0",
        )
        .with_header(
            UPLOAD_OFFSET.parse().expect("a header name"),
            HeaderValue::from(0),
        ));
    }
    let length = match storage.append_attachment(&sha256, offset, &chunk).await {
        Ok(length) => length,
        Err(crate::storage::StorageError::Conflict(_)) => {
            // Another upload of the same file got there first.
            let (held, complete) = storage
                .attachment_offset(&sha256)
                .await?
                .unwrap_or((0, false));
            return Err(wrong_offset(held, complete));
        }
        Err(e) => return Err(e.into()),
    };
    if hashes_right {
        storage.complete_attachment(&sha256).await?;
    }
    Ok((StatusCode::NO_CONTENT, upload_headers(length, hashes_right)).into_response())
}
