//! `cargo xtask bench`: the speed targets, measured and written to BENCHMARKS.md.
//!
//! - `engine`: the form engine natively and in wasm against ODK's engine (issue 3; `bench/engine.rs`);
//! - `answers`, `start`, `bundle`: the field app's targets (issue 4; `bench/app.rs`): saving an
//!   answer in the device store, starting the release app to its home screen under Xvfb, and the
//!   size of the UI's wasm bundle. `app` names all three.
//! - `ingest`, `slowlink`: the server and sync targets (issue 5): submissions per second the server
//!   takes in on SQLite and PostgreSQL (`bench/ingest.rs`), and a sync over a shaped 100 kbit/s link
//!   with latency and drops against its physical limit and ODK-style uploads (`bench/slowlink.rs`).
//! - `analyze`, `export`: issue 6's speed targets: `fieldline analyze` with 20 indicators and 3
//!   breakdowns over 1,000,000 submissions per round against pandas plus statsmodels
//!   (`bench/analyze.rs`), and `fieldline export` of 1,000,000 submissions with its memory
//!   sampled during the run (`bench/export.rs`).
//!
//! The default runs everything and rewrites the whole file. `--only` runs a subset and rewrites only
//! those sections, keeping the others as the last run left them (each section says which command
//! produced it, and when).

mod analyze;
mod app;
mod engine;
mod export;
mod ingest;
mod slowlink;

use std::process::Command;

use anyhow::Context as _;
use serde_json::Value;

use crate::process::output_of;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Run only these parts (repeatable or comma-separated); the default runs all of them.
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Part>,
    #[command(flatten)]
    engine: engine::EngineArgs,
    #[command(flatten)]
    app: app::AppArgs,
    #[command(flatten)]
    ingest: ingest::IngestArgs,
    #[command(flatten)]
    slowlink: slowlink::SlowlinkArgs,
    #[command(flatten)]
    analyze: analyze::AnalyzeArgs,
    #[command(flatten)]
    export: export::ExportArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Part {
    /// The form engine against ODK's (issue 3).
    Engine,
    /// All of the field app's targets: answers, start and bundle (issue 4).
    App,
    /// Saving an answer in the device store.
    Answers,
    /// The release app's start to its home screen under Xvfb.
    Start,
    /// The UI bundle's size.
    Bundle,
    /// The server's ingest rate on SQLite and PostgreSQL (issue 5).
    Ingest,
    /// Sync over a slow, dropping link against its physical limit and ODK-style (issue 5; root).
    Slowlink,
    /// `fieldline analyze` on 1,000,000 submissions per round against pandas + statsmodels (issue 6).
    Analyze,
    /// `fieldline export` of 1,000,000 submissions: time and memory (issue 6).
    Export,
}

/// BENCHMARKS.md's sections in file order, each after a marker line naming it.
const SECTIONS: [&str; 8] = [
    "engine", "answers", "start", "bundle", "ingest", "slowlink", "analyze", "export",
];

/// What every section says about where and when it was measured.
pub struct Facts {
    /// `2026-11-25 16:03 UTC`.
    pub date: String,
    /// Cores, CPU model and rustc.
    pub machine: String,
}

impl Facts {
    fn gather() -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find(|l| l.starts_with("model name"))
                    .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".into());
        let nproc = output_of("nproc", &[]).unwrap_or_default();
        let date = output_of("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_default();
        let rustc = output_of("rustc", &["--version"]).unwrap_or_default();
        Self {
            date: date.trim().to_owned(),
            machine: format!("{} cores (`nproc`), {cpu}; {}", nproc.trim(), rustc.trim()),
        }
    }
}

pub fn bench(args: BenchArgs) -> anyhow::Result<()> {
    let wanted = |part: Part| {
        args.only.is_empty()
            || args.only.contains(&part)
            || (args.only.contains(&Part::App)
                && matches!(part, Part::Answers | Part::Start | Part::Bundle))
    };
    let facts = Facts::gather();
    let file = crate::workspace_root().join("BENCHMARKS.md");
    let mut sections = match std::fs::read_to_string(&file) {
        Ok(text) if !args.only.is_empty() => split_sections(&text),
        _ => Default::default(),
    };
    let mut fresh = |name: &str, text: String| {
        sections.insert(name.to_owned(), text);
    };
    if wanted(Part::Engine) {
        fresh("engine", engine::bench(&args.engine, &facts)?);
    }
    if wanted(Part::Answers) {
        fresh("answers", app::answers(&args.app, &facts)?);
    }
    // The bundle comes before the start: the release app embeds the bundle it builds.
    if wanted(Part::Bundle) {
        fresh("bundle", app::bundle(&facts)?);
    }
    if wanted(Part::Start) {
        fresh("start", app::start(&args.app, &facts)?);
    }
    if wanted(Part::Ingest) {
        fresh("ingest", ingest::bench(&args.ingest, &facts)?);
    }
    if wanted(Part::Slowlink) {
        fresh("slowlink", slowlink::bench(&args.slowlink, &facts)?);
    }
    if wanted(Part::Analyze) {
        fresh("analyze", analyze::bench(&args.analyze, &facts)?);
    }
    if wanted(Part::Export) {
        fresh("export", export::bench(&args.export, &facts)?);
    }

    let mut report = String::from(
        "# Benchmarks\n\n\
Written by `cargo xtask bench`, which measures everything below; `cargo xtask bench --only PART` (`engine`, \
`answers`, `start`, `bundle`, or `app` for answers, start and bundle; `ingest`, `slowlink`, `analyze`, `export`) measures a part again and keeps the other sections as \
they were. Each section names the command that produced it and when.\n",
    );
    for name in SECTIONS {
        if let Some(text) = sections.get(name) {
            report += &format!("\n<!-- bench: {name} -->\n\n{}\n", text.trim());
        }
    }
    std::fs::write(&file, &report)?;
    println!("{report}");
    println!("Wrote BENCHMARKS.md");
    Ok(())
}

/// The sections of an earlier BENCHMARKS.md by name. A file from before the sections (the form
/// engine's table alone under the title) counts as the engine's section.
fn split_sections(text: &str) -> std::collections::HashMap<String, String> {
    let mut sections = std::collections::HashMap::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        if let Some(name) = line
            .strip_prefix("<!-- bench: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        {
            sections.extend(current.take());
            current = Some((name.to_owned(), String::new()));
        } else if let Some((_, body)) = &mut current {
            *body += line;
            *body += "\n";
        }
    }
    sections.extend(current);
    if sections.is_empty() {
        if let Some(body) = text.strip_prefix("# Benchmarks\n") {
            if body.contains("The form engine") {
                let body = body.trim_start();
                let body = match body.starts_with("## ") {
                    true => body.to_owned(),
                    false => format!("## The form engine (issue 3)\n\n{body}"),
                };
                sections.insert("engine".into(), body);
            }
        }
    }
    sections
}

/// Runs `command` and parses its standard output as JSON (all of it, or else its last line).
fn json_output(command: &mut Command) -> anyhow::Result<Value> {
    let shown = format!("{command:?}");
    let output = command
        .output()
        .with_context(|| format!("cannot start {shown}"))?;
    anyhow::ensure!(
        output.status.success(),
        "{shown} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().rev().find(|l| !l.trim().is_empty());
    serde_json::from_str(&stdout)
        .or_else(|_| serde_json::from_str(last.unwrap_or_default()))
        .with_context(|| format!("{shown} printed no JSON: {stdout}"))
}
