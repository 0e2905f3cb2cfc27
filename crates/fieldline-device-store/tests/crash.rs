//! Crash safety: SIGKILL the answering process at random moments, hundreds of times; every answer
//! it acknowledged must be in the resumed draft and the database must be intact.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fieldline_device_store::{DeviceStore, DATABASE_FILE};

const KILLS: u32 = 250;

fn kap() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/forms/fieldline/safe_migration_kap.xlsx")
}

/// `cargo test` builds the crate's examples next to the test binaries' directory.
fn answer_loop() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().unwrap().parent().unwrap();
    debug
        .join("examples")
        .join(format!("answer_loop{}", std::env::consts::EXE_SUFFIX))
}

/// A small seeded generator (xorshift64*), so a failing run can be repeated exactly.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// The answer number in `ack-N`.
fn number(value: &str) -> i64 {
    value
        .strip_prefix("ack-")
        .and_then(|n| n.parse().ok())
        .unwrap_or(-1)
}

#[test]
fn sigkill_at_random_moments_loses_no_acknowledged_answer() {
    let exe = answer_loop();
    assert!(
        exe.exists(),
        "{} not built (cargo test builds examples)",
        exe.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5EED_F1E1_D11E);
    // (draft, path) -> the last acknowledged answer number written there.
    let mut acked: HashMap<(String, String), i64> = HashMap::new();
    let (mut total_acks, mut killed_mid_run) = (0u64, 0u32);
    let started = Instant::now();
    for round in 0..KILLS {
        let mut child = Command::new(&exe)
            .arg(dir.path())
            .arg(kap())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Kill while it answers, whatever the machine's load: wait for its first acknowledged
        // answer, then a random moment within the next 40 ms.
        let stdout = child.stdout.take().unwrap();
        let (first_line, started_answering) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut out = String::new();
            let mut lines = std::io::BufReader::new(stdout);
            let mut line = String::new();
            let mut signalled = false;
            while std::io::BufRead::read_line(&mut lines, &mut line).unwrap_or(0) > 0 {
                out.push_str(&line);
                line.clear();
                if !signalled {
                    let _ = first_line.send(());
                    signalled = true;
                }
            }
            out.push_str(&line);
            out
        });
        let _ = started_answering.recv_timeout(Duration::from_secs(30));
        std::thread::sleep(Duration::from_micros(rng.below(40_000)));
        // Child::kill sends SIGKILL on Unix: no destructor, no flush, no checkpoint runs.
        child.kill().unwrap();
        let status = child.wait().unwrap();
        let out = reader.join().unwrap();
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert!(err.is_empty(), "round {round}: the loop failed: {err}");
        if status.code().is_none() {
            killed_mid_run += 1;
        }
        let mut touched = Vec::new();
        // Only whole lines count: a line cut by the kill was not acknowledged.
        for line in out.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
            let parts: Vec<&str> = line.split_whitespace().collect();
            let [_, id, path, value] = parts[..] else {
                panic!("round {round}: odd line {line:?}")
            };
            total_acks += 1;
            acked.insert((id.to_owned(), path.to_owned()), number(value));
            touched.push(id.to_owned());
        }
        touched.dedup();
        check(dir.path(), &acked, Some(&touched), round);
    }
    check(dir.path(), &acked, None, KILLS);
    eprintln!(
        "{KILLS} SIGKILLs ({killed_mid_run} while running), {total_acks} acknowledged answers, \
         {} distinct (draft, question) checked, {:.1} s",
        acked.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        killed_mid_run >= 200,
        "only {killed_mid_run} kills hit a running process"
    );
    assert!(total_acks > 1000, "only {total_acks} answers acknowledged");
}

/// Reopens the store and checks every acknowledged answer of `only` (all drafts when `None`).
fn check(dir: &Path, acked: &HashMap<(String, String), i64>, only: Option<&[String]>, round: u32) {
    let conn = rusqlite::Connection::open(dir.join(DATABASE_FILE)).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok", "round {round}");
    drop(conn);
    let mut store = DeviceStore::open(dir).unwrap();
    // Answer N is the draft's log entry N (0 is the consent), so the log holds at least N + 1.
    let logged: HashMap<String, i64> = store
        .list_drafts()
        .unwrap()
        .into_iter()
        .map(|d| (d.instance_id, d.events))
        .collect();
    for ((id, path), &n) in acked {
        if only.is_some_and(|ids| !ids.contains(id)) {
            continue;
        }
        assert!(
            logged.get(id).is_some_and(|&events| events > n),
            "round {round}: draft {id} lost log entries (acknowledged ack-{n})"
        );
        let inst = store.open_draft(id).unwrap();
        let value = inst.value(inst.find_key(path).unwrap()).to_owned();
        // A later answer may have committed just before the kill, unacknowledged; never an
        // earlier one.
        assert!(
            number(&value) >= n || (n == -1 && value == "yes"),
            "round {round}: draft {id} {path} holds {value:?}, acknowledged ack-{n}"
        );
    }
}
