//! Tauri commands: the only way the UI reaches the device store. Each returns the API's `AppError`
//! on failure, whose message the UI shows as it is. Arguments arrive in snake_case, as the API
//! crate's argument structs name them.

use std::collections::HashMap;

use fieldline_app_api::{
    attach_header, Action, AppError, AttachedFile, CampaignView, DeviceProfile, DraftCard,
    DraftView, Finalized, FormCard, HomeView, Imported, MediaInfo, MediaUpload, OutboxCard,
    SendState, SyncPhase, SyncView,
};
use fieldline_device_store::{
    AuditEvent, DeviceStore, FinalizeOutcome, MediaFile, StoreError, SyncState,
};
use tauri::State;

use crate::AppState;

/// Runs `action` on the store, or answers that the app is locked.
fn with_store<T>(
    state: &State<'_, AppState>,
    action: impl FnOnce(&mut DeviceStore) -> Result<T, StoreError>,
) -> Result<T, AppError> {
    let store = state.store()?;
    let mut store = lock_store(&store);
    action(&mut store).map_err(app_error)
}

fn to_api(profile: fieldline_device_store::DeviceProfile) -> DeviceProfile {
    DeviceProfile {
        device_id: profile.device_id,
        username: profile.username,
        server_url: profile.server_url,
        database_path: profile.database_path.display().to_string(),
    }
}

fn form_cards(store: &DeviceStore) -> Result<Vec<FormCard>, StoreError> {
    Ok(store
        .list_forms()?
        .into_iter()
        .map(|form| FormCard {
            form_id: form.form_id,
            version: form.version,
            title: form.title,
            drafts: form.drafts,
            finalized: form.finalized,
            not_sent: form.not_sent,
        })
        .collect())
}

/// Form titles by (id, version), for the drafts and outbox lists.
fn titles(store: &DeviceStore) -> Result<HashMap<(String, String), String>, StoreError> {
    Ok(store
        .list_forms()?
        .into_iter()
        .map(|f| ((f.form_id, f.version), f.title))
        .collect())
}

/// Saves the enumerator's name and answers with the profile as read back from the database, so the
/// screen shows what was stored rather than what was typed.
#[tauri::command]
pub fn set_username(state: State<'_, AppState>, name: String) -> Result<DeviceProfile, AppError> {
    with_store(&state, |store| {
        store.set_username(&name)?;
        store.profile().map(to_api)
    })
}

/// The home screen: this device, its campaign, its forms with their counts, and any problem met
/// at start.
#[tauri::command]
pub fn home(state: State<'_, AppState>) -> Result<HomeView, AppError> {
    let notices = state
        .notices
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    with_store(&state, |store| {
        let campaign = store.enrollment()?.map(|e| CampaignView {
            campaign: e.campaign.name,
            organization: e.organization.name,
            server_url: e.server_url,
        });
        Ok(HomeView {
            campaign,
            profile: to_api(store.profile()?),
            forms: form_cards(store)?,
            notices,
        })
    })
}

/// Imports an XLSForm the enumerator picked on the device, with the media files picked with it.
#[tauri::command(rename_all = "snake_case")]
pub fn import_form(
    state: State<'_, AppState>,
    file_name: String,
    bytes: Vec<u8>,
    media: Vec<MediaUpload>,
) -> Result<Imported, AppError> {
    let media: Vec<MediaFile> = media
        .into_iter()
        .map(|m| MediaFile {
            name: m.name,
            bytes: m.bytes,
        })
        .collect();
    with_store(&state, |store| {
        let imported = store.import_form_with_media(&file_name, &bytes, &media)?;
        let card = form_cards(store)?
            .into_iter()
            .find(|f| f.form_id == imported.form_id && f.version == imported.version);
        let form = card.ok_or_else(|| StoreError::UnknownForm {
            form_id: imported.form_id.clone(),
            version: imported.version.clone(),
        })?;
        Ok(Imported {
            form,
            media_missing: imported.media_missing,
            media_ignored: imported.media_ignored,
        })
    })
}

/// Starts an interview; answers with its instance id.
#[tauri::command(rename_all = "snake_case")]
pub fn start_interview(
    state: State<'_, AppState>,
    form_id: String,
    version: String,
    utc_offset_minutes: i32,
) -> Result<String, AppError> {
    with_store(&state, |store| {
        store.start_draft(&form_id, &version, utc_offset_minutes)
    })
}

