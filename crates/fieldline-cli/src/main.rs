//! `fieldline`: one command for everything that is not the field app.

mod admin;
mod admin_users;
mod analyze;
mod answers;
mod data_dir;
mod device;
mod export;
mod form;
mod keys;
mod round_rows;
mod sampling_plan;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Fieldline: offline-first baseline and endline surveys for anti-trafficking awareness campaigns.
#[derive(Parser)]
#[command(name = "fieldline", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the campaign server: the sync API for devices and the dashboard for managers.
    Serve(serve::ServeArgs),
    /// Form tools: check an XLSForm, or replay answers through the form engine.
    Form(form::FormArgs),
    /// Set up campaigns on the server's database: organizations, users, campaigns, rounds,
    /// enrollment codes; list submissions.
    Admin(admin::AdminArgs),
    /// A headless field device: enroll, pull forms, fill interviews from answer files, sync.
    Device(device::DeviceArgs),
    /// Baseline versus endline: every indicator of the form with 95% confidence intervals, the
    /// change and its significance, overall and by group, from two CSV exports.
    Analyze(analyze::AnalyzeArgs),
    /// Export a round's submissions as CSV (what `analyze` reads), XLSX, Stata .dta or SPSS .sav.
    Export(export::ExportArgs),
    /// Key pairs for end-to-end encrypted campaigns.
    Keys(keys::KeysArgs),
}

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FIELDLINE_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Serve(args) => serve::run(args).map(|()| ExitCode::SUCCESS),
        Command::Form(args) => form::run(args),
        Command::Admin(args) => admin::run(args),
        Command::Device(args) => device::run(args),
        Command::Analyze(args) => analyze::run(args),
        Command::Export(args) => export::run(args),
        Command::Keys(args) => keys::run(args),
    }
}
