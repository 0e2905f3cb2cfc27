//! `GET /api/v1/health`: the server is up, which installation it is and its schema.

use axum::extract::State;
use axum::Json;
use serde::Serialize;

use super::{ApiError, AppState};
use crate::storage::ServerInfo;

#[derive(Serialize)]
pub struct Health {
    status: &'static str,
    version: &'static str,
    #[serde(flatten)]
    server: ServerInfo,
}

pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let server = state.storage.server_info().await?;
    Ok(Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        server,
    }))
}
