//! What the dashboard reads: fieldwork progress, the baseline-versus-endline report and the
//! per-round exports, computed from submissions synced by two partners' devices, with each
//! partner seeing only its own organization's submissions.

mod api_support;
mod rounds_support;

use api_support::*;
use fieldline_protocol::dashboard::{Progress, ReportView};
use fieldline_protocol::{Envelope, SubmitBatch, SubmitReply};
use fieldline_server::storage::{PlannedCluster, Role, SamplingPlan};
use rounds_support::{endline_version, interview, publish_endline};

async fn submit(world: &World, token: &str, items: Vec<Envelope>) -> SubmitReply {
    let reply = world
        .server
        .client
        .post(world.server.url("/api/v1/device/submissions"))
        .bearer_auth(token)
        .json(&SubmitBatch { items })
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    reply.json().await.unwrap()
}

async fn get(world: &World, token: &str, path: &str) -> reqwest::Response {
    world
        .server
        .client
        .get(world.server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// `count` interviews of `version` from `device`, the first `yes` of them having heard of
/// trafficking; odd ones are men; in Dharan's wards 1, 2, 3, 1, 2, 3...
fn interviews(
    world: &World,
    version: &str,
    device: &str,
    first_seq: i64,
    count: i64,
    yes: i64,
) -> Vec<Envelope> {
    (0..count)
        .map(|i| {
            let (heard, channels) = if i < yes {
                ("yes", "radio")
            } else {
                ("no", "")
            };
            let gender = if i % 2 == 1 { "man" } else { "woman" };
            let ward = (i % 3 + 1).to_string();
            interview(
                world,
                version,
                device,
                &format!("{device}-{version}-{i}"),
                first_seq + i,
                &[
                    ("/data/know/heard_trafficking", heard),
                    ("/data/know/channels", channels),
                    ("/data/about/gender", gender),
                    ("/data/ward", &ward),
                ],
            )
        })
        .collect()
}

#[tokio::test]
async fn progress_report_and_exports_follow_the_stored_submissions_and_the_reach() {
    let world = world().await;
    publish_endline(&world).await;
    let baseline = world.form_version.clone();
    let endline = endline_version(&world);
    let (_, tablet) = world.device(&world.partner, "fieldline:tablet").await;
    let (_, foreign) = world.device(&world.foreign, "fieldline:foreign").await;
    let mut ours = interviews(&world, &baseline, "fieldline:tablet", 1, 10, 3);
    ours.extend(interviews(&world, &endline, "fieldline:tablet", 11, 10, 8));
    // An interview of a form version no round publishes: kept aside as rejected.
    let mut stray = interview(
        &world,
        "no-such-version",
        "fieldline:tablet",
        "stray",
        21,
        &[],
    );
    stray.form_version = "no-such-version".into();
    ours.push(stray);
    let reply = submit(&world, &tablet, ours).await;
    assert_eq!(reply.results.len(), 21);
    submit(
        &world,
        &foreign,
        interviews(&world, &baseline, "fieldline:foreign", 1, 5, 5),
    )
    .await;

    let manager = world.person(&world.owner, Role::Manager).await;
    let partner = world.person(&world.partner, Role::PartnerAdmin).await;
    let c = world.campaign.id.clone();

    // The baseline's sampling plan: three wards of Dharan drawn, each with its target.
    let rounds = world.server.storage.rounds(&c).await.unwrap();
    let baseline_round = rounds.iter().find(|r| r.name == "baseline").unwrap();
    world
        .server
        .storage
        .set_sampling_plan(SamplingPlan {
            round_id: baseline_round.id.clone(),
            cluster_fields: vec!["municipality".into(), "ward".into()],
            per_cluster: 5,
            planned: [("dharan / 1", 5), ("dharan / 2", 4), ("dharan / 4", 6)]
                .into_iter()
                .map(|(cluster, target)| PlannedCluster {
                    cluster: cluster.into(),
                    target,
                })
                .collect(),
        })
        .await
        .unwrap();
    let clusters = |progress: &Progress| -> Vec<(String, u64, u64, bool)> {
        progress.sampling[0]
            .clusters
            .iter()
            .map(|c| (c.cluster.clone(), c.count, c.target, c.planned))
            .collect()
    };

    // Progress.
    let progress: Progress = get(&world, &manager, &format!("/api/v1/campaigns/{c}/progress"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(progress.total, 25, "{:#?}", progress.latest_problems);
    let rounds: Vec<(&str, u64)> = progress
        .per_round
        .iter()
        .map(|r| (r.key.as_str(), r.count))
        .collect();
    assert_eq!(rounds, [("baseline", 15), ("endline", 10)]);
    let partners: Vec<(&str, u64)> = progress
        .per_partner
        .iter()
        .map(|r| (r.label.as_str(), r.count))
        .collect();
    assert_eq!(
        partners,
        [("Koshi Women's Group", 20), ("Madhesh Youth Club", 5)]
    );
    assert_eq!(progress.per_enumerator[0].label, "tablet fieldline:tablet");
    assert_eq!(progress.per_day.iter().map(|d| d.count).sum::<u64>(), 25);
    assert_eq!(progress.set_aside_total, 1);
    assert_eq!(progress.latest_problems[0].instance_id, "stray");
    assert_eq!(progress.latest_problems[0].outcome, "rejected");
    assert!(!progress.latest_problems[0].reason.is_empty());
    // Per cluster against the plan: wards 1 and 2 beyond their targets, ward 4 not started,
    // ward 3 interviewed though the sample did not draw it.
    assert_eq!(progress.sampling.len(), 1);
    assert_eq!(progress.sampling[0].round, "baseline");
    let cluster = |name: &str, count, target, planned| (name.to_owned(), count, target, planned);
    assert_eq!(
        clusters(&progress),
        [
            cluster("dharan / 1", 6, 5, true),
            cluster("dharan / 2", 5, 4, true),
            cluster("dharan / 4", 0, 6, true),
            cluster("dharan / 3", 4, 0, false),
        ]
    );
    assert_eq!(
        (
            progress.sampling[0].towards_target,
            progress.sampling[0].target_total
        ),
        (9, 15)
    );
    let theirs: Progress = get(&world, &partner, &format!("/api/v1/campaigns/{c}/progress"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs.total, 20);
    assert_eq!(theirs.per_partner.len(), 1);
    // A partner's clusters count its own interviews only.
    assert_eq!(
        clusters(&theirs),
        [
            cluster("dharan / 1", 4, 5, true),
            cluster("dharan / 2", 3, 4, true),
            cluster("dharan / 4", 0, 6, true),
            cluster("dharan / 3", 3, 0, false),
        ]
    );

    // The report: every organization's submissions for the manager...
    let report: ReportView = get(
        &world,
        &manager,
        &format!("/api/v1/campaigns/{c}/report?by=gender"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!((report.baseline_rows, report.endline_rows), (15, 10));
    assert_eq!(report.reach, "all");
    let heard = &report.indicators[0];
    assert_eq!(heard.name, "heard_trafficking");
    let whole = &heard.groups[0];
    assert!(whole.group.is_empty());
    assert_eq!((whole.baseline.n, whole.baseline.successes), (15, 8));
    assert_eq!((whole.endline.n, whole.endline.successes), (10, 8));
    assert!(
        whole.change.starts_with("53% -> 80%, +27 points"),
        "{}",
        whole.change
    );
    let men = heard
        .groups
        .iter()
        .find(|g| g.group.get("gender").map(String::as_str) == Some("man"))
        .unwrap();
    assert_eq!((men.baseline.n, men.endline.n), (7, 5));
    assert!(report.breakdowns.iter().any(|b| b.column == "gender"));
    assert!(report.breakdowns.iter().any(|b| b.column == "province"));
    // ...and only its own for a partner.
    let own: ReportView = get(&world, &partner, &format!("/api/v1/campaigns/{c}/report"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(own.reach, "organization");
    let whole = &own.indicators[0].groups[0];
    assert_eq!((whole.baseline.n, whole.baseline.successes), (10, 3));
    assert_eq!((whole.endline.n, whole.endline.successes), (10, 8));
    // A survey design.
    let clustered: ReportView = get(
        &world,
        &manager,
        &format!("/api/v1/campaigns/{c}/report?cluster=device&weight="),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(clustered.cluster.as_deref(), Some("device"));
    assert!(clustered.design.contains("device"), "{}", clustered.design);
    // Downloads.
    let html = get(
        &world,
        &manager,
        &format!("/api/v1/campaigns/{c}/report?format=html&by=gender"),
    )
    .await;
    assert_eq!(html.status(), 200);
    assert!(html.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let text = html.text().await.unwrap();
    assert!(text.contains("Has heard of human trafficking"));
    assert!(
        text.contains("53% -&gt; 80%") || text.contains("53% -> 80%"),
        "{text}"
    );
    let xlsx = get(
        &world,
        &manager,
        &format!("/api/v1/campaigns/{c}/report?format=xlsx"),
    )
    .await;
    assert_eq!(xlsx.status(), 200);
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
    // Refusals in words.
    for (query, words) in [
        ("by=no_such_column", "no_such_column"),
        ("format=pdf", "pdf"),
        ("colour=red", "colour"),
    ] {
        let reply = get(
            &world,
            &manager,
            &format!("/api/v1/campaigns/{c}/report?{query}"),
        )
        .await;
        assert_eq!(reply.status(), 400, "{query}");
        let body: serde_json::Value = reply.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains(words), "{body}");
    }

    // Exports.
    let csv = get(
        &world,
        &manager,
        &format!("/api/v1/campaigns/{c}/rounds/baseline/export?format=csv"),
    )
    .await;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("kap_2026-baseline.csv"));
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 16);
    assert!(lines[0].contains("heard_trafficking"));
    let text = get(
        &world,
        &partner,
        &format!("/api/v1/campaigns/{c}/rounds/baseline/export?format=csv"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert_eq!(text.lines().count(), 11);
    assert!(!text.contains("fieldline:foreign"));
    for (format, magic) in [
        ("xlsx", &b"PK"[..]),
        ("dta", b"<stata_dta>"),
        ("sav", b"$FL2"),
    ] {
        let reply = get(
            &world,
            &manager,
            &format!("/api/v1/campaigns/{c}/rounds/endline/export?format={format}"),
        )
        .await;
        assert_eq!(reply.status(), 200, "{format}");
        let bytes = reply.bytes().await.unwrap();
        assert!(bytes.starts_with(magic), "{format}");
    }
    // A browser asks for it compressed: the stream ends cleanly through the compression layer.
    let gzipped = world
        .server
        .client
        .get(world.server.url(&format!(
            "/api/v1/campaigns/{c}/rounds/baseline/export?format=csv"
        )))
        .bearer_auth(&manager)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    let bytes = gzipped.bytes().await.expect("the whole compressed export");
    assert!(bytes.starts_with(&[0x1f, 0x8b]));

    // A repeat's table: a row per migrant (one in each interview), keyed to its submission,
    // within the partner's reach too.
    let reply = get(
        &world,
        &partner,
        &format!("/api/v1/campaigns/{c}/rounds/baseline/export?format=csv&repeat=migrants"),
    )
    .await;
    assert_eq!(reply.status(), 200);
    assert!(reply.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("kap_2026-baseline-migrants.csv"));
    let text = reply.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 11, "{text}");
    assert!(lines[0].ends_with("PARENT_KEY,KEY"), "{}", lines[0]);
    assert!(
        lines[1].contains("fieldline:tablet-") && lines[1].ends_with("/migrants[1]"),
        "{}",
        lines[1]
    );
    assert!(!text.contains("fieldline:foreign"));
    let report: ReportView = get(&world, &manager, &format!("/api/v1/campaigns/{c}/report"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report.repeats, ["migrants"]);
    for (path, status) in [
        ("rounds/midline/export", 404),
        ("rounds/baseline/export?format=pdf", 400),
        ("rounds/baseline/export?format=csv&repeat=children", 400),
    ] {
        let reply = get(&world, &manager, &format!("/api/v1/campaigns/{c}/{path}")).await;
        assert_eq!(reply.status(), status, "{path}");
    }
    world.server.shutdown().await;
}

#[tokio::test]
async fn the_devices_view_says_when_each_device_was_last_seen_and_what_arrived_from_it() {
    let world = world().await;
    let baseline = world.form_version.clone();
    let (_, tablet) = world.device(&world.partner, "fieldline:tablet").await;
    world.device(&world.partner, "fieldline:quiet").await;
    // Interviews 1, 2, 3 and 5: number 4 is still on the tablet (or lost).
    let mut sent = interviews(&world, &baseline, "fieldline:tablet", 1, 5, 2);
    sent.remove(3);
    submit(&world, &tablet, sent).await;

    let manager = world.person(&world.owner, Role::Manager).await;
    let c = world.campaign.id.clone();
    let devices: serde_json::Value =
        get(&world, &manager, &format!("/api/v1/campaigns/{c}/devices"))
            .await
            .json()
            .await
            .unwrap();
    let row = |device_id: &str| {
        devices
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["device_id"] == device_id)
            .unwrap_or_else(|| panic!("{device_id} is not listed: {devices}"))
            .clone()
    };
    let tablet_row = row("fieldline:tablet");
    assert!(
        tablet_row["last_seen_at"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z')),
        "{tablet_row}"
    );
    assert_eq!(tablet_row["received"], 4, "{tablet_row}");
    assert_eq!(tablet_row["complete_up_to"], 3, "{tablet_row}");
    // Enrolled, never synced since.
    let quiet_row = row("fieldline:quiet");
    assert_eq!(
        quiet_row["last_seen_at"],
        serde_json::Value::Null,
        "{quiet_row}"
    );
    assert_eq!(
        (
            quiet_row["received"].clone(),
            quiet_row["complete_up_to"].clone()
        ),
        (0.into(), 0.into())
    );
    world.server.shutdown().await;
}

#[tokio::test]
async fn a_viewers_report_is_not_broken_down_by_a_field_the_form_marks_sensitive() {
    use fieldline_form::{Attachments, Form};
    use fieldline_server::storage::NewRound;
    let world = world().await;
    let storage = &world.server.storage;
    // A campaign whose form marks the municipality sensitive (a small place can name a person).
    let campaign = storage
        .create_campaign(&world.owner.id, "Sensitive places")
        .await
        .unwrap();
    let bytes = kap_bytes();
    for name in ["baseline", "endline"] {
        let mut form = Form::from_xlsform(&bytes, &Attachments::new()).unwrap();
        let at = form
            .nodes
            .iter()
            .position(|n| n.name == "municipality")
            .unwrap();
        form.nodes[at].sensitive = true;
        let version = format!("{name}-1");
        form.settings.version = Some(version.clone());
        storage
            .create_round(NewRound {
                campaign_id: campaign.id.clone(),
                name: name.into(),
                form_id: form.settings.form_id.clone(),
                form_version: version,
                title: form.settings.form_title.clone(),
                file_name: format!("{name}.xlsx"),
                sha256: sha256_hex(&bytes),
                xlsform: bytes.clone(),
                definition: serde_json::to_string(&form).unwrap(),
            })
            .await
            .unwrap();
    }
    let viewer = world.person(&world.owner, Role::Viewer).await;
    let manager = world.person(&world.owner, Role::Manager).await;
    let report = |token: &str, query: &str| {
        let path = format!("/api/v1/campaigns/{}/report?{query}", campaign.id);
        let token = token.to_owned();
        let world = &world;
        async move { get(world, &token, &path).await.status().as_u16() }
    };
    assert_eq!(report(&viewer, "by=gender").await, 200);
    assert_eq!(report(&viewer, "by=municipality").await, 403);
    assert_eq!(report(&viewer, "cluster=municipality").await, 403);
    assert_eq!(report(&manager, "by=municipality").await, 200);
    world.server.shutdown().await;
}
