//! What signed-in people call: campaigns, their submissions and what was kept aside, devices,
//! revoking a device and making enrollment codes. Who may do what is decided in
//! [`crate::access`] alone.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState, Body, ClientAddress};
use crate::access::{Access, Reach};
use crate::auth::PersonAuth;
use crate::secrets::{enrollment_code_hash, new_enrollment_code};
use crate::storage::{
    AuditAction, Campaign, Device, Id, NewAuditEvent, Round, SetAside, Submission, SubmissionFilter,
};

/// Most enrollment codes made at once.
const MAX_CODES: u32 = 500;

/// A campaign as a person sees it.
#[derive(Debug, Serialize)]
pub struct CampaignView {
    pub id: Id,
    pub name: String,
    pub owner_id: Id,
    /// The partners within the person's reach (all of them for the campaign's managers).
    pub partner_ids: Vec<Id>,
    /// `all` or `organization` (only the person's organization's devices and submissions).
    pub reach: &'static str,
    pub rounds: Vec<RoundView>,
}

#[derive(Debug, Serialize)]
pub struct RoundView {
    pub id: Id,
    pub name: String,
    pub form_id: String,
    pub form_version: String,
    pub title: String,
    pub published_at: String,
}

impl From<Round> for RoundView {
    fn from(r: Round) -> Self {
        Self {
            id: r.id,
            name: r.name,
            form_id: r.form_id,
            form_version: r.form_version,
            title: r.title,
            published_at: r.published_at,
        }
    }
}

async fn view(
    state: &AppState,
    campaign: &Campaign,
    reach: &Reach,
) -> Result<CampaignView, ApiError> {
    let rounds = state.storage.rounds(&campaign.id).await?;
    Ok(CampaignView {
        id: campaign.id.clone(),
        name: campaign.name.clone(),
        owner_id: campaign.owner_id.clone(),
        partner_ids: Access::visible_partners(reach, campaign),
        reach: match reach {
            Reach::All => "all",
            Reach::Organization(_) => "organization",
        },
        rounds: rounds.into_iter().map(RoundView::from).collect(),
    })
}

/// `GET /api/v1/campaigns`: the campaigns within reach.
pub async fn campaigns(
    State(state): State<AppState>,
    PersonAuth(user): PersonAuth,
) -> Result<Json<Vec<CampaignView>>, ApiError> {
    let access = Access::of(&user);
    let mut views = Vec::new();
    for campaign in state.storage.campaigns().await? {
        if let Some(reach) = access.campaign(&campaign) {
            views.push(view(&state, &campaign, &reach).await?);
        }
    }
    Ok(Json(views))
}

