//! The sync proof tests' side of the harness: the real `fieldline` binary as server, admin and
//! headless devices, every process under a guard that SIGKILLs it when the test ends, every
//! wait bounded, and the exactly-once invariant checked from both ends.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsString;
use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context as _, Result};
use fieldline_device_store::{DeviceStore, FinalizeOutcome};

/// Longest any one command may run before the test fails.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// The survey form every sync test collects with.
pub const FORM_ID: &str = "safe_migration_kap";

/// `../shared/forms/fieldline/safe_migration_kap.xlsx`, beside the repository.
pub fn kap_form() -> PathBuf {
    crate::workspace_root().join("../shared/forms/fieldline/safe_migration_kap.xlsx")
}

/// A deterministic 64-bit mix (splitmix64): random-looking numbers from fixed seeds, so a
/// failing schedule can be replayed.
pub fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A complete safe_migration_kap interview, in the order an enumerator answers it (the
/// municipality's choices depend on the province): every required question answered, every
/// constraint met. `n` varies the ward, so interviews differ in their bytes.
pub fn interview_answers(n: u32) -> Vec<(&'static str, String)> {
    [
        ("province", "koshi"),
        ("municipality", "dharan"),
        ("ward", ""),
        ("consent", "yes"),
        ("/data/about/gender", "woman"),
        ("/data/about/age", "34"),
        ("/data/about/education", "secondary"),
        ("/data/know/heard_trafficking", "no"),
        ("/data/know/knows_hotline", "no"),
        ("/data/know/before_leaving", "check_agency"),
        ("/data/views/view_debt", "2"),
        ("/data/views/view_report", "5"),
        ("/data/migrants[1]/m_relation", "brother"),
        ("/data/migrants[1]/m_country", "qatar"),
        ("/data/migrants[1]/m_contract", "no"),
    ]
    .into_iter()
    .map(|(key, value)| {
        let value = if key == "ward" {
            (1 + n % 20).to_string()
        } else {
            value.to_owned()
        };
        (key, value)
    })
    .collect()
}

/// [`interview_answers`] in `form eval`'s answer format (`[["key", "value"], ...]`).
pub fn complete_interview(n: u32) -> String {
    serde_json::Value::from(
        interview_answers(n)
            .into_iter()
            .map(|(k, v)| serde_json::json!([k, v]))
            .collect::<Vec<_>>(),
    )
    .to_string()
}

/// Answers that leave `consent` (required) unanswered: `fill` keeps them as a draft.
pub const UNFINISHED_INTERVIEW: &str =
    r#"[["province", "koshi"], ["municipality", "dharan"], ["ward", "3"]]"#;

/// What a finished command wrote and how it ended.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// The first line of stderr, for reports.
    pub fn why(&self) -> &str {
        self.stderr.lines().next().unwrap_or("")
    }
}

/// A started process, SIGKILLed and reaped when dropped. Its output goes to anonymous files,
/// so a chatty process never blocks on a full pipe.
pub struct Proc {
    name: String,
    pid: u32,
    child: Arc<Mutex<Child>>,
    stdout: File,
    stderr: File,
}

