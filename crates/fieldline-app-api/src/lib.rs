//! The contract between the field app's shell (`src-tauri`, native) and its UI (`ui`, wasm): command
//! names, their arguments and results, and the error every command may return. Both sides compile
//! against this crate, so a renamed field breaks the build instead of the interview.

use serde::{Deserialize, Serialize};

/// Names of the Tauri commands, as the UI invokes them.
pub mod command {
    pub const SET_USERNAME: &str = "set_username";
    pub const HOME: &str = "home";
}

/// What the home screen shows about this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceProfile {
    pub device_id: String,
    /// The enumerator's name, sent as XLSForm `username` metadata.
    pub username: Option<String>,
    /// The campaign server this device syncs with, when one is set.
    pub server_url: Option<String>,
    pub database_path: String,
}

/// A form on this device, as the home screen lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormCard {
    pub form_id: String,
    pub version: String,
    pub title: String,
    /// Interviews started and not finalized.
    pub drafts: i64,
    /// Interviews finalized on this device.
    pub finalized: i64,
    /// Finalized and not yet accepted by the server.
    pub not_sent: i64,
}

/// Everything the home screen shows ([`command::HOME`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeView {
    pub profile: DeviceProfile,
    pub forms: Vec<FormCard>,
    /// Problems met while starting, e.g. a form given with `--import` that cannot be used.
    pub notices: Vec<String>,
}

/// Arguments of [`command::SET_USERNAME`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetUsername {
    pub name: String,
}

/// A command's failure, in words for the person holding the tablet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppError {
    pub message: String,
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AppError {}
