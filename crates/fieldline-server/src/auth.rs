//! Who is calling: a device by its token, a person by their session token. Both arrive as
//! `Authorization: Bearer TOKEN`; the storage holds only the tokens' SHA-256, so a token is found
//! by its hash and never compared in clear.

use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::api::{ApiError, AppState};
use crate::secrets::token_hash;
use crate::storage::{Device, User};

/// How long a session lasts after signing in.
pub const SESSION_HOURS: i64 = 12;

/// An enrolled device that is not revoked.
#[derive(Debug, Clone)]
pub struct DeviceAuth(pub Device);

/// A signed-in person.
#[derive(Debug, Clone)]
pub struct PersonAuth(pub User);

/// The bearer token of a request, if it carries one.
fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl FromRequestParts<AppState> for DeviceAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or_else(|| {
            ApiError::unauthorized(
                "this is for enrolled devices: send the device token as Authorization: Bearer",
            )
        })?;
        let device = state
            .storage
            .device_by_token(&token_hash(token))
            .await?
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "this device token is not known here; enroll the device with a new code",
                )
            })?;
        if device.revoked {
            return Err(ApiError::unauthorized(
                "this device was revoked; ask your coordinator for a new enrollment code",
            ));
        }
        Ok(DeviceAuth(device))
    }
}

impl FromRequestParts<AppState> for PersonAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or_else(|| {
            ApiError::unauthorized("sign in first (POST /api/v1/login) and send the session token")
        })?;
        let user = state
            .storage
            .session_user(&token_hash(token), &timestamp(OffsetDateTime::now_utc()))
            .await?
            .ok_or_else(|| {
                ApiError::unauthorized("your session has ended or is not known; sign in again")
            })?;
        Ok(PersonAuth(user))
    }
}

/// RFC 3339, UTC, to the millisecond, as the storage keeps times.
pub fn timestamp(at: OffsetDateTime) -> String {
    let millis = at.millisecond();
    at.replace_millisecond(millis)
        .unwrap_or(at)
        .format(&Rfc3339)
        .expect("a UTC time within years 0-9999 formats as RFC 3339")
}

/// When a session started now ends.
pub fn session_expiry() -> String {
    timestamp(OffsetDateTime::now_utc() + time::Duration::hours(SESSION_HOURS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(authorization: Option<&str>) -> Parts {
        let mut req = Request::builder();
        if let Some(value) = authorization {
            req = req.header(header::AUTHORIZATION, value);
        }
        req.body(()).unwrap().into_parts().0
    }

    #[test]
    fn only_bearer_tokens_are_taken() {
        assert_eq!(bearer(&parts(Some("Bearer abc"))), Some("abc"));
        assert_eq!(bearer(&parts(Some("bearer  abc "))), Some("abc"));
        assert_eq!(bearer(&parts(Some("Basic abc"))), None);
        assert_eq!(bearer(&parts(Some("Bearer "))), None);
        assert_eq!(bearer(&parts(None)), None);
    }

    #[test]
    fn sessions_end_twelve_hours_later() {
        let end = OffsetDateTime::parse(&session_expiry(), &Rfc3339).unwrap();
        let hours = (end - OffsetDateTime::now_utc()).whole_minutes() as f64 / 60.0;
        assert!((11.9..=12.0).contains(&hours), "{hours}");
    }
}
