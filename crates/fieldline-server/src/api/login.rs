//! Signing in and out.
//!
//! - `POST /api/v1/login` (scripts): email and password give a session token to send as
//!   `Authorization: Bearer`, valid for 12 hours.
//! - `POST /api/v1/session` (the dashboard): the same check, but the session goes into an
//!   `HttpOnly` cookie and the answer carries only the CSRF token, so no script on the page ever
//!   holds the session.
//! - `GET /api/v1/session`: who is signed in, with the CSRF token again (after a reload).
//! - `DELETE /api/v1/session`: signs out; the session ends on the server at once.
//!
//! Both sign-ins are rate limited ([`crate::login_limit`]) and audited, successes and failures.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fieldline_protocol::{LoggedIn, LoginRequest, Named, Role};
use serde::Serialize;

use super::{ApiError, AppState, Body, ClientAddress};
use crate::auth::{check_origin, session_expiry, SignedIn};
use crate::secrets::{csrf_token_for, hash_password, new_token, token_hash, verify_password};
use crate::storage::{AuditAction, NewAuditEvent, Organization, User};

/// A browser session as the dashboard sees it: who is signed in and the CSRF token its changes
/// must carry. Never the session token itself.
#[derive(Debug, Serialize)]
pub struct SessionView {
    pub email: String,
    pub role: Role,
    pub organization: Named,
    /// Send it as `X-CSRF-Token` with every POST, PUT, PATCH or DELETE.
    pub csrf_token: String,
}

/// `POST /api/v1/login`: a session token for scripts.
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    Body(request): Body<LoginRequest>,
) -> Result<Json<LoggedIn>, ApiError> {
    let (user, organization) = check_credentials(&state, client, request, "a script").await?;
    let token = open_session(&state, &user).await?;
    Ok(Json(LoggedIn {
        token,
        role: user.role,
        organization: named(organization),
    }))
}

/// `POST /api/v1/session`: signs in to the dashboard with a session cookie.
pub async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    Body(request): Body<LoginRequest>,
) -> Result<Response, ApiError> {
    // A cross-site page must not sign a visitor in to an account of its choosing.
    if headers.contains_key(header::ORIGIN) {
        check_origin(&headers, state.transport)?;
    }
    let (user, organization) = check_credentials(&state, client, request, "the dashboard").await?;
    let token = open_session(&state, &user).await?;
    let view = SessionView {
        email: user.email,
        role: user.role,
        organization: named(organization),
        csrf_token: csrf_token_for(&token),
    };
    Ok((
        [(header::SET_COOKIE, state.transport.session_cookie(&token))],
        Json(view),
    )
        .into_response())
}

/// `GET /api/v1/session`: the signed-in person (a bearer session has no CSRF token to give).
pub async fn session(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Json<SessionView>, ApiError> {
    let organization = state
        .storage
        .organization(&signed_in.user.organization_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("your organization is gone; sign in again"))?;
    Ok(Json(SessionView {
        email: signed_in.user.email,
        role: signed_in.user.role,
        organization: named(organization),
        csrf_token: signed_in.csrf_token.unwrap_or_default(),
    }))
}

/// `DELETE /api/v1/session`: signs out; the session token (cookie or bearer) stops working now.
pub async fn sign_out(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    signed_in: SignedIn,
) -> Result<Response, ApiError> {
    state.storage.delete_session(&signed_in.token_hash).await?;
    super::audit(
        &state,
        NewAuditEvent {
            action: AuditAction::SignOut,
            actor: signed_in.user.email,
            campaign_id: None,
            subject: String::new(),
            client: client.map(|c| c.to_string()),
        },
    )
    .await;
    let mut response = StatusCode::NO_CONTENT.into_response();
    if signed_in.csrf_token.is_some() {
        response
            .headers_mut()
            .insert(header::SET_COOKIE, state.transport.expired_cookie());
    }
    Ok(response)
}

fn named(organization: Organization) -> Named {
    Named {
        id: organization.id,
        name: organization.name,
    }
}

/// The user an email and password name, refused alike for an unknown email or a wrong password,
/// and with 429 while the email or the client must wait. Every outcome is audited.
async fn check_credentials(
    state: &AppState,
    client: Option<std::net::IpAddr>,
    request: LoginRequest,
    through: &str,
) -> Result<(User, Organization), ApiError> {
    let email = request.email.trim().to_string();
    let audit = |action, subject: String| NewAuditEvent {
        action,
        actor: email.clone(),
        campaign_id: None,
        subject,
        client: client.map(|c| c.to_string()),
    };
    if let Some(wait) = state.login_limiter.wait(&email, client, Instant::now()) {
        super::audit(
            state,
            audit(
                AuditAction::SignInRefused,
                format!("{through}: too many failed sign-ins, told to wait"),
            ),
        )
        .await;
        let seconds = wait.as_secs().max(1);
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "too many failed sign-ins for this email or from this address; try again in \
                 {seconds} seconds"
            ),
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from(seconds)));
    }
    let user = state.storage.user_by_email(&email).await?;
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
    let found = match user.filter(|_| matches) {
        Some(user) => state
            .storage
            .organization(&user.organization_id)
            .await?
            .map(|organization| (user, organization)),
        None => None,
    };
    let Some((user, organization)) = found else {
        state.login_limiter.failed(&email, client, Instant::now());
        super::audit(
            state,
            audit(
                AuditAction::SignInRefused,
                format!("{through}: wrong email or password"),
            ),
        )
        .await;
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "this email and password do not match a user here",
        ));
    };
    state.login_limiter.succeeded(&email);
    if user.disabled {
        // Said only to someone who knows the password: it tells them whom to ask.
        super::audit(
            state,
            audit(
                AuditAction::SignInRefused,
                format!("{through}: the account is disabled"),
            ),
        )
        .await;
        return Err(ApiError::forbidden(
            "this account is disabled; ask an admin of your organization to enable it",
        ));
    }
    super::audit(
        state,
        audit(
            AuditAction::SignIn,
            format!("{through} as {}", user.role.as_str()),
        ),
    )
    .await;
    Ok((user, organization))
}

/// A new session for `user`, whose password was just verified; its token. The account may have
/// been disabled or its password replaced while the password was being checked (argon2 takes a
/// while): both end the account's sessions, so a session made before them is ended by them, and
/// one made after them is found here, ended and refused.
async fn open_session(state: &AppState, user: &User) -> Result<String, ApiError> {
    let token = new_token();
    let hash = token_hash(&token);
    state
        .storage
        .create_session(&user.id, &hash, &session_expiry())
        .await?;
    let now = state.storage.user(&user.id).await?;
    match now {
        Some(now) if !now.disabled && now.password_hash == user.password_hash => Ok(token),
        _ => {
            state.storage.delete_session(&hash).await?;
            Err(ApiError::unauthorized(
                "this account changed while signing in (disabled, or a new password); sign in \
                 again",
            ))
        }
    }
}

/// A hash no password matches, verified in place of an unknown user's.
fn stand_in_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password(&crate::secrets::new_token()))
}
