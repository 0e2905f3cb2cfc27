//! The PIN lock: choosing a PIN for a profile that has none, unlocking, locking, changing the PIN.
//! Deriving a key from a PIN is deliberately slow (about half a second), so it runs on a blocking
//! thread, never on the thread that draws the window.

use std::sync::{Arc, Mutex};

use fieldline_app_api::{AppError, LockStatus};
use fieldline_device_store::DeviceStore;
use tauri::State;

use crate::commands::{app_error, lock_store};
use crate::{import_forms, AppState, Unlocked};

impl AppState {
    /// The open store, or the error every command answers with while the app is locked.
    pub(crate) fn store(&self) -> Result<Arc<Mutex<DeviceStore>>, AppError> {
        let unlocked = lock_ignoring_poison(&self.unlocked);
        unlocked
            .as_ref()
            .map(|open| Arc::clone(&open.store))
            .ok_or_else(locked)
    }

    /// Runs `action` with the sync loop, which runs only while the app is unlocked.
    pub(crate) fn with_sync<T>(
        &self,
        action: impl FnOnce(&fieldline_sync::SyncLoop) -> T,
    ) -> Result<T, AppError> {
        let unlocked = lock_ignoring_poison(&self.unlocked);
        unlocked
            .as_ref()
            .map(|open| action(&open.sync))
            .ok_or_else(locked)
    }

    fn status(&self) -> Result<LockStatus, AppError> {
        let unlocked = lock_ignoring_poison(&self.unlocked).is_some();
        Ok(LockStatus {
            pin_chosen: unlocked
                || DeviceStore::is_profile_pin_protected(&self.data_dir).map_err(app_error)?,
            unlocked,
            lock_after_seconds: self.lock_after_seconds,
        })
    }
}

fn locked() -> AppError {
    AppError {
        message: "The app is locked: type your PIN to unlock it.".into(),
    }
}

fn lock_ignoring_poison<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether the profile has a PIN, whether it is unlocked, and when the UI should lock it.
#[tauri::command]
pub fn lock_status(state: State<'_, AppState>) -> Result<LockStatus, AppError> {
    state.status()
}

/// A profile without a PIN (new, or plain from before PINs): encrypts it under `pin` and unlocks.
#[tauri::command]
pub async fn choose_pin(state: State<'_, AppState>, pin: String) -> Result<LockStatus, AppError> {
    open_profile(&state, pin, PinUse::Choose).await
}

/// Unlocks a profile with its PIN.
#[tauri::command]
pub async fn unlock(state: State<'_, AppState>, pin: String) -> Result<LockStatus, AppError> {
    open_profile(&state, pin, PinUse::Unlock).await
}

/// Locks the app: the sync loop stops and the store is dropped, which closes the database, so
/// the key is no longer in memory. Everything entered is saved already (answers are autosaved).
#[tauri::command]
pub fn lock(state: State<'_, AppState>) -> Result<LockStatus, AppError> {
    let closing = lock_ignoring_poison(&state.unlocked).take();
    // Dropped outside the guard: closing the database may wait for a command still using it.
    // The aborted sync task lets go of its handle on the store at its next pause.
    drop(closing);
    state.status()
}

/// Replaces the PIN; the old one is checked as an unlock is (wrong ones count towards the waits).
#[tauri::command(rename_all = "snake_case")]
pub async fn change_pin(
    state: State<'_, AppState>,
    old_pin: String,
    new_pin: String,
) -> Result<(), AppError> {
    let store = state.store()?;
    tauri::async_runtime::spawn_blocking(move || lock_store(&store).change_pin(&old_pin, &new_pin))
        .await
        .map_err(interrupted)?
        .map_err(app_error)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PinUse {
    Choose,
    Unlock,
}

async fn open_profile(
    state: &AppState,
    pin: String,
    pin_use: PinUse,
) -> Result<LockStatus, AppError> {
    let _one_at_a_time = state.unlocking.lock().await;
    let status = state.status()?;
    if status.unlocked {
        return Ok(status);
    }
    // Both end in opening with the PIN, which would also unlock or encrypt the other way round;
    // refusing keeps a PIN typed once on the unlock screen from becoming a profile's new PIN.
    match (pin_use, status.pin_chosen) {
        (PinUse::Choose, true) => {
            return Err(AppError {
                message: "This device already has a PIN: type it to unlock.".into(),
            })
        }
        (PinUse::Unlock, false) => {
            return Err(AppError {
                message: "This device has no PIN yet: choose one and type it twice.".into(),
            })
        }
        _ => {}
    }
    let data_dir = state.data_dir.clone();
    let server_url = state.server_url.clone();
    // Cleared only once the store opened: after a wrong PIN they wait for the next try.
    let imports = lock_ignoring_poison(&state.pending_imports).clone();
    let opened = tauri::async_runtime::spawn_blocking(move || {
        let store = DeviceStore::open_with_pin(&data_dir, &pin)?;
        if let Some(url) = &server_url {
            store.set_server_url(url)?;
        }
        let notices = import_forms(&store, &imports);
        Ok((store, notices))
    })
    .await
    .map_err(interrupted)?;
    let (store, notices) = opened.map_err(app_error)?;
    lock_ignoring_poison(&state.pending_imports).clear();
    lock_ignoring_poison(&state.notices).extend(notices);
    let store = Arc::new(Mutex::new(store));
    // This command runs on Tauri's tokio runtime, where the loop then runs beside the commands.
    let sync = fieldline_sync::SyncLoop::spawn(Arc::clone(&store), Default::default());
    *lock_ignoring_poison(&state.unlocked) = Some(Unlocked { store, sync });
    state.status()
}

fn interrupted(err: tauri::Error) -> AppError {
    AppError {
        message: format!("The app was interrupted while it checked the PIN ({err}); try again."),
    }
}
