//! `fieldline analyze`: baseline versus endline for every indicator of the form, from two CSV
//! exports, as JSON, CSV, XLSX or a self-contained HTML page.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use clap::{Args, ValueEnum};
use fieldline_analysis::{analyze, read_round, render, Analysis, Round, Spec};
use fieldline_form::Form;

#[derive(Args)]
pub struct AnalyzeArgs {
    /// The XLSForm whose `indicators` sheet defines what to compute.
    #[arg(long)]
    form: PathBuf,
    /// The baseline round's CSV export: a row per submission, a column per field (named as in
    /// the form, or by group path as ODK Central and KoboToolbox export them).
    #[arg(long)]
    baseline: PathBuf,
    /// The endline round's CSV export.
    #[arg(long)]
    endline: PathBuf,
    /// Break every indicator down by this column's values (repeatable; each on its own, not
    /// crossed). A header or a field name.
    #[arg(long = "by", value_name = "COL")]
    by: Vec<String>,
    /// The column of cluster codes (primary sampling units): survey design.
    #[arg(long, value_name = "COL")]
    cluster: Option<String>,
    /// The column of sampling weights (non-negative numbers): survey design.
    #[arg(long, value_name = "COL")]
    weight: Option<String>,
    /// The column identifying a person in both rounds: paired change (McNemar).
    #[arg(long = "panel-id", value_name = "COL")]
    panel_id: Option<String>,
    /// Output format; by default from the --out file's extension, else json.
    #[arg(long, value_enum)]
    format: Option<OutputFormat>,
    /// Write here instead of standard output (required for xlsx).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Json,
    Csv,
    Xlsx,
    Html,
}

pub fn run(args: AnalyzeArgs) -> Result<ExitCode> {
    let format = match (args.format, &args.out) {
        (Some(f), _) => f,
        (None, Some(out)) => match out.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("csv") => OutputFormat::Csv,
            Some(e) if e.eq_ignore_ascii_case("xlsx") => OutputFormat::Xlsx,
            Some(e) if e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm") => {
                OutputFormat::Html
            }
            _ => OutputFormat::Json,
        },
        (None, None) => OutputFormat::Json,
    };
    if format == OutputFormat::Xlsx && args.out.is_none() {
        bail!("xlsx is a binary format: name the file with --out FILE.xlsx");
    }
    let Some(form) = load_form(&args.form)? else {
        return Ok(ExitCode::from(1));
    };
    let spec = Spec {
        by: args.by,
        cluster: args.cluster,
        weight: args.weight,
        panel_id: args.panel_id,
        now_millis: now_millis(),
    };
    let analysis = match Analysis::new(form, spec) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{}: {e}", args.form.display());
            return Ok(ExitCode::from(1));
        }
    };
    // The two files are independent: read them on two threads.
    let (baseline, endline) = std::thread::scope(|s| {
        let b = s.spawn(|| read(&analysis, &args.baseline));
        let e = read(&analysis, &args.endline);
        (b.join(), e)
    });
    let baseline = baseline.map_err(|_| anyhow::anyhow!("reading the baseline panicked"))?;
    let (baseline, endline) = match (baseline?, endline?) {
        (Ok(b), Ok(e)) => (b, e),
        (b, e) => {
            for err in [b.err(), e.err()].into_iter().flatten() {
                eprintln!("error: {err}");
            }
            return Ok(ExitCode::from(1));
        }
    };
    let report = analyze(&analysis, &baseline, &endline);
    let bytes = match format {
        OutputFormat::Json => render::json(&report).into_bytes(),
        OutputFormat::Csv => render::csv(&report).into_bytes(),
        OutputFormat::Html => render::html(&report).into_bytes(),
        OutputFormat::Xlsx => render::xlsx(&report)?,
    };
    match &args.out {
        Some(path) => std::fs::write(path, &bytes)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&bytes)?;
            stdout.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Open and stream one round; an I/O failure is an `Err`, a problem in the data an `Ok(Err)`.
fn read(
    analysis: &Analysis,
    path: &Path,
) -> Result<std::result::Result<Round, fieldline_analysis::AnalysisError>> {
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(read_round(analysis, &path.display().to_string(), file))
}

/// The form, or its problems printed as `fieldline form check` prints them and `None`.
fn load_form(file: &Path) -> Result<Option<Form>> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file.to_string_lossy();
    match Form::from_xlsform_named(&name, &bytes, &crate::form::attachments(file)?) {
        Ok(form) => Ok(Some(form)),
        Err(errors) => {
            for p in &errors.problems {
                eprintln!("{}: {p}\n", file.display());
            }
            eprintln!(
                "{}: {} problem(s); the form cannot be used",
                file.display(),
                errors.problems.len()
            );
            Ok(None)
        }
    }
}

/// `now()` and `today()` in an indicator read the time of the analysis.
fn now_millis() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_millis() as f64)
}
