//! What sync keeps in the store: enrollment, rounds pages with their cursor, the outbox as
//! envelopes, and the server's answers, on real SQLite files.

mod common;

use base64::Engine as _;
use common::*;
use fieldline_device_store::payload::sha256_hex;
use fieldline_device_store::{DeviceStore, FinalizeOutcome, StoreError, SyncCounts, SyncState};
use fieldline_protocol::{Enrolled, ItemResult, Named, Outcome, RoundForm, RoundsPage};
use rust_xlsxwriter::Workbook;

/// A small form with one optional text question and a photo question.
fn survey(form_id: &str, version: &str, title: &str) -> Vec<u8> {
    let rows: &[&[&str]] = &[
        &["type", "name", "label"],
        &["text", "name", "Name"],
        &["image", "photo", "Photo"],
    ];
    let settings: &[&[&str]] = &[
        &["form_id", "version", "form_title"],
        &[form_id, version, title],
    ];
    let mut wb = Workbook::new();
    for (sheet, rows) in [("survey", rows), ("settings", settings)] {
        let ws = wb.add_worksheet();
        ws.set_name(sheet).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                ws.write_string(r as u32, c as u16, *cell).unwrap();
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

fn round(id: &str, name: &str, form_id: &str, version: &str, bytes: &[u8]) -> RoundForm {
    RoundForm {
        round_id: id.into(),
        round_name: name.into(),
        form_id: form_id.into(),
        form_version: version.into(),
        title: "Survey".into(),
        file_name: format!("{form_id}.xlsx"),
        sha256: sha256_hex(bytes),
        xlsform: base64::engine::general_purpose::STANDARD.encode(bytes),
    }
}

fn enrolled(campaign: &str) -> Enrolled {
    Enrolled {
        device_token: "secret-token".into(),
        server_id: "server-1".into(),
        campaign: Named {
            id: campaign.into(),
            name: "Safe migration 2026".into(),
        },
        organization: Named {
            id: "org-1".into(),
            name: "Partner NGO".into(),
        },
        recipients: Vec::new(),
    }
}

/// Finalizes `n` interviews of `form_id` 1; returns their instance ids in device order.
fn finalize(store: &mut DeviceStore, form_id: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let id = store.start_draft(form_id, "1", NEPAL).unwrap();
            store
                .record_answer(
                    &id,
                    "name",
                    &format!("respondent {i} {}", "x".repeat(i * 50)),
                )
                .unwrap();
            match store.finalize(&id, None).unwrap() {
                FinalizeOutcome::Finalized { instance_id, .. } => instance_id,
                blocked => panic!("{blocked:?}"),
            }
        })
        .collect()
}

fn result(id: &str, outcome: Outcome, reason: Option<&str>) -> ItemResult {
    ItemResult {
        instance_id: id.into(),
        outcome,
        reason: reason.map(str::to_owned),
    }
}

fn state_of(store: &DeviceStore, id: &str) -> (SyncState, Option<String>, i64) {
    let entry = store
        .list_outbox()
        .unwrap()
        .into_iter()
        .find(|e| e.instance_id == id)
        .unwrap();
    (entry.state, entry.reason, entry.attempts)
}

#[test]
fn enrollment_is_kept_and_its_token_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let store = DeviceStore::open(dir.path()).unwrap();
    assert!(store.enrollment().unwrap().is_none());
    store
        .enroll_with(&enrolled("c1"), "http://127.0.0.1:8080/")
        .unwrap();
    drop(store);
    let store = DeviceStore::open(dir.path()).unwrap();
    let e = store.enrollment().unwrap().unwrap();
    assert_eq!(e.server_url, "http://127.0.0.1:8080");
    assert_eq!(e.device_token, "secret-token");
    assert_eq!(e.campaign.id, "c1");
    assert_eq!(e.organization.name, "Partner NGO");
    assert!(!format!("{e:?}").contains("secret-token"));
    assert_eq!(
        store.profile().unwrap().server_url.as_deref(),
        Some("http://127.0.0.1:8080")
    );
}

