//! HTTP routes: the API under `/api/v1` and the dashboard's pages.

use axum::{
    extract::State,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use std::sync::Arc;

use serde::Serialize;

use crate::{ServerInfo, Storage, StorageError};

pub fn router(database: Arc<dyn Storage>) -> Router {
    Router::new()
        .route("/", get(dashboard_home))
        .route("/assets/dashboard.css", get(dashboard_css))
        .route("/assets/dashboard.js", get(dashboard_js))
        .route("/api/v1/health", get(health))
        .with_state(database)
        .layer(axum::middleware::map_response(security_headers))
}

/// Headers every response carries: the dashboard shows data about people at risk, so nothing may
/// frame it, sniff its types or leak its addresses to third parties.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

async fn dashboard_home() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        include_str!("../assets/index.html"),
    )
}

async fn dashboard_css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../assets/dashboard.css"),
    )
}

async fn dashboard_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../assets/dashboard.js"),
    )
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    #[serde(flatten)]
    server: ServerInfo,
}

async fn health(State(database): State<Arc<dyn Storage>>) -> Result<Json<Health>, ApiError> {
    let server = database.server_info().await?;
    Ok(Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        server,
    }))
}

/// An error as the API reports it: a status and a JSON body with a message for people.
struct ApiError {
    status: StatusCode,
    message: String,
}

impl From<StorageError> for ApiError {
    fn from(err: StorageError) -> Self {
        tracing::error!(error = %err, "database error");
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: "the server's database is unavailable; try again shortly".into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}
