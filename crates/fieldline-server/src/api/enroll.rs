//! `POST /api/v1/enroll`: a device joins a campaign for an organization with a one-time code.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use fieldline_protocol::{EnrollRequest, Enrolled, Named};

use super::{ApiError, AppState, Body};
use crate::secrets::{enrollment_code_hash, new_token, normalize_code, token_hash};
use crate::storage::StorageError;

/// Longest device id and label taken (they are shown in listings).
const MAX_NAME: usize = 200;

pub async fn enroll(
    State(state): State<AppState>,
    Body(request): Body<EnrollRequest>,
) -> Result<(StatusCode, Json<Enrolled>), ApiError> {
    let device_id = request.device_id.trim();
    let label = request.label.trim();
    if device_id.is_empty() || device_id.len() > MAX_NAME || label.len() > MAX_NAME {
        return Err(ApiError::bad_request(format!(
            "device_id must be given and device_id and label at most {MAX_NAME} bytes"
        )));
    }
    if normalize_code(&request.code).is_empty() {
        return Err(ApiError::bad_request(
            "type the enrollment code your coordinator gave you",
        ));
    }
    let token = new_token();
    let device = state
        .storage
        .enroll(
            &enrollment_code_hash(&request.code),
            device_id,
            label,
            &token_hash(&token),
        )
        .await
        .map_err(|e| match e {
            StorageError::NotFound(_) => ApiError::not_found(
                "this enrollment code is not known; check it or ask for a new one",
            ),
            StorageError::Conflict(message) => ApiError::new(StatusCode::CONFLICT, message),
            other => other.into(),
        })?;
    let storage = &state.storage;
    let server = storage.server_info().await?;
    let campaign = storage
        .campaign(&device.campaign_id)
        .await?
        .ok_or_else(ApiError::no_campaign)?;
    let recipients = storage.campaign_recipients(&campaign.id).await?;
    let organization = storage
        .organization(&device.organization_id)
        .await?
        .ok_or_else(|| ApiError::not_found("the code's organization no longer exists"))?;
    Ok((
        StatusCode::CREATED,
        Json(Enrolled {
            device_token: token,
            server_id: server.server_id,
            campaign: Named {
                id: campaign.id,
                name: campaign.name,
            },
            organization: Named {
                id: organization.id,
                name: organization.name,
            },
            recipients,
        }),
    ))
}