impl Proc {
    pub fn spawn(name: impl Into<String>, command: &mut Command) -> Result<Self> {
        let name = name.into();
        let stdout = tempfile::tempfile()?;
        let stderr = tempfile::tempfile()?;
        let child = command
            .stdin(Stdio::null())
            .stdout(stdout.try_clone()?)
            .stderr(stderr.try_clone()?)
            .spawn()
            .with_context(|| format!("cannot start {name} ({command:?})"))?;
        Ok(Self {
            name,
            pid: child.id(),
            child: Arc::new(Mutex::new(child)),
            stdout,
            stderr,
        })
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Child> {
        self.child.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// SIGKILL now (no effect once it has exited).
    pub fn kill(&self) {
        let _ = self.lock().kill();
    }

    /// A function that SIGKILLs the process, for another thread to call at the right moment.
    pub fn killer(&self) -> impl Fn() + Send + Sync + 'static {
        let child = Arc::clone(&self.child);
        move || {
            let _ = child.lock().unwrap_or_else(|p| p.into_inner()).kill();
        }
    }

    /// Its exit status once it has ended.
    pub fn try_status(&self) -> Result<Option<ExitStatus>> {
        Ok(self.lock().try_wait()?)
    }

    /// Waits for the end, at most `timeout` (then kills it and fails, with what it wrote).
    pub fn wait(mut self, timeout: Duration) -> Result<Output> {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.try_status()? {
                break status;
            }
            if Instant::now() >= deadline {
                self.kill();
                let _ = self.lock().wait();
                let (stdout, stderr) = self.read_output()?;
                bail!(
                    "{} did not finish within {timeout:?}; it wrote:\n{stdout}\n{stderr}",
                    self.name
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let (stdout, stderr) = self.read_output()?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }

    fn read_output(&mut self) -> Result<(String, String)> {
        let read = |file: &mut File| -> Result<String> {
            let mut text = String::new();
            file.seek(SeekFrom::Start(0))?;
            file.read_to_string(&mut text)?;
            Ok(text)
        };
        let stdout = read(&mut self.stdout)?;
        let stderr = read(&mut self.stderr)?;
        Ok((stdout, stderr))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let mut child = self.lock();
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// The `fieldline` binary.
#[derive(Debug, Clone)]
pub struct Fieldline {
    bin: PathBuf,
}

impl Fieldline {
    /// `$FIELDLINE_BIN`, else `target/debug/fieldline`.
    pub fn locate() -> Result<Self> {
        Ok(Self {
            bin: crate::binary("FIELDLINE_BIN", "fieldline")?,
        })
    }

    pub fn command<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Command {
        let mut command = Command::new(&self.bin);
        command.args(args).env("FIELDLINE_LOG", "warn");
        command
    }

    pub fn spawn<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Result<Proc> {
        Proc::spawn(describe(args), &mut self.command(args))
    }

    /// Runs to the end (bounded by [`COMMAND_TIMEOUT`]), whatever its exit status.
    pub fn run<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Result<Output> {
        self.spawn(args)?.wait(COMMAND_TIMEOUT)
    }

    /// Runs and expects success; returns stdout.
    pub fn ok<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Result<String> {
        let out = self.run(args)?;
        ensure!(
            out.success(),
            "{} failed ({}):\n{}",
            describe(args),
            out.status,
            out.stderr
        );
        Ok(out.stdout)
    }
}

fn describe<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> String {
    let words: Vec<String> = args
        .iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect();
    format!("fieldline {}", words.join(" "))
}

/// A loopback port free at the time of asking.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// `fieldline serve` on a fixed loopback port and an SQLite database in `data_dir`: it can be
/// SIGKILLed and started again on the same port and database.
pub struct Server {
    fieldline: Fieldline,
    data_dir: PathBuf,
    port: u16,
    process: Option<Proc>,
    log: usize,
}

impl Server {
    pub fn start(fieldline: &Fieldline, data_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(data_dir)?;
        let mut server = Self {
            fieldline: fieldline.clone(),
            data_dir: data_dir.to_owned(),
            port: free_port()?,
            process: None,
            log: 0,
        };
        server.launch()?;
        Ok(server)
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr())
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("server.sqlite3")
    }

    /// `sqlite:PATH`, for `fieldline admin --db`.
    pub fn db_url(&self) -> String {
        format!("sqlite:{}", self.db_path().display())
    }

    fn launch(&mut self) -> Result<()> {
        // Started again right after a kill, the port may take a moment to be free.
        let deadline = Instant::now() + crate::TIMEOUT;
        loop {
            self.log += 1;
            let listen = self.addr().to_string();
            let db = self.db_url();
            let mut command =
                self.fieldline
                    .command(&["serve", "--db", &db, "--listen", &listen, "--data-dir"]);
            command.arg(&self.data_dir);
            let process = Proc::spawn("fieldline serve", &mut command)?;
            loop {
                if let Some(status) = process.try_status()? {
                    let out = process.wait(Duration::from_secs(1))?;
                    ensure!(
                        Instant::now() < deadline,
                        "fieldline serve on {listen} exited at start ({status}):\n{}",
                        out.stderr
                    );
                    std::thread::sleep(Duration::from_millis(100));
                    break;
                }
                if TcpStream::connect_timeout(&self.addr(), Duration::from_millis(200)).is_ok() {
                    self.process = Some(process);
                    return Ok(());
                }
                ensure!(
                    Instant::now() < deadline,
                    "fieldline serve did not listen on {listen} within {:?}",
                    crate::TIMEOUT
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// SIGKILL, as a power cut or the OOM killer would.
    pub fn kill(&mut self) -> Result<()> {
        if let Some(process) = self.process.take() {
            process.kill();
            process.wait(Duration::from_secs(10))?;
        }
        Ok(())
    }

    /// Starts again on the same port and database.
    pub fn restart(&mut self) -> Result<()> {
        self.kill()?;
        self.launch()
    }

    /// How many times it was started.
    pub fn starts(&self) -> usize {
        self.log
    }
}

/// A campaign with a partner and a baseline round of safe_migration_kap, set up with
/// `fieldline admin` on the server's database.
pub struct Campaign {
    fieldline: Fieldline,
    db: String,
    pub id: String,
}

impl Campaign {
    pub fn create(fieldline: &Fieldline, db: &str) -> Result<Self> {
        let admin = |args: &[&str]| -> Result<String> {
            let mut all = vec!["admin", "--db", db];
            all.extend_from_slice(args);
            Ok(fieldline.ok(&all)?.trim().to_owned())
        };
        admin(&["org", "create", "Safe Migration Network"])?;
        admin(&["org", "create", "Koshi Women's Group"])?;
        let id = admin(&[
            "campaign",
            "create",
            "--owner",
            "Safe Migration Network",
            "--name",
            "KAP 2026",
        ])?;
        admin(&[
            "campaign",
            "add-partner",
            "--campaign",
            &id,
            "--org",
            "Koshi Women's Group",
        ])?;
        let form = kap_form();
        admin(&[
            "round",
            "create",
            "--campaign",
            &id,
            "--name",
            "baseline",
            "--form",
            form.to_str().context("the form's path is not UTF-8")?,
        ])?;
        Ok(Self {
            fieldline: fieldline.clone(),
            db: db.to_owned(),
            id,
        })
    }

    /// `count` one-time enrollment codes for the partner.
    pub fn enroll_codes(&self, count: usize) -> Result<Vec<String>> {
        let count = count.to_string();
        let out = self.fieldline.ok(&[
            "admin",
            "--db",
            &self.db,
            "enroll-code",
            "--campaign",
            &self.id,
            "--org",
            "Koshi Women's Group",
            "--count",
            &count,
        ])?;
        Ok(out.lines().map(str::to_owned).collect())
    }

    /// `fieldline admin submissions --json`: what the server holds.
    pub fn submissions(&self) -> Result<Vec<Held>> {
        let out = self.fieldline.ok(&[
            "admin",
            "--db",
            &self.db,
            "submissions",
            "--campaign",
            &self.id,
            "--json",
        ])?;
        out.lines()
            .map(|line| {
                let v: serde_json::Value = serde_json::from_str(line)
                    .with_context(|| format!("admin submissions printed {line:?}"))?;
                Ok(Held {
                    instance_id: string(&v, "instance_id")?,
                    sha256: string(&v, "sha256")?,
                    device: string(&v, "device")?,
                })
            })
            .collect()
    }
}

/// One submission as the server lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub instance_id: String,
    pub sha256: String,
    pub device: String,
}

/// One outbox line of a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    pub instance_id: String,
    pub sha256: String,
    pub state: String,
}

/// `fieldline device status --json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub drafts: i64,
    pub finalized: i64,
    pub pending: i64,
    pub sent: i64,
    pub rejected: i64,
}

fn string(v: &serde_json::Value, key: &str) -> Result<String> {
    v[key]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no string {key:?} in {v}"))
}

fn number(v: &serde_json::Value, key: &str) -> Result<i64> {
    v[key]
        .as_i64()
        .with_context(|| format!("no number {key:?} in {v}"))
}

/// A headless device: `fieldline device --home DIR ...`.
pub struct Device {
    fieldline: Fieldline,
    pub home: PathBuf,
    files: std::sync::atomic::AtomicU32,
}

impl Device {
    pub fn new(fieldline: &Fieldline, home: &Path) -> Self {
        Self {
            fieldline: fieldline.clone(),
            home: home.to_owned(),
            files: std::sync::atomic::AtomicU32::new(0),
        }
    }

    pub fn args(&self, args: &[&str]) -> Vec<OsString> {
        let mut all: Vec<OsString> =
            vec!["device".into(), "--home".into(), self.home.clone().into()];
        all.extend(args.iter().map(OsString::from));
        all
    }

    pub fn run(&self, args: &[&str]) -> Result<Output> {
        self.fieldline.run(&self.args(args))
    }

    pub fn ok(&self, args: &[&str]) -> Result<String> {
        self.fieldline.ok(&self.args(args))
    }

    pub fn spawn(&self, args: &[&str]) -> Result<Proc> {
        self.fieldline.spawn(&self.args(args))
    }

    /// Enrolls with `server_url` (the proxy's, for the fault tests) and pulls the rounds.
    pub fn enroll(&self, server_url: &str, code: &str) -> Result<()> {
        self.ok(&["enroll", "--server", server_url, "--code", code])?;
        self.ok(&["pull"])?;
        Ok(())
    }

    /// The device's id, as the server lists it.
    pub fn id(&self) -> Result<String> {
        Ok(DeviceStore::open(&self.home)?.profile()?.device_id)
    }

    /// Writes an answers file; `text` is given the file's number.
    fn answers_file(&self, text: impl FnOnce(u32) -> String) -> Result<PathBuf> {
        let n = 1 + self.files.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let path = self.home.join(format!("answers-{n}.json"));
        std::fs::write(&path, text(n))?;
        Ok(path)
    }

    /// `fill` with a complete interview; its instance id.
    pub fn fill(&self) -> Result<String> {
        let path = self.answers_file(complete_interview)?;
        let path = path.to_str().context("a non-UTF-8 path")?;
        Ok(self
            .ok(&["fill", "--form", FORM_ID, "--answers", path])?
            .trim()
            .to_owned())
    }

    /// `fill` with a required answer missing: exits 1 and keeps a draft; its instance id.
    pub fn leave_draft(&self) -> Result<String> {
        let path = self.answers_file(|_| UNFINISHED_INTERVIEW.to_owned())?;
        let path = path.to_str().context("a non-UTF-8 path")?;
        let out = self.run(&["fill", "--form", FORM_ID, "--answers", path])?;
        ensure!(
            out.status.code() == Some(1),
            "fill with a required answer missing should exit 1 ({}):\n{}",
            out.status,
            out.stderr
        );
        let id = out
            .stderr
            .split("kept as draft ")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .with_context(|| format!("fill did not name the draft it kept:\n{}", out.stderr))?;
        Ok(id.to_owned())
    }

    /// `count` complete interviews created with the device store library, as `fill` would but
    /// without a process each (for the load and crash tests). Their instance ids.
    pub fn fill_directly(&self, count: usize, seed: u64) -> Result<Vec<String>> {
        let mut store = DeviceStore::open(&self.home)?;
        let round = store
            .rounds()?
            .into_iter()
            .find(|r| r.form_id == FORM_ID)
            .context("the device has not pulled the round")?;
        let mut ids = Vec::with_capacity(count);
        for i in 0..count {
            let id = store.start_round_draft(&round.round_id, 345)?;
            for (key, value) in interview_answers(mix(seed ^ i as u64) as u32) {
                store.record_answer(&id, key, &value)?;
            }
            match store.finalize(&id, None)? {
                FinalizeOutcome::Finalized { instance_id, .. } => ids.push(instance_id),
                FinalizeOutcome::Blocked { path, message } => {
                    bail!("the interview cannot be finalized at {path}: {message}")
                }
            }
        }
        Ok(ids)
    }

    pub fn status(&self) -> Result<Status> {
        let out = self.ok(&["status", "--json"])?;
        let v: serde_json::Value = serde_json::from_str(out.trim())
            .with_context(|| format!("status --json printed {out:?}"))?;
        Ok(Status {
            drafts: number(&v, "drafts")?,
            finalized: number(&v, "finalized")?,
            pending: number(&v, "pending")?,
            sent: number(&v, "sent")?,
            rejected: number(&v, "rejected")?,
        })
    }

    pub fn outbox(&self) -> Result<Vec<Queued>> {
        self.ok(&["outbox", "--json"])?
            .lines()
            .map(|line| {
                let v: serde_json::Value = serde_json::from_str(line)
                    .with_context(|| format!("outbox --json printed {line:?}"))?;
                Ok(Queued {
                    instance_id: string(&v, "instance_id")?,
                    sha256: string(&v, "sha256")?,
                    state: string(&v, "state")?,
                })
            })
            .collect()
    }

    /// `sync --json` once; the summary it printed when it succeeded.
    pub fn sync_once(&self) -> Result<(Output, Option<serde_json::Value>)> {
        self.sync_once_with(&[])
    }

    /// `sync --json` once, in batches of the protocol's full size whatever the device learned
    /// of its link, so a lost batch ends the run: for tests that aim one fault at each run.
    pub fn sync_once_in_full_batches(&self) -> Result<(Output, Option<serde_json::Value>)> {
        let full = fieldline_protocol::BATCH_BYTES.to_string();
        self.sync_once_with(&["--batch-bytes", &full])
    }

    fn sync_once_with(&self, extra: &[&str]) -> Result<(Output, Option<serde_json::Value>)> {
        let args: Vec<&str> = ["sync", "--json"].iter().chain(extra).copied().collect();
        let out = self.run(&args)?;
        let summary = if out.success() {
            Some(
                serde_json::from_str(out.stdout.trim())
                    .with_context(|| format!("sync --json printed {:?}", out.stdout))?,
            )
        } else {
            None
        };
        Ok((out, summary))
    }

    /// Runs `sync` until it succeeds with nothing pending, at most `runs` times; after every
    /// run, failed or not, the store must still answer `status`. The failures met on the way.
    pub fn sync_until_settled(&self, runs: usize) -> Result<Vec<String>> {
        let mut failures = Vec::new();
        for _ in 0..runs {
            let (out, _) = self.sync_once()?;
            let status = self
                .status()
                .context("the device store does not answer after a sync run")?;
            if out.success() && status.pending == 0 {
                return Ok(failures);
            }
            if !out.success() {
                failures.push(out.why().to_owned());
            }
        }
        bail!(
            "{} still has {} submission(s) pending after {runs} sync runs; failures: {failures:#?}",
            self.home.display(),
            self.status()?.pending
        )
    }
}

/// Up to ten ids, and how many there are.
fn some(ids: &BTreeSet<String>) -> String {
    let shown: Vec<&str> = ids.iter().take(10).map(String::as_str).collect();
    if ids.len() > shown.len() {
        format!("{} ({} in all)", shown.join(", "), ids.len())
    } else {
        shown.join(", ")
    }
}

/// The server's set-aside list (rejected and conflicting submissions), read from its SQLite
/// file read-only: (instance_id, outcome, reason).
pub fn set_aside(server_db: &Path) -> Result<Vec<(String, String, String)>> {
    let conn = rusqlite::Connection::open_with_flags(
        server_db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("cannot open {} read-only", server_db.display()))?;
    conn.busy_timeout(Duration::from_secs(10))?;
    let mut statement =
        conn.prepare("SELECT instance_id, outcome, reason FROM submission_set_aside")?;
    let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many submissions the server's database holds, read-only (while it runs).
pub fn held_count(server_db: &Path) -> Result<i64> {
    let conn = rusqlite::Connection::open_with_flags(
        server_db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    Ok(conn.query_row("SELECT count(*) FROM submission", [], |r| r.get(0))?)
}

/// Every stored payload whose bytes do not hash to the SHA-256 stored with it.
fn payloads_not_matching_their_hash(server_db: &Path) -> Result<BTreeSet<String>> {
    let conn = rusqlite::Connection::open_with_flags(
        server_db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    let mut statement = conn.prepare("SELECT instance_id, sha256, payload FROM submission")?;
    let mut rows = statement.query([])?;
    let mut bad = BTreeSet::new();
    while let Some(row) = rows.next()? {
        let (id, sha256, payload): (String, String, Vec<u8>) =
            (row.get(0)?, row.get(1)?, row.get(2)?);
        if fieldline_device_store::payload::sha256_hex(&payload) != sha256 {
            bad.insert(id);
        }
    }
    Ok(bad)
}

/// What the invariant found when it held.
#[derive(Debug, Clone, Copy)]
pub struct Settled {
    pub submissions: usize,
}

/// The invariant, after the dust settled, for `devices` (and, with `all_devices`, nothing on
/// the server from any other device):
/// - every finalized submission of each device is on the server exactly once, with the SHA-256
///   the device computed, credited to that device, and its stored bytes hash to it;
/// - the server holds nothing the devices did not finalize;
/// - no draft (`drafts`) reached the server, stored or kept aside;
/// - no conflict or rejection was created: the server's set-aside list is empty;
/// - each device: nothing pending, nothing rejected, sent = finalized, every outbox line sent.
pub fn check_exactly_once(
    campaign: &Campaign,
    server_db: &Path,
    devices: &[&Device],
    drafts: &[String],
    all_devices: bool,
) -> Result<Settled> {
    let mut problems: Vec<String> = Vec::new();
    // Device side.
    let mut finalized: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut device_ids = BTreeSet::new();
    for device in devices {
        let id = device.id()?;
        let status = device.status()?;
        if status.pending != 0 || status.rejected != 0 || status.sent != status.finalized {
            problems.push(format!(
                "device {} ({}): status {status:?}: expected pending 0, rejected 0, sent = \
                 finalized",
                id,
                device.home.display()
            ));
        }
        let outbox = device.outbox()?;
        if outbox.len() as i64 != status.finalized {
            problems.push(format!(
                "device {id}: the outbox lists {} submissions but status counts {} finalized",
                outbox.len(),
                status.finalized
            ));
        }
        let unsent: BTreeSet<String> = outbox
            .iter()
            .filter(|q| q.state != "sent")
            .map(|q| format!("{} ({})", q.instance_id, q.state))
            .collect();
        if !unsent.is_empty() {
            problems.push(format!("device {id}: not sent: {}", some(&unsent)));
        }
        for q in outbox {
            if let Some((_, other)) =
                finalized.insert(q.instance_id.clone(), (q.sha256, id.clone()))
            {
                problems.push(format!(
                    "instance id {} is in the outboxes of devices {other} and {id}",
                    q.instance_id
                ));
            }
        }
        device_ids.insert(id);
    }
    // Server side.
    let held_all = campaign.submissions()?;
    let mut held: HashMap<String, Held> = HashMap::new();
    let mut twice = BTreeSet::new();
    let mut foreign = BTreeSet::new();
    for h in held_all {
        if !device_ids.contains(&h.device) {
            if all_devices {
                foreign.insert(format!("{} (device {})", h.instance_id, h.device));
            }
            continue;
        }
        if let Some(first) = held.insert(h.instance_id.clone(), h) {
            twice.insert(first.instance_id);
        }
    }
    if !twice.is_empty() {
        problems.push(format!(
            "held more than once on the server: {}",
            some(&twice)
        ));
    }
    if !foreign.is_empty() {
        problems.push(format!(
            "on the server but from no device under test: {}",
            some(&foreign)
        ));
    }
    let missing: BTreeSet<String> = finalized
        .keys()
        .filter(|id| !held.contains_key(*id))
        .cloned()
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "finalized on a device but not on the server: {}",
            some(&missing)
        ));
    }
    let extra: BTreeSet<String> = held
        .keys()
        .filter(|id| !finalized.contains_key(*id))
        .cloned()
        .collect();
    if !extra.is_empty() {
        problems.push(format!(
            "on the server but in no device's outbox: {}",
            some(&extra)
        ));
    }
    let mut other_bytes = BTreeSet::new();
    let mut other_device = BTreeSet::new();
    for (id, (sha256, device)) in &finalized {
        if let Some(h) = held.get(id) {
            if &h.sha256 != sha256 {
                other_bytes.insert(format!("{id} (device {sha256}, server {})", h.sha256));
            }
            if &h.device != device {
                other_device.insert(format!("{id} (sent by {device}, held for {})", h.device));
            }
        }
    }
    if !other_bytes.is_empty() {
        problems.push(format!(
            "held with another SHA-256 than the device's: {}",
            some(&other_bytes)
        ));
    }
    if !other_device.is_empty() {
        problems.push(format!("held for another device: {}", some(&other_device)));
    }
    let corrupt = payloads_not_matching_their_hash(server_db)?;
    if !corrupt.is_empty() {
        problems.push(format!(
            "stored bytes that do not hash to their SHA-256: {}",
            some(&corrupt)
        ));
    }
    let aside = set_aside(server_db)?;
    if !aside.is_empty() {
        let listed: BTreeSet<String> = aside
            .iter()
            .map(|(id, outcome, reason)| format!("{id} {outcome}: {reason}"))
            .collect();
        problems.push(format!(
            "the server set submissions aside (a retry made a conflict or a rejection): {}",
            some(&listed)
        ));
    }
    let leaked: BTreeSet<String> = drafts
        .iter()
        .filter(|d| held.contains_key(*d) || aside.iter().any(|(id, _, _)| id == *d))
        .cloned()
        .collect();
    if !leaked.is_empty() {
        problems.push(format!("drafts that reached the server: {}", some(&leaked)));
    }
    if !problems.is_empty() {
        bail!(
            "the exactly-once invariant is broken:\n- {}",
            problems.join("\n- ")
        );
    }
    Ok(Settled {
        submissions: finalized.len(),
    })
}

/// Before the dust settles: every submission a device marked sent is held by the server with
/// the same SHA-256 (the device acknowledges only what the server committed).
pub fn check_sent_are_held(campaign: &Campaign, device: &Device) -> Result<()> {
    let held: HashMap<String, String> = campaign
        .submissions()?
        .into_iter()
        .map(|h| (h.instance_id, h.sha256))
        .collect();
    let bad: BTreeSet<String> = device
        .outbox()?
        .into_iter()
        .filter(|q| q.state == "sent" && held.get(&q.instance_id) != Some(&q.sha256))
        .map(|q| q.instance_id)
        .collect();
    ensure!(
        bad.is_empty(),
        "marked sent on the device but not held by the server with its SHA-256: {}",
        some(&bad)
    );
    Ok(())
}

/// Polls `done` every few milliseconds for at most `timeout`.
pub fn wait_until(
    what: &str,
    timeout: Duration,
    mut done: impl FnMut() -> Result<bool>,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    while !done()? {
        ensure!(Instant::now() < deadline, "{what}: not within {timeout:?}");
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(())
}
