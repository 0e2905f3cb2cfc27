//! Command-line options of `fieldline-app`.

use std::path::PathBuf;

use clap::Parser;

/// Fieldline's field app for enumerators.
#[derive(Debug, Clone, Parser)]
#[command(name = "fieldline-app", version, about)]
pub struct AppOptions {
    /// Directory of the device profile (its database and files). Default: the platform's app data
    /// directory.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Campaign server to sync with, e.g. http://127.0.0.1:8080 (remembered for later starts).
    #[arg(long = "server", value_name = "URL")]
    pub server_url: Option<String>,
    /// Import an XLSForm once the app is unlocked (repeatable), so work can begin before any
    /// server exists.
    #[arg(long = "import", value_name = "FILE.xlsx")]
    pub import: Vec<PathBuf>,
    /// Lock the app after this many seconds without a touch or key press.
    #[arg(long = "lock-after", value_name = "SECONDS", default_value_t = DEFAULT_LOCK_AFTER_SECONDS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub lock_after_seconds: u64,
}

/// Five minutes: long enough not to interrupt a respondent's pause, short enough that a tablet
/// left on a table does not stay open for long.
pub const DEFAULT_LOCK_AFTER_SECONDS: u64 = 5 * 60;

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            data_dir: None,
            server_url: None,
            import: Vec::new(),
            lock_after_seconds: DEFAULT_LOCK_AFTER_SECONDS,
        }
    }
}

impl AppOptions {
    /// Parses the process arguments; on a mistake prints the usage and exits, as a command does.
    pub fn from_args() -> Self {
        Self::parse()
    }
}
