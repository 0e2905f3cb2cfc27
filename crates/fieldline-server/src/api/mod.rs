//! HTTP routes: the sync protocol v1 under `/api/v1` (see `fieldline_protocol`), the API people
//! use, and the dashboard's pages.
//!
//! Every route is declared once, in [`table`]: the router is built from it and [`routes`] lists
//! it, so the permission test can tell when a route has no row. Who may call what is decided in
//! [`crate::access`]; how callers prove who they are (device tokens, session cookies with CSRF
//! tokens, bearer sessions for scripts) in [`crate::auth`].
//!
//! Bodies are JSON. Requests may be gzip-compressed (`Content-Encoding: gzip`) and answers are
//! compressed for clients that accept gzip. A request body may be at most
//! [`MAX_REQUEST_BYTES`] on the wire and again once decompressed, so a small body that expands
//! without end (a decompression bomb) is refused with 413 after reading at most that much.

mod audit;
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
mod sealed;
mod users;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, Request, State};
use axum::handler::Handler;
use axum::http::{header, request::Parts, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::{Json, Router};
use fieldline_form::instance::Plan;
use fieldline_protocol::MAX_REQUEST_BYTES;
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;

use crate::auth::{SignedIn, Transport};
use crate::login_limit::LoginLimiter;
use crate::storage::{AuditAction, NewAuditEvent, Storage, StorageError};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub storage: Arc<dyn Storage>,
    /// Compiled forms by round id: a round's form never changes, so it is compiled once.
    pub plans: Arc<Mutex<HashMap<String, Arc<Plan>>>>,
    /// How browsers reach the server (the session cookie's attributes, HSTS).
    pub transport: Transport,
    /// Failed sign-ins, to slow down guessing.
    pub login_limiter: Arc<LoginLimiter>,
    /// When this server last noted each device's visit, so that a sync's many requests (each
    /// attachment chunk among them) cost the database one write a minute, not one each.
    pub devices_seen: Arc<Mutex<HashMap<String, std::time::Instant>>>,
}

/// How often a device's visit is written down at most.
pub const DEVICE_SEEN_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

impl AppState {
    pub fn new(storage: Arc<dyn Storage>, transport: Transport) -> Self {
        Self {
            storage,
            plans: Arc::default(),
            transport,
            login_limiter: Arc::default(),
            devices_seen: Arc::default(),
        }
    }

    /// Whether the device's visit should be written now (and, if so, notes that it is).
    pub fn device_visit_due(&self, device_id: &str) -> bool {
        let now = std::time::Instant::now();
        let mut seen = self
            .devices_seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match seen.get(device_id) {
            Some(at) if now.duration_since(*at) < DEVICE_SEEN_EVERY => false,
            _ => {
                seen.insert(device_id.to_owned(), now);
                true
            }
        }
    }
}

/// The address of the client that opened the connection (`None` when the server was not
/// started with connection information, as in some tests). Behind a reverse proxy it is the
/// proxy's.
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
        ))
    }
}

/// Appends an event to the audit log. What it records has already happened (a device is
/// revoked, a sign-in refused), so a failure to record it is logged, not turned into a failure
/// of the action.
pub async fn audit(state: &AppState, event: NewAuditEvent) {
    if let Err(err) = state.storage.record_audit(event.clone()).await {
        tracing::error!(error = %err, ?event, "the audit log could not record an event");
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
        route(Method::POST, "/api/v1/session", login::sign_in),
        route(Method::GET, "/api/v1/session", login::session),
        route(Method::DELETE, "/api/v1/session", login::sign_out),
        route(Method::GET, "/api/v1/audit", audit::audit_log),
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
        route(Method::GET, "/api/v1/users", users::users),
        route(Method::POST, "/api/v1/users/{user}/disable", users::disable),
        route(Method::POST, "/api/v1/users/{user}/enable", users::enable),
        route(Method::PUT, "/api/v1/users/{user}/role", users::set_role),
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
        audited_download(route(
            Method::GET,
            "/api/v1/campaigns/{campaign}/report",
            report::report,
        )),
        audited_download(route(
            Method::GET,
            "/api/v1/campaigns/{campaign}/rounds/{name}/export",
            export::export,
        )),
        audited_download(route(
            Method::GET,
            "/api/v1/campaigns/{campaign}/rounds/{name}/sealed",
            sealed::sealed,
        )),
    ]
}

