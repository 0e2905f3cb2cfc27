//! `POST /api/v1/login`: a person signs in with email and password and gets a session token
//! valid for 12 hours.

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use fieldline_protocol::{LoggedIn, LoginRequest, Named};

use super::{ApiError, AppState, Body};
use crate::auth::session_expiry;
use crate::secrets::{hash_password, new_token, token_hash, verify_password};

pub async fn login(
    State(state): State<AppState>,
    Body(request): Body<LoginRequest>,
) -> Result<Json<LoggedIn>, ApiError> {
    let refused = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "this email and password do not match a user here",
        )
    };
    let user = state.storage.user_by_email(request.email.trim()).await?;
    // An unknown email costs the same argon2 verification as a wrong password, so the time an
    // answer takes does not tell which emails have accounts.
    let phc = match &user {
        Some(user) => user.password_hash.clone(),
        None => stand_in_hash().to_string(),
    };
    let password = request.password;
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let user = user.filter(|_| matches).ok_or_else(refused)?;
    let organization = state
        .storage
        .organization(&user.organization_id)
        .await?
        .ok_or_else(refused)?;
    let token = new_token();
    state
        .storage
        .create_session(&user.id, &token_hash(&token), &session_expiry())
        .await?;
    Ok(Json(LoggedIn {
        token,
        role: user.role,
        organization: Named {
            id: organization.id,
            name: organization.name,
        },
    }))
}

/// A hash no password matches, verified in place of an unknown user's.
fn stand_in_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password(&crate::secrets::new_token()))
}
