//! `fieldline analyze`: baseline versus endline for every indicator of the form, from two CSV
//! exports or straight from a campaign in the server's database (its rounds named `baseline`
//! and `endline`, opened with `--identity` when end-to-end encrypted, never written out
//! decrypted), as JSON, CSV, XLSX or a self-contained HTML page.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use clap::{Args, ValueEnum};
use fieldline_analysis::{analyze, read_round, render, Analysis, Round, Spec};
use fieldline_export::RowWriter;
use fieldline_form::Form;

#[derive(Args)]
pub struct AnalyzeArgs {
    /// The XLSForm whose `indicators` sheet defines what to compute.
    #[arg(
        long,
        required_unless_present = "campaign",
        conflicts_with = "campaign"
    )]
    form: Option<PathBuf>,
    /// The baseline round's CSV export: a row per submission, a column per field (named as in
    /// the form, or by group path as ODK Central and KoboToolbox export them).
    #[arg(
        long,
        required_unless_present = "campaign",
        conflicts_with = "campaign"
    )]
    baseline: Option<PathBuf>,
    /// The endline round's CSV export.
    #[arg(
        long,
        required_unless_present = "campaign",
        conflicts_with = "campaign"
    )]
    endline: Option<PathBuf>,
    /// Instead of CSV files: the campaign (id or exact name) in the server's database, whose
    /// rounds named baseline and endline are compared with the baseline's form.
    #[arg(long)]
    campaign: Option<String>,
    /// With --campaign: the database URL (sqlite:PATH or postgres://...). Default:
    /// sqlite:DATA_DIR/server.sqlite3, as `fieldline serve`
    #[arg(long, env = "FIELDLINE_DB", requires = "campaign")]
    db: Option<String>,
    /// With --campaign: the server's directory. Default: $FIELDLINE_DATA_DIR, else
    /// ~/.local/share/fieldline
    #[arg(long, requires = "campaign")]
    data_dir: Option<PathBuf>,
    /// With --campaign: the identity file that opens an end-to-end encrypted campaign's
    /// submissions (fieldline-identity.txt of `fieldline keys new`).
    #[arg(long, value_name = "KEYFILE", requires = "campaign")]
    identity: Option<PathBuf>,
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
    let spec = Spec {
        by: args.by.clone(),
        cluster: args.cluster.clone(),
        weight: args.weight.clone(),
        panel_id: args.panel_id.clone(),
        now_millis: now_millis(),
    };
    let rounds = match &args.campaign {
        Some(campaign) => from_database(&args, campaign, spec)?,
        None => from_files(&args, spec)?,
    };
    let Some((analysis, baseline, endline)) = rounds else {
        return Ok(ExitCode::from(1));
    };
    let (baseline, endline) = match (baseline, endline) {
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

/// A round read: its rows, or the problem in its data.
type RoundRead = std::result::Result<Round, fieldline_analysis::AnalysisError>;

/// The analysis and both rounds from the CSV files; `None` when the form cannot be used (its
/// problems printed).
fn from_files(args: &AnalyzeArgs, spec: Spec) -> Result<Option<(Analysis, RoundRead, RoundRead)>> {
    let (Some(form_file), Some(baseline), Some(endline)) =
        (&args.form, &args.baseline, &args.endline)
    else {
        bail!("give --form, --baseline and --endline, or --campaign");
    };
    let Some(form) = load_form(form_file)? else {
        return Ok(None);
    };
    let analysis = match Analysis::new(form, spec) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{}: {e}", form_file.display());
            return Ok(None);
        }
    };
    // The two files are independent: read them on two threads.
    let (b, e) = std::thread::scope(|s| {
        let b = s.spawn(|| read(&analysis, baseline));
        let e = read(&analysis, endline);
        (b.join(), e)
    });
    let b = b.map_err(|_| anyhow::anyhow!("reading the baseline panicked"))??;
    let e = e?;
    Ok(Some((analysis, b, e)))
}

/// The analysis and both rounds from the campaign's rounds named baseline and endline in the
/// server's database, opened with --identity when sealed. Each round becomes the CSV its export
/// would be, in memory only.
fn from_database(
    args: &AnalyzeArgs,
    campaign: &str,
    spec: Spec,
) -> Result<Option<(Analysis, RoundRead, RoundRead)>> {
    let identity = args
        .identity
        .as_deref()
        .map(crate::keys::identity_from_file)
        .transpose()?;
    let url = crate::data_dir::database_url(args.db.as_deref(), args.data_dir.clone())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let storage = fieldline_server::storage::open_storage(&url)
            .await
            .with_context(|| format!("cannot open the database {url}"))?;
        let storage = storage.as_ref();
        let campaign = crate::admin::campaign_named(storage, campaign).await?;
        crate::round_rows::check_identity(storage, &campaign, identity.as_ref()).await?;
        let rounds = storage.rounds(&campaign.id).await?;
        let named = |name: &str| {
            rounds.iter().find(|r| r.name == name).with_context(|| {
                format!(
                    "the campaign {:?} has no round named {name:?}; analyze compares the rounds \
                     named baseline and endline",
                    campaign.name
                )
            })
        };
        let (baseline, endline) = (named("baseline")?, named("endline")?);
        let mut forms = Vec::new();
        for round in [baseline, endline] {
            forms.push(crate::round_rows::round_form(storage, &campaign, round).await?);
        }
        let analysis = Analysis::new(forms[0].clone(), spec)
            .with_context(|| format!("the baseline's form ({})", baseline.form_id))?;
        let mut read = Vec::new();
        for (round, form) in [baseline, endline].into_iter().zip(&forms) {
            let layout = fieldline_export::Layout::new(form);
            let mut bytes = Vec::new();
            let mut csv: Box<dyn RowWriter + '_> =
                Box::new(fieldline_export::CsvWriter::new(&mut bytes, &layout)?);
            crate::round_rows::write_rows(storage, round, identity.as_ref(), &layout, csv.as_mut())
                .await?;
            csv.finish()?;
            read.push(read_round(&analysis, &round.name, bytes.as_slice()));
        }
        let endline = read.pop().expect("two rounds read");
        let baseline = read.pop().expect("two rounds read");
        Ok(Some((analysis, baseline, endline)))
    })
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
