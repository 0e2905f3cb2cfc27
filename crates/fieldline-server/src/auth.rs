//! Who is calling: a device by its token, a person by their session.
//!
//! - **Devices** send `Authorization: Bearer TOKEN`. The token is random, stored hashed, and
//!   looked up on every request, so a revoked device is refused from its next request on.
//! - **People in the dashboard** hold their session in an `HttpOnly`, `SameSite=Strict` cookie
//!   (`Secure`, with the `__Host-` prefix, when the server is reached over HTTPS): no script on
//!   the page can read it. A request that changes something (any method but GET and HEAD) with
//!   that cookie must also carry the session's CSRF token in `X-CSRF-Token` (compared in
//!   constant time) and an `Origin` naming this server; a cross-site page can send the cookie's
//!   request but can neither read the token nor forge the `Origin`.
//! - **Scripts** sign in with `POST /api/v1/login` and send the session token as a bearer token.
//!   A browser never attaches an `Authorization` header on its own, so a bearer session cannot
//!   be ridden by a cross-site request and needs no CSRF token.
//!
//! The storage holds only the tokens' SHA-256, so a token is found by its hash and never
//! compared in clear.

use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, Method};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::api::{ApiError, AppState};
use crate::secrets::{csrf_token_for, same_secret, token_hash};
use crate::storage::{Device, User};

/// How long a session lasts after signing in.
pub const SESSION_HOURS: i64 = 12;

/// The header a browser session's state-changing requests carry their CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the server is reached, which decides the session cookie's attributes and HSTS.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Transport {
    /// Browsers reach the server over HTTPS (its own TLS, or a proxy in front terminating it):
    /// the cookie is `Secure` with the `__Host-` prefix, the `Origin` expected is `https://`,
    /// and responses carry `Strict-Transport-Security`.
    pub https: bool,
}

impl Transport {
    /// The session cookie's name. `__Host-` makes the browser refuse the cookie unless it is
    /// `Secure`, for this host only and for every path, so a sibling subdomain cannot plant one.
    pub fn cookie_name(self) -> &'static str {
        if self.https {
            "__Host-fieldline-session"
        } else {
            "fieldline-session"
        }
    }

    /// `Set-Cookie` for a new session. Over plain HTTP (`cargo xtask run`, the tests, on
    /// loopback) the cookie cannot be `Secure`: browsers other than Chromium, and every
    /// scripted client, would then never send it back over `http://`.
    pub fn session_cookie(self, token: &str) -> HeaderValue {
        let secure = if self.https { "; Secure" } else { "" };
        let value = format!(
            "{}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            self.cookie_name(),
            SESSION_HOURS * 3600
        );
        HeaderValue::from_str(&value).expect("a token is URL-safe base64, valid in a header")
    }

    /// `Set-Cookie` that makes the browser forget the session (signing out).
    pub fn expired_cookie(self) -> HeaderValue {
        let secure = if self.https { "; Secure" } else { "" };
        let value = format!(
            "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}",
            self.cookie_name()
        );
        HeaderValue::from_str(&value).expect("a fixed cookie is a valid header")
    }
}

/// An enrolled device that is not revoked.
#[derive(Debug, Clone)]
pub struct DeviceAuth(pub Device);

/// A signed-in person (by bearer token or by the dashboard's session cookie).
#[derive(Debug, Clone)]
pub struct PersonAuth(pub User);

/// A signed-in person with the session they used: what signing out ends.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    /// The session token's hash, as stored.
    pub token_hash: String,
    /// The CSRF token, for a session held in a cookie (`None` for a bearer token).
    pub csrf_token: Option<String>,
}

/// The bearer token of a request, if it carries one.
fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The value of the cookie `name`, if the request carries it.
fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, value)| *key == name && !value.is_empty())
        .map(|(_, value)| value)
}

/// Whether a method may change something (and so needs CSRF protection with a cookie).
fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The `Origin` this server's own pages send: the scheme it is reached by and the `Host` asked
/// for. `None` without a `Host`.
fn own_origin(headers: &HeaderMap, transport: Transport) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let scheme = if transport.https { "https" } else { "http" };
    Some(format!("{scheme}://{host}"))
}

