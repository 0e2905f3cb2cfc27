//! `cargo xtask bench --only ingest`: how many safe_migration_kap submissions per second the
//! campaign server takes in over HTTP on loopback, on SQLite and on PostgreSQL (issue 5).
//!
//! The work is done by `crates/fieldline-sync/examples/bench_sync.rs` in release: `ingest-prepare`
//! fills the devices' outboxes once with the real device store, then each run (`ingest`) starts a
//! fresh database and server, enrolls the devices and has them all push at once. PostgreSQL is a
//! throwaway cluster per run, made by the same code as the tests' (`crate::postgres`).

use std::{path::PathBuf, process::Command};

use serde_json::Value;

use super::{json_output, Facts};
use crate::{
    postgres::TestCluster,
    process::{done, run, step},
};

const FORM: &str = "../shared/forms/fieldline/safe_migration_kap.xlsx";
pub const EXAMPLE: [&str; 4] = ["-p", "fieldline-sync", "--example", "bench_sync"];
/// Issue 5's aim for the server, and ODK Central's published figure for scale.
const TARGET_PER_SECOND: f64 = 2000.0;
const ODK_CENTRAL_PER_SECOND: f64 = 41.0;

#[derive(clap::Args)]
pub struct IngestArgs {
    /// Ingest: devices pushing at once.
    #[arg(long, default_value_t = 8)]
    ingest_devices: u32,
    /// Ingest: finalized submissions in each device's outbox.
    #[arg(long, default_value_t = 1250)]
    ingest_per_device: u32,
    /// Ingest: runs per database (the median is reported).
    #[arg(long, default_value_t = 5)]
    ingest_runs: u32,
}

/// Builds the bench example in release and returns its path.
pub fn build_example() -> anyhow::Result<PathBuf> {
    let at = step("bench: build the sync bench example (release)");
    run(
        "cargo",
        ["build", "--release"].iter().chain(&EXAMPLE).copied(),
    )?;
    done(at);
    let path = crate::target_dir().join("release/examples/bench_sync");
    anyhow::ensure!(path.is_file(), "{} was not built", path.display());
    Ok(path)
}