/// The route with every file it hands out (a round's rows, a report as HTML or Excel) recorded
/// in the audit log.
fn audited_download(route: Route) -> Route {
    Route {
        handler: route
            .handler
            .route_layer(axum::middleware::from_fn(audit_download)),
        ..route
    }
}

/// Records a successful download before its body leaves: if the audit log cannot record it,
/// the file is not sent. The report shown in the dashboard (`format=json`) is not a download.
async fn audit_download(request: Request, next: Next) -> Response {
    let Some(state) = request.extensions().get::<AppState>().cloned() else {
        return next.run(request).await;
    };
    let query = request.uri().query().unwrap_or_default().to_string();
    let shown_not_downloaded = request.uri().path().ends_with("/report")
        && !query
            .split('&')
            .any(|pair| pair.starts_with("format=") && pair != "format=json");
    if shown_not_downloaded {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    // Authenticated here so the event names the person; the handler reuses it.
    let signed_in = SignedIn::from_request_parts(&mut parts, &state).await;
    let ClientAddress(client) = ClientAddress::from_request_parts(&mut parts, &state)
        .await
        .unwrap_or(ClientAddress(None));
    let path = parts.uri.path().to_string();
    let response = next.run(Request::from_parts(parts, body)).await;
    let Ok(signed_in) = signed_in else {
        return response;
    };
    if !response.status().is_success() {
        return response;
    }
    // /api/v1/campaigns/{campaign}/...: the campaign, then what of it.
    let mut segments = path.trim_start_matches("/api/v1/campaigns/").splitn(2, '/');
    let campaign_id = segments.next().map(str::to_string);
    let what = segments.next().unwrap_or_default();
    let event = NewAuditEvent {
        action: AuditAction::Export,
        actor: signed_in.user.email,
        campaign_id,
        subject: if query.is_empty() {
            what.to_string()
        } else {
            format!("{what}?{query}")
        },
        client: client.map(|c| c.to_string()),
    };
    match state.storage.record_audit(event).await {
        Ok(_) => response,
        Err(err) => {
            tracing::error!(error = %err, "an export was refused: the audit log cannot record it");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the audit log cannot record this download right now, so it is not sent; try \
                 again shortly",
            )
            .into_response()
        }
    }
}

/// Every route the server answers, as (method, path with `{parameters}`).
pub fn routes() -> Vec<(Method, &'static str)> {
    table().into_iter().map(|r| (r.method, r.path)).collect()
}

/// The whole application, reached over plain HTTP.
pub fn router(storage: Arc<dyn Storage>) -> Router {
    router_for(storage, Transport::default())
}

/// The whole application, reached as `transport` says.
pub fn router_for(storage: Arc<dyn Storage>, transport: Transport) -> Router {
    let state = AppState::new(storage, transport);
    let mut router = Router::new();
    for Route { path, handler, .. } in table() {
        router = router.route(path, handler);
    }
    limit_request_bodies(router.with_state(state.clone()))
        .layer(CompressionLayer::new().gzip(true))
        .layer(axum::middleware::map_response_with_state(
            transport,
            security_headers,
        ))
        // The state, for the layers that audit (a route layer cannot take the router's state).
        .layer(axum::Extension(state))
}

/// The layers that bound request bodies: at most [`MAX_REQUEST_BYTES`] on the wire, gzip
/// decompressed as it is read, and at most that much again once decompressed. Public so the
/// fuzz target and the tests can put hostile bodies through exactly the server's path.
pub fn limit_request_bodies(router: Router) -> Router {
    router
        // The decompressed body: extractors read at most this much.
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .layer(RequestDecompressionLayer::new().gzip(true))
        // The body on the wire.
        .layer(RequestBodyLimitLayer::new(MAX_REQUEST_BYTES))
}

/// Headers every response carries: the dashboard shows data about people at risk, so nothing may
/// frame it, sniff its types or leak its addresses to third parties; nothing is cached. Over
/// HTTPS, browsers are also told never to use plain HTTP for this server again (HSTS, a year).
async fn security_headers(State(transport): State<Transport>, mut response: Response) -> Response {
    let headers = response.headers_mut();
    if transport.https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
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
        decode_json(&bytes).map(Body)
    }
}