/// A draft's definition, log and position, for the UI to replay with the same engine. Opening
/// a draft that was already worked on counts as resuming it (for the form's audit log).
#[tauri::command(rename_all = "snake_case")]
pub fn open_draft(state: State<'_, AppState>, instance_id: String) -> Result<DraftView, AppError> {
    with_store(&state, |store| {
        let log = store.draft_log(&instance_id)?;
        if !log.actions.is_empty() || log.position.is_some() {
            store.audit_event(&instance_id, AuditEvent::FormResume)?;
        }
        let definition = store.form_definition(&log.facts.form_id, &log.facts.form_version)?;
        let title = titles(store)?
            .remove(&(log.facts.form_id.clone(), log.facts.form_version.clone()))
            .unwrap_or_default();
        let media = store
            .form_media_list(&log.facts.form_id, &log.facts.form_version)?
            .into_iter()
            .map(|(name, media_type)| MediaInfo { name, media_type })
            .collect();
        let files = store
            .draft_files(&instance_id)?
            .into_iter()
            .map(|(name, media_type)| MediaInfo { name, media_type })
            .collect();
        Ok(DraftView {
            files,
            title,
            facts: log.facts,
            definition,
            actions: log.actions,
            position: log.position,
            media,
        })
    })
}

/// Saves one answer or repeat change (autosave); answers with the path the engine resolved.
#[tauri::command(rename_all = "snake_case")]
pub fn record(
    state: State<'_, AppState>,
    instance_id: String,
    action: Action,
) -> Result<String, AppError> {
    with_store(&state, |store| store.record(&instance_id, &action))
}

/// Remembers the screen the enumerator is on, so resuming returns there.
#[tauri::command(rename_all = "snake_case")]
pub fn set_position(
    state: State<'_, AppState>,
    instance_id: String,
    position: String,
) -> Result<(), AppError> {
    with_store(&state, |store| store.set_position(&instance_id, &position))
}

/// The enumerator left the interview screen; the draft stays, and the form's audit log (when it
/// keeps one) notes the exit.
#[tauri::command(rename_all = "snake_case")]
pub fn leave_draft(state: State<'_, AppState>, instance_id: String) -> Result<(), AppError> {
    with_store(&state, |store| {
        store.audit_event(&instance_id, AuditEvent::FormExit)
    })
}

/// Finalizes a draft into the outbox, or names the first question to fix.
#[tauri::command(rename_all = "snake_case")]
pub fn finalize(
    state: State<'_, AppState>,
    instance_id: String,
    language: Option<String>,
) -> Result<Finalized, AppError> {
    with_store(&state, |store| {
        Ok(match store.finalize(&instance_id, language.as_deref())? {
            FinalizeOutcome::Finalized {
                instance_id,
                device_seq,
                ..
            } => Finalized::Finalized {
                instance_id,
                device_seq,
            },
            FinalizeOutcome::Blocked { path, message } => Finalized::Blocked { path, message },
        })
    })
}

/// Interviews in progress, most recent first.
#[tauri::command]
pub fn drafts(state: State<'_, AppState>) -> Result<Vec<DraftCard>, AppError> {
    with_store(&state, |store| {
        let titles = titles(store)?;
        Ok(store
            .list_drafts()?
            .into_iter()
            .map(|d| DraftCard {
                form_title: titles
                    .get(&(d.form_id.clone(), d.form_version.clone()))
                    .cloned()
                    .unwrap_or(d.form_id),
                instance_id: d.instance_id,
                created_at: d.created_at,
                updated_at: d.updated_at,
                actions: d.events,
            })
            .collect())
    })
}

/// Deletes a draft (the UI has asked for confirmation).
#[tauri::command(rename_all = "snake_case")]
pub fn discard_draft(state: State<'_, AppState>, instance_id: String) -> Result<(), AppError> {
    with_store(&state, |store| store.discard_draft(&instance_id))
}

/// Finalized interviews and where each stands with the server, newest first.
#[tauri::command]
pub fn outbox(state: State<'_, AppState>) -> Result<Vec<OutboxCard>, AppError> {
    with_store(&state, |store| {
        let titles = titles(store)?;
        let mut cards: Vec<OutboxCard> = store
            .list_outbox()?
            .into_iter()
            .map(|o| OutboxCard {
                form_title: titles
                    .get(&(o.form_id.clone(), o.form_version.clone()))
                    .cloned()
                    .unwrap_or(o.form_id),
                instance_id: o.instance_id,
                device_seq: o.device_seq,
                finalized_at: o.finalized_at,
                state: match o.state {
                    SyncState::Queued => SendState::Queued,
                    SyncState::Sent => SendState::Sent,
                    SyncState::Rejected => SendState::Rejected,
                    SyncState::Conflict => SendState::Conflict,
                },
                reason: o.reason,
                size_bytes: o.payload.len() as i64,
            })
            .collect();
        cards.reverse();
        Ok(cards)
    })
}

/// One of a form's media files, as raw bytes. The page makes a `blob:` URL of it: WebKitGTK's
/// media player cannot read custom URI schemes, and a blob works in every webview.
#[tauri::command(rename_all = "snake_case")]
pub fn form_media(
    state: State<'_, AppState>,
    form_id: String,
    version: String,
    name: String,
) -> Result<tauri::ipc::Response, AppError> {
    with_store(&state, |store| {
        store
            .form_media(&form_id, &version, &name)?
            .map(|(_, bytes)| tauri::ipc::Response::new(bytes))
            .ok_or_else(|| StoreError::UnknownMedia {
                form_id: form_id.clone(),
                version: version.clone(),
                name: name.clone(),
            })
    })
}

