//! The contract between the field app's shell (`src-tauri`, native) and its UI (`ui`, wasm): command
//! names, their arguments and results, and the error every command may return. Both sides compile
//! against this crate, so a renamed field breaks the build instead of the interview.

use serde::{Deserialize, Serialize};

/// Names of the Tauri commands, as the UI invokes them.
pub mod command {
    pub const DEVICE_PROFILE: &str = "device_profile";
    pub const SET_USERNAME: &str = "set_username";
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
