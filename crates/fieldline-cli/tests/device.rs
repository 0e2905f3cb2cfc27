//! `fieldline device`, the headless field device, against `fieldline serve` set up with
//! `fieldline admin`, as a script would drive them.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn fieldline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldline"))
        .args(args)
        .env("FIELDLINE_LOG", "warn")
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
