//! People and their access: `GET /api/v1/users` lists the people within the caller's reach;
//! `POST /api/v1/users/{user}/disable` and `.../enable` take an account's access away (its
//! sessions end at once) or give it back; `PUT /api/v1/users/{user}/role` changes a role. The
//! rules are [`Access::people`], [`Access::manage_user`] and [`Access::grant`]; every change is
//! audited.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use fieldline_protocol::{Named, Role};
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState, Body, ClientAddress};
use crate::access::Access;
use crate::auth::PersonAuth;
use crate::storage::{AuditAction, Id, NewAuditEvent, User};

/// A person as the dashboard lists them (never their password hash).
#[derive(Debug, Serialize)]
pub struct UserView {
    pub id: Id,
    pub email: String,
    pub role: Role,
    pub organization: Named,
    pub disabled: bool,
}

/// `GET /api/v1/users`.
pub async fn users(
    State(state): State<AppState>,
    PersonAuth(user): PersonAuth,
) -> Result<Json<Vec<UserView>>, ApiError> {
    let within = Access::of(&user).people()?;
    let organizations = state.storage.organizations().await?;
    let people = state.storage.users(within.as_deref()).await?;
    Ok(Json(
        people
            .into_iter()
            .map(|person| {
                let name = organizations
                    .iter()
                    .find(|o| o.id == person.organization_id)
                    .map_or_else(|| person.organization_id.clone(), |o| o.name.clone());
                UserView {
                    organization: Named {
                        id: person.organization_id,
                        name,
                    },
                    id: person.id,
                    email: person.email,
                    role: person.role,
                    disabled: person.disabled,
                }
            })
            .collect(),
    ))
}

/// `POST /api/v1/users/{user}/disable`.
pub async fn disable(
    state: State<AppState>,
    person: PersonAuth,
    client: ClientAddress,
    path: Path<Id>,
) -> Result<StatusCode, ApiError> {
    set_disabled(state, person, client, path, true).await
}

/// `POST /api/v1/users/{user}/enable`.
pub async fn enable(
    state: State<AppState>,
    person: PersonAuth,
    client: ClientAddress,
    path: Path<Id>,
) -> Result<StatusCode, ApiError> {
    set_disabled(state, person, client, path, false).await
}

async fn set_disabled(
    State(state): State<AppState>,
    PersonAuth(user): PersonAuth,
    ClientAddress(client): ClientAddress,
    Path(id): Path<Id>,
    disabled: bool,
) -> Result<StatusCode, ApiError> {
    let found = state.storage.user(&id).await?;
    let target = Access::of(&user).manage_user(found.as_ref())?;
    state
        .storage
        .set_user_disabled(&target.id, disabled, target.role)
        .await?;
    let action = if disabled {
        AuditAction::UserDisabled
    } else {
        AuditAction::UserEnabled
    };
    audit(&state, &user, client, action, describe(target)).await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct RoleRequest {
    pub role: Role,
}

/// `PUT /api/v1/users/{user}/role` with `{"role": "viewer"}`.
pub async fn set_role(
    State(state): State<AppState>,
    PersonAuth(user): PersonAuth,
    ClientAddress(client): ClientAddress,
    Path(id): Path<Id>,
    Body(request): Body<RoleRequest>,
) -> Result<StatusCode, ApiError> {
    let found = state.storage.user(&id).await?;
    let access = Access::of(&user);
    let target = access.manage_user(found.as_ref())?;
    access.grant(request.role)?;
    state
        .storage
        .set_user_role(&target.id, request.role, target.role)
        .await?;
    let subject = format!(
        "{}: {} -> {}",
        describe(target),
        target.role.as_str(),
        request.role.as_str()
    );
    audit(&state, &user, client, AuditAction::RoleChanged, subject).await;
    Ok(StatusCode::NO_CONTENT)
}

fn describe(person: &User) -> String {
    format!("{} (organization {})", person.email, person.organization_id)
}

async fn audit(
    state: &AppState,
    actor: &User,
    client: Option<std::net::IpAddr>,
    action: AuditAction,
    subject: String,
) {
    super::audit(
        state,
        NewAuditEvent {
            action,
            actor: actor.email.clone(),
            campaign_id: None,
            subject,
            client: client.map(|c| c.to_string()),
        },
    )
    .await;
}
