//! `cargo xtask run`: the server on the embedded database, and the field app pointed at it.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::{Path, PathBuf},
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
    let database = data_dir.join("server").join("server.sqlite3");
    if !seeded_marker(&data_dir).exists() {
        let at = step(
            "seed the demo campaign, fill its interviews on headless devices and enroll the field app",
        );
        let fieldwork = seed_demo(&bin.join("fieldline"), &database, &data_dir, &url)?;
        std::fs::write(seeded_marker(&data_dir), format!("{fieldwork}\n"))?;
        done(at);
    }
    // The marker keeps what the demo's fieldwork made, so every later run can say it too.
    let fieldwork = std::fs::read_to_string(seeded_marker(&data_dir))?;
    println!(
        "Demo campaign \"{}\" (baseline and endline of safe_migration_kap, two partners): {}; \
         report at {url}/ → campaign → Baseline and endline. The app is enrolled for the first \
         partner. Manager sign-in: {} / {}",
        fieldline_demo::CAMPAIGN_NAME,
        fieldwork.trim(),
        fieldline_demo::MANAGER_EMAIL,
        fieldline_demo::MANAGER_PASSWORD
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
    // The campaign's forms arrive by sync; importing the questionnaire as well means a newcomer
    // can interview at once, even before the first sync.
    app.arg("--import").arg(fieldline_demo::kap_form());
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

/// Present once the demo campaign is in the server's database; it holds what its fieldwork made.
fn seeded_marker(data_dir: &Path) -> PathBuf {
    data_dir.join("server").join("demo-seeded")
}

/// Sets the demo campaign up in the server's database, has headless devices (profiles in
/// `DATA_DIR/demo-devices/`) fill and sync its baseline and endline interviews, so the report
/// has something to show, and enrolls the field app's device profile for the first partner.
/// Answers what the fieldwork made, as said to the person who ran the command.
fn seed_demo(
    fieldline: &Path,
    database: &Path,
    data_dir: &Path,
    url: &str,
) -> anyhow::Result<String> {
    let demo = fieldline_demo::seed(fieldline, &fieldline_demo::sqlite_url(database), data_dir)?;
    let generated = fieldline_demo::generate_interviews(
        fieldline,
        url,
        &demo,
        &data_dir.join("demo-devices"),
        &fieldline_demo::Plan::default(),
    )?;
    println!(
        "    {} in {:.1} s",
        generated.summary(),
        generated.elapsed.as_secs_f64()
    );
    let first_partner = demo
        .partners
        .first()
        .context("the demo campaign has no partner")?;
    demo.enroll_device(
        fieldline,
        url,
        &data_dir.join("device"),
        &first_partner.id,
        "Demo tablet",
    )?;
    Ok(generated.summary())
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