/// Keeps a photo, recording or file as the answer to the question at the path in the headers
/// (see `fieldline_app_api::attach_header`); the body is the file's bytes.
#[tauri::command]
pub fn attach_file(
    state: State<'_, AppState>,
    request: tauri::ipc::Request<'_>,
) -> Result<AttachedFile, AppError> {
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(AppError {
            message: "The file did not arrive as bytes; update the app.".into(),
        });
    };
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(percent_decode)
            .ok_or_else(|| AppError {
                message: format!("The file arrived without its {name}; update the app."),
            })
    };
    let instance_id = header(attach_header::INSTANCE_ID)?;
    let path = header(attach_header::PATH)?;
    let file_name = header(attach_header::FILE_NAME)?;
    with_store(&state, |store| {
        let kept = store.attach_file(&instance_id, &path, &file_name, bytes)?;
        Ok(AttachedFile {
            path: kept.path,
            name: kept.name,
            media_type: kept.media_type,
            size: kept.size,
        })
    })
}

/// A file kept as an answer in a draft, as raw bytes, for its preview.
#[tauri::command(rename_all = "snake_case")]
pub fn draft_file(
    state: State<'_, AppState>,
    instance_id: String,
    name: String,
) -> Result<tauri::ipc::Response, AppError> {
    with_store(&state, |store| {
        store
            .draft_file(&instance_id, &name)?
            .map(|(_, bytes)| tauri::ipc::Response::new(bytes))
            .ok_or_else(|| StoreError::MissingDraftFile {
                instance_id: instance_id.clone(),
                name: name.clone(),
            })
    })
}

/// Undoes `encodeURIComponent`.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(text.get(i + 1..i + 3)?, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn header_values_decode_from_percent_encoding() {
        assert_eq!(
            percent_decode("%E0%A4%AB%E0%A5%8B%E0%A4%9F%E0%A5%8B%201.jpg").as_deref(),
            Some("फोटो 1.jpg")
        );
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%E0%A4"), None);
    }
}

/// Joins a campaign with a one-time code, then syncs at once (the campaign's forms arrive).
#[tauri::command(rename_all = "snake_case")]
pub async fn enroll(
    state: State<'_, AppState>,
    server_url: String,
    code: String,
) -> Result<CampaignView, AppError> {
    let store = state.store()?;
    let server_url = match server_url.trim() {
        "" => {
            let remembered = lock_store(&store).profile().map_err(app_error)?.server_url;
            remembered.ok_or_else(|| AppError {
                message: "Type the campaign server's address your coordinator gave you.".into(),
            })?
        }
        typed => typed.to_owned(),
    };
    let mut client = fieldline_sync::SyncClient::new(&server_url, None).map_err(sync_error)?;
    let enrolled = client
        .enroll_device(&store, &code, None)
        .await
        .map_err(sync_error)?;
    state.with_sync(|sync| sync.sync_now())?;
    Ok(CampaignView {
        campaign: enrolled.campaign.name,
        organization: enrolled.organization.name,
        server_url,
    })
}

/// Syncs now instead of at the next planned attempt.
#[tauri::command]
pub fn sync_now(state: State<'_, AppState>) -> Result<(), AppError> {
    state.with_sync(|sync| sync.sync_now())
}

/// What sync is doing, for the outbox screen.
#[tauri::command]
pub fn sync_status(state: State<'_, AppState>) -> Result<SyncView, AppError> {
    let status = state.with_sync(|sync| sync.status())?;
    Ok(SyncView {
        phase: match status.phase {
            fieldline_sync::Phase::NotEnrolled => SyncPhase::NotEnrolled,
            fieldline_sync::Phase::Probing => SyncPhase::Probing,
            fieldline_sync::Phase::Syncing => SyncPhase::Syncing,
            fieldline_sync::Phase::Idle => SyncPhase::Idle,
            fieldline_sync::Phase::Waiting => SyncPhase::Waiting,
        },
        items_done: status.progress.items_done,
        items_total: status.progress.items_total,
        bytes_done: status.progress.bytes_done,
        bytes_total: status.progress.bytes_total,
        last_error: status.last_error,
        last_success_at: status.last_success_at,
        next_attempt_in_ms: status.next_attempt_in_ms,
    })
}

pub(crate) fn lock_store(
    store: &std::sync::Mutex<DeviceStore>,
) -> std::sync::MutexGuard<'_, DeviceStore> {
    store
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) fn app_error(err: StoreError) -> AppError {
    AppError {
        message: err.to_string(),
    }
}

fn sync_error(err: fieldline_sync::SyncError) -> AppError {
    AppError {
        message: err.to_string(),
    }
}
