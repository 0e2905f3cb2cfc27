//! `fieldline export`: a round's submissions as one file (CSV, XLSX, Stata .dta or SPSS .sav),
//! read from the server's database a page at a time and written row by row, so memory stays
//! flat however many submissions the round holds. The tables are described in
//! `fieldline_export`: by default the respondent-level table (the form's fields outside
//! repeats, named as in the form, then instance_id, device and received_at; the CSV is what
//! `fieldline analyze` reads), with `--repeat NAME` that repeat's table (a row per instance,
//! with PARENT_KEY and KEY to join it back). Fields the form marks sensitive (names, phone
//! numbers, GPS) are left out unless `--include-sensitive` asks for them, so that a file that
//! travels does not identify anyone by default; the report never needs them.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use clap::{Args, ValueEnum};
use fieldline_export::{CsvWriter, DtaWriter, Layout, RowWriter, SavWriter, XlsxWriter};
use fieldline_server::storage::{open_storage, Storage};

#[derive(Args)]
pub struct ExportArgs {
    /// Database URL: sqlite:PATH or postgres://... Default: sqlite:DATA_DIR/server.sqlite3, as
    /// `fieldline serve`
    #[arg(long, env = "FIELDLINE_DB")]
    db: Option<String>,
    /// Directory of the server's files. Default: $FIELDLINE_DATA_DIR, else ~/.local/share/fieldline
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// The campaign (id or exact name).
    #[arg(long)]
    campaign: String,
    /// The round (baseline, endline...).
    #[arg(long)]
    round: String,
    /// The file format.
    #[arg(long, value_enum)]
    format: ExportFormat,
    /// The file to write (replaced if it exists).
    #[arg(long)]
    out: PathBuf,
    /// Export this repeat's table instead (one row per instance, with PARENT_KEY and KEY).
    #[arg(long, value_name = "NAME")]
    repeat: Option<String>,
    /// Keep the fields the form marks sensitive (names, phone numbers, GPS), which are left out
    /// by default.
    #[arg(long)]
    include_sensitive: bool,
    /// The identity file that opens an end-to-end encrypted campaign's submissions
    /// (fieldline-identity.txt of `fieldline keys new`); the file written holds them readable.
    #[arg(long, value_name = "KEYFILE")]
    identity: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    /// Comma-separated, UTF-8, a header row: what `fieldline analyze` reads.
    Csv,
    /// An Excel workbook with one sheet.
    Xlsx,
    /// Stata 14+ (format 118), with variable and value labels.
    Dta,
    /// SPSS, with variable and value labels.
    Sav,
}

pub fn run(args: ExportArgs) -> Result<ExitCode> {
    let url = crate::data_dir::database_url(args.db.as_deref(), args.data_dir.clone())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let storage = open_storage(&url)
            .await
            .with_context(|| format!("cannot open the database {url}"))?;
        let result = export(storage.as_ref(), &args).await;
        if result.is_err() {
            // Never leave a half-written file that looks like an export.
            let _ = std::fs::remove_file(&args.out);
        }
        result
    })
}

async fn export(storage: &dyn Storage, args: &ExportArgs) -> Result<ExitCode> {
    let campaign = crate::admin::campaign_named(storage, &args.campaign).await?;
    let rounds = storage.rounds(&campaign.id).await?;
    let Some(round) = rounds.iter().find(|r| r.name == args.round) else {
        let known: Vec<&str> = rounds.iter().map(|r| r.name.as_str()).collect();
        bail!(
            "the campaign {:?} has no round named {:?}; its rounds: {}",
            campaign.name,
            args.round,
            if known.is_empty() {
                "none yet".into()
            } else {
                known.join(", ")
            }
        );
    };
    let identity = args
        .identity
        .as_deref()
        .map(crate::keys::identity_from_file)
        .transpose()?;
    // Before the file exists: an encrypted campaign without its key writes nothing.
    crate::round_rows::check_identity(storage, &campaign, identity.as_ref()).await?;
    let form = crate::round_rows::round_form(storage, &campaign, round).await?;
    let mut layout = match &args.repeat {
        None => Layout::new(&form),
        Some(repeat) => Layout::for_repeat(&form, repeat)
            .with_context(|| format!("cannot export round {:?}", round.name))?,
    };
    if !args.include_sensitive {
        layout = layout.without_sensitive(&form);
    }

    let file =
        File::create(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    let out = BufWriter::with_capacity(1 << 16, file);
    let mut writer: Box<dyn RowWriter> = match args.format {
        ExportFormat::Csv => Box::new(CsvWriter::new(out, &layout)?),
        ExportFormat::Xlsx => Box::new(XlsxWriter::new(out, &layout)?),
        ExportFormat::Dta => Box::new(DtaWriter::new(out, &layout)?),
        ExportFormat::Sav => Box::new(SavWriter::new(out, &layout)?),
    };
    let submissions =
        crate::round_rows::write_rows(storage, round, identity.as_ref(), &layout, writer.as_mut())
            .await?;
    let finished = writer
        .finish()
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    match &args.repeat {
        None => eprintln!(
            "{}: {submissions} submission(s) of round {:?} of {:?}",
            args.out.display(),
            round.name,
            campaign.name
        ),
        Some(repeat) => eprintln!(
            "{}: {} instance(s) of repeat {repeat:?} from {submissions} submission(s) of round \
             {:?} of {:?}",
            args.out.display(),
            finished.rows,
            round.name,
            campaign.name
        ),
    }
    if !layout.omitted().is_empty() {
        eprintln!(
            "left out {} field(s) the form marks sensitive: {} (--include-sensitive keeps them)",
            layout.omitted().len(),
            layout.omitted().join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
