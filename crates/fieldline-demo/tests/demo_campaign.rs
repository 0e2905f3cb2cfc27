//! The demo campaign end to end: seeded into a real `fieldline serve`, its interviews filled and
//! synced by headless devices, and the server's report showing what the campaign was built to
//! show: every interview in, knowledge clearly up from baseline to endline, villages that differ
//! (a design effect above 1) and women and men who differ.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{bail, Context as _};
use fieldline_demo::{
    fieldline_binary, generate_interviews, seed, sqlite_url, Plan, MANAGER_EMAIL, MANAGER_PASSWORD,
};
use fieldline_protocol::dashboard::{GroupView, Progress, ReportView};
use fieldline_protocol::{LoggedIn, LoginRequest};

/// `fieldline serve` on a loopback port of its choosing, stopped when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(fieldline: &Path, data_dir: &Path) -> anyhow::Result<Self> {
        let log = std::fs::File::create(data_dir.with_extension("log"))?;
        let mut child = Command::new(fieldline)
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .context("cannot start fieldline serve")?;
        let mut lines = BufReader::new(child.stdout.take().expect("stdout is piped")).lines();
        let first = lines.next().transpose()?.unwrap_or_default();
        // Whatever else it prints must not fill the pipe and stall it.
        std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
        let Some(url) = first
            .rsplit(' ')
            .next()
            .filter(|u| u.starts_with("http://"))
        else {
            let _ = child.kill();
            bail!("fieldline serve did not say where it listens (it said {first:?})");
        };
        Ok(Self {
            url: url.to_owned(),
            child,
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The report the manager's dashboard reads, with `query` (`by=...&cluster=...`).
fn report(server: &Server, campaign_id: &str, query: &str) -> anyhow::Result<ReportView> {
    as_manager(
        server,
        &format!("/api/v1/campaigns/{campaign_id}/report?format=json&{query}"),
    )
}

/// What the manager reads at `path` of the server's API.
fn as_manager<T: serde::de::DeserializeOwned>(server: &Server, path: &str) -> anyhow::Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        // Already installed by the other test in this process: nothing to do. In a workspace
        // build reqwest has no provider of its own, and unpacks gzip unless told not to.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder().no_gzip().build()?;
        let login: LoggedIn = http
            .post(format!("{}/api/v1/login", server.url))
            .json(&LoginRequest {
                email: MANAGER_EMAIL.into(),
                password: MANAGER_PASSWORD.into(),
            })
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let response = http
            .get(format!("{}{path}", server.url))
            .bearer_auth(&login.token)
            .send()
            .await?;
        let status = response.status();
        if !status.is_success() {
            bail!("{path} answered {status}: {}", response.text().await?);
        }
        Ok(response.json().await?)
    })
}

fn group<'a>(report: &'a ReportView, indicator: &str, gender: Option<&str>) -> &'a GroupView {
    let indicator = report
        .indicators
        .iter()
        .find(|i| i.name == indicator)
        .unwrap_or_else(|| panic!("the report has no indicator {indicator}"));
    indicator
        .groups
        .iter()
        .find(|g| g.group.get("gender").map(String::as_str) == gender)
        .unwrap_or_else(|| panic!("{} has no group for gender {gender:?}", indicator.name))
}

