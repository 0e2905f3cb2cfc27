//! The field app's native shell: unlocks the device store with the enumerator's PIN, exposes it
//! to the UI as typed commands, and hosts the window. The same `run` is the Android entry point.

mod commands;
mod lock;
mod options;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use fieldline_device_store::{media_files_next_to, media_folder_of, DeviceStore};
use tauri::Manager;

pub use options::AppOptions;

/// What the commands share. The device store exists only while the app is unlocked: the database
/// is encrypted under a key derived from the enumerator's PIN, and locking drops the store (and
/// with it the open database and the key) and stops the background sync that uses it.
pub struct AppState {
    /// The device profile's directory.
    data_dir: PathBuf,
    /// --server, stored in the profile at the next unlock.
    server_url: Option<String>,
    /// How long the UI waits without a touch or key before it locks the app.
    lock_after_seconds: u64,
    /// Forms given with --import, imported at the first unlock (the store cannot be written
    /// before it).
    pending_imports: Mutex<Vec<PathBuf>>,
    /// What went wrong while importing those forms, shown on the home screen rather than lost in
    /// a terminal nobody reads.
    notices: Mutex<Vec<String>>,
    /// `None` while locked.
    unlocked: Mutex<Option<Unlocked>>,
    /// Held while a PIN is being tried, so two taps on "Unlock" never open (or encrypt) the
    /// profile twice at once.
    unlocking: tauri::async_runtime::Mutex<()>,
}

/// The open store and the sync loop that uses it. One connection: SQLite writes are serialised
/// anyway, and a single writer keeps each autosave a small, quick transaction; sync holds it only
/// for single short store calls, never across the network.
struct Unlocked {
    store: Arc<Mutex<DeviceStore>>,
    /// Dropping it stops the loop.
    sync: fieldline_sync::SyncLoop,
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let options = AppOptions::from_args();
    tauri::Builder::default()
        .setup(move |app| {
            let data_dir = match &options.data_dir {
                Some(dir) => dir.clone(),
                None => app.path().app_data_dir()?,
            };
            std::fs::create_dir_all(&data_dir)?;
            app.manage(AppState {
                data_dir: data_dir.clone(),
                server_url: options.server_url.clone(),
                lock_after_seconds: options.lock_after_seconds,
                pending_imports: Mutex::new(options.import.clone()),
                notices: Mutex::new(Vec::new()),
                unlocked: Mutex::new(None),
                unlocking: tauri::async_runtime::Mutex::new(()),
            });
            open_main_window(app, &data_dir)?;
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            lock::lock_status,
            lock::choose_pin,
            lock::unlock,
            lock::lock,
            lock::change_pin,
            commands::set_username,
            commands::home,
            commands::import_form,
            commands::start_interview,
            commands::open_draft,
            commands::record,
            commands::set_position,
            commands::leave_draft,
            commands::finalize,
            commands::drafts,
            commands::discard_draft,
            commands::outbox,
            commands::form_media,
            commands::attach_file,
            commands::draft_file,
            commands::enroll,
            commands::sync_now,
            commands::sync_status
        ])
        .run(tauri::generate_context!())
        .expect("Fieldline could not start its window");
}

/// Opens the window described in tauri.conf.json with its web storage (the app's language, the
/// webview's caches) inside the device profile's directory: two profiles on one machine never
/// share a setting, and wiping a profile leaves nothing of it behind in the user's home.
fn open_main_window(app: &tauri::App, data_dir: &std::path::Path) -> tauri::Result<()> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|window| window.label == "main")
        .cloned()
        .ok_or_else(|| {
            std::io::Error::other("tauri.conf.json describes no window labelled main")
        })?;
    tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?
        .data_directory(data_dir.join("webview"))
        .build()?;
    Ok(())
}

/// Imports the forms given with `--import`, each with the media files in its `<name>-media`
/// folder (ODK's convention); returns a message for each form that failed or lacks media.
fn import_forms(store: &DeviceStore, files: &[std::path::PathBuf]) -> Vec<String> {
    let mut notices = Vec::new();
    for file in files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let result = std::fs::read(file)
            .and_then(|bytes| Ok((bytes, media_files_next_to(file)?)))
            .map_err(|err| err.to_string())
            .and_then(|(bytes, media)| {
                store
                    .import_form_with_media(&name, &bytes, &media)
                    .map_err(|err| err.to_string())
            });
        match result {
            Ok(imported) if !imported.media_missing.is_empty() => notices.push(format!(
                "{}: these media files are not on this device: {}. Put them in the folder {} next to the form.",
                file.display(),
                imported.media_missing.join(", "),
                media_folder_of(file).unwrap_or_default().display(),
            )),
            Ok(_) => {}
            Err(err) => notices.push(format!("Could not import {}: {err}", file.display())),
        }
    }
    for notice in &notices {
        eprintln!("{notice}");
    }
    notices
}
