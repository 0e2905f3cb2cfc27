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
            app.manage(AppState {
                store: Mutex::new(store),
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::device_profile,
            commands::set_username
        ])
        .run(tauri::generate_context!())
        .expect("Fieldline could not start its window");
}
