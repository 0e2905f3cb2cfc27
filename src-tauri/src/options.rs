//! Command-line options of `fieldline-app`.

use std::path::PathBuf;

use clap::Parser;

/// Fieldline's field app for enumerators.
#[derive(Debug, Clone, Default, Parser)]
#[command(name = "fieldline-app", version, about)]
pub struct AppOptions {
    /// Directory of the device profile (its database and files). Default: the platform's app data
    /// directory.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Campaign server to sync with, e.g. http://127.0.0.1:8080 (remembered for later starts).
    #[arg(long = "server", value_name = "URL")]
    pub server_url: Option<String>,
    /// Import an XLSForm at start (repeatable), so work can begin before any server exists.
    #[arg(long = "import", value_name = "FILE.xlsx")]
    pub import: Vec<PathBuf>,
}

impl AppOptions {
    /// Parses the process arguments; on a mistake prints the usage and exits, as a command does.
    pub fn from_args() -> Self {
        Self::parse()
    }
}
