//! Runs sequences through both engines on all cores: each worker owns one ODK batch process and
//! runs `fieldline form eval` while ODK's engine works on the same sequence, so node and the CLI
//! overlap.

use std::{
    collections::VecDeque,
    path::{Path, PathBuf},
    sync::Mutex,
    time::{Duration, Instant},
};

use super::{
    compare::{self, compare, compare_rejections, Difference},
    engines::{self, Answers, Fieldline, FieldlineReply, OdkBatch, OdkReply},
    generate,
    xform::XForm,
};

/// One XLSForm with the XForm ODK's engine reads for it.
pub struct Case {
    /// `pyxform/loop.xls`: folder and file name under shared/forms(/public).
    pub name: String,
    pub xlsform: PathBuf,
    pub xform_path: PathBuf,
    pub xform: XForm,
}

impl Case {
    /// Attachments: `fieldline form eval` reads them from `FORM-media/` beside the XLSForm (ODK's
    /// convention), so ODK's engine gets the same folder, existing or not.
    pub fn media(&self) -> PathBuf {
        let stem = self
            .xlsform
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy();
        self.xlsform.with_file_name(format!("{stem}-media"))
    }
}

pub struct Worker {
    odk: OdkBatch,
    fieldline: Fieldline,
    _scratch: tempfile::TempDir,
}

impl Worker {
    pub fn start(odk_dir: &Path, bin: &Path) -> anyhow::Result<Self> {
        let scratch = tempfile::tempdir()?;
        Ok(Self {
            odk: OdkBatch::start(odk_dir)?,
            fieldline: Fieldline::new(bin, scratch.path()),
            _scratch: scratch,
        })
    }

    pub fn command_line(&self, case: &Case, answers_file: &Path) -> String {
        self.fieldline.command_line(&case.xlsform, answers_file)
    }

    /// What one `fieldline form eval` of `case` with no answers costs, alone on the machine as far
    /// as this test goes (the best of two runs): mostly reading and compiling the form.
    pub fn time_fieldline(&self, case: &Case) -> anyhow::Result<Duration> {
        let mut best = Duration::MAX;
        for _ in 0..2 {
            let started = Instant::now();
            self.fieldline.eval(&case.xlsform, &Answers::new())?;
            best = best.min(started.elapsed());
        }
        Ok(best)
    }

    /// Both engines on one sequence, concurrently.
    pub fn run(
        &mut self,
        case: &Case,
        answers: &Answers,
    ) -> anyhow::Result<(OdkReply, FieldlineReply)> {
        let id = self.odk.send(&case.xform_path, &case.media(), answers)?;
        let fieldline = self.fieldline.eval(&case.xlsform, answers);
        let odk = self.odk.receive(id)?;
        Ok((odk, fieldline?))
    }
}

pub struct Job {
    pub case: usize,
    pub index: usize,
    pub answers: Answers,
}

/// What one sequence showed.
pub enum Verdict {
    Agree {
        leaves: usize,
        rejected: usize,
    },
    Differ {
        leaves: usize,
        diff: Difference,
    },
    OdkRefused(String),
    FieldlineRefused(String),
    /// A process crashed, hung or printed nonsense.
    Broken(String),
}

pub fn judge(
    case: &Case,
    answers: &Answers,
    result: anyhow::Result<(OdkReply, FieldlineReply)>,
) -> Verdict {
    let (odk, fieldline) = match result {
        Ok(pair) => pair,
        Err(e) => return Verdict::Broken(format!("{e:#}")),
    };
    let (odk_leaves, rejected) = match odk {
        OdkReply::Refused(why) => return Verdict::OdkRefused(why),
        OdkReply::Leaves { leaves, rejected } => (leaves, rejected),
    };
    let Some(fl_leaves) = fieldline.leaves else {
        return Verdict::FieldlineRefused(format!(
            "exit {}: {}",
            fieldline.exit,
            fieldline.stderr.trim()
        ));
    };
    let (leaves, diff) = compare(&case.xform.unstable, &odk_leaves, &fl_leaves);
    match diff.or_else(|| compare_rejections(answers, &rejected, fieldline.exit, &fieldline.stderr))
    {
        Some(diff) => Verdict::Differ { leaves, diff },
        None => Verdict::Agree {
            leaves,
            rejected: rejected.len(),
        },
    }
}

/// Runs every job on the workers (one thread each); returns each job with its verdict and time.
pub fn run_all(
    workers: &mut [Worker],
    cases: &[Case],
    jobs: Vec<Job>,
) -> Vec<(Job, Verdict, Duration)> {
    let queue = Mutex::new(VecDeque::from(jobs));
    let done = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for worker in workers.iter_mut() {
            let (queue, done) = (&queue, &done);
            scope.spawn(move || loop {
                let Some(job) = queue.lock().expect("queue").pop_front() else {
                    break;
                };
                let started = Instant::now();
                let case = &cases[job.case];
                let verdict = judge(case, &job.answers, worker.run(case, &job.answers));
                let elapsed = started.elapsed();
                done.lock().expect("results").push((job, verdict, elapsed));
            });
        }
    });
    let mut done = done.into_inner().expect("results");
    done.sort_by_key(|(job, ..)| (job.case, job.index));
    done
}

/// Shrinks a failing sequence (dropping answers while the same leaf and field still differ, for
/// half a minute at most: whova costs ~0.5 s per sequence in ODK's engine), writes it to `dir`, and
/// describes it with the two commands that replay it.
pub fn reproduce(
    worker: &mut Worker,
    case: &Case,
    index: usize,
    answers: &Answers,
    diff: &Difference,
    dir: &Path,
) -> anyhow::Result<String> {
    let started = Instant::now();
    let shrunk = compare::shrink(answers, 150, |candidate| {
        started.elapsed() < Duration::from_secs(30)
            && matches!(judge(case, candidate, worker.run(case, candidate)),
                        Verdict::Differ { diff: d, .. } if d.same_kind(diff))
    });
    // The shrunk sequence's own difference (same leaf and field, maybe other values) is shown.
    let shown = match judge(case, &shrunk, worker.run(case, &shrunk)) {
        Verdict::Differ { diff, .. } => diff,
        _ => diff.clone(),
    };
    let note = format!(
        "sequence {index}, seed {:#x}, shrunk from {} to {} answers",
        generate::seed_of(&case.name, index),
        answers.len(),
        shrunk.len()
    );
    std::fs::create_dir_all(dir)?;
    let file = dir.join(format!("{}-{index}.json", case.name.replace('/', "-")));
    std::fs::write(&file, engines::answers_json(&shrunk).to_string())?;
    Ok(format!(
        "{}  replay: {}\n          node {} {} {} --media {}\n",
        compare::describe(&case.name, &note, &shrunk, &shown),
        worker.command_line(case, &file),
        worker.odk.dir().join("odk-eval.mjs").display(),
        case.xform_path.display(),
        file.display(),
        case.media().display(),
    ))
}