/// `GET /api/v1/campaigns/{campaign}`.
pub async fn campaign(
    State(state): State<AppState>,
    PersonAuth(user): PersonAuth,
    Path(id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    let campaign = state.storage.campaign(&id).await?;
    let reach = Access::of(&user).read(campaign.as_ref())?;
    let campaign = campaign.ok_or_else(ApiError::no_campaign)?;
    Ok(Json(view(&state, &campaign, &reach).await?))
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// Only this round (by name).
    round: Option<String>,
}

async fn filter(
    state: &AppState,
    user: &crate::storage::User,
    id: &str,
    query: ListQuery,
) -> Result<SubmissionFilter, ApiError> {
    let campaign = state.storage.campaign(id).await?;
    let reach = Access::of(user).read(campaign.as_ref())?;
    Ok(SubmissionFilter {
        campaign_id: id.to_string(),
        round: query.round,
        organization_id: reach.only(),
    })
}

/// `GET /api/v1/campaigns/{campaign}/submissions[?round=NAME]`.
pub async fn submissions(
    State(state): State<AppState>,
    PersonAuth(user): PersonAuth,
    Path(id): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<Submission>>, ApiError> {
    let filter = filter(&state, &user, &id, query).await?;
    Ok(Json(state.storage.submissions(&filter).await?))
}

/// `GET /api/v1/campaigns/{campaign}/set-aside[?round=NAME]`: rejected and conflicting
/// submissions, with their reasons.
pub async fn set_aside(
    State(state): State<AppState>,
    PersonAuth(user): PersonAuth,
    Path(id): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<SetAside>>, ApiError> {
    let filter = filter(&state, &user, &id, query).await?;
    Ok(Json(state.storage.set_aside(&filter).await?))
}

/// A device as people see it: with its organization's name and what the server holds of it,
/// for the dashboard's list.
#[derive(Debug, Serialize)]
pub struct DeviceView {
    #[serde(flatten)]
    pub device: Device,
    pub organization: String,
    /// Submissions the server holds from it (set-aside ones included).
    pub received: i64,
    /// Every submission up to this device sequence number is held; below `received` means a
    /// gap: a submission the device numbered has not arrived.
    pub complete_up_to: i64,
}

/// `GET /api/v1/campaigns/{campaign}/devices`.
pub async fn devices(
    State(state): State<AppState>,
    PersonAuth(user): PersonAuth,
    Path(id): Path<String>,
) -> Result<Json<Vec<DeviceView>>, ApiError> {
    let campaign = state.storage.campaign(&id).await?;
    let reach = Access::of(&user).read(campaign.as_ref())?;
    let devices = state.storage.devices(&id).await?;
    let organizations = state.storage.organizations().await?;
    let name_of = |id: &str| {
        organizations
            .iter()
            .find(|o| o.id == id)
            .map_or_else(|| id.to_string(), |o| o.name.clone())
    };
    let mut views = Vec::new();
    for device in devices
        .into_iter()
        .filter(|d| reach.covers(&d.organization_id))
    {
        let (complete_up_to, received) = state.storage.device_progress(&device.id).await?;
        views.push(DeviceView {
            organization: name_of(&device.organization_id),
            received,
            complete_up_to,
            device,
        });
    }
    Ok(Json(views))
}

/// `POST /api/v1/campaigns/{campaign}/devices/{device}/revoke`: the device's token stops
/// working at once.
pub async fn revoke_device(
    State(state): State<AppState>,
    PersonAuth(user): PersonAuth,
    ClientAddress(client): ClientAddress,
    Path((id, device_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let campaign = state.storage.campaign(&id).await?;
    let reach = Access::of(&user).change_devices(campaign.as_ref())?;
    let campaign = campaign.ok_or_else(ApiError::no_campaign)?;
    let devices = state.storage.devices(&id).await?;
    let device = Access::device(
        &reach,
        &campaign,
        devices.iter().find(|d| d.id == device_id),
    )?;
    state.storage.revoke_device(&device.id).await?;
    tracing::info!(device = %device.id, by = %user.id, "device revoked");
    super::audit(
        &state,
        NewAuditEvent {
            action: AuditAction::DeviceRevoked,
            actor: user.email,
            campaign_id: Some(campaign.id),
            subject: format!(
                "{} ({}, organization {})",
                device.label, device.device_id, device.organization_id
            ),
            client: client.map(|c| c.to_string()),
        },
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct CodesRequest {
    /// The organization whose devices the codes enroll (default: the person's own).
    #[serde(default)]
    organization_id: Option<Id>,
    /// How many (default 1).
    #[serde(default)]
    count: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct Codes {
    pub campaign_id: Id,
    pub organization_id: Id,
    /// Each enrolls one device; shown only now (the server keeps their hashes).
    pub codes: Vec<String>,
}

/// `POST /api/v1/campaigns/{campaign}/enrollment-codes`.
pub async fn enrollment_codes(
    State(state): State<AppState>,
    PersonAuth(user): PersonAuth,
    ClientAddress(client): ClientAddress,
    Path(id): Path<String>,
    Body(request): Body<CodesRequest>,
) -> Result<(StatusCode, Json<Codes>), ApiError> {
    let campaign = state.storage.campaign(&id).await?;
    let access = Access::of(&user);
    let reach = access.change_devices(campaign.as_ref())?;
    let campaign = campaign.ok_or_else(ApiError::no_campaign)?;
    let organization_id =
        access.enrolling_organization(&reach, &campaign, request.organization_id.as_deref())?;
    let count = request.count.unwrap_or(1);
    if count == 0 || count > MAX_CODES {
        return Err(ApiError::bad_request(format!(
            "count must be 1 to {MAX_CODES}"
        )));
    }
    let codes: Vec<String> = (0..count).map(|_| new_enrollment_code()).collect();
    let hashes: Vec<String> = codes.iter().map(|c| enrollment_code_hash(c)).collect();
    state
        .storage
        .create_enrollment_codes(&campaign.id, &organization_id, &hashes)
        .await?;
    super::audit(
        &state,
        NewAuditEvent {
            action: AuditAction::EnrollmentCodes,
            actor: user.email,
            campaign_id: Some(campaign.id.clone()),
            subject: format!("{count} code(s) for organization {organization_id}"),
            client: client.map(|c| c.to_string()),
        },
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(Codes {
            campaign_id: campaign.id,
            organization_id,
            codes,
        }),
    ))
}
