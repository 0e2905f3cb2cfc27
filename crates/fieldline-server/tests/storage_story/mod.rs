//! One story every storage backend must tell the same way: every method of `Storage`, and the
//! rules for what a received submission becomes. `tests/storage.rs` runs it on SQLite; the
//! PostgreSQL tests run it on their database.

use std::sync::Arc;

use fieldline_server::secrets::token_hash;
use fieldline_server::storage::{
    AuditAction, Incoming, NewAuditEvent, NewRound, Outcome, PayloadEncoding, PlannedCluster, Role,
    SamplingPlan, Storage, StorageError, SubmissionFilter,
};

fn conflict<T: std::fmt::Debug>(result: Result<T, StorageError>) -> String {
    match result {
        Err(StorageError::Conflict(message)) => message,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn not_found<T: std::fmt::Debug>(result: Result<T, StorageError>) -> String {
    match result {
        Err(StorageError::NotFound(message)) => message,
        other => panic!("expected not found, got {other:?}"),
    }
}

fn new_round(campaign_id: &str, name: &str, form_id: &str, version: &str, size: usize) -> NewRound {
    let xlsform = vec![name.len() as u8; size];
    NewRound {
        campaign_id: campaign_id.into(),
        name: name.into(),
        form_id: form_id.into(),
        form_version: version.into(),
        title: format!("{form_id} {name}"),
        file_name: format!("{form_id}.xlsx"),
        sha256: format!("{:064x}", size),
        xlsform,
        definition: format!(r#"{{"form_id":"{form_id}","version":"{version}"}}"#),
    }
}

fn incoming(device: &str, seq: i64, instance: &str, round: &str, payload: &str) -> Incoming {
    Incoming {
        device: device.into(),
        instance_id: instance.into(),
        device_seq: seq,
        form_id: "kap".into(),
        form_version: "1".into(),
        round_id: Some(round.into()),
        sha256: token_hash(payload),
        encoding: PayloadEncoding::Json,
        payload: payload.as_bytes().to_vec(),
        attachments: "[]".into(),
        rejection: None,
    }
}

pub async fn story(storage: Arc<dyn Storage>) {
    // The installation.
    let info = storage.server_info().await.unwrap();
    assert!(!info.server_id.is_empty());
    assert!(info.schema_version >= 1);
    assert!(info.created_at.contains('T'), "{}", info.created_at);

    // Organizations: names are unique.
    let owner = storage.create_organization("Owner NGO").await.unwrap();
    let partner_a = storage.create_organization("Partner A").await.unwrap();
    let partner_b = storage.create_organization("Partner B").await.unwrap();
    let outsider = storage.create_organization("Outsider").await.unwrap();
    conflict(storage.create_organization("Partner A").await);
    assert_eq!(
        storage.organization(&partner_a.id).await.unwrap(),
        Some(partner_a.clone())
    );
    assert_eq!(storage.organization("no-such-id").await.unwrap(), None);
    assert_eq!(
        storage.organizations().await.unwrap(),
        vec![
            owner.clone(),
            partner_a.clone(),
            partner_b.clone(),
            outsider.clone()
        ]
    );

    // Users: emails are unique whatever their case.
    let manager = storage
        .create_user(
            &owner.id,
            "Manager@Example.org",
            Role::Manager,
            "$argon2id$x",
        )
        .await
        .unwrap();
    assert_eq!(manager.role, Role::Manager);
    assert_eq!(manager.organization_id, owner.id);
    assert_eq!(
        storage.user_by_email("manager@example.org").await.unwrap(),
        Some(manager.clone())
    );
    assert_eq!(
        storage.user_by_email("nobody@example.org").await.unwrap(),
        None
    );
    conflict(
        storage
            .create_user(
                &partner_a.id,
                "MANAGER@example.org",
                Role::Viewer,
                "$argon2id$y",
            )
            .await,
    );
    not_found(
        storage
            .create_user("no-such-org", "x@example.org", Role::Viewer, "$argon2id$y")
            .await,
    );
    let partner_admin = storage
        .create_user(
            &partner_a.id,
            "lead@partner-a.org",
            Role::PartnerAdmin,
            "$argon2id$z",
        )
        .await
        .unwrap();

    // Sessions: found until they expire.
    storage
        .create_session(&manager.id, "session-1", "2999-01-01T00:00:00Z")
        .await
        .unwrap();
    storage
        .create_session(&partner_admin.id, "session-2", "2025-06-01T12:00:00.000Z")
        .await
        .unwrap();
    assert_eq!(
        storage
            .session_user("session-1", "2025-01-01T00:00:00Z")
            .await
            .unwrap(),
        Some(manager.clone())
    );
    assert_eq!(
        storage
            .session_user("session-2", "2025-06-01T11:59:59Z")
            .await
            .unwrap(),
        Some(partner_admin.clone())
    );
    assert_eq!(
        storage
            .session_user("session-2", "2025-06-01T12:00:01Z")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        storage
            .session_user("no-such-session", "2025-01-01T00:00:00Z")
            .await
            .unwrap(),
        None
    );
    not_found(
        storage
            .create_session("no-such-user", "session-3", "2999-01-01T00:00:00Z")
            .await,
    );
    // Signing out ends a session at once; the others stay.
    storage
        .create_session(&manager.id, "session-4", "2999-01-01T00:00:00Z")
        .await
        .unwrap();
    assert!(storage.delete_session("session-4").await.unwrap());
    assert!(!storage.delete_session("session-4").await.unwrap());
    assert_eq!(
        storage
            .session_user("session-4", "2025-01-01T00:00:00Z")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        storage
            .session_user("session-1", "2025-01-01T00:00:00Z")
            .await
            .unwrap(),
        Some(manager.clone())
    );

    // People's access: listed by organization in creation order; a role changes in place; a
    // disabled account keeps its record but loses its sessions at once, and a new password ends
    // them too.
    // Whether a session is honoured now (well before any of these expire).
    let honoured = |token: &'static str| {
        let storage = Arc::clone(&storage);
        async move {
            storage
                .session_user(token, "2025-01-01T00:00:00Z")
                .await
                .unwrap()
                .is_some()
        }
    };
    assert_eq!(
        storage.users(None).await.unwrap(),
        vec![manager.clone(), partner_admin.clone()]
    );
    assert_eq!(
        storage.users(Some(&partner_a.id)).await.unwrap(),
        vec![partner_admin.clone()]
    );
    assert_eq!(
        storage.user(&manager.id).await.unwrap(),
        Some(manager.clone())
    );
    assert_eq!(storage.user("no-such-user").await.unwrap(), None);
    storage
        .set_user_role(&partner_admin.id, Role::Viewer, Role::PartnerAdmin)
        .await
        .unwrap();
    assert_eq!(
        storage.user(&partner_admin.id).await.unwrap().unwrap().role,
        Role::Viewer
    );
    storage
        .create_session(&partner_admin.id, "session-5", "2999-01-01T00:00:00Z")
        .await
        .unwrap();
    storage
        .set_user_disabled(&partner_admin.id, true, Role::Viewer)
        .await
        .unwrap();
    let disabled = storage.user(&partner_admin.id).await.unwrap().unwrap();
    assert!(disabled.disabled);
    assert!(!honoured("session-5").await);
    // No new session for a disabled account, so none comes back to life when it is enabled.
    conflict(
        storage
            .create_session(&partner_admin.id, "session-6", "2999-01-01T00:00:00Z")
            .await,
    );
    storage
        .set_user_disabled(&partner_admin.id, false, Role::Viewer)
        .await
        .unwrap();
    assert!(!honoured("session-5").await);
    storage
        .create_session(&partner_admin.id, "session-6", "2999-01-01T00:00:00Z")
        .await
        .unwrap();
    assert!(
        !storage
            .user(&partner_admin.id)
            .await
            .unwrap()
            .unwrap()
            .disabled
    );
    assert!(honoured("session-6").await);
    storage
        .set_user_password(&partner_admin.id, "$argon2id$new")
        .await
        .unwrap();
    assert!(!honoured("session-6").await);
    let partner_admin = storage.user(&partner_admin.id).await.unwrap().unwrap();
    assert_eq!(partner_admin.password_hash, "$argon2id$new");
    not_found(
        storage
            .set_user_role("no-such-user", Role::Admin, Role::Viewer)
            .await,
    );
    not_found(
        storage
            .set_user_disabled("no-such-user", true, Role::Viewer)
            .await,
    );
    // A change allowed for a role the person no longer holds (someone changed it meanwhile)
    // changes nothing.
    conflict(
        storage
            .set_user_role(&partner_admin.id, Role::Admin, Role::PartnerAdmin)
            .await,
    );
    conflict(
        storage
            .set_user_disabled(&partner_admin.id, true, Role::Manager)
            .await,
    );
    let unchanged = storage.user(&partner_admin.id).await.unwrap().unwrap();
    assert_eq!((unchanged.role, unchanged.disabled), (Role::Viewer, false));
    not_found(
        storage
            .set_user_password("no-such-user", "$argon2id$x")
            .await,
    );
    storage
        .set_user_role(&partner_admin.id, Role::PartnerAdmin, Role::Viewer)
        .await
        .unwrap();
    assert_eq!(
        storage.users(Some(&partner_a.id)).await.unwrap()[0].role,
        Role::PartnerAdmin
    );

    // Campaigns and partners.
    let campaign = storage
        .create_campaign(&owner.id, "Safe migration 2025")
        .await
        .unwrap();
    assert_eq!(campaign.owner_id, owner.id);
    assert!(campaign.partner_ids.is_empty());
    conflict(
        storage
            .create_campaign(&partner_a.id, "Safe migration 2025")
            .await,
    );
    not_found(storage.create_campaign("no-such-org", "Another").await);
    let other = storage
        .create_campaign(&outsider.id, "Other campaign")
        .await
        .unwrap();

    // End-to-end encryption keys: none for a readable campaign; set once, in order, for a new
    // one; never a second time, never after a round is published.
    assert!(storage
        .campaign_recipients(&campaign.id)
        .await
        .unwrap()
        .is_empty());
    let sealed = storage
        .create_campaign(&outsider.id, "Sealed campaign")
        .await
        .unwrap();
    let keys = vec!["age1first".to_owned(), "age1escrow".to_owned()];
    storage
        .add_campaign_recipients(&sealed.id, &keys)
        .await
        .unwrap();
    assert_eq!(storage.campaign_recipients(&sealed.id).await.unwrap(), keys);
    conflict(
        storage
            .add_campaign_recipients(&sealed.id, &["age1other".to_owned()])
            .await,
    );
    not_found(
        storage
            .add_campaign_recipients("no-such-campaign", &keys)
            .await,
    );
    storage
        .add_partner(&campaign.id, &partner_a.id)
        .await
        .unwrap();
    storage
        .add_partner(&campaign.id, &partner_b.id)
        .await
        .unwrap();
    storage
        .add_partner(&campaign.id, &partner_a.id)
        .await
        .unwrap();
    conflict(storage.add_partner(&campaign.id, &owner.id).await);
    not_found(storage.add_partner("no-such-campaign", &partner_a.id).await);
    not_found(storage.add_partner(&campaign.id, "no-such-org").await);
    let campaign = storage.campaign(&campaign.id).await.unwrap().unwrap();
    assert_eq!(
        campaign.partner_ids,
        vec![partner_a.id.clone(), partner_b.id.clone()]
    );
    assert_eq!(storage.campaign("no-such-campaign").await.unwrap(), None);
    assert_eq!(
        storage.campaigns().await.unwrap(),
        vec![campaign.clone(), other.clone(), sealed.clone()]
    );

    // Rounds: names unique in a campaign, form versions unique on the server, seq increasing
    // across the server.
    let baseline = storage
        .create_round(new_round(&campaign.id, "baseline", "kap", "1", 3000))
        .await
        .unwrap();
    let foreign_round = storage
        .create_round(new_round(&other.id, "baseline", "other", "1", 100))
        .await
        .unwrap();
    let endline = storage
        .create_round(new_round(&campaign.id, "endline", "kap", "2", 3000))
        .await
        .unwrap();
    let midline = storage
        .create_round(new_round(&campaign.id, "midline-1", "kap", "3", 3000))
        .await
        .unwrap();
    let refused = conflict(
        storage
            .add_campaign_recipients(&campaign.id, &["age1late".to_owned()])
            .await,
    );
    assert!(refused.contains("before any round"), "{refused}");
    assert!(baseline.seq < foreign_round.seq);
    assert!(foreign_round.seq < endline.seq);
    assert!(endline.seq < midline.seq);
    assert_eq!(baseline.name, "baseline");
    assert_eq!(baseline.form_version, "1");
    conflict(
        storage
            .create_round(new_round(&campaign.id, "baseline", "kap", "9", 10))
            .await,
    );
    conflict(
        storage
            .create_round(new_round(&other.id, "endline", "kap", "1", 10))
            .await,
    );
    not_found(
        storage
            .create_round(new_round("no-such-campaign", "x", "kap", "10", 10))
            .await,
    );
    assert_eq!(
        storage.rounds(&campaign.id).await.unwrap(),
        vec![baseline.clone(), endline.clone(), midline.clone()]
    );
    assert!(storage.rounds("no-such-campaign").await.unwrap().is_empty());

    // Sampling plans: none at first; set for the endline then the baseline, listed in the
    // rounds' order; setting one again replaces it; a plan of another campaign stays there.
    assert!(storage
        .sampling_plans(&campaign.id)
        .await
        .unwrap()
        .is_empty());
    let plan = |round: &str, per_cluster: u32, planned: &[(&str, u32)]| SamplingPlan {
        round_id: round.into(),
        cluster_fields: vec!["municipality".into(), "ward".into()],
        per_cluster,
        planned: planned
            .iter()
            .map(|(cluster, target)| PlannedCluster {
                cluster: (*cluster).into(),
                target: *target,
            })
            .collect(),
    };
    let endline_plan = plan(&endline.id, 20, &[("dharan / 3", 25), ("janakpur / 1", 20)]);
    storage
        .set_sampling_plan(endline_plan.clone())
        .await
        .unwrap();
    storage
        .set_sampling_plan(plan(&baseline.id, 10, &[]))
        .await
        .unwrap();
    let baseline_plan = plan(&baseline.id, 12, &[("biratnagar / 7", 12)]);
    storage
        .set_sampling_plan(baseline_plan.clone())
        .await
        .unwrap();
    storage
        .set_sampling_plan(plan(&foreign_round.id, 5, &[]))
        .await
        .unwrap();
    assert_eq!(
        storage.sampling_plans(&campaign.id).await.unwrap(),
        vec![baseline_plan, endline_plan]
    );
    not_found(
        storage
            .set_sampling_plan(plan("no-such-round", 1, &[]))
            .await,
    );

    // Paging by bytes: 5000 bytes hold one 3000-byte workbook, 6000 hold two, and a page has at
    // least one round even when that one is larger than the limit.
    let page = storage.rounds_after(&campaign.id, 0, 5000).await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].0, baseline);
    assert_eq!(page[0].1, vec![b"baseline".len() as u8; 3000]);
    let page = storage
        .rounds_after(&campaign.id, baseline.seq, 6000)
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|(r, _)| r.clone()).collect::<Vec<_>>(),
        vec![endline.clone(), midline.clone()]
    );
    let page = storage.rounds_after(&campaign.id, 0, 1).await.unwrap();
    assert_eq!(page.len(), 1);
    let all = storage
        .rounds_after(&campaign.id, 0, usize::MAX)
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    assert!(storage
        .rounds_after(&campaign.id, midline.seq, usize::MAX)
        .await
        .unwrap()
        .is_empty());
    let foreign = storage
        .rounds_after(&other.id, 0, usize::MAX)
        .await
        .unwrap();
    assert_eq!(foreign.len(), 1);
    assert_eq!(foreign[0].0, foreign_round);

    let (round, definition) = storage
        .round_for_form(&campaign.id, "kap", "2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(round, endline);
    assert_eq!(definition, r#"{"form_id":"kap","version":"2"}"#);
    assert_eq!(
        storage.round_for_form(&other.id, "kap", "2").await.unwrap(),
        None
    );
    assert_eq!(
        storage
            .round_for_form(&campaign.id, "kap", "7")
            .await
            .unwrap(),
        None
    );

    // Enrollment: codes for the owner or a partner only, each used once.
    storage
        .create_enrollment_codes(
            &campaign.id,
            &partner_a.id,
            &["code-a1".to_string(), "code-a2".to_string()],
        )
        .await
        .unwrap();
    storage
        .create_enrollment_codes(&campaign.id, &owner.id, &["code-owner".to_string()])
        .await
        .unwrap();
    conflict(
        storage
            .create_enrollment_codes(&campaign.id, &outsider.id, &["code-x".to_string()])
            .await,
    );
    conflict(
        storage
            .create_enrollment_codes(&campaign.id, &partner_b.id, &["code-a1".to_string()])
            .await,
    );
    not_found(
        storage
            .create_enrollment_codes("no-such-campaign", &partner_a.id, &["code-y".to_string()])
            .await,
    );
    let device_1 = storage
        .enroll("code-a1", "fieldline:device-1", "Asha", "token-1")
        .await
        .unwrap();
    assert_eq!(device_1.campaign_id, campaign.id);
    assert_eq!(device_1.organization_id, partner_a.id);
    assert_eq!(device_1.device_id, "fieldline:device-1");
    assert_eq!(device_1.label, "Asha");
    assert!(!device_1.revoked);
    conflict(
        storage
            .enroll("code-a1", "fieldline:device-9", "Again", "token-9")
            .await,
    );
    not_found(
        storage
            .enroll("no-such-code", "fieldline:device-9", "Again", "token-9")
            .await,
    );
    let device_2 = storage
        .enroll("code-a2", "fieldline:device-2", "Binod", "token-2")
        .await
        .unwrap();
    let device_3 = storage
        .enroll("code-owner", "fieldline:device-3", "Chandra", "token-3")
        .await
        .unwrap();
    assert_eq!(device_3.organization_id, owner.id);
    assert_eq!(
        storage.device_by_token("token-1").await.unwrap(),
        Some(device_1.clone())
    );
    assert_eq!(
        storage.device_by_token("no-such-token").await.unwrap(),
        None
    );
    assert_eq!(
        storage.devices(&campaign.id).await.unwrap(),
        vec![device_1.clone(), device_2.clone(), device_3.clone()]
    );
    assert!(storage.devices(&other.id).await.unwrap().is_empty());

    // A device's visits, for "last seen": the first is noted at once, then one a minute at most.
    assert_eq!(device_1.last_seen_at, None);
    storage.device_seen(&device_1.id).await.unwrap();
    let seen_by_token = || async {
        let device = storage.device_by_token("token-1").await.unwrap().unwrap();
        device.last_seen_at
    };
    let seen = seen_by_token().await.expect("the first visit is noted");
    assert!(seen.len() == 24 && seen.ends_with('Z'), "{seen}");
    storage.device_seen(&device_1.id).await.unwrap();
    assert_eq!(seen_by_token().await.as_ref(), Some(&seen));
    let listed = storage.devices(&campaign.id).await.unwrap();
    assert_eq!(listed[0].last_seen_at.as_ref(), Some(&seen));
    assert_eq!(listed[1].last_seen_at, None);

    // A revoked device is still found by its token (the API refuses it).
    storage.revoke_device(&device_2.id).await.unwrap();
    let revoked = storage.device_by_token("token-2").await.unwrap().unwrap();
    assert!(revoked.revoked);
    assert_eq!(revoked.id, device_2.id);
    not_found(storage.revoke_device("no-such-device").await);

    // Submissions: accepted, then a duplicate in a batch with a new one past a gap.
    let first = incoming(&device_1.id, 1, "uuid:1", &baseline.id, r#"{"a":1}"#);
    assert_eq!(
        storage
            .store_submissions(vec![first.clone()])
            .await
            .unwrap(),
        vec![Outcome::Accepted]
    );
    let third = incoming(&device_1.id, 3, "uuid:3", &baseline.id, r#"{"a":3}"#);
    assert_eq!(
        storage
            .store_submissions(vec![first.clone(), third.clone()])
            .await
            .unwrap(),
        vec![Outcome::Duplicate, Outcome::Accepted]
    );
    assert_eq!(storage.device_progress(&device_1.id).await.unwrap(), (1, 2));
    assert_eq!(
        storage.submission_payload("uuid:1").await.unwrap(),
        Some(br#"{"a":1}"#.to_vec())
    );

    // Rejected: kept aside, fills the gap, and sent again adds nothing.
    let mut second = incoming(&device_1.id, 2, "uuid:2", &baseline.id, r#"{"a":"x"}"#);
    second.rejection = Some("answer a: not a number".into());
    for _ in 0..2 {
        assert_eq!(
            storage
                .store_submissions(vec![second.clone()])
                .await
                .unwrap(),
            vec![Outcome::Rejected]
        );
    }
    assert_eq!(storage.device_progress(&device_1.id).await.unwrap(), (3, 3));
    assert_eq!(storage.submission_payload("uuid:2").await.unwrap(), None);

    // Conflict: other bytes for a held instance are kept aside, the first never overwritten,
    // and sending them again is answered the same without a second row.
    let mut changed = incoming(&device_1.id, 1, "uuid:1", &baseline.id, r#"{"a":100}"#);
    for _ in 0..2 {
        assert_eq!(
            storage
                .store_submissions(vec![changed.clone()])
                .await
                .unwrap(),
            vec![Outcome::Conflict]
        );
    }
    assert_eq!(
        storage.submission_payload("uuid:1").await.unwrap(),
        Some(br#"{"a":1}"#.to_vec())
    );
    // A rejection of bytes the server already holds is a duplicate: the first copy was valid.
    let mut held_again = first.clone();
    held_again.rejection = Some("the form changed".into());
    assert_eq!(
        storage.store_submissions(vec![held_again]).await.unwrap(),
        vec![Outcome::Duplicate]
    );
    // Rejected bytes for a held instance are kept aside as rejected.
    changed.rejection = Some("answer a: too large".into());
    assert_eq!(
        storage.store_submissions(vec![changed]).await.unwrap(),
        vec![Outcome::Rejected]
    );
    assert_eq!(storage.device_progress(&device_1.id).await.unwrap(), (3, 3));

    // A batch is one transaction: an item naming an unknown device stores nothing of it.
    let fourth = incoming(&device_1.id, 4, "uuid:4", &baseline.id, r#"{"a":4}"#);
    let stray = incoming("no-such-device", 1, "uuid:stray", &baseline.id, "{}");
    assert!(storage
        .store_submissions(vec![fourth.clone(), stray])
        .await
        .is_err());
    assert_eq!(storage.submission_payload("uuid:4").await.unwrap(), None);
    assert_eq!(storage.device_progress(&device_1.id).await.unwrap(), (3, 3));

    // The owner's device answers the endline.
    let mut owners = incoming(&device_3.id, 1, "uuid:5", &endline.id, r#"{"b":5}"#);
    owners.form_version = "2".into();
    owners.encoding = PayloadEncoding::Age;
    assert_eq!(
        storage.store_submissions(vec![owners]).await.unwrap(),
        vec![Outcome::Accepted]
    );
    assert_eq!(storage.device_progress(&device_3.id).await.unwrap(), (1, 1));
    assert_eq!(storage.device_progress(&device_2.id).await.unwrap(), (0, 0));
    assert_eq!(
        storage.device_progress("no-such-device").await.unwrap(),
        (0, 0)
    );

    // Listings, by campaign, round and organization.
    let everything = SubmissionFilter {
        campaign_id: campaign.id.clone(),
        ..SubmissionFilter::default()
    };
    let listed = storage.submissions(&everything).await.unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|s| s.instance_id.as_str())
            .collect::<Vec<_>>(),
        ["uuid:1", "uuid:3", "uuid:5"]
    );
    assert_eq!(listed[0].sha256, token_hash(r#"{"a":1}"#));
    assert_eq!(listed[0].round, "baseline");
    assert_eq!(listed[0].organization_id, partner_a.id);
    assert_eq!(listed[0].device, "fieldline:device-1");
    assert_eq!(listed[0].device_seq, 1);
    assert!(listed[0].received_at.contains('T'));
    assert_eq!(listed[2].round, "endline");
    assert_eq!(listed[2].organization_id, owner.id);
    let baseline_only = SubmissionFilter {
        round: Some("baseline".into()),
        ..everything.clone()
    };
    assert_eq!(storage.submissions(&baseline_only).await.unwrap().len(), 2);
    let owner_only = SubmissionFilter {
        organization_id: Some(owner.id.clone()),
        ..everything.clone()
    };
    let owners_listed = storage.submissions(&owner_only).await.unwrap();
    assert_eq!(owners_listed.len(), 1);
    assert_eq!(owners_listed[0].instance_id, "uuid:5");
    let foreign_filter = SubmissionFilter {
        campaign_id: other.id.clone(),
        ..SubmissionFilter::default()
    };
    assert!(storage
        .submissions(&foreign_filter)
        .await
        .unwrap()
        .is_empty());

    // A round's payloads page by page in the order received, as exports read them.
    let page = storage
        .round_payloads_after(&baseline.id, 0, 1)
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].instance_id, "uuid:1");
    assert_eq!(page[0].payload, br#"{"a":1}"#.to_vec());
    assert_eq!(page[0].device, "fieldline:device-1");
    assert_eq!(page[0].encoding, PayloadEncoding::Json);
    assert!(page[0].received_at.contains('T'));
    let next = storage
        .round_payloads_after(&baseline.id, page[0].seq, 10)
        .await
        .unwrap();
    assert_eq!(
        next.iter()
            .map(|p| p.instance_id.as_str())
            .collect::<Vec<_>>(),
        ["uuid:3"]
    );
    assert!(next[0].seq > page[0].seq);
    assert!(storage
        .round_payloads_after(&baseline.id, next[0].seq, 10)
        .await
        .unwrap()
        .is_empty());
    let endline_page = storage
        .round_payloads_after(&endline.id, 0, 10)
        .await
        .unwrap();
    assert_eq!(endline_page.len(), 1);
    assert_eq!(endline_page[0].instance_id, "uuid:5");
    assert_eq!(endline_page[0].encoding, PayloadEncoding::Age);
    assert!(storage
        .round_payloads_after("no-such-round", 0, 10)
        .await
        .unwrap()
        .is_empty());

    let aside = storage.set_aside(&everything).await.unwrap();
    assert_eq!(
        aside
            .iter()
            .map(|a| (a.instance_id.as_str(), a.outcome))
            .collect::<Vec<_>>(),
        [
            ("uuid:2", Outcome::Rejected),
            ("uuid:1", Outcome::Conflict),
            ("uuid:1", Outcome::Rejected)
        ]
    );
    assert_eq!(aside[0].reason, "answer a: not a number");
    assert_eq!(aside[0].organization_id, partner_a.id);
    assert_eq!(aside[0].device, "fieldline:device-1");
    assert_eq!(aside[1].sha256, token_hash(r#"{"a":100}"#));
    assert!(
        aside[1]
            .reason
            .contains("the server already holds another version of this interview"),
        "{}",
        aside[1].reason
    );
    assert!(
        aside[1].reason.contains(&token_hash(r#"{"a":1}"#)),
        "{}",
        aside[1].reason
    );
    assert_eq!(storage.set_aside(&baseline_only).await.unwrap().len(), 3);
    assert!(storage.set_aside(&owner_only).await.unwrap().is_empty());
    assert!(storage.set_aside(&foreign_filter).await.unwrap().is_empty());

    // Attachments: appended at the offset held, resumed, completed.
    let sha = token_hash("hello world");
    assert_eq!(storage.attachment_offset(&sha).await.unwrap(), None);
    assert_eq!(storage.attachment(&sha).await.unwrap(), None);
    assert_eq!(
        storage.append_attachment(&sha, 0, b"hello ").await.unwrap(),
        6
    );
    conflict(storage.append_attachment(&sha, 3, b"lo world").await);
    conflict(storage.append_attachment(&sha, 0, b"hello ").await);
    assert_eq!(
        storage.attachment_offset(&sha).await.unwrap(),
        Some((6, false))
    );
    assert_eq!(
        storage.append_attachment(&sha, 6, b"world").await.unwrap(),
        11
    );
    assert_eq!(
        storage.attachment(&sha).await.unwrap(),
        Some(b"hello world".to_vec())
    );
    storage.complete_attachment(&sha).await.unwrap();
    assert_eq!(
        storage.attachment_offset(&sha).await.unwrap(),
        Some((11, true))
    );
    conflict(storage.append_attachment(&sha, 11, b"!").await);
    not_found(storage.complete_attachment(&token_hash("nothing")).await);
    // A complete attachment is never discarded; an incomplete one is, and starts again from 0.
    storage.discard_attachment(&sha).await.unwrap();
    assert_eq!(
        storage.attachment_offset(&sha).await.unwrap(),
        Some((11, true))
    );
    let bad = token_hash("bad upload");
    storage.append_attachment(&bad, 0, b"not it").await.unwrap();
    storage.discard_attachment(&bad).await.unwrap();
    assert_eq!(storage.attachment_offset(&bad).await.unwrap(), None);
    assert_eq!(storage.append_attachment(&bad, 0, b"it").await.unwrap(), 2);

    // Binary bytes (NULs, invalid UTF-8) come back exactly as sent.
    let binary: Vec<u8> = (0..=255u8).chain([0, 0xff, 0xfe, 0]).collect();
    let binary_sha = "binary-attachment";
    assert_eq!(
        storage
            .append_attachment(binary_sha, 0, &binary[..100])
            .await
            .unwrap(),
        100
    );
    assert_eq!(
        storage
            .append_attachment(binary_sha, 100, &binary[100..])
            .await
            .unwrap(),
        binary.len() as i64
    );
    assert_eq!(storage.attachment(binary_sha).await.unwrap(), Some(binary));

    // The audit log: events come back in the order recorded, numbered, timed and whole; a
    // page starts after the last seen.
    assert!(storage.audit_events(0, 100).await.unwrap().is_empty());
    let mut recorded = Vec::new();
    for (n, action) in AuditAction::ALL.into_iter().enumerate() {
        recorded.push(
            storage
                .record_audit(NewAuditEvent {
                    action,
                    actor: format!("person-{n}@example.org"),
                    campaign_id: (n % 2 == 0).then(|| campaign.id.clone()),
                    subject: format!("subject {n}"),
                    client: (n % 3 == 0).then(|| "192.0.2.7".to_string()),
                })
                .await
                .unwrap(),
        );
    }
    assert!(recorded.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(recorded.iter().all(|e| e.at.contains('T')), "{recorded:?}");
    assert_eq!(
        recorded[2].campaign_id.as_deref(),
        Some(campaign.id.as_str())
    );
    assert_eq!(recorded[1].campaign_id, None);
    assert_eq!(recorded[3].client.as_deref(), Some("192.0.2.7"));
    assert_eq!(storage.audit_events(0, 100).await.unwrap(), recorded);
    let page = storage.audit_events(recorded[3].seq, 2).await.unwrap();
    assert_eq!(page, recorded[4..6]);
    assert!(storage
        .audit_events(recorded.last().unwrap().seq, 10)
        .await
        .unwrap()
        .is_empty());
}