#[test]
fn a_page_is_applied_with_its_rounds_and_its_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let store = DeviceStore::open(dir.path()).unwrap();
    assert_eq!(store.rounds_cursor().unwrap(), 0);
    let baseline = survey("kap", "1", "KAP baseline");
    let endline = survey("kap", "2", "KAP endline");
    let page = RoundsPage {
        rounds: vec![
            round("r1", "baseline", "kap", "1", &baseline),
            round("r2", "endline", "kap", "2", &endline),
        ],
        cursor: 7,
        more: false,
    };
    let applied = store.apply_rounds_page(&page).unwrap();
    assert_eq!(applied.new_rounds, ["baseline", "endline"]);
    assert_eq!(applied.new_forms, 2);
    assert_eq!(store.rounds_cursor().unwrap(), 7);
    let rounds = store.rounds().unwrap();
    let names: Vec<_> = rounds
        .iter()
        .map(|r| (r.name.as_str(), r.form_version.as_str(), r.title.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("baseline", "1", "KAP baseline"),
            ("endline", "2", "KAP endline")
        ]
    );
    // The same page again (a reply lost before the device stored it) changes nothing.
    let again = store.apply_rounds_page(&page).unwrap();
    assert!(again.new_rounds.is_empty());
    assert_eq!(again.new_forms, 0);
    assert_eq!(store.rounds().unwrap().len(), 2);
    assert_eq!(store.list_forms().unwrap().len(), 2);
}

#[test]
fn a_page_whose_second_workbook_is_bad_leaves_neither_the_first_round_nor_the_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let store = DeviceStore::open(dir.path()).unwrap();
    let good = survey("kap", "1", "KAP");
    let not_a_workbook = b"PK\x03\x04 this is not a workbook".to_vec();
    let page = RoundsPage {
        rounds: vec![
            round("r1", "baseline", "kap", "1", &good),
            round("r2", "endline", "kap", "2", &not_a_workbook),
        ],
        cursor: 2,
        more: false,
    };
    let err = store.apply_rounds_page(&page).unwrap_err();
    assert!(
        matches!(&err, StoreError::BadRound { round, .. } if round == "endline"),
        "{err}"
    );
    assert!(store.rounds().unwrap().is_empty());
    assert!(store.list_forms().unwrap().is_empty());
    assert_eq!(store.rounds_cursor().unwrap(), 0);

    // A workbook whose bytes are not the ones announced is refused the same way.
    let mut tampered = round("r2", "endline", "kap", "2", &survey("kap", "2", "KAP"));
    tampered.sha256 = sha256_hex(b"other bytes");
    let page = RoundsPage {
        rounds: vec![round("r1", "baseline", "kap", "1", &good), tampered],
        cursor: 2,
        more: false,
    };
    assert!(matches!(
        store.apply_rounds_page(&page),
        Err(StoreError::BadRound { .. })
    ));
    assert!(store.rounds().unwrap().is_empty());
    assert_eq!(store.rounds_cursor().unwrap(), 0);
}

#[test]
fn a_page_refused_inside_the_transaction_rolls_back_the_rounds_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = DeviceStore::open(dir.path()).unwrap();
    // Already on the device under the id and version the page's second round reuses.
    store
        .import_form("other.xlsx", &survey("other", "1", "Held"))
        .unwrap();
    let page = RoundsPage {
        rounds: vec![
            round("r1", "baseline", "kap", "1", &survey("kap", "1", "KAP")),
            round(
                "r2",
                "endline",
                "other",
                "1",
                &survey("other", "1", "Changed"),
            ),
        ],
        cursor: 5,
        more: true,
    };
    let err = store.apply_rounds_page(&page).unwrap_err();
    assert!(err.to_string().contains("endline"), "{err}");
    assert!(store.rounds().unwrap().is_empty());
    let forms: Vec<_> = store
        .list_forms()
        .unwrap()
        .into_iter()
        .map(|f| f.form_id)
        .collect();
    assert_eq!(forms, ["other"]);
    assert_eq!(store.rounds_cursor().unwrap(), 0);
}

#[test]
fn a_round_draft_uses_the_rounds_form_and_carries_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DeviceStore::open(dir.path()).unwrap();
    let page = RoundsPage {
        rounds: vec![
            round("r1", "baseline", "kap", "1", &survey("kap", "1", "KAP")),
            round("r2", "endline", "kap", "2", &survey("kap", "2", "KAP")),
        ],
        cursor: 2,
        more: false,
    };
    store.apply_rounds_page(&page).unwrap();
    let id = store.start_round_draft("r2", NEPAL).unwrap();
    assert_eq!(store.draft_round(&id).unwrap().as_deref(), Some("endline"));
    assert_eq!(store.list_drafts().unwrap()[0].form_version, "2");
    let plain = store.start_draft("kap", "1", NEPAL).unwrap();
    assert_eq!(store.draft_round(&plain).unwrap(), None);
    assert!(matches!(
        store.start_round_draft("r9", NEPAL),
        Err(StoreError::UnknownRound(_))
    ));
}

