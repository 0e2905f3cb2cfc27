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
    compare::{compare, compare_rejections, Difference},
    engines::{Answers, Fieldline, FieldlineReply, OdkBatch, OdkReply},
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
    /// ODK's engine reads attachments from the XLSForm's folder, as Fieldline does, so both see
    /// the same files (or both miss them).
    pub fn media(&self) -> &Path {
        self.xlsform.parent().expect("a file has a folder")
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

    /// Both engines on one sequence, concurrently.
    pub fn run(
        &mut self,
        case: &Case,
        answers: &Answers,
    ) -> anyhow::Result<(OdkReply, FieldlineReply)> {
        let id = self.odk.send(&case.xform_path, case.media(), answers)?;
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

pub fn judge(case: &Case, result: anyhow::Result<(OdkReply, FieldlineReply)>) -> Verdict {
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
    match diff.or_else(|| compare_rejections(&rejected, fieldline.exit, &fieldline.stderr)) {
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
                let verdict = judge(case, worker.run(case, &job.answers));
                let elapsed = started.elapsed();
                done.lock().expect("results").push((job, verdict, elapsed));
            });
        }
    });
    let mut done = done.into_inner().expect("results");
    done.sort_by_key(|(job, _, _)| (job.case, job.index));
    done
}
