//! `cargo xtask test`: everything CI checks, in the order that fails fastest.

use std::{process::Command, time::Instant};

use crate::{
    postgres::{TestCluster, TLS_URL_VAR, URL_VAR},
    process::{done, run, run_command, step},
    setup, ui_bundle,
};

pub fn test() -> anyhow::Result<()> {
    let started = Instant::now();
    setup::ensure(&setup::Need::test())?;
    let python = crate::python::ensure_pyreadstat()?;
    // The server's storage tests run against PostgreSQL as well as SQLite. The cluster is stopped
    // and removed when `postgres` goes out of scope, however the run ends.
    let postgres = TestCluster::start()?;
    // The app embeds the UI bundle at compile time, so it comes before anything builds the app.
    ui_bundle::build()?;

    let at = step("cargo fmt --check");
    run("cargo", ["fmt", "--all", "--", "--check"])?;
    done(at);

    let at = step("cargo clippy --all-targets -D warnings");
    run(
        "cargo",
        [
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    done(at);

    // Besides running them, this builds target/debug/fieldline and target/debug/fieldline-app: both
    // packages have integration tests that run their binary. The end-to-end tests below drive those
    // same binaries, so no second build (with a different feature set, so half the dependency tree
    // again) is needed.
    let at = step("unit and integration tests");
    run_command(
        Command::new("cargo")
            .args(["test", "--workspace", "--exclude", "fieldline-e2e"])
            .env(URL_VAR, postgres.url())
            .env(TLS_URL_VAR, postgres.tls_url())
            .env(crate::python::PYTHON_VAR, &python),
    )?;
    done(at);

    // fieldline-e2e also holds the form-engine conformance test against ODK's engine (Node).
    let at = step(
        "end-to-end: field app under Xvfb, dashboard in headless Chromium, form engine against ODK's",
    );
    let bin = crate::target_dir().join("debug");
    run_command(
        Command::new("cargo")
            .args(["test", "--package", "fieldline-e2e"])
            .env("FIELDLINE_APP_BIN", bin.join("fieldline-app"))
            .env("FIELDLINE_BIN", bin.join("fieldline"))
            .env(URL_VAR, postgres.url()),
    )?;
    done(at);

    drop(postgres);
    println!(
        "All checks passed in {:.0} s.",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