#[test]
fn enrolling_with_another_campaign_forgets_the_old_rounds_and_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let store = DeviceStore::open(dir.path()).unwrap();
    store.enroll_with(&enrolled("c1"), "http://a").unwrap();
    let page = RoundsPage {
        rounds: vec![round(
            "r1",
            "baseline",
            "kap",
            "1",
            &survey("kap", "1", "KAP"),
        )],
        cursor: 3,
        more: false,
    };
    store.apply_rounds_page(&page).unwrap();
    store.enroll_with(&enrolled("c1"), "http://a").unwrap();
    assert_eq!(store.rounds_cursor().unwrap(), 3);
    store.enroll_with(&enrolled("c2"), "http://a").unwrap();
    assert_eq!(store.rounds_cursor().unwrap(), 0);
    assert!(store.rounds().unwrap().is_empty());
    assert_eq!(store.list_forms().unwrap().len(), 1);
}

#[test]
fn pending_envelopes_are_batched_by_payload_bytes_in_device_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DeviceStore::open(dir.path()).unwrap();
    store
        .import_form("kap.xlsx", &survey("kap", "1", "KAP"))
        .unwrap();
    assert!(store.pending_envelopes(1 << 20).unwrap().is_empty());
    let ids = finalize(&mut store, "kap", 3);
    let outbox = store.list_outbox().unwrap();
    let sizes: Vec<usize> = outbox.iter().map(|e| e.payload.len()).collect();

    let all = store.pending_envelopes(1 << 20).unwrap();
    assert_eq!(
        all.iter()
            .map(|e| e.instance_id.as_str())
            .collect::<Vec<_>>(),
        ids.iter().map(String::as_str).collect::<Vec<_>>()
    );
    for (envelope, entry) in all.iter().zip(&outbox) {
        let payload = base64::engine::general_purpose::STANDARD
            .decode(&envelope.payload)
            .unwrap();
        assert_eq!(payload, entry.payload);
        assert_eq!(sha256_hex(&payload), envelope.sha256);
        assert_eq!(envelope.device_seq, entry.device_seq);
        assert_eq!(envelope.encoding, fieldline_protocol::PayloadEncoding::Json);
        assert!(envelope.attachments.is_empty());
    }
    // Exactly the first two fit; one byte less and only the first.
    let two = store.pending_envelopes(sizes[0] + sizes[1]).unwrap();
    assert_eq!(two.len(), 2);
    assert_eq!(
        store
            .pending_envelopes(sizes[0] + sizes[1] - 1)
            .unwrap()
            .len(),
        1
    );
    // One larger than the limit still travels, alone.
    let one = store.pending_envelopes(1).unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].instance_id, ids[0]);
    // One pass over the outbox goes on after the last item it sent.
    let after = store
        .pending_envelopes_after(two[1].device_seq, 1 << 20)
        .unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].instance_id, ids[2]);
    let totals = store.pending_totals().unwrap();
    assert_eq!(totals.items, 3);
    assert_eq!(totals.payload_bytes, sizes.iter().sum::<usize>() as u64);
    assert_eq!(totals.attachment_bytes, 0);
    // Settled items are not pending any more.
    store
        .record_results(&[result(&ids[0], Outcome::Accepted, None)])
        .unwrap();
    let rest = store.pending_envelopes(1 << 20).unwrap();
    assert_eq!(rest.len(), 2);
    assert_eq!(rest[0].instance_id, ids[1]);
}

#[test]
fn envelopes_name_the_files_a_submission_carries() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DeviceStore::open(dir.path()).unwrap();
    store
        .import_form("kap.xlsx", &survey("kap", "1", "KAP"))
        .unwrap();
    let id = store.start_draft("kap", "1", NEPAL).unwrap();
    let photo = b"\xff\xd8 a photo".to_vec();
    let attached = store
        .attach_file(&id, "photo", "IMG_1.jpg", &photo)
        .unwrap();
    assert!(matches!(
        store.finalize(&id, None).unwrap(),
        FinalizeOutcome::Finalized { .. }
    ));
    let envelopes = store.pending_envelopes(1 << 20).unwrap();
    let refs = &envelopes[0].attachments;
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0].name, attached.name);
    assert_eq!(refs[0].sha256, sha256_hex(&photo));
    assert_eq!(refs[0].size, photo.len() as i64);
    assert_eq!(refs[0].media_type, "image/jpeg");
    assert_eq!(store.outbox_attachment(&id, &refs[0].name).unwrap(), photo);
    assert_eq!(
        store.pending_totals().unwrap().attachment_bytes,
        photo.len() as u64
    );
}

