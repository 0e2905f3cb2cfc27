//! `cargo xtask run`: the server on the embedded database, and the field app pointed at it.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::PathBuf,
    process::{Child, Command, Stdio},
};

use anyhow::{bail, Context as _};
use clap::Args;

use crate::{
    process::{done, run as run_program, step},
    setup, ui_bundle,
};

#[derive(Args)]
pub struct RunArgs {
    /// Address for the server.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Directory for the server's database and the device profile. Default: target/fieldline-data
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

pub fn run(args: RunArgs) -> anyhow::Result<()> {
    setup::ensure(&setup::Need::build())?;
    ui_bundle::build()?;
    let at = step("build the server and the field app");
    run_program(
        "cargo",
        [
            "build",
            "--package",
            "fieldline-cli",
            "--package",
            "fieldline-app",
        ],
    )?;
    done(at);

    let data_dir = args
        .data_dir
        .unwrap_or_else(|| crate::target_dir().join("fieldline-data"));
    let bin = crate::target_dir().join("debug");
    let mut server = Command::new(bin.join("fieldline"))
        .arg("serve")
        .arg("--listen")
        .arg(args.listen.to_string())
        .arg("--data-dir")
        .arg(data_dir.join("server"))
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start the server")?;
    let url = server_url(&mut server)?;
    println!(
        "Server: {url} (dashboard at {url}/, data in {})",
        data_dir.display()
    );

    let has_display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
    if !has_display {
        println!(
            "No display (neither DISPLAY nor WAYLAND_DISPLAY is set), so the field app stays closed. \
             The server keeps running at {url}; press Ctrl-C to stop it."
        );
        let status = server.wait()?;
        println!("Server stopped ({status}).");
        return Ok(());
    }
    println!("Opening the field app; close its window to stop the server too.");
    let mut app = Command::new(bin.join("fieldline-app"));
    app.arg("--data-dir")
        .arg(data_dir.join("device"))
        .arg("--server")
        .arg(&url);
    // The campaign's KAP questionnaire, so a newcomer has a form to look at straight away.
    let demo_form =
        crate::workspace_root().join("../shared/forms/fieldline/safe_migration_kap.xlsx");
    if demo_form.is_file() {
        app.arg("--import").arg(demo_form);
    }
    let app_status = app.status().context("cannot start the field app")?;
    stop(&mut server);
    if !app_status.success() {
        bail!("the field app ended with {app_status}");
    }
    Ok(())
}

/// Reads the server's "listening on URL" line, so a port taken by something else is reported at once
/// instead of an app pointed at nothing.
fn server_url(server: &mut Child) -> anyhow::Result<String> {
    let stdout = server.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let Some(Ok(line)) = lines.next() else {
        let status = server.wait()?;
        bail!("the server did not start ({status}); see its message above");
    };
    let url = line
        .rsplit(' ')
        .next()
        .filter(|url| url.starts_with("http://"))
        .with_context(|| format!("unexpected first line from the server: {line}"))?
        .to_owned();
    // Keep echoing what the server prints.
    std::thread::spawn(move || lines.map_while(Result::ok).for_each(|l| println!("{l}")));
    Ok(url)
}

fn stop(child: &mut Child) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(child.id()) {
        // SIGTERM lets the server finish requests in flight and close its database cleanly.
        let _ = Command::new("kill").arg(pid.to_string()).status();
        if child.wait().is_ok() {
            return;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}