/// A (decompressed) request body as `T`, or a 400 saying why not. serde_json refuses nesting
/// deeper than 128 levels, so a hostile `[[[[...` is an error here, not a stack overflow.
pub fn decode_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(format!(
            "the request body is not what this endpoint takes: {e}"
        ))
    })
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

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use axum::routing::post;
    use fieldline_protocol::SubmitBatch;

    use super::*;

    #[tokio::test]
    async fn a_devices_visit_is_due_once_a_minute_in_each_server() {
        let dir = tempfile::tempdir().unwrap();
        let storage = crate::storage::open_storage(&crate::storage::DatabaseUrl::Sqlite(
            dir.path().join("db.sqlite3"),
        ))
        .await
        .unwrap();
        let state = AppState::new(storage, Transport::default());
        assert!(state.device_visit_due("d1"));
        assert!(
            !state.device_visit_due("d1"),
            "a second request within the minute"
        );
        assert!(state.device_visit_due("d2"));
        // A minute later it is due again (a clock younger than a minute cannot say so).
        if let Some(earlier) = std::time::Instant::now().checked_sub(DEVICE_SEEN_EVERY) {
            state
                .devices_seen
                .lock()
                .unwrap()
                .insert("d1".into(), earlier);
            assert!(state.device_visit_due("d1"));
        }
    }

    /// A server answering `POST /` with the number of items of a [`SubmitBatch`] read through
    /// the server's body path, and a client for it.
    async fn batch_counter() -> (String, reqwest::Client) {
        let app = limit_request_bodies(Router::new().route(
            "/",
            post(|Body(batch): Body<SubmitBatch>| async move { batch.items.len().to_string() }),
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        // In the workspace build reqwest carries the sync client's `rustls-no-provider` and
        // `gzip`: install ring (a no-op when an earlier test did) and keep bodies as sent.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .no_gzip()
            .build()
            .expect("a plain HTTP client builds");
        (url, client)
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    async fn refusal(reply: reqwest::Response) -> (StatusCode, String) {
        let status = reply.status();
        let body: fieldline_protocol::ApiError = reply.json().await.unwrap();
        (status, body.error)
    }

    #[tokio::test]
    async fn a_deeply_nested_body_is_a_bad_request_not_a_crash() {
        let (url, client) = batch_counter().await;
        // Where the batch takes an array of envelopes, the first wrong type stops the decoder.
        let nested_items = format!(
            r#"{{"items": {}{}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let reply = client.post(&url).body(nested_items).send().await.unwrap();
        let (status, message) = refusal(reply).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(message.contains("invalid type"), "{message}");
        // An unknown field is skipped without recursing (serde_json's ignore loop), however deep:
        // the batch is read, and nothing overflows.
        let nested_extra = format!(
            r#"{{"extra": {}{}, "items": []}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let reply = client.post(&url).body(nested_extra).send().await.unwrap();
        assert_eq!(reply.status(), StatusCode::OK);
        assert_eq!(reply.text().await.unwrap(), "0");
        // A body read as free-form JSON meets serde_json's depth limit (128) instead.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let err = decode_json::<serde_json::Value>(deep.as_bytes()).unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert!(
            err.message.contains("recursion limit exceeded"),
            "{}",
            err.message
        );
        // The path still answers a proper body.
        let empty = client
            .post(&url)
            .body(r#"{"items": []}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(empty.text().await.unwrap(), "0");
    }

    #[tokio::test]
    async fn a_gzip_bomb_within_the_wire_limit_is_refused_once_it_expands_past_it() {
        let (url, client) = batch_counter().await;
        // 64 MiB of spaces compress to about 64 KiB: far inside the wire limit.
        let bomb = gzip(&vec![b' '; 4 * MAX_REQUEST_BYTES]);
        assert!(bomb.len() < MAX_REQUEST_BYTES / 100, "{}", bomb.len());
        let reply = client
            .post(&url)
            .header(header::CONTENT_ENCODING, "gzip")
            .body(bomb)
            .send()
            .await
            .unwrap();
        let (status, message) = refusal(reply).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(message.contains("once decompressed"), "{message}");
    }

    #[tokio::test]
    async fn a_corrupt_gzip_body_is_refused_in_words() {
        let (url, client) = batch_counter().await;
        let mut corrupt = gzip(br#"{"items": []}"#);
        corrupt.truncate(corrupt.len() / 2);
        let reply = client
            .post(&url)
            .header(header::CONTENT_ENCODING, "gzip")
            .body(corrupt)
            .send()
            .await
            .unwrap();
        let (status, message) = refusal(reply).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(message.contains("could not be read"), "{message}");
    }

    #[test]
    fn decode_json_names_what_is_wrong() {
        let err = decode_json::<SubmitBatch>(br#"{"items": 3}"#).unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert!(err.message.contains("invalid type"), "{}", err.message);
    }
}