#[test]
fn results_change_only_the_listed_queued_items() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DeviceStore::open(dir.path()).unwrap();
    store
        .import_form("kap.xlsx", &survey("kap", "1", "KAP"))
        .unwrap();
    let ids = finalize(&mut store, "kap", 6);
    let recorded = store
        .record_results(&[
            result(&ids[0], Outcome::Accepted, None),
            result(&ids[1], Outcome::Duplicate, None),
            result(&ids[2], Outcome::Rejected, Some("ward 99 does not exist")),
            result(&ids[3], Outcome::Conflict, Some("held with other bytes")),
            result(&ids[4], Outcome::Retry, Some("attachment missing")),
            result("not-on-this-device", Outcome::Accepted, None),
        ])
        .unwrap();
    assert_eq!(
        (
            recorded.accepted,
            recorded.duplicate,
            recorded.rejected,
            recorded.conflict,
            recorded.retry,
            recorded.ignored
        ),
        (1, 1, 1, 1, 1, 1)
    );
    assert_eq!(state_of(&store, &ids[0]), (SyncState::Sent, None, 1));
    assert_eq!(state_of(&store, &ids[1]), (SyncState::Sent, None, 1));
    assert_eq!(
        state_of(&store, &ids[2]),
        (
            SyncState::Rejected,
            Some("ward 99 does not exist".into()),
            1
        )
    );
    assert_eq!(
        state_of(&store, &ids[3]),
        (SyncState::Conflict, Some("held with other bytes".into()), 1)
    );
    assert_eq!(
        state_of(&store, &ids[4]),
        (SyncState::Queued, Some("attachment missing".into()), 1)
    );
    // Not listed: untouched.
    assert_eq!(state_of(&store, &ids[5]), (SyncState::Queued, None, 0));

    let sent_at = || -> Option<i64> {
        raw(dir.path())
            .query_row(
                "SELECT sent_at FROM sync_status WHERE instance_id = ?1",
                [&ids[0]],
                |r| r.get(0),
            )
            .unwrap()
    };
    let first_sent = sent_at();
    assert!(first_sent.is_some());
    // A settled item stays as it is, whatever a later reply says about it.
    let later = store
        .record_results(&[
            result(&ids[0], Outcome::Rejected, Some("late")),
            result(&ids[2], Outcome::Accepted, None),
            result(&ids[4], Outcome::Accepted, None),
        ])
        .unwrap();
    assert_eq!((later.accepted, later.ignored), (1, 2));
    assert_eq!(state_of(&store, &ids[0]), (SyncState::Sent, None, 1));
    assert_eq!(sent_at(), first_sent);
    assert_eq!(state_of(&store, &ids[2]).0, SyncState::Rejected);
    assert_eq!(state_of(&store, &ids[4]), (SyncState::Sent, None, 2));

    let id = store.start_draft("kap", "1", NEPAL).unwrap();
    assert!(!id.is_empty());
    assert_eq!(
        store.sync_counts().unwrap(),
        SyncCounts {
            drafts: 1,
            finalized: 6,
            pending: 1,
            sent: 3,
            rejected: 1,
            conflict: 1,
        }
    );
}

#[test]
fn a_failed_results_transaction_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DeviceStore::open(dir.path()).unwrap();
    store
        .import_form("kap.xlsx", &survey("kap", "1", "KAP"))
        .unwrap();
    let ids = finalize(&mut store, "kap", 2);
    // A trigger that fails the second update, as a full disk would.
    raw(dir.path())
        .execute_batch(&format!(
            "CREATE TRIGGER fail_second BEFORE UPDATE ON sync_status
             WHEN OLD.instance_id = '{}'
             BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
            ids[1]
        ))
        .unwrap();
    assert!(store
        .record_results(&[
            result(&ids[0], Outcome::Accepted, None),
            result(&ids[1], Outcome::Accepted, None),
        ])
        .is_err());
    assert_eq!(state_of(&store, &ids[0]), (SyncState::Queued, None, 0));
}

/// An end-to-end encrypted campaign's enrollment: its public keys come with it.
fn enrolled_sealed(campaign: &str, recipients: &[String]) -> Enrolled {
    Enrolled {
        recipients: recipients.to_vec(),
        ..enrolled(campaign)
    }
}

