//! `GET /api/v1/campaigns/{c}/rounds/{name}/sealed`: an end-to-end encrypted round's stored
//! submissions, byte for byte, with the round's form, paged, each person seeing the submissions
//! within their reach; a readable campaign is refused.

mod api_support;

use std::collections::BTreeMap;

use api_support::*;
use base64::Engine as _;
use fieldline_form::{Attachments, Form};
use fieldline_protocol::{Envelope, PayloadEncoding, SubmitBatch};
use fieldline_server::storage::{NewRound, Role};
use serde_json::Value;

/// Submissions per device: together more than one page of 500.
const PER_DEVICE: usize = 260;

/// What a device stores for a sealed interview: the server cannot read it, so any bytes do.
fn sealed_bytes(instance_id: &str) -> Vec<u8> {
    format!("age-encryption.org/v1 opaque bytes of {instance_id}").into_bytes()
}

fn sealed_envelope(world: &World, instance_id: &str, seq: i64) -> Envelope {
    let bytes = sealed_bytes(instance_id);
    Envelope {
        instance_id: instance_id.into(),
        device_seq: seq,
        form_id: world.form_id.clone(),
        form_version: world.form_version.clone(),
        sha256: sha256_hex(&bytes),
        encoding: PayloadEncoding::Age,
        payload: base64::engine::general_purpose::STANDARD.encode(&bytes),
        attachments: Vec::new(),
    }
}

/// The seeded world with its campaign replaced by an end-to-end encrypted one on the same form,
/// with the same two partners.
async fn sealed_world() -> World {
    let mut world = world().await;
    let s = &world.server.storage;
    let campaign = s
        .create_campaign(&world.owner.id, "KAP 2026 sealed")
        .await
        .unwrap();
    s.add_partner(&campaign.id, &world.partner.id)
        .await
        .unwrap();
    s.add_partner(&campaign.id, &world.foreign.id)
        .await
        .unwrap();
    s.add_campaign_recipients(
        &campaign.id,
        &["age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj".to_string()],
    )
    .await
    .unwrap();
    let bytes = kap_bytes();
    let mut form = Form::from_xlsform(&bytes, &Attachments::new()).unwrap();
    // A form version is published once on a server: this campaign's is its own.
    let version = format!("{}-sealed", world.form_version);
    form.settings.version = Some(version.clone());
    s.create_round(NewRound {
        campaign_id: campaign.id.clone(),
        name: "baseline".into(),
        form_id: world.form_id.clone(),
        form_version: version.clone(),
        title: form.settings.form_title.clone(),
        file_name: "safe_migration_kap.xlsx".into(),
        sha256: sha256_hex(&bytes),
        xlsform: bytes,
        definition: serde_json::to_string(&form).unwrap(),
    })
    .await
    .unwrap();
    world.campaign = s.campaign(&campaign.id).await.unwrap().unwrap();
    world.form_version = version;
    world
}

