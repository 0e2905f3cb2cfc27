//! The two engines, as real processes: ODK's `@getodk/xforms-engine` in a long-lived
//! `node odk-eval.mjs --batch` (it keeps each compiled form, so a sequence costs one fresh instance),
//! and `fieldline form eval`, one process per sequence (it takes its answers from a file). Both
//! run under a timeout, so an engine that hangs fails the test instead of CI.

use std::{
    io::{BufRead as _, BufReader, Write as _},
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    sync::mpsc::{self, Receiver, RecvTimeoutError},
    time::Duration,
};

use anyhow::{anyhow, bail, Context as _};
use serde_json::{json, Value};

pub type Answers = Vec<(String, String)>;

pub fn answers_json(answers: &Answers) -> Value {
    Value::Array(answers.iter().map(|(k, v)| json!([k, v])).collect())
}

/// What ODK's engine said about one request.
pub enum OdkReply {
    Leaves {
        leaves: Vec<Value>,
        /// Indices of the answers the engine did not take as given.
        rejected: Vec<usize>,
    },
    /// The request could not run: the engine cannot load the form, or the answers are malformed.
    Refused(String),
}

/// Generous: whova's first request compiles the form (1.5-3 s), on a machine busy with builds.
const ODK_TIMEOUT: Duration = Duration::from_secs(120);
const FIELDLINE_TIMEOUT: Duration = Duration::from_secs(60);

pub struct OdkBatch {
    dir: PathBuf,
    child: Child,
    stdin: ChildStdin,
    replies: Receiver<String>,
    next_id: u64,
}

impl OdkBatch {
    /// Starts `node odk-eval.mjs --batch` in `dir` (tests/conformance/odk-engine).
    pub fn start(dir: &Path) -> anyhow::Result<Self> {
        anyhow::ensure!(
            dir.join("node_modules/@getodk/xforms-engine").is_dir(),
            "{}/node_modules is missing: run `cargo xtask test` (its setup runs `npm ci` there) \
             or `npm ci` in that folder",
            dir.display()
        );
        let mut child = Command::new("node")
            .args(["odk-eval.mjs", "--batch"])
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("cannot start node (install Node 20+: Debian packages nodejs and npm)")?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, replies) = mpsc::channel();
        // A reader thread turns the blocking pipe into a channel that can be read with a timeout.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Self {
            dir: dir.to_owned(),
            child,
            stdin,
            replies,
            next_id: 0,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Sends a request without waiting, so the caller can run Fieldline's side meanwhile.
    pub fn send(&mut self, form: &Path, media: &Path, answers: &Answers) -> anyhow::Result<u64> {
        self.next_id += 1;
        let request = json!({
            "id": self.next_id,
            "form": form,
            "media": media,
            "answers": answers_json(answers),
        });
        writeln!(self.stdin, "{request}").context("ODK's engine process has exited")?;
        self.stdin.flush()?;
        Ok(self.next_id)
    }

    /// The reply to request `id`. On a timeout the process is restarted, and the error says so.
    pub fn receive(&mut self, id: u64) -> anyhow::Result<OdkReply> {
        let line = match self.replies.recv_timeout(ODK_TIMEOUT) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => {
                self.restart()?;
                bail!("ODK's engine gave no answer within {ODK_TIMEOUT:?} (process restarted)");
            }
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.child.wait()?;
                self.restart()?;
                bail!("ODK's engine process exited ({status}); see its stderr above");
            }
        };
        let reply: Value = serde_json::from_str(&line)
            .with_context(|| format!("ODK's engine printed something else than JSON: {line}"))?;
        anyhow::ensure!(
            reply["id"] == json!(id),
            "ODK's engine answered request {} when {id} was expected",
            reply["id"]
        );
        if let Some(error) = reply["error"].as_str() {
            return Ok(OdkReply::Refused(error.to_owned()));
        }
        let leaves = reply["leaves"]
            .as_array()
            .ok_or_else(|| anyhow!("ODK's reply has no leaves: {line}"))?
            .clone();
        let rejected = reply["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["index"].as_u64().map(|i| i as usize))
                    .collect()
            })
            .unwrap_or_default();
        Ok(OdkReply::Leaves { leaves, rejected })
    }

    fn restart(&mut self) -> anyhow::Result<()> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        *self = Self::start(&self.dir)?;
        Ok(())
    }
}

impl Drop for OdkBatch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What `fieldline form eval --json` did with one sequence.
pub struct FieldlineReply {
    /// `None` when it printed no leaves (exit 1: it refused the form or the answers file).
    pub leaves: Option<Vec<Value>>,
    pub exit: i32,
    pub stderr: String,
}

pub struct Fieldline {
    bin: PathBuf,
    answers_file: PathBuf,
}

impl Fieldline {
    /// `scratch` is this worker's own temporary folder for its answers file.
    pub fn new(bin: &Path, scratch: &Path) -> Self {
        Self {
            bin: bin.to_owned(),
            answers_file: scratch.join("answers.json"),
        }
    }

    pub fn command_line(&self, xlsform: &Path, answers_file: &Path) -> String {
        format!(
            "{} form eval {} --answers {} --json",
            self.bin.display(),
            xlsform.display(),
            answers_file.display()
        )
    }

    pub fn eval(&self, xlsform: &Path, answers: &Answers) -> anyhow::Result<FieldlineReply> {
        std::fs::write(&self.answers_file, answers_json(answers).to_string())?;
        let child = Command::new(&self.bin)
            .args(["form", "eval"])
            .arg(xlsform)
            .arg("--answers")
            .arg(&self.answers_file)
            .arg("--json")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", self.bin.display()))?;
        let pid = child.id();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        let output = match rx.recv_timeout(FIELDLINE_TIMEOUT) {
            Ok(output) => output?,
            Err(_) => {
                // The waiting thread owns the child; kill it by its id (ours, started just above).
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
                bail!(
                    "`{}` took longer than {FIELDLINE_TIMEOUT:?}",
                    self.command_line(xlsform, &self.answers_file)
                );
            }
        };
        let exit = output.status.code().unwrap_or(-1);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let leaves = match exit {
            0 | 2 => Some(
                serde_json::from_slice::<Vec<Value>>(&output.stdout).with_context(|| {
                    format!(
                        "`fieldline form eval` exited {exit} without a JSON array of leaves on \
                         stdout; stderr: {stderr}"
                    )
                })?,
            ),
            _ => None,
        };
        Ok(FieldlineReply {
            leaves,
            exit,
            stderr,
        })
    }
}