/// Refuses a request whose `Origin` is missing or another site's. Browsers send `Origin` with
/// every request but GET and HEAD, same-origin ones included, so a missing one is not a
/// browser on this server's page.
pub fn check_origin(headers: &HeaderMap, transport: Transport) -> Result<(), ApiError> {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    match (origin, own_origin(headers, transport)) {
        (Some(origin), Some(own)) if origin.eq_ignore_ascii_case(&own) => Ok(()),
        (Some(origin), _) => Err(ApiError::forbidden(format!(
            "this request comes from another site ({origin}); sign in on this server's own \
             dashboard"
        ))),
        (None, _) => Err(ApiError::forbidden(
            "a request signed in by cookie must say where it comes from (Origin); scripts \
             sign in with POST /api/v1/login and send Authorization: Bearer instead",
        )),
    }
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
        // Only for the coordinator's view: a failure to note it must not fail the sync.
        if state.device_visit_due(&device.id) {
            if let Err(err) = state.storage.device_seen(&device.id).await {
                tracing::warn!(device = %device.id, "could not record the device's visit: {err}");
            }
        }
        Ok(DeviceAuth(device))
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Authenticated once already for this request (by a layer that audits it).
        if let Some(signed_in) = parts.extensions.get::<SignedIn>() {
            return Ok(signed_in.clone());
        }
        let (token, by_cookie) = match bearer(parts) {
            Some(token) => (token, false),
            None => match cookie(&parts.headers, state.transport.cookie_name()) {
                Some(token) => (token, true),
                None => {
                    return Err(ApiError::unauthorized(
                        "sign in first: in the dashboard, or with POST /api/v1/login and the \
                         session token as Authorization: Bearer",
                    ))
                }
            },
        };
        let csrf_token = by_cookie.then(|| csrf_token_for(token));
        if let Some(expected) = &csrf_token {
            if changes_state(&parts.method) {
                check_origin(&parts.headers, state.transport)?;
                let presented = parts
                    .headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                if !same_secret(presented, expected) {
                    return Err(ApiError::forbidden(
                        "this change lacks the session's CSRF token (X-CSRF-Token); reload the \
                         dashboard and try again",
                    ));
                }
            }
        }
        let token_hash = token_hash(token);
        let user = state
            .storage
            .session_user(&token_hash, &timestamp(OffsetDateTime::now_utc()))
            .await?
            .ok_or_else(|| {
                ApiError::unauthorized("your session has ended or is not known; sign in again")
            })?;
        let signed_in = SignedIn {
            user,
            token_hash,
            csrf_token,
        };
        parts.extensions.insert(signed_in.clone());
        Ok(signed_in)
    }
}

impl FromRequestParts<AppState> for PersonAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let SignedIn { user, .. } = SignedIn::from_request_parts(parts, state).await?;
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
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; theme=dark"));
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("fieldline-session=tok_en; b=2"),
        );
        assert_eq!(cookie(&headers, "fieldline-session"), Some("tok_en"));
        assert_eq!(cookie(&headers, "__Host-fieldline-session"), None);
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("fieldline-session="),
        );
        assert_eq!(cookie(&headers, "fieldline-session"), None);
    }

    #[test]
    fn cookies_are_http_only_strict_and_secure_over_https() {
        let plain = Transport { https: false }.session_cookie("t");
        assert_eq!(
            plain,
            "fieldline-session=t; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200"
        );
        let tls = Transport { https: true }.session_cookie("t");
        assert_eq!(
            tls,
            "__Host-fieldline-session=t; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure"
        );
        let gone = Transport { https: true }.expired_cookie();
        assert!(gone.to_str().unwrap().contains("Max-Age=0"));
    }

    #[test]
    fn only_this_servers_own_origin_passes() {
        let headers = |origin: Option<&'static str>| {
            let mut h = HeaderMap::new();
            h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
            if let Some(o) = origin {
                h.insert(header::ORIGIN, HeaderValue::from_static(o));
            }
            h
        };
        let plain = Transport { https: false };
        assert!(check_origin(&headers(Some("http://127.0.0.1:8080")), plain).is_ok());
        for refused in [
            Some("http://evil.example"),
            Some("https://127.0.0.1:8080"),
            Some("null"),
            None,
        ] {
            let err = check_origin(&headers(refused), plain).unwrap_err();
            assert_eq!(err.status, axum::http::StatusCode::FORBIDDEN, "{refused:?}");
        }
        assert!(check_origin(
            &headers(Some("https://127.0.0.1:8080")),
            Transport { https: true }
        )
        .is_ok());
    }

    #[test]
    fn sessions_end_twelve_hours_later() {
        let end = OffsetDateTime::parse(&session_expiry(), &Rfc3339).unwrap();
        let hours = (end - OffsetDateTime::now_utc()).whole_minutes() as f64 / 60.0;
        assert!((11.9..=12.0).contains(&hours), "{hours}");
    }
}