/// Every page of the round as `token` sees it: (instance id -> the page's submission, the
/// form of the first page).
async fn all_pages(world: &World, token: &str) -> (BTreeMap<String, Value>, Value, usize) {
    let mut after = None::<i64>;
    let mut seen = BTreeMap::new();
    let mut form = Value::Null;
    let mut pages = 0;
    loop {
        let mut path = format!(
            "/api/v1/campaigns/{}/rounds/baseline/sealed",
            world.campaign.id
        );
        if let Some(after) = after {
            path.push_str(&format!("?after={after}"));
        }
        let reply = world
            .server
            .client
            .get(world.server.url(&path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200, "{path}");
        let page: Value = reply.json().await.unwrap();
        pages += 1;
        assert_eq!(page["round"], "baseline");
        assert_eq!(page["form_id"], world.form_id.as_str());
        assert_eq!(page["form_version"], world.form_version.as_str());
        if form.is_null() {
            form = page["form"].clone();
        }
        for submission in page["submissions"].as_array().unwrap() {
            let id = submission["instance_id"].as_str().unwrap().to_string();
            assert!(
                seen.insert(id.clone(), submission.clone()).is_none(),
                "{id} came twice"
            );
        }
        match page["next_after"].as_i64() {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    (seen, form, pages)
}

#[tokio::test]
async fn a_sealed_round_is_handed_out_byte_for_byte_within_each_persons_reach() {
    let world = sealed_world().await;
    let client = &world.server.client;
    let (_, partner_device) = world.device(&world.partner, "fieldline:partner").await;
    let (_, foreign_device) = world.device(&world.foreign, "fieldline:foreign").await;
    for (token, device) in [
        (&partner_device, "fieldline:partner"),
        (&foreign_device, "fieldline:foreign"),
    ] {
        for batch in (0..PER_DEVICE).collect::<Vec<_>>().chunks(100) {
            let items = batch
                .iter()
                .map(|i| sealed_envelope(&world, &format!("{device}-{i}"), *i as i64 + 1))
                .collect();
            let reply = client
                .post(world.server.url("/api/v1/device/submissions"))
                .bearer_auth(token)
                .json(&SubmitBatch { items })
                .send()
                .await
                .unwrap();
            assert_eq!(reply.status(), 200);
        }
    }

    let manager = world.person(&world.owner, Role::Manager).await;
    let (all, form, pages) = all_pages(&world, &manager).await;
    assert_eq!(
        all.len(),
        2 * PER_DEVICE,
        "the manager gets every submission"
    );
    assert!(
        pages >= 2,
        "more than a page of submissions came in {pages} page(s)"
    );
    let stored: Form = serde_json::from_value(form).expect("the page's form is the round's form");
    assert_eq!(stored.settings.form_id, world.form_id);
    let one = &all["fieldline:foreign-7"];
    assert_eq!(one["encoding"], "age");
    assert_eq!(one["device"], "fieldline:foreign");
    assert!(one["received_at"].as_str().is_some_and(|t| !t.is_empty()));
    let payload = base64::engine::general_purpose::STANDARD
        .decode(one["payload"].as_str().unwrap())
        .unwrap();
    assert_eq!(payload, sealed_bytes("fieldline:foreign-7"));

    let partner = world.person(&world.partner, Role::Viewer).await;
    let (own, _, _) = all_pages(&world, &partner).await;
    assert_eq!(own.len(), PER_DEVICE);
    assert!(own.values().all(|s| s["device"] == "fieldline:partner"));
    let foreign = world.person(&world.foreign, Role::PartnerAdmin).await;
    let (own, _, _) = all_pages(&world, &foreign).await;
    assert_eq!(own.len(), PER_DEVICE);
    assert!(own.values().all(|s| s["device"] == "fieldline:foreign"));

    let get = |path: String, token: String| {
        let request = client.get(world.server.url(&path)).bearer_auth(token);
        async move { request.send().await.unwrap() }
    };
    let c = &world.campaign.id;
    let other = world.person(&world.other_owner, Role::Manager).await;
    let reply = get(
        format!("/api/v1/campaigns/{c}/rounds/baseline/sealed"),
        other,
    )
    .await;
    assert_eq!(
        reply.status(),
        404,
        "another campaign's manager learns nothing"
    );
    let reply = get(
        format!("/api/v1/campaigns/{c}/rounds/endline/sealed"),
        manager.clone(),
    )
    .await;
    assert_eq!(reply.status(), 404, "a round the campaign does not have");

    // Each page handed out is in the audit log, as every other download.
    let events = world.server.storage.audit_events(0, 1000).await.unwrap();
    assert!(events
        .iter()
        .any(|e| e.campaign_id.as_deref() == Some(c.as_str())
            && e.subject.starts_with("rounds/baseline/sealed")));
    world.server.shutdown().await;
}

#[tokio::test]
async fn a_readable_campaign_has_no_sealed_submissions_to_hand_out() {
    let world = world().await;
    let manager = world.person(&world.owner, Role::Manager).await;
    let reply = world
        .server
        .client
        .get(world.server.url(&format!(
            "/api/v1/campaigns/{}/rounds/baseline/sealed",
            world.campaign.id
        )))
        .bearer_auth(manager)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 409);
    let body: Value = reply.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("not end-to-end encrypted"),
        "{body}"
    );
    world.server.shutdown().await;
}
