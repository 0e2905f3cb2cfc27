//! The real `fieldline` binary run as a process, as a campaign's staff and devices run it.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context as _};

/// Runs `fieldline ARGS` and answers its standard output, trimmed; fails with what it wrote on
/// standard error.
pub fn fieldline<I, S>(fieldline: &Path, args: I, env: &[(&str, &str)]) -> anyhow::Result<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let shown = args
        .iter()
        .map(|a| a.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ");
    let output = Command::new(fieldline)
        .args(&args)
        .envs(env.iter().copied())
        .output()
        .with_context(|| format!("cannot run {}", fieldline.display()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        // A backtrace (RUST_BACKTRACE set) says nothing the message does not.
        let message = stderr.split("\n\nStack backtrace:").next().unwrap_or("");
        bail!("fieldline {shown} failed: {}", message.trim());
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}
