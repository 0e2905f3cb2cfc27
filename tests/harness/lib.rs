//! The end-to-end harness: starts every process a test needs (a virtual display, tauri-driver,
//! chromedriver, the `fieldline` server), hands out WebDriver sessions, and stops everything it
//! started when the test ends, whether it passed, failed or panicked.

mod app;
pub mod page;
mod processes;
pub mod proxy;
pub mod steps;
pub mod sync;
mod webdriver;

use std::path::PathBuf;

pub use app::FieldApp;
pub use processes::{ChromeDriver, FieldlineServer, TauriDriver, VirtualDisplay};
pub use webdriver::{
    chromium_session, downloads_of, field_app_session, locked_field_app_session, pin_screen,
    save_screenshot, type_pin, unlock_with_pin, wait_text, wait_unlocked, PinScreen, TEST_PIN,
};

/// Longest wait for anything a test waits on: a process to listen, an element to appear.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Longest a whole browser conversation may take: a driver that stops answering fails the test
/// instead of hanging CI.
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(120);

/// Runs `steps`, failing if they take longer than [`DEADLINE`].
pub async fn within<T>(
    what: &str,
    steps: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    tokio::time::timeout(DEADLINE, steps)
        .await
        .map_err(|_| anyhow::anyhow!("{what} took longer than {DEADLINE:?}"))?
}

/// The repository's top directory.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits inside the workspace")
        .to_owned()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// A built binary: `$ENV_VAR` when set (cargo xtask test sets it), else `target/debug/NAME`.
pub fn binary(env_var: &str, name: &str) -> anyhow::Result<PathBuf> {
    let path = std::env::var_os(env_var)
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("debug").join(name));
    anyhow::ensure!(
        path.is_file(),
        "{} is missing: run the end-to-end tests through `cargo xtask test`, which builds it \
         (or build it with `cargo build -p {}`)",
        path.display(),
        if name == "fieldline" {
            "fieldline-cli"
        } else {
            name
        }
    );
    Ok(path)
}

/// `target/e2e/logs/`, where the drivers and the apps they start write their output.
pub fn log_dir() -> anyhow::Result<PathBuf> {
    let dir = artifact_dir()?.join("logs");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// `target/e2e/`, where tests leave screenshots for people to look at.
pub fn artifact_dir() -> anyhow::Result<PathBuf> {
    let dir = target_dir().join("e2e");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
