//! `cargo xtask fuzz [--seconds N] [--target NAME]`: the fuzz targets of `fuzz/` (cargo fuzz,
//! libFuzzer), each run for a set time from corpora seeded with the repository's real inputs,
//! then a line per target: executions, coverage and the crash files found.
//!
//! Installs what is missing: the nightly toolchain (cargo fuzz needs its sanitizer flags) and
//! cargo-fuzz. The corpora grow in `fuzz/corpus/TARGET/` from one run to the next; findings
//! land in `fuzz/artifacts/TARGET/`, and libFuzzer's own output in `fuzz/artifacts/TARGET.log`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context as _};
use clap::Args;

use crate::process::{done, on_path, output_of, run, step};

/// The targets, in the order they run, and the cargo features each needs.
const TARGETS: &[(&str, &[&str])] = &[
    ("xlsform_bytes", &[]),
    ("xlsform_workbook", &[]),
    ("xpath", &[]),
    ("sync_request", &["server"]),
    ("analysis_csv", &["analysis"]),
];

#[derive(Args)]
pub struct FuzzArgs {
    /// How long to run each target, in seconds.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Run this target only (one of xlsform_bytes, xlsform_workbook, xpath, sync_request,
    /// analysis_csv).
    #[arg(long, value_name = "NAME")]
    target: Option<String>,
}

/// What one run found.
struct Outcome {
    target: &'static str,
    executions: Option<u64>,
    coverage: Option<u64>,
    crashes: Vec<PathBuf>,
}

pub fn fuzz(args: FuzzArgs) -> anyhow::Result<()> {
    let targets: Vec<&(&str, &[&str])> = match &args.target {
        None => TARGETS.iter().collect(),
        Some(name) => {
            let Some(target) = TARGETS.iter().find(|(t, _)| t == name) else {
                let known: Vec<&str> = TARGETS.iter().map(|(t, _)| *t).collect();
                bail!(
                    "there is no fuzz target {name:?}; the targets: {}",
                    known.join(", ")
                );
            };
            vec![target]
        }
    };
    install_tools()?;
    let fuzz_dir = crate::workspace_root().join("fuzz");
    let mut outcomes = Vec::new();
    for &&(target, features) in &targets {
        let corpus = fuzz_dir.join("corpus").join(target);
        fs::create_dir_all(&corpus)?;
        let seeds = seed(target, &corpus)?;
        let started = step(&format!(
            "fuzz {target} for {} s ({seeds} seed inputs)",
            args.seconds
        ));
        outcomes.push(run_target(&fuzz_dir, target, features, args.seconds)?);
        done(started);
    }
    println!();
    println!("target             executions   coverage  crashes");
    let mut found = 0;
    for outcome in &outcomes {
        let shown = |n: Option<u64>| n.map_or_else(|| "?".to_string(), |n| n.to_string());
        println!(
            "{:<18} {:>10} {:>10}  {}",
            outcome.target,
            shown(outcome.executions),
            shown(outcome.coverage),
            outcome.crashes.len()
        );
        for crash in &outcome.crashes {
            println!("    {}", crash.display());
        }
        found += outcome.crashes.len();
    }
    if found > 0 {
        bail!(
            "{found} crash(es) found: reproduce one with `cargo +nightly fuzz run TARGET FILE` in \
             fuzz/, keep it in fuzz/regressions/ and make it a test in its crate"
        );
    }
    Ok(())
}

fn install_tools() -> anyhow::Result<()> {
    let toolchains = output_of("rustup", &["toolchain", "list"]).unwrap_or_default();
    if !toolchains.lines().any(|l| l.starts_with("nightly")) {
        let started = step("install the nightly toolchain (cargo fuzz needs it)");
        run(
            "rustup",
            ["toolchain", "install", "nightly", "--profile", "minimal"],
        )?;
        done(started);
    }
    if !on_path("cargo-fuzz") {
        let started = step("install cargo-fuzz");
        run("cargo", ["install", "cargo-fuzz", "--locked"])?;
        done(started);
    }
    Ok(())
}

/// Runs one target for `seconds` and reads what libFuzzer reported.
fn run_target(
    fuzz_dir: &Path,
    target: &'static str,
    features: &[&str],
    seconds: u64,
) -> anyhow::Result<Outcome> {
    let artifacts = fuzz_dir.join("artifacts").join(target);
    fs::create_dir_all(&artifacts)?;
    let before = crash_files(&artifacts)?;
    let log_path = fuzz_dir.join("artifacts").join(format!("{target}.log"));
    let log = fs::File::create(&log_path)?;
    let mut command = Command::new("cargo");
    command
        .current_dir(fuzz_dir)
        .args(["+nightly", "fuzz", "run", target]);
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    command
        .arg(format!("corpus/{target}"))
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        // A single input taking seconds is a finding too (a hostile input that stalls).
        .arg("-timeout=10")
        .arg("-rss_limit_mb=2048")
        // LeakSanitizer reports the glibc record of a worker thread's thread-local destructors
        // (32 bytes, `__cxa_thread_atexit_impl`) as a leak; a leak is no crash in safe Rust, and
        // memory that grows without bound is caught by the RSS limit above.
        .arg("-detect_leaks=0")
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg("-print_final_stats=1")
        .stdout(log.try_clone()?)
        .stderr(log);
    let status = command
        .status()
        .with_context(|| format!("cannot start cargo fuzz for {target}"))?;
    let output = fs::read_to_string(&log_path).unwrap_or_default();
    let crashes: Vec<PathBuf> = crash_files(&artifacts)?
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    if !status.success() && crashes.is_empty() {
        bail!(
            "cargo fuzz run {target} failed ({status}) without a crash file; see {}",
            log_path.display()
        );
    }
    Ok(Outcome {
        target,
        executions: last_number_after(&output, "stat::number_of_executed_units:"),
        coverage: last_number_after(&output, " cov: "),
        crashes,
    })
}

