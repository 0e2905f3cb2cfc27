//! Where Fieldline keeps its files when not told otherwise.

use std::path::PathBuf;

use fieldline_server::DatabaseUrl;

/// `$FIELDLINE_DATA_DIR`, else `$XDG_DATA_HOME/fieldline`, else `~/.local/share/fieldline`, else
/// `./fieldline-data` on a machine without a home directory.
pub fn default_data_dir() -> PathBuf {
    let env = |name| std::env::var_os(name).filter(|value| !value.is_empty());
    if let Some(dir) = env("FIELDLINE_DATA_DIR") {
        return dir.into();
    }
    if let Some(dir) = env("XDG_DATA_HOME") {
        return PathBuf::from(dir).join("fieldline");
    }
    if let Some(home) = env("HOME") {
        return PathBuf::from(home).join(".local/share/fieldline");
    }
    PathBuf::from("fieldline-data")
}

/// The server's database: `--db URL` when given, else `sqlite:` in the data directory
/// (`--data-dir`, else the default above). Shared by `serve`, `admin` and `export`, so they
/// all find the same database without being told.
pub fn database_url(db: Option<&str>, data_dir: Option<PathBuf>) -> anyhow::Result<DatabaseUrl> {
    Ok(match db {
        Some(url) => url.parse()?,
        None => DatabaseUrl::Sqlite(
            data_dir
                .unwrap_or_else(default_data_dir)
                .join("server.sqlite3"),
        ),
    })
}
