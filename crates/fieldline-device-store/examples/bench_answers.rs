//! Times `DeviceStore::record_answer`, the autosave behind every answer an enumerator gives, on a
//! real SQLite file: the campaign form (safe_migration_kap.xlsx) imported into a fresh profile in a
//! temporary directory, then full interviews answered one after another as an enumerator would
//! (location, consent, about the respondent, what they know, their views, three household members
//! abroad in the repeat, a corrected age and a changed view on the way).
//!
//! Prints one JSON line: the answers' median, p99 and max in milliseconds, and what was measured.
//!
//! Usage: `bench_answers FORM.xlsx [--interviews N] [--dir PARENT]` (the temporary profile is created
//! inside PARENT, default the system's temporary directory, and removed at the end).

use std::path::PathBuf;
use std::time::Instant;

use fieldline_device_store::DeviceStore;
use serde_json::json;

/// Nepal's offset from UTC (UTC+05:45), where the campaign form is used.
const NEPAL: i32 = 345;
/// Household members abroad per interview (the repeat starts with one instance).
const MEMBERS: usize = 3;

struct Args {
    form: PathBuf,
    interviews: usize,
    dir: Option<PathBuf>,
}

fn args() -> Result<Args, String> {
    let usage = "usage: bench_answers FORM.xlsx [--interviews N] [--dir PARENT]";
    let mut form = None;
    let mut interviews = 100;
    let mut dir = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--interviews" => {
                interviews = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or(usage)?
            }
            "--dir" => dir = Some(PathBuf::from(it.next().ok_or(usage)?)),
            _ if form.is_none() && !arg.starts_with("--") => form = Some(PathBuf::from(arg)),
            _ => return Err(usage.into()),
        }
    }
    Ok(Args {
        form: form.ok_or(usage)?,
        interviews,
        dir,
    })
}

/// One interview's answers in the order the screens ask them; `None` values add a repeat instance.
fn interview(n: usize) -> Vec<(String, Option<String>)> {
    let pick = |options: &[&str]| options[n % options.len()].to_owned();
    let mut steps: Vec<(String, Option<String>)> = vec![
        ("province".into(), Some("koshi".into())),
        ("municipality".into(), Some(pick(&["dharan", "biratnagar"]))),
        ("ward".into(), Some((n % 35 + 1).to_string())),
        ("consent".into(), Some("yes".into())),
        ("gender".into(), Some(pick(&["woman", "man", "other"]))),
        // Typed wrong, then corrected: the engine takes both, the log keeps both.
        ("age".into(), Some((16 + n % 50).to_string() + "0")),
        ("age".into(), Some((16 + n % 50).to_string())),
        (
            "education".into(),
            Some(pick(&["none", "primary", "secondary", "higher"])),
        ),
        ("heard_trafficking".into(), Some("yes".into())),
        (
            "channels".into(),
            Some(pick(&[
                "radio school",
                "street_drama other",
                "social_media",
            ])),
        ),
    ];
    if n % 3 == 1 {
        steps.push(("channels_other".into(), Some("ward meeting".into())));
    }
    steps.extend([
        ("knows_hotline".into(), Some("yes".into())),
        ("hotline".into(), Some(pick(&["1145", "104", "1098"]))),
        (
            "before_leaving".into(),
            Some(pick(&[
                "check_agency read_contract",
                "tell_family",
                "check_agency read_contract tell_family",
            ])),
        ),
        ("view_debt".into(), Some(pick(&["1", "2", "4"]))),
        ("view_report".into(), Some(pick(&["5", "4"]))),
        ("view_debt".into(), Some(pick(&["2", "3"]))),
    ]);
    for member in 1..=MEMBERS {
        if member > 1 {
            steps.push(("/data/migrants".into(), None));
        }
        let at = |q: &str| format!("/data/migrants[{member}]/{q}");
        steps.extend([
            (
                at("m_relation"),
                Some(pick(&["brother", "daughter", "husband", "cousin"])),
            ),
            (
                at("m_country"),
                Some(["qatar", "malaysia", "uae", "india"][(n + member) % 4].into()),
            ),
            (
                at("m_contract"),
                Some(["yes", "no"][(n + member) % 2].into()),
            ),
        ]);
    }
    steps
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    // Nearest rank: the smallest value with at least q of the values at or below it.
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args()?;
    let bytes = std::fs::read(&args.form)
        .map_err(|e| format!("cannot read {}: {e}", args.form.display()))?;
    let file_name = args
        .form
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = match &args.dir {
        Some(parent) => tempfile::tempdir_in(parent)?,
        None => tempfile::tempdir()?,
    };

    let mut store = DeviceStore::open(dir.path())?;
    store.set_username("Asha")?;
    let form = store.import_form(&file_name, &bytes)?;

    let mut answers_ms = Vec::new();
    let mut first_ms = Vec::new();
    let mut repeats = 0;
    let started = Instant::now();
    for n in 0..args.interviews {
        let id = store.start_draft(&form.form_id, &form.version, NEPAL)?;
        for (i, (key, value)) in interview(n).iter().enumerate() {
            match value {
                Some(value) => {
                    let at = Instant::now();
                    store
                        .record_answer(&id, key, value)
                        .map_err(|e| format!("interview {n}: {key} = {value:?}: {e}"))?;
                    let ms = at.elapsed().as_secs_f64() * 1000.0;
                    answers_ms.push(ms);
                    if i == 0 {
                        first_ms.push(ms);
                    }
                }
                None => {
                    store.add_repeat(&id, key)?;
                    repeats += 1;
                }
            }
        }
    }
    let total_s = started.elapsed().as_secs_f64();
    let drafts = store.list_drafts()?.len();
    // The database file and its write-ahead log (answers not yet checkpointed live there).
    let database = dir.path().join(fieldline_device_store::DATABASE_FILE);
    let wal = dir
        .path()
        .join(format!("{}-wal", fieldline_device_store::DATABASE_FILE));
    let db_bytes =
        std::fs::metadata(&database)?.len() + std::fs::metadata(&wal).map_or(0, |m| m.len());

    let mut sorted = answers_ms.clone();
    sorted.sort_by(f64::total_cmp);
    first_ms.sort_by(f64::total_cmp);
    let result = json!({
        "form": file_name,
        "interviews": args.interviews,
        "drafts_at_end": drafts,
        "answers": answers_ms.len(),
        "repeats_added": repeats,
        "answer_ms": {
            "median": quantile(&sorted, 0.5),
            "p99": quantile(&sorted, 0.99),
            "max": sorted.last().copied().unwrap_or(0.0),
            "mean": answers_ms.iter().sum::<f64>() / answers_ms.len() as f64,
        },
        // Each draft's first answer also builds the engine instance for it.
        "first_answer_ms": {
            "median": quantile(&first_ms, 0.5),
            "max": first_ms.last().copied().unwrap_or(0.0),
        },
        "total_s": total_s,
        "database_bytes": db_bytes,
        "dir": dir.path().display().to_string(),
    });
    println!("{result}");
    Ok(())
}
