//! `fieldline device`, the headless field device, against `fieldline serve` set up with
//! `fieldline admin`, as a script would drive them.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn fieldline(args: &[&str]) -> Output {
    fieldline_with(args, &[])
}

/// Runs with these environment variables, and no PIN but the ones given.
fn fieldline_with(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldline"))
        .args(args)
        .env("FIELDLINE_LOG", "warn")
        .env_remove("FIELDLINE_PIN")
        .env_remove("FIELDLINE_NEW_PIN")
        .envs(env.iter().copied())
        .output()
        .expect("the fieldline binary runs")
}

/// Runs and expects success; returns stdout.
fn ok(args: &[&str]) -> String {
    let out = fieldline(args);
    assert!(
        out.status.success(),
        "fieldline {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn kap() -> String {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/forms/fieldline/safe_migration_kap.xlsx"
    )
    .to_owned()
}

/// `fieldline serve` on a free loopback port, stopped when dropped.
struct Serve {
    child: Child,
    url: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &str, data_dir: &Path) -> Serve {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_fieldline"))
        .args(["serve", "--db", db, "--listen", &listen, "--data-dir"])
        .arg(data_dir)
        .env("FIELDLINE_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let addr: SocketAddr = listen.parse().unwrap();
    let start = Instant::now();
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Serve {
        child,
        url: format!("http://{listen}"),
    }
}

fn answers(dir: &Path, name: &str, json: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, json).unwrap();
    path.to_str().unwrap().to_owned()
}

