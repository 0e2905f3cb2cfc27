//! Conformance with ODK's own form engine (issue 3): every shared XLSForm that pyxform turns into an
//! XForm is replayed with a few hundred generated answer sequences through `@getodk/xforms-engine`
//! (tests/conformance/odk-engine, headless in Node) and through `fieldline form eval`, and every
//! leaf's name, type, relevant, required, readonly, value, valid and message must agree (values of
//! leaves that are fresh on every instance, such as instanceID and start, are skipped).
//!
//! Run by `cargo xtask test`; alone: `cargo build -p fieldline-cli && cargo test -p fieldline-e2e
//! --test conformance`. Knobs (environment):
//! - `FIELDLINE_CONFORMANCE_SCALE=0.1` runs a tenth of the sequences (`3` three times as many);
//! - `FIELDLINE_CONFORMANCE_FORMS=loop,widgets` only forms whose name contains one of these;
//! - `FIELDLINE_CONFORMANCE_JOBS=N` workers (default 2: one node process each);
//! - `FIELDLINE_SHARED_FORMS=DIR` instead of `<workspace>/../shared/forms`.
//!
//! A failure prints the form, the sequence's seed, the answers (shrunk: answers are dropped while
//! the difference stays), the leaf and both engines' state, and writes the answers to
//! `target/conformance/` with the two commands that replay them.

#[path = "conformance/compare.rs"]
mod compare;
#[path = "conformance/engines.rs"]
mod engines;
#[path = "conformance/generate.rs"]
mod generate;
#[path = "conformance/paths.rs"]
mod paths;
#[path = "conformance/run.rs"]
mod run;
#[path = "conformance/xform.rs"]
mod xform;

