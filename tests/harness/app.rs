//! The field app on a fresh device profile (with one form imported, as most app tests start).

use std::path::Path;

use fantoccini::Client;

use crate::{binary, field_app_session, within, TauriDriver, VirtualDisplay};

/// The real app under Xvfb, unlocked with [`crate::TEST_PIN`], on a profile of its own. The
/// display, the driver and the profile's directory live as long as this; the directory goes
/// last, after the app is gone.
pub struct FieldApp {
    pub client: Client,
    _driver: TauriDriver,
    _display: VirtualDisplay,
    pub data_dir: tempfile::TempDir,
}

impl FieldApp {
    /// Starts the app with `--import form` on a fresh profile.
    pub async fn with_form(form: &Path) -> anyhow::Result<Self> {
        Self::start(&["--import".into(), form.display().to_string()]).await
    }

    /// Starts the app on a fresh profile with `args` (besides `--data-dir`).
    pub async fn start(args: &[String]) -> anyhow::Result<Self> {
        let app = binary("FIELDLINE_APP_BIN", "fieldline-app")?;
        let data_dir = tempfile::tempdir()?;
        let display = VirtualDisplay::start()?;
        let driver = TauriDriver::start(&display)?;
        let mut all = vec!["--data-dir".into(), data_dir.path().display().to_string()];
        all.extend_from_slice(args);
        let args = all;
        let client = within(
            "starting the app",
            field_app_session(&driver.url(), &app, &args),
        )
        .await?;
        Ok(Self {
            client,
            _driver: driver,
            _display: display,
            data_dir,
        })
    }

    /// Closes the app (its session ends it); the profile's files stay for the test to read.
    pub async fn close(&self) -> anyhow::Result<()> {
        let client = self.client.clone();
        within("closing the app", async { Ok(client.close().await?) }).await
    }
}
