//! The device API over real HTTP: enrollment, rounds, submissions with every outcome,
//! resumable attachments, the device status, compression both ways, the body limits and
//! revocation.

mod api_support;

use api_support::*;
use fieldline_protocol::{
    AttachmentRef, EnrollRequest, Outcome, RoundsPage, SubmitBatch, SubmitReply, MAX_REQUEST_BYTES,
};
use fieldline_server::storage::{Role, SubmissionFilter};

async fn submit(
    world: &World,
    token: &str,
    items: Vec<fieldline_protocol::Envelope>,
) -> SubmitReply {
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

#[tokio::test]
async fn enroll_pull_submit_every_outcome_and_report_the_gap() {
    let world = world().await;
    let client = &world.server.client;

    // Enrollment: a code works once, typed in any case with spaces.
    let code = world.code(&world.partner).await;
    let typed = code.to_lowercase().replace('-', " ");
    let enroll = |code: String, device_id: &str| {
        client
            .post(world.server.url("/api/v1/enroll"))
            .json(&EnrollRequest {
                code,
                device_id: device_id.into(),
                label: "Asha's tablet".into(),
            })
            .send()
    };
    let reply = enroll(typed.clone(), "fieldline:one").await.unwrap();
    assert_eq!(reply.status(), 201);
    let enrolled: fieldline_protocol::Enrolled = reply.json().await.unwrap();
    assert_eq!(enrolled.campaign.id, world.campaign.id);
    assert_eq!(enrolled.organization.id, world.partner.id);
    let token = enrolled.device_token;
    let again = enroll(code, "fieldline:two").await.unwrap();
    assert_eq!(again.status(), 409);
    let unknown = enroll("ZZZZ-ZZZZ-ZZZZ".into(), "fieldline:two")
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let body: serde_json::Value = unknown.json().await.unwrap();
    assert_eq!(
        body["error"],
        "this enrollment code is not known; check it or ask for a new one"
    );

    // Rounds: one page with the workbook, then nothing more.
    let page: RoundsPage = world
        .get_json(&token, "/api/v1/device/rounds?after=0")
        .await;
    assert_eq!(page.rounds.len(), 1);
    assert!(!page.more);
    let round = &page.rounds[0];
    assert_eq!(round.round_name, "baseline");
    use base64::Engine as _;
    let workbook = base64::engine::general_purpose::STANDARD
        .decode(&round.xlsform)
        .unwrap();
    assert_eq!(sha256_hex(&workbook), round.sha256);
    assert_eq!(workbook, kap_bytes());
    let next: RoundsPage = client
        .get(
            world
                .server
                .url(&format!("/api/v1/device/rounds?after={}", page.cursor)),
        )
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(next.rounds.is_empty() && !next.more);
    assert_eq!(next.cursor, page.cursor);

    // Submissions: accepted, duplicate, conflict, rejected for every reason, retry.
    let first = world.envelope("fieldline:one", "i-1", 1);
    let reply = submit(&world, &token, vec![first.clone()]).await;
    assert_eq!(reply.results[0].outcome, Outcome::Accepted);
    assert_eq!(reply.status.contiguous_seq, 1);
    let reply = submit(&world, &token, vec![first.clone()]).await;
    assert_eq!(reply.results[0].outcome, Outcome::Duplicate);
    let changed = world.envelope_with("fieldline:one", "i-1", 1, &[("/data/ward", "8")], vec![]);
    let reply = submit(&world, &token, vec![changed]).await;
    assert_eq!(reply.results[0].outcome, Outcome::Conflict);
    assert!(reply.results[0].reason.is_some());

    let mut bad_hash = world.envelope("fieldline:one", "i-2", 2);
    bad_hash.sha256 = sha256_hex(b"something else");
    let mut unpublished = world.envelope("fieldline:one", "i-3", 3);
    unpublished.form_version = "1999".into();
    let too_young = world.envelope_with(
        "fieldline:one",
        "i-4",
        4,
        &[("/data/about/age", "12")],
        vec![],
    );
    let no_age = world.envelope_with(
        "fieldline:one",
        "i-5",
        5,
        &[("/data/about/age", "")],
        vec![],
    );
    let other_device = world.envelope("fieldline:someone-else", "i-6", 6);
    let reply = submit(
        &world,
        &token,
        vec![bad_hash, unpublished, too_young, no_age, other_device],
    )
    .await;
    let reasons: Vec<String> = reply
        .results
        .iter()
        .map(|r| {
            assert_eq!(r.outcome, Outcome::Rejected, "{r:?}");
            r.reason.clone().unwrap()
        })
        .collect();
    assert_eq!(reasons[0], "the payload does not match its SHA-256");
    assert_eq!(
        reasons[1],
        format!(
            "form {} version 1999 is not published in this campaign",
            world.form_id
        )
    );
    assert!(reasons[2].contains("/data/about/age") && reasons[2].contains("Age must be 16 to 70"));
    assert!(reasons[3].contains("/data/about/age") && reasons[3].contains("required"));
    assert!(reasons[4].contains("fieldline:someone-else"));
    assert_eq!(
        reply.status.contiguous_seq, 6,
        "set-aside items count as held"
    );

    // An attachment not uploaded yet: retry, nothing stored.
    let photo = b"not really a jpeg, but bytes all the same".repeat(100);
    let photo_sha = sha256_hex(&photo);
    let attachment = AttachmentRef {
        name: "1764000000123.jpg".into(),
        sha256: photo_sha.clone(),
        size: photo.len() as i64,
        media_type: "image/jpeg".into(),
    };
    let with_photo = world.envelope_with("fieldline:one", "i-8", 8, &[], vec![attachment.clone()]);
    let reply = submit(&world, &token, vec![with_photo.clone()]).await;
    assert_eq!(reply.results[0].outcome, Outcome::Retry);
    assert!(reply.results[0]
        .reason
        .as_ref()
        .unwrap()
        .contains(&photo_sha));
    // Seq 7 never arrived: the gap shows.
    assert_eq!(reply.status.contiguous_seq, 6);

    // The attachment, uploaded in two parts with a break between, and a wrong offset refused.
    let url = world
        .server
        .url(&format!("/api/v1/device/attachments/{photo_sha}"));
    let head = client.head(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(head.status(), 404);
    let part = client
        .patch(&url)
        .bearer_auth(&token)
        .header("upload-offset", "0")
        .body(photo[..1000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 204);
    assert_eq!(part.headers()["upload-offset"], "1000");
    assert!(part.headers().get("upload-complete").is_none());
    let head = client.head(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["upload-offset"], "1000");
    let wrong = client
        .patch(&url)
        .bearer_auth(&token)
        .header("upload-offset", "0")
        .body(photo.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 409);
    assert_eq!(wrong.headers()["upload-offset"], "1000");
    // A last part with corrupted bytes makes the whole upload start again: 422, and the server
    // holds nothing of the file any more.
    let mut corrupted = photo[1000..].to_vec();
    corrupted[0] ^= 0xff;
    let refused = client
        .patch(&url)
        .bearer_auth(&token)
        .header("upload-offset", "1000")
        .header("upload-complete", "1")
        .body(corrupted)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    assert_eq!(refused.headers()["upload-offset"], "0");
    let head = client.head(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(head.status(), 404);
    let rest = client
        .patch(&url)
        .bearer_auth(&token)
        .header("upload-offset", "0")
        .header("upload-complete", "1")
        .body(photo.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), 204);
    assert_eq!(rest.headers()["upload-complete"], "1");
    assert_eq!(
        rest.headers()["upload-offset"],
        photo.len().to_string().as_str()
    );
    assert_eq!(
        world
            .server
            .storage
            .attachment(&photo_sha)
            .await
            .unwrap()
            .unwrap(),
        photo
    );
    let reply = submit(&world, &token, vec![with_photo]).await;
    assert_eq!(reply.results[0].outcome, Outcome::Accepted);
    assert_eq!(reply.status.contiguous_seq, 6, "seq 7 is still missing");
    assert_eq!(reply.status.held, 7);

    // The gap filled.
    let reply = submit(
        &world,
        &token,
        vec![world.envelope("fieldline:one", "i-7", 7)],
    )
    .await;
    assert_eq!(reply.results[0].outcome, Outcome::Accepted);
    let status: fieldline_protocol::DeviceStatus =
        world.get_json(&token, "/api/v1/device/status").await;
    assert_eq!(status.device_id, "fieldline:one");
    assert_eq!(status.contiguous_seq, 8);

    // What was stored and what was kept aside.
    let filter = SubmissionFilter {
        campaign_id: world.campaign.id.clone(),
        ..Default::default()
    };
    let stored = world.server.storage.submissions(&filter).await.unwrap();
    let mut ids: Vec<&str> = stored.iter().map(|s| s.instance_id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["i-1", "i-7", "i-8"]);
    let aside = world.server.storage.set_aside(&filter).await.unwrap();
    assert_eq!(aside.len(), 6, "{aside:?}");
    world.server.shutdown().await;
}

#[tokio::test]
async fn bodies_travel_gzipped_both_ways_and_bombs_are_refused() {
    let world = world().await;
    let (_, token) = world.device(&world.partner, "fieldline:gz").await;
    let client = &world.server.client;
    let batch = SubmitBatch {
        items: vec![world.envelope("fieldline:gz", "g-1", 1)],
    };
    let reply = client
        .post(world.server.url("/api/v1/device/submissions"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .header("accept-encoding", "gzip")
        .body(gzip(&serde_json::to_vec(&batch).unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.headers()["content-encoding"], "gzip");
    let body = gunzip(&reply.bytes().await.unwrap());
    let reply: SubmitReply = serde_json::from_slice(&body).unwrap();
    assert_eq!(reply.results[0].outcome, Outcome::Accepted);

    // A few KB of gzip that would expand past the limit: 413, read no further than the limit.
    let bomb = gzip(&vec![b' '; MAX_REQUEST_BYTES + 1024 * 1024]);
    assert!(bomb.len() < 100 * 1024, "{}", bomb.len());
    let reply = client
        .post(world.server.url("/api/v1/device/submissions"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(bomb)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 413);

    // And a body too large on the wire.
    let reply = client
        .patch(
            world
                .server
                .url(&format!("/api/v1/device/attachments/{}", sha256_hex(b"x"))),
        )
        .bearer_auth(&token)
        .header("upload-offset", "0")
        .body(vec![0u8; MAX_REQUEST_BYTES + 1])
        .send()
        .await;
    match reply {
        Ok(reply) => assert_eq!(reply.status(), 413),
        // The server may close the connection before the whole body is written.
        Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
    }
    world.server.shutdown().await;
}

#[tokio::test]
async fn a_revoked_device_is_refused_at_once() {
    let world = world().await;
    let (device, token) = world.device(&world.partner, "fieldline:lost").await;
    let client = &world.server.client;
    let status = |token: String| {
        client
            .get(world.server.url("/api/v1/device/status"))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(status(token.clone()).await.unwrap().status(), 200);
    let admin = world.person(&world.partner, Role::PartnerAdmin).await;
    let revoke = client
        .post(world.server.url(&format!(
            "/api/v1/campaigns/{}/devices/{device}/revoke",
            world.campaign.id
        )))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 204);
    let refused = status(token).await.unwrap();
    assert_eq!(refused.status(), 401);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(
        body["error"],
        "this device was revoked; ask your coordinator for a new enrollment code"
    );
    let unknown = status("not-a-token".into()).await.unwrap();
    assert_eq!(unknown.status(), 401);
    world.server.shutdown().await;
}

#[tokio::test]
async fn sign_in_refuses_wrong_passwords_and_unknown_emails_alike() {
    let world = world().await;
    world.person(&world.owner, Role::Manager).await;
    let client = &world.server.client;
    let login = |email: String, password: &str| {
        client
            .post(world.server.url("/api/v1/login"))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
    };
    let email = format!("manager-{}@example.org", world.owner.id);
    let wrong = login(email.clone(), "not it").await.unwrap();
    assert_eq!(wrong.status(), 401);
    let wrong: serde_json::Value = wrong.json().await.unwrap();
    let unknown = login("nobody@example.org".into(), "not it").await.unwrap();
    assert_eq!(unknown.status(), 401);
    let unknown: serde_json::Value = unknown.json().await.unwrap();
    assert_eq!(wrong, unknown);
    let ok = login(email, PASSWORD).await.unwrap();
    assert_eq!(ok.status(), 200);
    let ok: fieldline_protocol::LoggedIn = ok.json().await.unwrap();
    assert_eq!(ok.role, Role::Manager);
    assert_eq!(ok.organization.id, world.owner.id);
    world.server.shutdown().await;
}
