//! `cargo xtask bench --only export`: `fieldline export` of a round of 1,000,000 submissions
//! from the server's SQLite database to CSV, its time and its memory sampled during the run
//! (issue 6), and the other formats on 100,000 for information.
//!
//! The database is made as the server makes it: `fieldline admin` creates the organization,
//! the campaign and the baseline round with `../shared/forms/fieldline/safe_migration_kap.xlsx`
//! (migrations, form definition and all), one enrolled device is added to its `device` table,
//! and the submissions go into `submission` with the columns `store_submissions` writes: format
//! 1 JSON payloads of complete KAP interviews (repeat instances included) with their SHA-256,
//! in one transaction. Databases are kept in `target/bench-data` and reused while the seed,
//! size and generator version stay the same.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::analyze::{build_fieldline, mb, measure, median, seconds, thousands, Rng, Sample};
use super::Facts;
use crate::process::{done, step};

const DATA_VERSION: u32 = 1;
const SEED: u64 = 0x6578_706f_7274_0001;
const FORM: &str = "../shared/forms/fieldline/safe_migration_kap.xlsx";
const CAMPAIGN: &str = "Safe migration bench";
const ORG: &str = "Bench NGO";
const TARGET_SECONDS: f64 = 60.0;

#[derive(clap::Args)]
pub struct ExportArgs {
    /// Export: submissions in the round exported to CSV.
    #[arg(long, default_value_t = 1_000_000)]
    export_rows: usize,
    /// Export: submissions in the smaller round (memory compared; xlsx, dta and sav timed).
    #[arg(long, default_value_t = 100_000)]
    export_small_rows: usize,
    /// Export: runs of the large CSV export (the median is reported).
    #[arg(long, default_value_t = 1)]
    export_runs: usize,
}

/// One complete interview of the KAP form as the payload's `values`: (path, value).
fn values(rng: &mut Rng, i: usize, instance_id: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = Vec::new();
    let mut put = |path: &str, value: String| v.push((format!("/data/{path}"), value));
    let minute = rng.below(600);
    put(
        "start",
        format!(
            "2026-03-{:02}T{:02}:{:02}:00.000+05:45",
            1 + i % 28,
            8 + minute / 60,
            minute % 60
        ),
    );
    let province = rng.pick(&["koshi", "madhesh"]);
    put("province", province.into());
    let municipality = match province {
        "koshi" => rng.pick(&["biratnagar", "dharan"]),
        _ => rng.pick(&["janakpur", "birgunj"]),
    };
    put("municipality", municipality.into());
    put("ward", (1 + rng.below(35)).to_string());
    let consent = !rng.chance(3);
    put("consent", if consent { "yes" } else { "no" }.into());
    if !consent {
        put("youth", "no".into());
        put("n_without_contract", "0".into());
        put("meta/instanceID", instance_id.into());
        return v;
    }
    let age = 16 + rng.below(55);
    put("about/gender", rng.pick(&["woman", "man", "other"]).into());
    put("about/age", age.to_string());
    put(
        "about/education",
        rng.pick(&["none", "primary", "secondary", "higher"]).into(),
    );
    put("youth", if age <= 29 { "yes" } else { "no" }.into());
    let heard = rng.pick(&["yes", "yes", "no", "dont_know"]);
    put("know/heard_trafficking", heard.into());
    if heard == "yes" {
        let channels = rng.subset(
            &["radio", "street_drama", "school", "social_media", "other"],
            35,
            "radio",
        );
        if channels.split(' ').any(|c| c == "other") {
            put(
                "know/channels_other",
                rng.pick(&["a neighbour", "a returnee, at the \"bus park\""])
                    .into(),
            );
        }
        put("know/channels", channels);
    }
    let knows = rng.pick(&["yes", "no", "dont_know"]);
    put("know/knows_hotline", knows.into());
    if knows == "yes" {
        put("know/hotline", rng.pick(&["1145", "1098"]).into());
    }
    put(
        "know/before_leaving",
        rng.subset(
            &["check_agency", "read_contract", "tell_family"],
            40,
            "nothing",
        ),
    );
    put("views/view_debt", (1 + rng.below(5)).to_string());
    put("views/view_report", (1 + rng.below(5)).to_string());
    let abroad = rng.below(3);
    let mut without = 0;
    for m in 1..=abroad {
        put(
            &format!("migrants[{m}]/m_relation"),
            rng.pick(&["brother", "sister", "son", "daughter", "husband"])
                .into(),
        );
        put(
            &format!("migrants[{m}]/m_country"),
            rng.pick(&["qatar", "malaysia", "uae", "india", "other"])
                .into(),
        );
        let contract = rng.pick(&["yes", "no"]);
        without += u32::from(contract == "no");
        put(&format!("migrants[{m}]/m_contract"), contract.into());
    }
    put("n_without_contract", without.to_string());
    put("end_note", String::new());
    put("meta/instanceID", instance_id.into());
    v
}

