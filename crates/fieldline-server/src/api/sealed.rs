//! `GET /api/v1/campaigns/{campaign}/rounds/{name}/sealed[?after=SEQ]`: an end-to-end encrypted
//! round's stored submissions as they were received, for the dashboard to open in the browser
//! with the manager's key (which never reaches the server). A page of at most [`PAGE`]
//! submissions within the person's reach, in the order received, each with `instance_id`,
//! `device`, `received_at`, `encoding` (`age`, or `json` for one sent readable) and `payload`
//! (base64), with the round's form (as the server stores it, which is also what binds each
//! sealed payload: its id and version) and `next_after`, the `after` of the next page while
//! there may be more. Only one page is in memory at a time, however large the round.
//!
//! A campaign that is not end-to-end encrypted is refused (409): its report and exports are
//! computed on the server, and raw payloads would bypass the exports' omission of sensitive
//! fields.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use base64::Engine as _;
use fieldline_form::Form;
use serde::{Deserialize, Serialize};

use super::rows::RoundSource;
use super::{ApiError, AppState};
use crate::access::Access;
use crate::auth::PersonAuth;
use crate::storage::PayloadEncoding;

/// Submissions read from the storage, and answered, at a time.
pub const PAGE: usize = 500;

#[derive(Debug, Deserialize)]
pub struct SealedQuery {
    /// The `next_after` of the previous page; the first page without it.
    after: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct SealedPage {
    pub round: String,
    pub form_id: String,
    pub form_version: String,
    pub form: Form,
    pub submissions: Vec<SealedSubmission>,
    /// Where the next page starts; absent on the last page.
    pub next_after: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct SealedSubmission {
    pub instance_id: String,
    pub device: String,
    pub received_at: String,
    /// `age` (sealed to the campaign's keys) or `json`.
    pub encoding: &'static str,
    /// The stored bytes, base64 (standard alphabet, padded).
    pub payload: String,
}

pub async fn sealed(
    State(state): State<AppState>,
    PersonAuth(user): PersonAuth,
    Path((id, name)): Path<(String, String)>,
    Query(query): Query<SealedQuery>,
) -> Result<Json<SealedPage>, ApiError> {
    let campaign = state.storage.campaign(&id).await?;
    let reach = Access::of(&user).read(campaign.as_ref())?;
    let campaign = campaign.ok_or_else(ApiError::no_campaign)?;
    if state.storage.campaign_recipients(&id).await?.is_empty() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "the campaign {:?} is not end-to-end encrypted: its report and exports are \
                 computed by the server (/report, /rounds/{{name}}/export)",
                campaign.name
            ),
        ));
    }
    let source = RoundSource::open(&state.storage, &campaign, &reach, &name).await?;
    let after = query.after.unwrap_or(0);
    let page = state
        .storage
        .round_payloads_after(&source.round.id, after, PAGE)
        .await?;
    // A full page may have more behind it; the reach filter below does not change that.
    let next_after = match page.last() {
        Some(last) if page.len() == PAGE => Some(last.seq),
        _ => None,
    };
    let base64 = base64::engine::general_purpose::STANDARD;
    let submissions = page
        .into_iter()
        .filter(|item| {
            source
                .devices
                .as_ref()
                .is_none_or(|devices| devices.contains_key(&item.device))
        })
        .map(|item| SealedSubmission {
            encoding: match item.encoding {
                PayloadEncoding::Age => "age",
                PayloadEncoding::Json => "json",
            },
            payload: base64.encode(&item.payload),
            instance_id: item.instance_id,
            device: item.device,
            received_at: item.received_at,
        })
        .collect();
    Ok(Json(SealedPage {
        round: source.round.name,
        form_id: source.round.form_id,
        form_version: source.round.form_version,
        form: source.form,
        submissions,
        next_after,
    }))
}
