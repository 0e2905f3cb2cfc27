//! `GET /api/v1/audit[?after=SEQ&limit=N]`: the audit log, oldest first, for admins only.

use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;

use super::{ApiError, AppState};
use crate::access::Access;
use crate::auth::PersonAuth;
use crate::storage::AuditEvent;

/// Most events in one answer; page on with `after` set to the last one's `seq`.
pub const MAX_EVENTS: usize = 1000;

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    /// Only events after this one (its `seq`).
    #[serde(default)]
    after: i64,
    /// At most this many (default and most: [`MAX_EVENTS`]).
    limit: Option<usize>,
}

pub async fn audit_log(
    State(state): State<AppState>,
    PersonAuth(user): PersonAuth,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Vec<AuditEvent>>, ApiError> {
    Access::of(&user).read_audit_log()?;
    let limit = query.limit.unwrap_or(MAX_EVENTS).clamp(1, MAX_EVENTS);
    Ok(Json(state.storage.audit_events(query.after, limit).await?))
}