#[test]
fn the_demo_campaigns_interviews_reach_the_report_and_show_the_campaigns_effect(
) -> anyhow::Result<()> {
    let fieldline = fieldline_binary()?;
    let dir = tempfile::tempdir()?;
    let server_dir = dir.path().join("server");
    let server = Server::start(&fieldline, &server_dir)?;
    let demo = seed(
        &fieldline,
        &sqlite_url(&server_dir.join("server.sqlite3")),
        &dir.path().join("work"),
    )?;
    let plan = Plan::default();
    let generated = generate_interviews(
        &fieldline,
        &server.url,
        &demo,
        &dir.path().join("devices"),
        &plan,
    )?;
    assert_eq!(
        (generated.baseline, generated.endline),
        (plan.baseline, plan.endline)
    );
    assert_eq!(generated.devices.len(), 4);
    assert!(generated.refused > 0, "someone declines in a real campaign");
    eprintln!(
        "{} ({} refused) in {:.1} s",
        generated.summary(),
        generated.refused,
        generated.elapsed.as_secs_f64()
    );

    let clustered = report(&server, &demo.campaign_id, "cluster=ward")?;
    assert_eq!(
        (clustered.baseline_rows, clustered.endline_rows),
        (plan.baseline as u64, plan.endline as u64),
        "every generated interview is on the server"
    );
    let heard = group(&clustered, "heard_trafficking", None);
    eprintln!("heard_trafficking, clustered by ward: {heard:?}");
    let (before, after) = (heard.baseline.p.unwrap(), heard.endline.p.unwrap());
    assert!(
        before < 0.4 && after > 0.6,
        "{before:.2} -> {after:.2}: {}",
        heard.change
    );
    assert!(
        heard.diff.p_value.unwrap() < 0.001,
        "the change is significant: {}",
        heard.change
    );
    assert!(
        heard.baseline.deff.unwrap() > 1.0 && heard.endline.deff.unwrap() > 1.0,
        "villages differ, so clustering costs precision: {heard:?}"
    );

    let by_gender = report(&server, &demo.campaign_id, "by=gender")?;
    let (women, men) = (
        group(&by_gender, "heard_trafficking", Some("woman")),
        group(&by_gender, "heard_trafficking", Some("man")),
    );
    eprintln!("women: {}; men: {}", women.change, men.change);
    assert!(
        men.endline.p.unwrap() - women.endline.p.unwrap() > 0.05,
        "the breakdown by gender shows a difference: women {}, men {}",
        women.change,
        men.change
    );

    // The sampling plan: every village of both rounds with its target, the interviews counted
    // where they were made.
    let progress: Progress = as_manager(
        &server,
        &format!("/api/v1/campaigns/{}/progress", demo.campaign_id),
    )?;
    assert_eq!(progress.sampling.len(), 2);
    for (sampling, made) in progress.sampling.iter().zip([plan.baseline, plan.endline]) {
        assert_eq!(sampling.cluster_fields, ["municipality", "ward"]);
        assert_eq!(sampling.clusters.len(), 24, "{sampling:#?}");
        assert!(sampling
            .clusters
            .iter()
            .all(|c| c.planned && c.target == u64::from(fieldline_demo::INTERVIEWS_PER_VILLAGE)));
        let counted: u64 = sampling.clusters.iter().map(|c| c.count).sum();
        assert_eq!(counted, made as u64, "{sampling:#?}");
    }
    Ok(())
}

/// `a` and `b` equal, numbers to within 1e-9 (relative), naming the first place they differ.
fn assert_same_report(a: &serde_json::Value, b: &serde_json::Value, at: &str) {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
                "{at}: {x} != {y}"
            );
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}: lengths differ");
            for (i, (x, y)) in x.iter().zip(y).enumerate() {
                assert_same_report(x, y, &format!("{at}[{i}]"));
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(
                x.keys().collect::<Vec<_>>(),
                y.keys().collect::<Vec<_>>(),
                "{at}: fields differ"
            );
            for (key, x) in x {
                assert_same_report(x, &y[key], &format!("{at}.{key}"));
            }
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}

/// `fieldline analyze --campaign` on a server database; the JSON report, or the error.
fn analyze_campaign(
    fieldline: &Path,
    db: &Path,
    identity: Option<&Path>,
) -> anyhow::Result<Result<serde_json::Value, String>> {
    let mut command = Command::new(fieldline);
    command
        .args([
            "analyze",
            "--campaign",
            fieldline_demo::CAMPAIGN_NAME,
            "--db",
        ])
        .arg(sqlite_url(db))
        .args(["--by", "gender", "--cluster", "ward"]);
    if let Some(identity) = identity {
        command.arg("--identity").arg(identity);
    }
    let out = command.env_remove("FIELDLINE_DB").output()?;
    Ok(if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout)?)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}