/// libFuzzer's findings in `dir`: crash-, leak-, timeout-, oom- and slow-unit- files.
fn crash_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if ["crash-", "leak-", "timeout-", "oom-"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
        {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The number after the last occurrence of `label` in libFuzzer's output.
fn last_number_after(output: &str, label: &str) -> Option<u64> {
    let at = output.rfind(label)? + label.len();
    let digits: String = output[at..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Writes the target's seed inputs into its corpus; returns how many there are.
fn seed(target: &str, corpus: &Path) -> anyhow::Result<usize> {
    let root = crate::workspace_root();
    let seeds: Vec<(String, Vec<u8>)> = match target {
        "xlsform_bytes" => {
            let mut forms = Vec::new();
            find_files(&root.join("../shared/forms"), &["xlsx", "xls"], &mut forms)?;
            forms
                .into_iter()
                .map(|path| {
                    let name = path.file_name().unwrap_or_default().to_string_lossy();
                    Ok((format!("seed-{name}"), fs::read(&path)?))
                })
                .collect::<anyhow::Result<_>>()?
        }
        "xpath" => {
            let mut sources = Vec::new();
            find_files(
                &root.join("crates/fieldline-xpath/tests"),
                &["rs"],
                &mut sources,
            )?;
            let mut expressions = Vec::new();
            for source in sources {
                expressions.extend(string_literals(&fs::read_to_string(source)?));
            }
            expressions.sort();
            expressions.dedup();
            expressions
                .into_iter()
                .enumerate()
                .map(|(i, e)| (format!("seed-{i:04}"), e.into_bytes()))
                .collect()
        }
        "sync_request" => {
            let batch = recorded_batch();
            let mut gzipped = vec![1];
            gzipped.extend(gzip(&batch)?);
            let mut plain = vec![0];
            plain.extend(batch);
            vec![
                ("seed-batch.json".into(), plain),
                ("seed-batch.json.gz".into(), gzipped),
            ]
        }
        "analysis_csv" => vec![("seed-export.csv".into(), csv_export().into_bytes())],
        // Structured input: libFuzzer builds workbooks from its own bytes.
        _ => Vec::new(),
    };
    let count = seeds.len();
    for (name, bytes) in seeds {
        fs::write(corpus.join(name), bytes)?;
    }
    Ok(count)
}

fn find_files(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            find_files(&path, extensions, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.contains(&e))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// The contents of the plain `"..."` literals of a Rust source that look like expressions
/// (the tests' expressions and their expected values, which make fine seeds either way).
fn string_literals(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut chars = source.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut literal = String::new();
        let mut closed = false;
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('n') => literal.push('\n'),
                    Some('t') => literal.push('\t'),
                    Some(other) => literal.push(other),
                    None => break,
                },
                '"' => {
                    closed = true;
                    break;
                }
                _ => literal.push(c),
            }
        }
        if closed && !literal.trim().is_empty() && literal.len() < 500 {
            found.push(literal);
        }
    }
    found
}

/// A submission batch as a device sends it: one format-1 payload and one attachment.
fn recorded_batch() -> Vec<u8> {
    let payload = serde_json::json!({
        "format": 1,
        "form_id": "safe_migration_kap",
        "form_version": "2026110101",
        "instance_id": "uuid:0b6f0c55-8d3b-4d39-9a47-0f5b8f0d7e21",
        "device_id": "fieldline:5c2d1f0e-3b4a-4c8d-9e7f-102030405060",
        "username": "Asha",
        "start": "2026-11-25T04:15:00.000Z",
        "end": "2026-11-25T04:30:00.000Z",
        "values": [
            ["/data/province", "koshi"],
            ["/data/ward", "7"],
            ["/data/about/age", "24"],
            ["/data/migrants[1]/m_relation", "brother"],
        ],
    });
    let payload = serde_json::to_vec(&payload).expect("JSON serializes");
    let batch = serde_json::json!({
        "items": [{
            "instance_id": "uuid:0b6f0c55-8d3b-4d39-9a47-0f5b8f0d7e21",
            "device_seq": 1,
            "form_id": "safe_migration_kap",
            "form_version": "2026110101",
            "sha256": hex_sha256(&payload),
            "encoding": "json",
            "payload": base64(&payload),
            "attachments": [{
                "name": "photo.jpg",
                "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                "size": 4,
                "media_type": "image/jpeg",
            }],
        }],
    });
    serde_json::to_vec(&batch).expect("JSON serializes")
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Standard base64 with padding, as the protocol's payloads travel.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn gzip(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

/// An export of the fuzz target's form (fuzz/fuzz_targets/analysis_csv.rs), as `fieldline
/// export` writes one: its fields, then the server's columns.
fn csv_export() -> String {
    let mut csv =
        String::from("gender,age,heard,channels,village,weight,instance_id,device,received_at\n");
    let rows = [
        ("f", "24", "yes", "radio friends", "v1", "1.5"),
        ("m", "31", "no", "", "v2", "0.75"),
        ("f", "17", "yes", "friends", "v1", "2"),
        ("m", "", "", "radio", "v3", ""),
    ];
    for (i, (gender, age, heard, channels, village, weight)) in rows.into_iter().enumerate() {
        csv.push_str(&format!(
            "{gender},{age},{heard},\"{channels}\",{village},{weight},uuid:{i},fieldline:d,\
             2026-11-25T10:00:00.000Z\n"
        ));
    }
    csv
}
