//! HTTP routes: the sync protocol v1 under `/api/v1` (see `fieldline_protocol`), the API people
//! use, and the dashboard's pages.
//!
//! Every route is declared once, in [`table`]: the router is built from it and [`routes`] lists
//! it, so the permission test can tell when a route has no row.
//!
//! Bodies are JSON. Requests may be gzip-compressed (`Content-Encoding: gzip`) and answers are
//! compressed for clients that accept gzip. A request body may be at most
//! [`MAX_REQUEST_BYTES`] on the wire and again once decompressed, so a small body that expands
//! without end (a decompression bomb) is refused with 413 after reading at most that much.

mod dashboard;
mod device;
mod enroll;
mod export;
mod health;
mod login;
mod people;
mod progress;
mod report;
mod rows;
mod sampling;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::{Json, Router};
use fieldline_form::instance::Plan;
use fieldline_protocol::MAX_REQUEST_BYTES;
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;

use crate::storage::{Storage, StorageError};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub storage: Arc<dyn Storage>,
    /// Compiled forms by round id: a round's form never changes, so it is compiled once.
    pub plans: Arc<Mutex<HashMap<String, Arc<Plan>>>>,
}

impl AppState {
    pub fn new(storage: Arc<dyn Storage>) -> Self {
        Self {
            storage,
            plans: Arc::default(),
        }
    }
}

/// One route: method, path and handler.
struct Route {
    method: Method,
    path: &'static str,
    handler: MethodRouter<AppState>,
}

/// A route answering `method` only (and HEAD for GET, as HTTP has it).
fn route<H, T>(method: Method, path: &'static str, handler: H) -> Route
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone()).expect("a standard method");
    Route {
        method,
        path,
        handler: on(filter, handler),
    }
}

/// Every route of the server.
fn table() -> Vec<Route> {
    vec![
        route(Method::GET, "/", dashboard::home),
        route(Method::GET, "/assets/dashboard.css", dashboard::css),
        route(Method::GET, "/assets/dashboard.js", dashboard::js),
        route(
            Method::GET,
            "/assets/fieldline_dashboard.js",
            dashboard::glue,
        ),
        route(
            Method::GET,
            "/assets/fieldline_dashboard_bg.wasm",
            dashboard::wasm,
        ),
        route(Method::GET, "/api/v1/health", health::health),
        route(Method::POST, "/api/v1/login", login::login),
        route(Method::POST, "/api/v1/enroll", enroll::enroll),
        route(Method::GET, "/api/v1/device/rounds", device::rounds),
        route(
            Method::POST,
            "/api/v1/device/submissions",
            device::submissions,
        ),
        route(Method::GET, "/api/v1/device/status", device::status),
        route(
            Method::HEAD,
            "/api/v1/device/attachments/{sha256}",
            device::attachment_offset,
        ),
        route(
            Method::PATCH,
            "/api/v1/device/attachments/{sha256}",
            device::attachment_append,
        ),
        route(Method::GET, "/api/v1/campaigns", people::campaigns),
        route(
            Method::GET,
            "/api/v1/campaigns/{campaign}",
            people::campaign,
        ),
        route(
            Method::GET,
            "/api/v1/campaigns/{campaign}/submissions",
            people::submissions,
        ),
        route(
            Method::GET,
            "/api/v1/campaigns/{campaign}/set-aside",
            people::set_aside,
        ),
        route(
            Method::GET,
            "/api/v1/campaigns/{campaign}/devices",
            people::devices,
        ),
        route(
            Method::POST,
            "/api/v1/campaigns/{campaign}/devices/{device}/revoke",
            people::revoke_device,
        ),
        route(
            Method::POST,
            "/api/v1/campaigns/{campaign}/enrollment-codes",
            people::enrollment_codes,
        ),
        route(
            Method::GET,
            "/api/v1/campaigns/{campaign}/progress",
            progress::progress,
        ),
        route(
            Method::GET,
            "/api/v1/campaigns/{campaign}/report",
            report::report,
        ),
        route(
            Method::GET,
            "/api/v1/campaigns/{campaign}/rounds/{name}/export",
            export::export,
        ),
    ]
}

/// Every route the server answers, as (method, path with `{parameters}`).
pub fn routes() -> Vec<(Method, &'static str)> {
    table().into_iter().map(|r| (r.method, r.path)).collect()
}

/// The whole application.
pub fn router(storage: Arc<dyn Storage>) -> Router {
    let mut router = Router::new();
    for Route { path, handler, .. } in table() {
        router = router.route(path, handler);
    }
    router
        .with_state(AppState::new(storage))
        // The decompressed body: extractors read at most this much.
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .layer(RequestDecompressionLayer::new().gzip(true))
        // The body on the wire.
        .layer(RequestBodyLimitLayer::new(MAX_REQUEST_BYTES))
        .layer(CompressionLayer::new().gzip(true))
        .layer(axum::middleware::map_response(security_headers))
}

/// Headers every response carries: the dashboard shows data about people at risk, so nothing may
/// frame it, sniff its types or leak its addresses to third parties; nothing is cached.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            // The dashboard is wasm: compiling it needs 'wasm-unsafe-eval' (and nothing else
            // beyond 'self': no inline scripts or styles, no other origins).
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; frame-ancestors 'none'; \
             base-uri 'none'; form-action 'self'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// An error as the API reports it: a status and a JSON body ([`fieldline_protocol::ApiError`])
/// with a message for people.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Extra headers (the current offset of an attachment, a `WWW-Authenticate`).
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            headers: Vec::new(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    }

    pub fn no_campaign() -> Self {
        Self::not_found("there is no such campaign, or it is not yours to see")
    }

    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }
}

impl From<StorageError> for ApiError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::Conflict(message) => Self::new(StatusCode::CONFLICT, message),
            StorageError::NotFound(message) => Self::not_found(message),
            StorageError::Backend(_) => {
                tracing::error!(error = %err, "storage error");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the server's database is unavailable; try again shortly",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(fieldline_protocol::ApiError {
                error: self.message,
            }),
        )
            .into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// A JSON body, with a refusal in words (and 413 for one too large) instead of axum's own text.
pub struct Body<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for Body<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let bytes = bytes_of(req, state).await?;
        serde_json::from_slice(&bytes).map(Body).map_err(|e| {
            ApiError::bad_request(format!(
                "the request body is not what this endpoint takes: {e}"
            ))
        })
    }
}

/// The (decompressed) request body, at most [`MAX_REQUEST_BYTES`].
pub async fn bytes_of<S: Send + Sync>(
    req: axum::extract::Request,
    state: &S,
) -> Result<axum::body::Bytes, ApiError> {
    use axum::extract::FromRequest;
    axum::body::Bytes::from_request(req, state)
        .await
        .map_err(|rejection| {
            let status = rejection.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    status,
                    format!(
                        "the request is larger than {} MiB once decompressed; send less at once",
                        MAX_REQUEST_BYTES / (1024 * 1024)
                    ),
                )
            } else {
                ApiError::new(
                    status,
                    format!(
                        "the request body could not be read: {}",
                        rejection.body_text()
                    ),
                )
            }
        })
}
