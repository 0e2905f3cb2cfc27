//! `cargo xtask`: the project's two front doors (`run`, `test`), the benchmark (`bench`) and the
//! chores behind them.
//!
//! Every command installs what it needs and is missing (Debian packages, the wasm target,
//! wasm-bindgen-cli, tauri-driver) and skips what is present, printing one line per step, so a fresh
//! Debian machine needs nothing but this repository and a Rust toolchain.

mod bench;
mod fuzz;
mod postgres;
mod process;
mod python;
mod run;
mod setup;
mod test;
mod ui_bundle;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Fieldline's build, run and test tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Start the server on the embedded database and open the field app pointed at it.
    Run(run::RunArgs),
    /// Everything CI checks: formatting, lints, unit, integration and end-to-end tests.
    Test,
    /// Install the missing tools and build the UI bundle into ui/dist.
    Ui,
    /// Run one command with a throwaway PostgreSQL and FIELDLINE_TEST_POSTGRES_URL pointing at it,
    /// e.g. `cargo xtask with-postgres cargo test -p fieldline-server --test storage_postgres`.
    WithPostgres {
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
    /// Time the form engine (native, wasm, against ODK's), answer saving, app start, the UI
    /// bundle's size, server ingest (SQLite, PostgreSQL) and sync over a slow, dropping link;
    /// writes BENCHMARKS.md (`--only` runs a part and keeps the other sections).
    Bench(bench::BenchArgs),
    /// Run each fuzz target of fuzz/ for a set time and report executions, coverage and crashes.
    Fuzz(fuzz::FuzzArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    std::env::set_current_dir(workspace_root())?;
    match cli.task {
        Task::Run(args) => run::run(args),
        Task::Test => test::test(),
        Task::Ui => {
            setup::ensure(&setup::Need::build())?;
            ui_bundle::build()
        }
        Task::Bench(args) => bench::bench(args),
        Task::Fuzz(args) => fuzz::fuzz(args),
        Task::WithPostgres { command } => postgres::with_postgres(&command),
    }
}

/// The repository's top directory (xtask lives one level below it).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_owned()
}

/// Where cargo puts build output, honouring CARGO_TARGET_DIR.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}