use std::{
    io::Write as _,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::Context as _;
use fieldline_e2e::{binary, workspace_root};

use crate::{
    compare::Difference,
    run::{Case, Job, Verdict, Worker},
};

/// Forms where the engines legitimately differ. Each entry is checked: a stale one fails the test.
const ALLOWED: &[(&str, Allowed, &str)] = &[
    (
        "pyxform/bad_calc.xlsx",
        Allowed::OdkRefuses,
        "pyxform's deliberately broken form: its calculation is English text, which ODK's engine \
         refuses to load, so there is nothing to compare",
    ),
    (
        "pyxform/xl_date_ambiguous.xlsx",
        Allowed::OdkRefuses,
        "its choice_filter uses `label::English` as an XPath step, a syntax error for ODK's engine",
    ),
    (
        "pyxform/pull_data.xlsx",
        Allowed::FieldlineMayRefuse,
        "pulldata() reads fruits.csv, which the shared forms do not carry; issue 3 lets Fieldline \
         refuse the form with a clear message until forms carry CSV attachments for pulldata()",
    ),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Allowed {
    OdkRefuses,
    FieldlineMayRefuse,
}

/// Sequences per form: 300 on small forms, fewer as forms grow (ODK's engine builds a fresh
/// instance per sequence, 0.3-0.6 s on whova's 531 leaves), never under 50.
const SEQUENCE_LEAVES: f64 = 12_000.0;
const MAX_SEQUENCES: usize = 300;
const MIN_SEQUENCES: usize = 50;
/// Seconds of `fieldline form eval` per form, at most, and the fewest sequences that leaves.
const FIELDLINE_SECONDS: f64 = 12.0;
const MIN_SLOW_SEQUENCES: usize = 5;
/// Answers per sequence, at most.
const MAX_ANSWERS: usize = 120;
/// Failing sequences shrunk and printed in full; the others are counted.
const SHRUNK: usize = 3;

/// Written straight to stderr: libtest does not capture it, so CI logs show the totals.
macro_rules! say {
    ($($arg:tt)*) => {{ let _ = writeln!(std::io::stderr(), $($arg)*); }};
}

#[test]
fn fieldline_agrees_with_odk_on_every_leaf() -> anyhow::Result<()> {
    let started = Instant::now();
    let bin = binary("FIELDLINE_BIN", "fieldline")?;
    let odk_dir = workspace_root().join("tests/conformance/odk-engine");
    let cases = cases()?;
    let scale: f64 = env_or("FIELDLINE_CONFORMANCE_SCALE", 1.0)?;
    let jobs: usize = env_or("FIELDLINE_CONFORMANCE_JOBS", 2)?;
    let mut workers = (0..jobs.max(1))
        .map(|_| Worker::start(&odk_dir, &bin))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut problems: Vec<String> = Vec::new();

    // Loading: the empty sequence shows which engine loads which form.
    say!("conformance: loading {} forms in both engines", cases.len());
    let empty = (0..cases.len()).map(|case| job(&cases, case, 0)).collect();
    let mut compared_forms = Vec::new();
    let mut totals = Totals::default();
    for (job, verdict, elapsed) in run::run_all(&mut workers, &cases, empty) {
        let case = &cases[job.case];
        let allowed = ALLOWED.iter().find(|(name, _, _)| *name == case.name);
        match (&verdict, allowed.map(|a| a.1)) {
            (Verdict::OdkRefused(_), Some(Allowed::OdkRefuses))
            | (Verdict::FieldlineRefused(_), Some(Allowed::FieldlineMayRefuse)) => {
                say!(
                    "  {}: not compared (allowed): {}",
                    case.name,
                    allowed.expect("matched").2
                );
                continue;
            }
            (_, Some(Allowed::OdkRefuses)) => problems.push(format!(
                "{}: the allow-list says ODK's engine refuses it, but it loaded: remove the entry",
                case.name
            )),
            _ => {}
        }
        if totals.record(case, &job, verdict, elapsed, &mut problems) {
            compared_forms.push(job.case);
        }
    }

    // Fieldline's cost per form, measured while node is idle (phase 1 ran both at once).
    let mut fieldline_cost = vec![Duration::ZERO; cases.len()];
    for &case in &compared_forms {
        fieldline_cost[case] = workers[0].time_fieldline(&cases[case])?;
    }

    // The sequences, heaviest forms first so that they do not trail at the end.
    let mut order = compared_forms.clone();
    order.sort_by_key(|&case| std::cmp::Reverse(cases[case].xform.leaf_count));
    let jobs: Vec<Job> = order
        .iter()
        .flat_map(|&case| {
            let count = sequences_for(&cases[case], fieldline_cost[case], scale);
            (1..count).map(move |index| (case, index))
        })
        .map(|(case, index)| job(&cases, case, index))
        .collect();
    say!(
        "conformance: {} sequences on {} forms, {} workers",
        jobs.len() + compared_forms.len(),
        compared_forms.len(),
        workers.len()
    );
    for (job, verdict, elapsed) in run::run_all(&mut workers, &cases, jobs) {
        totals.record(&cases[job.case], &job, verdict, elapsed, &mut problems);
    }
    say!(
        "conformance: sequences done after {:.0} s",
        started.elapsed().as_secs_f64()
    );

    // Each distinct difference (form, leaf, field) once: the first few shrunk and shown in
    // full, the others in a line each.
    let report_dir = fieldline_e2e::artifact_dir()?.with_file_name("conformance");
    let mut kinds: Vec<(usize, &Difference, usize, usize)> = Vec::new();
    for (n, (case, _, _, diff)) in totals.failures.iter().enumerate() {
        match kinds
            .iter_mut()
            .find(|k| totals.failures[k.2].0 == *case && k.1.same_kind(diff))
        {
            Some(kind) => kind.3 += 1,
            None => kinds.push((*case, diff, n, 1)),
        }
    }
    for (shown, (case, diff, first, count)) in kinds.iter().enumerate() {
        let (_, index, answers, _) = &totals.failures[*first];
        let case = &cases[*case];
        if shown >= SHRUNK {
            problems.push(format!(
                "{}: leaf {} differs in {} in {count} sequence(s), e.g. sequence {index}: ODK {} / Fieldline {}",
                case.name,
                diff.path,
                diff.what,
                diff.odk.get(&diff.what).unwrap_or(&diff.odk),
                diff.fieldline.get(&diff.what).unwrap_or(&diff.fieldline)
            ));
            continue;
        }
        let report = run::reproduce(&mut workers[0], case, *index, answers, diff, &report_dir)?;
        problems.push(format!(
            "{report}  ({count} failing sequence(s) of this kind)\n"
        ));
    }
    drop(workers);

    totals.print(&cases, started.elapsed());
    anyhow::ensure!(
        problems.is_empty(),
        "Fieldline and ODK's engine disagree:\n\n{}",
        problems.join("\n")
    );
    Ok(())
}

fn job(cases: &[Case], case: usize, index: usize) -> Job {
    let form = &cases[case].xform;
    let max = MAX_ANSWERS.min(2 * form.questions.len() + 10);
    let answers = generate::sequence(form, &cases[case].name, index, max);
    Job {
        case,
        index,
        answers,
    }
}

/// Sequences per form: up to 300, fewer as ODK's side grows with the form's leaves, and fewer
/// when `fieldline form eval` is slow on it (its first run, which loads the form, took `fieldline`).
fn sequences_for(case: &Case, fieldline: Duration, scale: f64) -> usize {
    let by_leaves = (SEQUENCE_LEAVES / case.xform.leaf_count.max(1) as f64) as usize;
    let by_leaves = by_leaves.clamp(MIN_SEQUENCES, MAX_SEQUENCES);
    let by_fieldline = (FIELDLINE_SECONDS / fieldline.as_secs_f64().max(1e-3)) as usize;
    let count = by_leaves.min(by_fieldline.max(MIN_SLOW_SEQUENCES));
    if count < by_leaves {
        say!(
            "  {}: {count} sequences, not {by_leaves}: `fieldline form eval` took {:.2} s on it",
            case.name,
            fieldline.as_secs_f64()
        );
    }
    ((count as f64 * scale).round() as usize).max(1)
}

#[derive(Default)]
struct Totals {
    /// Per case: sequences, leaves compared, answers, answers ODK reported, failing, time.
    per_form: std::collections::BTreeMap<usize, [u64; 6]>,
    failures: Vec<(usize, usize, engines::Answers, Difference)>,
}

impl Totals {
    /// Counts one sequence; returns whether both engines ran it.
    fn record(
        &mut self,
        case: &Case,
        job: &Job,
        verdict: Verdict,
        elapsed: Duration,
        problems: &mut Vec<String>,
    ) -> bool {
        let compared = matches!(verdict, Verdict::Agree { .. } | Verdict::Differ { .. });
        let row = self.per_form.entry(job.case).or_default();
        row[0] += 1;
        row[2] += job.answers.len() as u64;
        row[5] += elapsed.as_millis() as u64;
        match verdict {
            Verdict::Agree { leaves, rejected } => {
                row[1] += leaves as u64;
                row[3] += rejected as u64;
            }
            Verdict::Differ { leaves, diff } => {
                row[1] += leaves as u64;
                row[4] += 1;
                self.failures
                    .push((job.case, job.index, job.answers.clone(), diff));
            }
            Verdict::OdkRefused(why) => {
                problems.push(format!("{}: ODK's engine refuses it: {why}", case.name))
            }
            Verdict::FieldlineRefused(why) => problems.push(format!(
                "{}: `fieldline form eval` refuses it: {why}",
                case.name
            )),
            Verdict::Broken(why) => {
                problems.push(format!("{} sequence {}: {why}", case.name, job.index))
            }
        }
        compared
    }

    fn print(&self, cases: &[Case], elapsed: Duration) {
        say!(
            "\n{:<52} {:>5} {:>9} {:>7} {:>6} {:>5} {:>7}",
            "form",
            "seqs",
            "leaves",
            "answers",
            "odk-rej",
            "fail",
            "cpu s"
        );
        let mut sum = [0u64; 6];
        for (case, row) in &self.per_form {
            say!(
                "{:<52} {:>5} {:>9} {:>7} {:>6} {:>5} {:>7.1}",
                cases[*case].name,
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                row[5] as f64 / 1000.0
            );
            for (total, value) in sum.iter_mut().zip(row) {
                *total += value;
            }
        }
        say!(
            "conformance: {} forms, {} sequences, {} answers ({} reported as not taken by ODK), {} leaves compared, {} failing sequences, in {:.0} s",
            self.per_form.len(), sum[0], sum[2], sum[3], sum[1], sum[4], elapsed.as_secs_f64()
        );
    }
}

/// Every XLSForm under shared/forms with an XForm: a fixture in tests/conformance/forms/
/// (`NAME.EXT.xml`) or pyxform's in shared/forms/public/xform/ (`NAME.xml`).
fn cases() -> anyhow::Result<Vec<Case>> {
    let shared = match std::env::var_os("FIELDLINE_SHARED_FORMS") {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root().join("../shared/forms"),
    };
    anyhow::ensure!(
        shared.join("public/xform").is_dir(),
        "{} is missing: the conformance test needs the shared forms beside the clone \
         (or FIELDLINE_SHARED_FORMS=DIR)",
        shared.display()
    );
    let fixtures = workspace_root().join("tests/conformance/forms");
    let only: Vec<String> = std::env::var("FIELDLINE_CONFORMANCE_FORMS")
        .map(|s| s.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let mut cases = Vec::new();
    for folder in ["public/pyxform", "public/odk-web-forms", "fieldline"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(shared.join(folder))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        files.sort();
        for xlsform in files {
            let file_name = xlsform
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let Some((stem, "xls" | "xlsx")) = file_name.rsplit_once('.') else {
                continue;
            };
            let name = format!("{}/{file_name}", folder.trim_start_matches("public/"));
            if !only.is_empty() && !only.iter().any(|o| name.contains(o.as_str())) {
                continue;
            }
            let fixture = fixtures.join(format!("{file_name}.xml"));
            let xform_path = match fixture.is_file() {
                true => fixture,
                false => shared.join("public/xform").join(format!("{stem}.xml")),
            };
            if !xform_path.is_file() {
                continue; // pyxform refuses it (SOURCES.md): the form-check tests cover those.
            }
            let xform = read_xform(&xform_path)?;
            cases.push(Case {
                name,
                xlsform,
                xform_path,
                xform,
            });
        }
    }
    anyhow::ensure!(!cases.is_empty(), "no forms selected");
    Ok(cases)
}

fn read_xform(path: &Path) -> anyhow::Result<xform::XForm> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    xform::XForm::read(&text)
        .with_context(|| format!("{}: not an XForm this test understands", path.display()))
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T> {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .map_err(|_| anyhow::anyhow!("{name}={value} is not valid")),
        Err(_) => Ok(default),
    }
}