#[test]
fn an_encrypted_campaigns_outbox_holds_only_ciphertext_that_its_key_opens() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DeviceStore::open(dir.path()).unwrap();
    let keys = fieldline_seal::new_key_pair("2026-11-25");
    let identity = fieldline_seal::Identity::parse(&keys.identity_file).unwrap();
    store
        .enroll_with(
            &enrolled_sealed("c1", std::slice::from_ref(&keys.recipient)),
            "http://a",
        )
        .unwrap();
    assert_eq!(
        store.enrollment().unwrap().unwrap().recipients,
        std::slice::from_ref(&keys.recipient)
    );
    store
        .import_form("survey.xlsx", &survey("survey", "1", "Survey"))
        .unwrap();
    let id = store.start_draft("survey", "1", NEPAL).unwrap();
    store
        .record_answer(&id, "name", "Sunita Devi of ward 7")
        .unwrap();
    let photo = store
        .attach_file(&id, "photo", "face.jpg", b"the respondent's face")
        .unwrap();
    let FinalizeOutcome::Finalized { sha256, .. } = store.finalize(&id, None).unwrap() else {
        panic!("not finalized")
    };

    // Stored sealed: nothing readable in the outbox, no file rows beside it.
    let conn = rusqlite::Connection::open(dir.path().join("fieldline-device.sqlite3")).unwrap();
    let (payload, encoding): (Vec<u8>, String) = conn
        .query_row(
            "SELECT payload, encoding FROM outbox WHERE instance_id = ?1",
            [&id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(encoding, "age");
    assert_eq!(sha256_hex(&payload), sha256);
    assert!(!payload.windows(6).any(|w| w == b"Sunita"));
    let files: i64 = conn
        .query_row("SELECT COUNT(*) FROM outbox_attachment", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(files, 0);

    // Sent as such, and the campaign's key opens it to the answers and the photo.
    let envelopes = store.pending_envelopes(usize::MAX).unwrap();
    assert_eq!(envelopes.len(), 1);
    let envelope = &envelopes[0];
    assert_eq!(envelope.encoding, fieldline_protocol::PayloadEncoding::Age);
    assert!(envelope.attachments.is_empty());
    let sealed = base64::engine::general_purpose::STANDARD
        .decode(&envelope.payload)
        .unwrap();
    let binding = fieldline_seal::Binding {
        instance_id: id.clone(),
        form_id: "survey".into(),
        form_version: "1".into(),
    };
    let opened = fieldline_seal::open(&identity, &binding, &sealed).unwrap();
    let payload: serde_json::Value = serde_json::from_slice(&opened.payload).unwrap();
    let values = payload["values"].as_array().unwrap();
    assert!(values.contains(&serde_json::json!(["/data/name", "Sunita Devi of ward 7"])));
    assert_eq!(payload["attachments"][0]["name"], photo.name.as_str());
    assert_eq!(opened.files.len(), 1);
    assert_eq!(opened.files[0].name, photo.name);
    assert_eq!(opened.files[0].bytes, b"the respondent's face");
}

#[test]
fn unsent_readable_interviews_never_go_to_an_encrypted_campaign() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DeviceStore::open(dir.path()).unwrap();
    store
        .import_form("survey.xlsx", &survey("survey", "1", "Survey"))
        .unwrap();
    // Interviews made before the device joined any campaign: stored readable.
    let made = finalize(&mut store, "survey", 2);
    let keys = fieldline_seal::new_key_pair("2026-11-25");
    let sealed = enrolled_sealed("c1", std::slice::from_ref(&keys.recipient));
    let err = store.enroll_with(&sealed, "http://a").unwrap_err();
    assert!(
        matches!(err, StoreError::UnsealedBeforeEncryptedCampaign(2)),
        "{err}"
    );
    assert!(store.enrollment().unwrap().is_none(), "nothing was kept");

    // Once they reached the campaign they were made for, the device may join the encrypted one.
    store.enroll_with(&enrolled("c0"), "http://a").unwrap();
    store
        .record_results(&[
            result(&made[0], Outcome::Accepted, None),
            result(&made[1], Outcome::Duplicate, None),
        ])
        .unwrap();
    store.enroll_with(&sealed, "http://a").unwrap();

    // A key the server garbled is refused, and the earlier enrollment stays.
    let garbled = enrolled_sealed("c2", &["age1notakey".to_owned()]);
    let err = store.enroll_with(&garbled, "http://a").unwrap_err();
    assert!(err.to_string().contains("the server sent"), "{err}");
    assert_eq!(store.enrollment().unwrap().unwrap().campaign.id, "c1");
}
