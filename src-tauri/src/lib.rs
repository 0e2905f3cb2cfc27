//! The field app's native shell: opens the device store, exposes it to the UI as typed commands, and
//! hosts the window. The same `run` is the Android entry point.

mod commands;
mod options;

use std::sync::Mutex;

use fieldline_device_store::DeviceStore;
use tauri::Manager;

pub use options::AppOptions;

/// The device store, shared by every command. One connection: SQLite writes are serialised anyway, and
/// a single writer keeps each autosave a small, quick transaction.
pub struct AppState {
    store: Mutex<DeviceStore>,
    /// What went wrong while starting (a form given with --import that cannot be used), shown on
    /// the home screen rather than lost in a terminal nobody reads.
    notices: Vec<String>,
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
            let store = DeviceStore::open(&data_dir)?;
            if let Some(url) = &options.server_url {
                store.set_server_url(url)?;
            }
            let notices = import_forms(&store, &options.import);
            app.manage(AppState {
                store: Mutex::new(store),
                notices,
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
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
            commands::outbox
        ])
        .run(tauri::generate_context!())
        .expect("Fieldline could not start its window");
}

/// Imports the forms given with `--import`; returns a message for each one that failed.
fn import_forms(store: &DeviceStore, files: &[std::path::PathBuf]) -> Vec<String> {
    let mut notices = Vec::new();
    for file in files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let result = std::fs::read(file)
            .map_err(|err| err.to_string())
            .and_then(|bytes| {
                store
                    .import_form(&name, &bytes)
                    .map_err(|err| err.to_string())
            });
        if let Err(err) = result {
            let notice = format!("Could not import {}: {err}", file.display());
            eprintln!("{notice}");
            notices.push(notice);
        }
    }
    notices
}