#[test]
fn an_encrypted_campaign_reports_what_a_readable_one_does_and_the_server_holds_no_answer(
) -> anyhow::Result<()> {
    let fieldline = fieldline_binary()?;
    let dir = tempfile::tempdir()?;
    let keys = dir.path().join("keys");
    let made = Command::new(&fieldline)
        .args(["keys", "new", "--out"])
        .arg(&keys)
        .output()?;
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let identity = keys.join("fieldline-identity.txt");
    let recipient = keys.join("fieldline-recipient.txt");
    let plan = Plan {
        baseline: 40,
        endline: 40,
        devices_per_partner: 1,
        seed: 7,
    };

    // The same fieldwork twice: once readable by the server, once sealed to the manager's key.
    let mut databases = Vec::new();
    for (name, recipients) in [("readable", vec![]), ("sealed", vec![recipient.clone()])] {
        let server_dir = dir.path().join(name).join("server");
        std::fs::create_dir_all(&server_dir)?;
        let server = Server::start(&fieldline, &server_dir)?;
        let db = server_dir.join("server.sqlite3");
        let demo = fieldline_demo::seed_with_keys(
            &fieldline,
            &sqlite_url(&db),
            &dir.path().join(name).join("work"),
            &recipients,
        )?;
        let generated = generate_interviews(
            &fieldline,
            &server.url,
            &demo,
            &dir.path().join(name).join("devices"),
            &plan,
        )?;
        assert_eq!((generated.baseline, generated.endline), (40, 40));
        if !recipients.is_empty() {
            // The server's own report would be empty: it says why instead.
            let refused = report(&server, &demo.campaign_id, "")
                .expect_err("the server cannot compute a sealed campaign's report")
                .to_string();
            assert!(
                refused.contains("409") && refused.contains("end-to-end encrypted"),
                "{refused}"
            );
            let refused = as_manager::<serde_json::Value>(
                &server,
                &format!(
                    "/api/v1/campaigns/{}/rounds/baseline/export?format=csv",
                    demo.campaign_id
                ),
            )
            .expect_err("the server cannot export a sealed round")
            .to_string();
            assert!(
                refused.contains("409") && refused.contains("fieldline export"),
                "{refused}"
            );
        }
        drop(server);
        databases.push((server_dir, db));
    }
    let (readable_dir, readable_db) = &databases[0];
    let (sealed_dir, sealed_db) = &databases[1];

    // A payload's answers are `["/data/...", "value"]` pairs: plain in the readable campaign's
    // database, nowhere in the sealed one's files or its server's log.
    let answer: &[u8] = b"[\"/data/";
    let holding = |dir: &Path| -> anyhow::Result<Vec<PathBuf>> {
        let found = fieldline_test_support::files_holding(dir, &[answer])?;
        Ok(found.into_iter().map(|f| f.file).collect())
    };
    assert!(!holding(readable_dir)?.is_empty());
    assert_eq!(holding(sealed_dir)?, Vec::<PathBuf>::new());
    let sealed_log = std::fs::read(sealed_dir.with_extension("log"))?;
    assert!(
        !fieldline_test_support::holds(&sealed_log, answer),
        "the sealed server's log holds an answer"
    );

    // Without the key, analyze says why it stops; with it, the report is the readable one's.
    let refused = analyze_campaign(&fieldline, sealed_db, None)?.unwrap_err();
    assert!(refused.contains("end-to-end encrypted"), "{refused}");
    let readable = analyze_campaign(&fieldline, readable_db, None)?.map_err(anyhow::Error::msg)?;
    let opened =
        analyze_campaign(&fieldline, sealed_db, Some(&identity))?.map_err(anyhow::Error::msg)?;
    // The devices' batches interleave differently on the two servers, so sums run in another
    // order: equal to the last bits that order changes.
    assert_same_report(&opened, &readable, "");
    assert!(
        readable["indicators"][0]["groups"][0]["baseline"]["n"]
            .as_u64()
            .is_some_and(|n| n > 30),
        "{readable}"
    );

    // export: refused without the key (and no file left), the same answers with it.
    let export = |db: &Path, identity: Option<&Path>, out: &Path| -> anyhow::Result<String> {
        let mut command = Command::new(&fieldline);
        command
            .args([
                "export",
                "--campaign",
                fieldline_demo::CAMPAIGN_NAME,
                "--db",
            ])
            .arg(sqlite_url(db))
            .args(["--round", "baseline", "--format", "csv", "--out"])
            .arg(out);
        if let Some(identity) = identity {
            command.arg("--identity").arg(identity);
        }
        let done = command.env_remove("FIELDLINE_DB").output()?;
        Ok(if done.status.success() {
            std::fs::read_to_string(out)?
        } else {
            String::from_utf8_lossy(&done.stderr).into_owned()
        })
    };
    let sealed_csv = dir.path().join("sealed-baseline.csv");
    let refused = export(sealed_db, None, &sealed_csv)?;
    assert!(refused.contains("end-to-end encrypted"), "{refused}");
    assert!(!sealed_csv.exists(), "a refused export left a file");
    let column = |csv: &str, name: &str| -> Vec<String> {
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
        let at = header.iter().position(|h| *h == name).expect("the column");
        let mut values: Vec<String> = lines
            .map(|l| l.split(',').nth(at).unwrap_or_default().to_owned())
            .collect();
        values.sort();
        values
    };
    let opened_csv = export(sealed_db, Some(&identity), &sealed_csv)?;
    let readable_csv = export(readable_db, None, &dir.path().join("readable-baseline.csv"))?;
    assert_eq!(opened_csv.lines().count(), 41, "{opened_csv}");
    for name in ["heard_trafficking", "gender", "ward"] {
        assert_eq!(
            column(&opened_csv, name),
            column(&readable_csv, name),
            "{name}"
        );
    }

    // Another key opens nothing.
    let other = dir.path().join("other-keys");
    Command::new(&fieldline)
        .args(["keys", "new", "--out"])
        .arg(&other)
        .output()?;
    let wrong = analyze_campaign(
        &fieldline,
        sealed_db,
        Some(&other.join("fieldline-identity.txt")),
    )?
    .unwrap_err();
    assert!(wrong.contains("is not one of the campaign"), "{wrong}");
    Ok(())
}