fn complete_interview(ward: u32) -> String {
    format!(
        r#"{{"province": "koshi", "municipality": "dharan", "ward": "{ward}", "consent": "yes",
            "/data/about/gender": "woman", "/data/about/age": "34",
            "/data/about/education": "secondary",
            "/data/know/heard_trafficking": "no", "/data/know/knows_hotline": "no",
            "/data/know/before_leaving": "check_agency",
            "/data/views/view_debt": "2", "/data/views/view_report": "5",
            "/data/migrants[1]/m_relation": "brother", "/data/migrants[1]/m_country": "qatar",
            "/data/migrants[1]/m_contract": "no"}}"#
    )
}

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_headless_device_enrolls_pulls_fills_and_syncs_with_the_hashes_the_server_reports() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("server.sqlite3").display());
    let server = serve(&db, dir.path());
    let admin = |args: &[&str]| {
        let mut all = vec!["admin", "--db", &db];
        all.extend_from_slice(args);
        ok(&all).trim().to_owned()
    };
    admin(&["org", "create", "Safe Migration Network"]);
    admin(&["org", "create", "Koshi Women's Group"]);
    let campaign = admin(&[
        "campaign",
        "create",
        "--owner",
        "Safe Migration Network",
        "--name",
        "KAP 2026",
    ]);
    admin(&[
        "campaign",
        "add-partner",
        "--campaign",
        &campaign,
        "--org",
        "Koshi Women's Group",
    ]);
    admin(&[
        "round",
        "create",
        "--campaign",
        &campaign,
        "--name",
        "baseline",
        "--form",
        &kap(),
    ]);
    let code = admin(&[
        "enroll-code",
        "--campaign",
        &campaign,
        "--org",
        "Koshi Women's Group",
    ]);

    let home = dir.path().join("tablet");
    let home = home.to_str().unwrap();
    let device = |args: &[&str]| {
        let mut all = vec!["device", "--home", home];
        all.extend_from_slice(args);
        all.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let run_ok = |args: &[&str]| {
        let all = device(args);
        ok(&all.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let run = |args: &[&str]| {
        let all = device(args);
        fieldline(&all.iter().map(String::as_str).collect::<Vec<_>>())
    };

    let status = run_ok(&["status", "--json"]);
    assert_eq!(
        status.trim(),
        r#"{"drafts": 0, "finalized": 0, "pending": 0, "sent": 0, "rejected": 0}"#
    );
    run_ok(&[
        "enroll",
        "--server",
        &server.url,
        "--code",
        &code,
        "--label",
        "tablet 7",
    ]);
    // The code was used.
    let again = fieldline(&[
        "device",
        "--home",
        dir.path().join("other").to_str().unwrap(),
        "enroll",
        "--server",
        &server.url,
        "--code",
        &code,
    ]);
    assert_eq!(again.status.code(), Some(1));

    let pulled: serde_json::Value = serde_json::from_str(&run_ok(&["pull", "--json"])).unwrap();
    assert_eq!(pulled["new_rounds"], serde_json::json!(["baseline"]));

    let mut ids = Vec::new();
    for ward in 5..8 {
        let file = answers(
            dir.path(),
            &format!("ward{ward}.json"),
            &complete_interview(ward),
        );
        let id = run_ok(&[
            "fill",
            "--form",
            "safe_migration_kap",
            "--round",
            "baseline",
            "--answers",
            &file,
        ]);
        ids.push(id.trim().to_owned());
    }
    // Answers the form refuses, and a required question left out: every problem is named and
    // the interview stays a draft.
    let bad = answers(
        dir.path(),
        "bad.json",
        r#"[["province", "koshi"], ["municipality", "dharan"], ["ward", "99"]]"#,
    );
    let out = run(&["fill", "--form", "safe_migration_kap", "--answers", &bad]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/data/ward"), "{stderr}");
    assert!(stderr.contains("/data/consent"), "{stderr}");
    assert!(stderr.contains("kept as draft"), "{stderr}");
    let unknown = run(&[
        "fill",
        "--form",
        "safe_migration_kap",
        "--round",
        "endline",
        "--answers",
        &bad,
    ]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no round \"endline\""));

    assert_eq!(
        run_ok(&["status", "--json"]).trim(),
        r#"{"drafts": 1, "finalized": 3, "pending": 3, "sent": 0, "rejected": 0}"#
    );
    let pending = json_lines(&run_ok(&["outbox", "--json"]));
    assert!(pending.iter().all(|l| l["state"] == "pending"));

    let synced: serde_json::Value = serde_json::from_str(&run_ok(&["sync", "--json"])).unwrap();
    assert_eq!(synced["accepted"], 3, "{synced}");
    assert_eq!(synced["duplicate"], 0);
    assert_eq!(synced["pending"], 0);
    assert_eq!(synced["server_contiguous_seq"], 3);
    assert!(synced["batch_bytes"].as_u64().unwrap() > 0);
    assert_eq!(
        run_ok(&["status", "--json"]).trim(),
        r#"{"drafts": 1, "finalized": 3, "pending": 0, "sent": 3, "rejected": 0}"#
    );

    let outbox = json_lines(&run_ok(&["outbox", "--json"]));
    let mut device_side: Vec<(String, String, String)> = outbox
        .iter()
        .map(|l| {
            (
                l["instance_id"].as_str().unwrap().to_owned(),
                l["sha256"].as_str().unwrap().to_owned(),
                l["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    device_side.sort();
    let mut expected_ids = ids.clone();
    expected_ids.sort();
    assert_eq!(
        device_side.iter().map(|d| d.0.clone()).collect::<Vec<_>>(),
        expected_ids
    );
    assert!(device_side.iter().all(|d| d.2 == "sent"));
    let mut server_side: Vec<(String, String, String)> =
        json_lines(&admin(&["submissions", "--campaign", &campaign, "--json"]))
            .iter()
            .map(|l| {
                (
                    l["instance_id"].as_str().unwrap().to_owned(),
                    l["sha256"].as_str().unwrap().to_owned(),
                    "sent".to_owned(),
                )
            })
            .collect();
    server_side.sort();
    assert_eq!(server_side, device_side);

    // A second sync has nothing to send.
    let idle: serde_json::Value = serde_json::from_str(&run_ok(&["sync", "--json"])).unwrap();
    assert_eq!(idle["batches"], 0);
    drop(server);
}

#[test]
fn a_device_that_is_not_enrolled_says_how_to_enroll() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("tablet");
    for command in ["pull", "sync"] {
        let out = fieldline(&["device", "--home", home.to_str().unwrap(), command]);
        assert_eq!(out.status.code(), Some(1), "{command}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("enroll --server URL --code CODE"),
            "{stderr}"
        );
    }
    let out = fieldline(&[
        "device",
        "--home",
        home.to_str().unwrap(),
        "enroll",
        "--server",
        "127.0.0.1:1",
        "--code",
        "X",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("http://HOST:PORT"));
}

/// A server with a campaign whose baseline round uses the KAP form; returns it with the admin
/// command's database argument and the campaign id.
fn kap_campaign(dir: &Path) -> (Serve, String, String) {
    let db = format!("sqlite:{}", dir.join("server.sqlite3").display());
    let server = serve(&db, dir);
    let admin = |args: &[&str]| {
        let mut all = vec!["admin", "--db", &db];
        all.extend_from_slice(args);
        ok(&all).trim().to_owned()
    };
    admin(&["org", "create", "Safe Migration Network"]);
    let campaign = admin(&[
        "campaign",
        "create",
        "--owner",
        "Safe Migration Network",
        "--name",
        "KAP 2026",
    ]);
    admin(&[
        "round",
        "create",
        "--campaign",
        &campaign,
        "--name",
        "baseline",
        "--form",
        &kap(),
    ]);
    (server, db, campaign)
}

fn enroll_code(db: &str, campaign: &str) -> String {
    ok(&[
        "admin",
        "--db",
        db,
        "enroll-code",
        "--campaign",
        campaign,
        "--org",
        "Safe Migration Network",
    ])
    .trim()
    .to_owned()
}

const PIN: &str = "482916";

/// Free text no file of an encrypted profile may show: the relation named in a finalized
/// interview, and in one left as a draft.
const FINALIZED_RELATION: &str = "uncle Dilbahadur who left through Kakarbhitta";
const DRAFT_RELATION: &str = "neighbour Sunmaya recruited by a Birgunj broker";

/// Runs `fieldline device --home HOME ARGS` with FIELDLINE_PIN set to `pin` (unset for None).
fn device(home: &Path, pin: Option<&str>, args: &[&str]) -> Output {
    let mut all = vec!["device", "--home", home.to_str().unwrap()];
    all.extend_from_slice(args);
    let env: Vec<(&str, &str)> = pin.map(|p| ("FIELDLINE_PIN", p)).into_iter().collect();
    fieldline_with(&all, &env)
}

fn device_ok(home: &Path, pin: Option<&str>, args: &[&str]) -> String {
    let out = device(home, pin, args);
    assert!(
        out.status.success(),
        "fieldline device {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Enrolls `home`, pulls the round, fills one complete interview (finalized, not sent) and one
/// that stays a draft, each naming a migrant's relation in free text.
fn interview_on(home: &Path, pin: Option<&str>, server: &Serve, code: &str, scratch: &Path) {
    device_ok(
        home,
        pin,
        &["enroll", "--server", &server.url, "--code", code],
    );
    device_ok(home, pin, &["pull"]);
    let complete = complete_interview(5).replace(
        r#""/data/migrants[1]/m_relation": "brother""#,
        &format!(r#""/data/migrants[1]/m_relation": "{FINALIZED_RELATION}""#),
    );
    assert!(complete.contains(FINALIZED_RELATION));
    let complete = answers(scratch, "complete.json", &complete);
    device_ok(
        home,
        pin,
        &[
            "fill",
            "--form",
            "safe_migration_kap",
            "--answers",
            &complete,
        ],
    );
    let unfinished = answers(
        scratch,
        "unfinished.json",
        &format!(
            r#"[["province", "koshi"], ["municipality", "dharan"], ["ward", "6"],
                ["consent", "yes"], ["/data/migrants[1]/m_relation", "{DRAFT_RELATION}"]]"#
        ),
    );
    let out = device(
        home,
        pin,
        &[
            "fill",
            "--form",
            "safe_migration_kap",
            "--answers",
            &unfinished,
        ],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("kept as draft"));
    assert_eq!(
        device_ok(home, pin, &["status", "--json"]).trim(),
        r#"{"drafts": 1, "finalized": 1, "pending": 1, "sent": 0, "rejected": 0}"#
    );
}

/// Which of the interview's free-text answers some file under `dir` shows (WAL and shared
/// memory included), by file.
fn readable_answers(dir: &Path) -> Vec<String> {
    let answers = [FINALIZED_RELATION, DRAFT_RELATION];
    let needles: Vec<&[u8]> = answers.iter().map(|a| a.as_bytes()).collect();
    fieldline_test_support::files_holding(dir, &needles)
        .unwrap()
        .into_iter()
        .map(|found| format!("{:?} in {}", answers[found.needle], found.file.display()))
        .collect()
}

#[test]
fn with_fieldline_pin_the_device_keeps_no_answer_readable_and_refuses_other_pins() {
    let dir = tempfile::tempdir().unwrap();
    let (server, db, campaign) = kap_campaign(dir.path());
    let home = dir.path().join("tablet");
    interview_on(
        &home,
        Some(PIN),
        &server,
        &enroll_code(&db, &campaign),
        dir.path(),
    );
    assert_eq!(readable_answers(&home), Vec::<String>::new());

    let without = device(&home, None, &["status"]);
    assert_eq!(without.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&without.stderr);
    assert!(stderr.contains("set FIELDLINE_PIN"), "{stderr}");

    let wrong = device(&home, Some("111111"), &["outbox"]);
    assert_eq!(wrong.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(stderr.contains("the PIN is wrong"), "{stderr}");
    assert!(stderr.contains("4 more wrong PIN(s)"), "{stderr}");
    for _ in 0..4 {
        device(&home, Some("111111"), &["outbox"]);
    }
    let slowed = device(&home, Some(PIN), &["status"]);
    assert_eq!(slowed.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&slowed.stderr);
    assert!(stderr.contains("too many wrong PINs"), "{stderr}");

    let short = device(&home, Some("1234"), &["status"]);
    let stderr = String::from_utf8_lossy(&short.stderr);
    assert!(stderr.contains("6 to 16 digits"), "{stderr}");
    drop(server);
}

#[test]
fn without_fieldline_pin_the_answers_are_readable_until_a_pin_encrypts_the_profile() {
    let dir = tempfile::tempdir().unwrap();
    let (server, db, campaign) = kap_campaign(dir.path());
    let home = dir.path().join("tablet");
    interview_on(
        &home,
        None,
        &server,
        &enroll_code(&db, &campaign),
        dir.path(),
    );
    // The positive control of the search above: a plain profile shows both answers.
    assert_eq!(
        readable_answers(&home).len(),
        2,
        "{:?}",
        readable_answers(&home)
    );
    let outbox_before = device_ok(&home, None, &["outbox", "--json"]);

    // The first command with a PIN encrypts the profile in place, keeping the draft and outbox.
    assert_eq!(
        device_ok(&home, Some(PIN), &["status", "--json"]).trim(),
        r#"{"drafts": 1, "finalized": 1, "pending": 1, "sent": 0, "rejected": 0}"#
    );
    assert_eq!(readable_answers(&home), Vec::<String>::new());
    assert_eq!(
        device_ok(&home, Some(PIN), &["outbox", "--json"]),
        outbox_before
    );

    // A new PIN, then the queued interview goes out under it.
    let change = fieldline_with(
        &["device", "--home", home.to_str().unwrap(), "change-pin"],
        &[("FIELDLINE_PIN", PIN), ("FIELDLINE_NEW_PIN", "735104")],
    );
    assert!(
        change.status.success(),
        "{}",
        String::from_utf8_lossy(&change.stderr)
    );
    assert_eq!(device(&home, Some(PIN), &["status"]).status.code(), Some(1));
    let synced: serde_json::Value =
        serde_json::from_str(&device_ok(&home, Some("735104"), &["sync", "--json"])).unwrap();
    assert_eq!(synced["accepted"], 1, "{synced}");
    assert_eq!(readable_answers(&home), Vec::<String>::new());
    drop(server);
}
