//! Tauri commands: the only way the UI reaches the device store. Each returns the API's `AppError`
//! on failure, whose message the UI shows as it is.

use fieldline_app_api::{AppError, DeviceProfile, FormCard, HomeView};
use fieldline_device_store::{DeviceStore, StoreError};
use tauri::State;

use crate::AppState;

fn with_store<T>(
    state: &State<'_, AppState>,
    action: impl FnOnce(&DeviceStore) -> Result<T, StoreError>,
) -> Result<T, AppError> {
    let store = state
        .store
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    action(&store).map_err(|err| AppError {
        message: err.to_string(),
    })
}

fn to_api(profile: fieldline_device_store::DeviceProfile) -> DeviceProfile {
    DeviceProfile {
        device_id: profile.device_id,
        username: profile.username,
        server_url: profile.server_url,
        database_path: profile.database_path.display().to_string(),
    }
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

/// The home screen: this device, its forms with their counts, and any problem met at start.
#[tauri::command]
pub fn home(state: State<'_, AppState>) -> Result<HomeView, AppError> {
    let notices = state.notices.clone();
    with_store(&state, |store| {
        let forms = store
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
            .collect();
        Ok(HomeView {
            profile: to_api(store.profile()?),
            forms,
            notices,
        })
    })
}
