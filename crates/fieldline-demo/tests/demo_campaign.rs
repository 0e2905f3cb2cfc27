//! The demo campaign end to end: seeded into a real `fieldline serve`, its interviews filled and
//! synced by headless devices, and the server's report showing what the campaign was built to
//! show: every interview in, knowledge clearly up from baseline to endline, villages that differ
//! (a design effect above 1) and women and men who differ.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
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
        let http = reqwest::Client::new();
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