/// A directory removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(path: PathBuf) -> anyhow::Result<Self> {
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)?;
        Ok(Self(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn bench(args: &IngestArgs, facts: &Facts) -> anyhow::Result<String> {
    let root = crate::workspace_root();
    anyhow::ensure!(
        root.join(FORM).is_file(),
        "{FORM} is missing (the shared forms sit beside the clone)"
    );
    crate::setup::ensure_apt_packages(&["postgresql"])?;
    let example = build_example()?;
    let form = root.join(FORM);

    // The devices' profiles only feed the pushes: memory is enough for them (no fsync per
    // finalized interview); the server's SQLite file lives on the real disk under target/.
    let shm = std::path::Path::new("/dev/shm");
    let stores_parent = match shm.is_dir() {
        true => shm.to_owned(),
        false => crate::target_dir(),
    };
    let stores =
        Scratch::new(stores_parent.join(format!("fieldline-bench-ingest-{}", std::process::id())))?;
    let server_dir = Scratch::new(crate::target_dir().join("bench-ingest"))?;

    let at = step(&format!(
        "bench: {} devices fill {} interviews each",
        args.ingest_devices, args.ingest_per_device
    ));
    let prepared = json_output(
        Command::new(&example)
            .arg("ingest-prepare")
            .arg("--stores")
            .arg(&stores.0)
            .args(["--devices", &args.ingest_devices.to_string()])
            .args(["--per-device", &args.ingest_per_device.to_string()])
            .arg("--form")
            .arg(&form),
    )?;
    done(at);

    let mut sqlite = Vec::new();
    let mut postgres = Vec::new();
    for n in 0..args.ingest_runs {
        let at = step(&format!("bench: ingest on SQLite, run {}", n + 1));
        let db = server_dir.0.join(format!("run-{n}.sqlite3"));
        let result = json_output(&mut ingest_command(
            &example,
            &stores.0,
            &format!("sqlite:{}", db.display()),
            &form,
        ))?;
        println!("    {result}");
        sqlite.push(result);
        done(at);
    }
    for n in 0..args.ingest_runs {
        let cluster = TestCluster::start()?;
        let at = step(&format!("bench: ingest on PostgreSQL, run {}", n + 1));
        let result = json_output(&mut ingest_command(
            &example,
            &stores.0,
            cluster.url(),
            &form,
        ))?;
        println!("    {result}");
        postgres.push(result);
        done(at);
    }
    let pg_version = crate::process::output_of("psql", &["--version"])
        .map(|v| v.trim().trim_start_matches("psql (PostgreSQL) ").to_owned())
        .unwrap_or_else(|| "unknown".into());
    Ok(section(
        args,
        facts,
        &prepared,
        &sqlite,
        &postgres,
        &pg_version,
        &server_dir.0,
    ))
}

fn ingest_command(
    example: &std::path::Path,
    stores: &std::path::Path,
    db: &str,
    form: &std::path::Path,
) -> Command {
    let mut command = Command::new(example);
    command
        .arg("ingest")
        .arg("--stores")
        .arg(stores)
        .args(["--db", db])
        .arg("--form")
        .arg(form);
    command
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn row(name: &str, runs: &[Value]) -> (String, f64) {
    let rates: Vec<f64> = runs
        .iter()
        .map(|r| r["per_second"].as_f64().unwrap_or(0.0))
        .collect();
    let med = median(rates.clone());
    let min = rates.iter().copied().fold(f64::INFINITY, f64::min);
    let max = rates.iter().copied().fold(0.0, f64::max);
    let first = &runs[0];
    let seconds = median(
        runs.iter()
            .map(|r| r["seconds"].as_f64().unwrap_or(0.0))
            .collect(),
    );
    let line = format!(
        "| {name} | {} in {} batches | {} | **{}/s** | {}-{}/s | {:.2} s | {:.0}x | {} |\n",
        thousands(first["submissions"].as_f64().unwrap_or(0.0)),
        first["batches"],
        runs.len(),
        thousands(med),
        thousands(min),
        thousands(max),
        seconds,
        med / ODK_CENTRAL_PER_SECOND,
        if med >= TARGET_PER_SECOND {
            "yes"
        } else {
            "no"
        },
    );
    (line, med)
}

fn section(
    args: &IngestArgs,
    facts: &Facts,
    prepared: &Value,
    sqlite: &[Value],
    postgres: &[Value],
    pg_version: &str,
    server_dir: &std::path::Path,
) -> String {
    let first = &sqlite[0];
    let mut md = String::from("## The server: ingest (issue 5)\n\n");
    md += &format!(
        "Submissions of `{FORM}` per second accepted by the campaign server (`fieldline_server::Server` over \
`open_storage`, as `fieldline serve` runs it) over HTTP on loopback, in a release build: {} devices, each with \
{} finalized interviews in its outbox (made by the real device store: enrolled, form pulled, every answer through \
the form engine, finalized; {:.1} s to fill them all), all push at once, each sending its outbox as the sync client \
does: `POST /api/v1/device/submissions` with gzip-compressed JSON batches of up to {} KB of payload, one batch after \
the other, each answered before the next. A batch held a median of {} submissions ({} KB of payload, {} KB \
compressed). The server checks every item (hash, form version published in the device's campaign, the device named in \
the payload, and the same form engine as the device on every answer: `fieldline_interview::check_submission`) and \
commits before it answers; every run checks that every submission was answered `accepted`.\n\n",
        args.ingest_devices,
        thousands(f64::from(args.ingest_per_device)),
        prepared["fill_seconds"].as_f64().unwrap_or(0.0),
        first["batch_bytes_limit"].as_u64().unwrap_or(0) / 1024,
        first["batch_items_median"].as_f64().unwrap_or(0.0).round(),
        (first["batch_payload_bytes_median"].as_f64().unwrap_or(0.0) / 1024.0).round(),
        (first["batch_gzip_bytes_median"].as_f64().unwrap_or(0.0) / 1024.0).round(),
    );
    md += &format!(
        "Produced by `cargo xtask bench --only ingest --ingest-devices {} --ingest-per-device {} --ingest-runs {}` on \
{}, which runs `target/release/examples/bench_sync` (built by `cargo build --release {}`): `ingest-prepare` once, then \
`ingest --db URL` per run.\n\n",
        args.ingest_devices,
        args.ingest_per_device,
        args.ingest_runs,
        facts.date,
        EXAMPLE.join(" "),
    );
    md += &format!("Machine: {}; PostgreSQL {pg_version}.\n\n", facts.machine);
    md += "| database | submissions per run | runs | median | min-max | median time | vs ODK Central's 41/s | 2,000/s met |\n";
    md += "| --- | --- | --- | --- | --- | --- | --- | --- |\n";
    let (line, _) = row(
        &format!(
            "SQLite (a fresh file per run under `{}`, WAL, `synchronous=FULL`: durable before each answer)",
            server_dir
                .strip_prefix(crate::workspace_root())
                .unwrap_or(server_dir)
                .display()
        ),
        sqlite,
    );
    md += &line;
    let (line, _) = row(
        "PostgreSQL (a fresh throwaway cluster per run on loopback, as the tests use: `fsync=off`, `synchronous_commit=off`)",
        postgres,
    );
    md += &line;
    md += "\nThe target: issue 5 aims for 2,000 submissions/s and more; for scale, ODK Central's own published figure is \
about 41 submissions/s for a 250-question form on a small server (a different form, machine and protocol: one XML \
POST per submission).\n\n";
    md += "How it is measured: the clock starts when every device's first request is ready (all batches were read \
from the outboxes and compressed before, so the devices' work is not counted) and stops when the last reply has \
been read; the rate is submissions / that time. The server runs in the same process as the devices' HTTP clients \
(one `reqwest` client each, HTTP/1.1 keep-alive), on one tokio runtime over the machine's 2 cores, so the clients' \
share of the CPU is counted against the server. Each run starts from an empty database with one campaign, the form \
published and the devices enrolled. The PostgreSQL cluster is the tests' throwaway cluster, which trades durability \
for speed (no fsync); the SQLite file is on the real disk with the server's own settings.\n";
    md
}
