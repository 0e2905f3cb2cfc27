//! Running commands the way a task log should show them.

use std::{ffi::OsStr, process::Command, time::Instant};

use anyhow::{bail, Context as _};

/// One line per step: what is happening, then whether it worked and how long it took.
pub fn step(what: &str) -> Instant {
    println!("==> {what}");
    Instant::now()
}

pub fn done(started: Instant) {
    println!("    done in {:.1} s", started.elapsed().as_secs_f64());
}

/// Runs a command to completion, failing with the command line when it fails.
pub fn run<I, S>(program: &str, args: I) -> anyhow::Result<()>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new(program);
    command.args(args);
    run_command(&mut command)
}

pub fn run_command(command: &mut Command) -> anyhow::Result<()> {
    let shown = format!("{command:?}");
    let status = command
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

/// Runs a command and returns its standard output, or None when it cannot run or fails.
pub fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Whether `program` is on PATH.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}