fn admin(fieldline: &Path, db: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(fieldline)
        .args(["admin", "--db", db])
        .args(args)
        .env("FIELDLINE_LOG", "warn")
        .current_dir(crate::workspace_root())
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "fieldline admin {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The server database holding `rows` submissions of the baseline round, made once.
fn database(fieldline: &Path, rows: usize) -> anyhow::Result<PathBuf> {
    let dir = crate::target_dir()
        .join("bench-data")
        .join(format!("export-v{DATA_VERSION}-{SEED:x}-{rows}"));
    let path = dir.join("server.sqlite3");
    let stamp = dir.join("complete");
    if stamp.is_file() {
        return Ok(path);
    }
    let at = step(&format!(
        "bench: a server database with {rows} KAP submissions in {}",
        dir.display()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let db = format!("sqlite:{}", path.display());
    admin(fieldline, &db, &["org", "create", ORG])?;
    admin(
        fieldline,
        &db,
        &["campaign", "create", "--owner", ORG, "--name", CAMPAIGN],
    )?;
    admin(
        fieldline,
        &db,
        &[
            "round",
            "create",
            "--campaign",
            CAMPAIGN,
            "--name",
            "baseline",
            "--form",
            FORM,
        ],
    )?;

    let mut conn = rusqlite::Connection::open(&path)?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    let (round, campaign, form_id, form_version): (String, String, String, String) = conn
        .query_row(
            "SELECT id, campaign_id, form_id, form_version FROM round WHERE name = 'baseline'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
    let org: String =
        conn.query_row("SELECT id FROM organization WHERE name = ?1", [ORG], |r| {
            r.get(0)
        })?;
    let device = "bench-device-0001";
    let device_id = "fieldline:0193a4c2-7d1e-7c41-9b1a-bench0000001";
    conn.execute(
        "INSERT INTO device (id, device_id, label, campaign_id, organization_id, token_hash,
             enrolled_at)
         VALUES (?1, ?2, 'Bench tablet', ?3, ?4, 'bench-token-hash', '2026-03-01T06:00:00.000Z')",
        rusqlite::params![device, device_id, campaign, org],
    )?;

    // Payloads are made and hashed on one thread while the other inserts them.
    let (send, receive) = std::sync::mpsc::sync_channel::<(String, Vec<u8>, String)>(4096);
    let producer = std::thread::spawn(move || {
        let mut rng = Rng::new(SEED);
        for i in 0..rows {
            let instance_id = format!(
                "uuid:{:08x}-{:04x}-4{:03x}-b{:03x}-{:012x}",
                i,
                rng.below(1 << 16),
                rng.below(1 << 12),
                rng.below(1 << 12),
                (rng.below(1 << 24) << 24) | rng.below(1 << 24)
            );
            let values = values(&mut rng, i, &instance_id);
            let payload = serde_json::to_vec(&serde_json::json!({
                "format": 1,
                "form_id": form_id,
                "form_version": form_version,
                "instance_id": instance_id,
                "device_id": device_id,
                "username": "Asha",
                "start": "2026-03-01T04:15:00.000Z",
                "end": "2026-03-01T04:40:00.000Z",
                "values": values,
            }))
            .expect("JSON of strings");
            let sha = format!("{:x}", Sha256::digest(&payload));
            if send.send((instance_id, payload, sha)).is_err() {
                return (form_id, form_version);
            }
        }
        (form_id, form_version)
    });
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO submission (instance_id, device, device_seq, form_id, form_version,
                 round, sha256, encoding, payload, attachments, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'json', ?8, '[]', ?9)",
        )?;
        let (form_id, form_version): (String, String) = tx.query_row(
            "SELECT form_id, form_version FROM round WHERE id = ?1",
            [&round],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        for (seq, (instance_id, payload, sha)) in receive.iter().enumerate() {
            let received = format!(
                "2026-03-{:02}T{:02}:{:02}:{:02}.000Z",
                1 + seq / 40_000,
                (seq / 3600) % 24,
                (seq / 60) % 60,
                seq % 60
            );
            insert.execute(rusqlite::params![
                instance_id,
                device,
                seq as i64 + 1,
                form_id,
                form_version,
                round,
                sha,
                payload,
                received,
            ])?;
        }
    }
    tx.commit()?;
    producer
        .join()
        .map_err(|_| anyhow::anyhow!("the payload generator panicked"))?;
    let count: i64 = conn.query_row("SELECT count(*) FROM submission", [], |r| r.get(0))?;
    anyhow::ensure!(
        count as usize == rows,
        "{count} submissions stored, not {rows}"
    );
    conn.pragma_update(None, "synchronous", "FULL")?;
    drop(conn);
    std::fs::write(&stamp, "")?;
    done(at);
    Ok(path)
}

struct Run {
    wall: Duration,
    peak_kb: u64,
    samples: Vec<Sample>,
    bytes: u64,
}

fn export(
    fieldline: &Path,
    db: &Path,
    format: &str,
    out: &Path,
    rows: usize,
) -> anyhow::Result<Run> {
    let _ = std::fs::remove_file(out);
    let db = format!("sqlite:{}", db.display());
    let m = measure(
        Command::new(fieldline)
            .args([
                "export",
                "--db",
                &db,
                "--campaign",
                CAMPAIGN,
                "--round",
                "baseline",
            ])
            .args(["--format", format, "--out"])
            .arg(out)
            .env("FIELDLINE_LOG", "warn"),
        Duration::from_millis(20),
        Some(out),
    )?;
    anyhow::ensure!(
        m.stderr.contains(&format!(": {rows} submission(s)")),
        "fieldline export did not report {rows} submissions: {}",
        m.stderr
    );
    let bytes = std::fs::metadata(out)?.len();
    Ok(Run {
        wall: m.wall,
        peak_kb: m.peak_kb,
        samples: m.samples,
        bytes,
    })
}

/// The resident set when the output first reached `fraction` of its final size.
fn rss_at(run: &Run, fraction: f64) -> Option<Sample> {
    let goal = (run.bytes as f64 * fraction) as u64;
    if fraction >= 1.0 {
        return run.samples.last().copied();
    }
    run.samples.iter().find(|s| s.file_bytes >= goal).copied()
}

pub fn bench(args: &ExportArgs, facts: &Facts) -> anyhow::Result<String> {
    let root = crate::workspace_root();
    anyhow::ensure!(
        root.join(FORM).is_file(),
        "{FORM} is missing (the shared forms sit beside the clone)"
    );
    let fieldline = build_fieldline()?;
    let large = database(&fieldline, args.export_rows)?;
    let small = database(&fieldline, args.export_small_rows)?;
    let out_dir = crate::target_dir().join("bench-data").join("export-out");
    std::fs::create_dir_all(&out_dir)?;
    let rel = |p: &Path| {
        p.strip_prefix(&root)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    };

    let at = step(&format!(
        "bench: fieldline export --format csv of {} submissions, {} run(s)",
        args.export_rows, args.export_runs
    ));
    let csv_out = out_dir.join("large.csv");
    let mut runs = Vec::new();
    for _ in 0..args.export_runs.max(1) {
        runs.push(export(
            &fieldline,
            &large,
            "csv",
            &csv_out,
            args.export_rows,
        )?);
    }
    done(at);
    let walls: Vec<Duration> = runs.iter().map(|r| r.wall).collect();
    let large_wall = median(walls);
    let large_run = runs
        .iter()
        .find(|r| r.wall == large_wall)
        .unwrap_or(&runs[0]);
    let large_peak = runs.iter().map(|r| r.peak_kb).max().unwrap_or(0);
    let db_bytes = std::fs::metadata(&large).map(|m| m.len()).unwrap_or(0);
    let _ = std::fs::remove_file(&csv_out);

    let at = step(&format!(
        "bench: fieldline export of {} submissions in each format",
        args.export_small_rows
    ));
    let mut small_runs = Vec::new();
    for format in ["csv", "xlsx", "dta", "sav"] {
        let out = out_dir.join(format!("small.{format}"));
        let run = export(&fieldline, &small, format, &out, args.export_small_rows)?;
        println!("    {format}: {}", seconds(run.wall));
        let _ = std::fs::remove_file(&out);
        small_runs.push((format, run));
    }
    done(at);
    let small_csv_peak = small_runs[0].1.peak_kb;

    let mut s = String::new();
    s += "## Exports (issue 6)\n\n";
    s += &format!(
        "`fieldline export` (release) of a round of {} safe_migration_kap submissions \
(`{FORM}`) from the server's SQLite database ({:.0} MB) to CSV, with its memory sampled \
during the run, and of a round of {} to every format for information.\n\n",
        thousands(args.export_rows as u64),
        db_bytes as f64 / 1e6,
        thousands(args.export_small_rows as u64),
    );
    s += &format!(
        "Produced by `cargo xtask bench --only export --export-rows {} --export-small-rows {} \
--export-runs {}` on {}, which builds `cargo build --release -p fieldline-cli`, makes the \
databases once under `{}` and runs `target/release/fieldline export --db sqlite:DB --campaign \
\"{CAMPAIGN}\" --round baseline --format FORMAT --out FILE`.\n\n",
        args.export_rows,
        args.export_small_rows,
        args.export_runs,
        facts.date,
        rel(large.parent().and_then(Path::parent).unwrap_or(&large)),
    );
    s += &format!("Machine: {}.\n\n", facts.machine);
    s += "| export | submissions | runs | wall time | rate | file | peak memory (VmHWM) | target | target met |\n";
    s += "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
    s += &format!(
        "| **CSV** | {} | {} | **{}** | {}/s | {:.0} MB | **{}** | under {TARGET_SECONDS:.0} s, memory flat | {} |\n",
        thousands(args.export_rows as u64),
        runs.len(),
        seconds(large_wall),
        thousands((args.export_rows as f64 / large_wall.as_secs_f64()) as u64),
        large_run.bytes as f64 / 1e6,
        mb(large_peak),
        if large_wall.as_secs_f64() < TARGET_SECONDS && large_peak < small_csv_peak * 3 / 2 {
            "yes"
        } else {
            "no"
        },
    );
    for (format, run) in &small_runs {
        s += &format!(
            "| {} | {} | 1 | {} | {}/s | {:.1} MB | {} | - | - |\n",
            format.to_uppercase(),
            thousands(args.export_small_rows as u64),
            seconds(run.wall),
            thousands((args.export_small_rows as f64 / run.wall.as_secs_f64()) as u64),
            run.bytes as f64 / 1e6,
            mb(run.peak_kb),
        );
    }
    s += "\nMemory during the large CSV export (resident set, VmRSS, sampled every 20 ms with the \
output file's size; a point is the first sample at which the file had reached that share of its \
final size):\n\n";
    s += "| point of the export | elapsed | resident set (VmRSS) |\n| --- | --- | --- |\n";
    for (label, fraction) in [
        ("10% of the rows", 0.1),
        ("50% of the rows", 0.5),
        ("100% (the last sample)", 1.0),
    ] {
        if let Some(sample) = rss_at(large_run, fraction) {
            s += &format!(
                "| {label} | {} | {} |\n",
                seconds(sample.at),
                mb(sample.rss_kb)
            );
        }
    }
    s += &format!(
        "\nFlat: the peak for {} submissions is {} against {} for {} ({:.2}x for {}x the rows).\n\n",
        thousands(args.export_rows as u64),
        mb(large_peak),
        mb(small_csv_peak),
        thousands(args.export_small_rows as u64),
        large_peak as f64 / small_csv_peak.max(1) as f64,
        args.export_rows / args.export_small_rows.max(1),
    );
    s += "How it is measured: wall time from starting the process to its exit (opening the \
database, reading the round's form definition, paging through the submissions 1,000 at a time, \
parsing each JSON payload, writing the file); peak memory is the largest VmHWM read from \
`/proc/PID/status` during the run. \"Memory flat\" is judged as the large export's peak within \
1.5x of the small one's. The database is on the real disk and in the page cache (it was just \
written or read before). The payloads are complete interviews of the KAP form, 0 to 2 \
household members abroad in the repeat (which the export leaves out: repeats are not columns), \
some values with commas and quotes. The submissions are inserted into the `submission` table \
directly in one transaction, with the columns and values `store_submissions` writes (one \
enrolled device, device sequence numbers, SHA-256 of each payload), rather than through the \
server's checks, which `ingest` measures.\n";
    Ok(s)
}
