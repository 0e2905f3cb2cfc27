//! Finalizing into the outbox, on real SQLite files with the real campaign form.

mod common;

use common::*;
use fieldline_device_store::{FinalizeOutcome, SyncState};

#[test]
fn finalizing_with_a_problem_reports_the_first_one_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, form_id, version) = store(dir.path());
    let id = store.start_draft(&form_id, &version, NEPAL).unwrap();
    answer_all(
        &mut store,
        &id,
        &[("province", "koshi"), ("municipality", "dharan")],
    );
    store.record_answer(&id, "ward", "99").unwrap();
    let outcome = store.finalize(&id, None).unwrap();
    assert_eq!(
        outcome,
        FinalizeOutcome::Blocked {
            path: "/data/ward".into(),
            message: "Ward numbers run from 1 to 35".into()
        }
    );
    assert_eq!(count(dir.path(), "outbox"), 0);
    assert_eq!(count(dir.path(), "sync_status"), 0);
    assert_eq!(count(dir.path(), "draft_event"), 3);
    assert_eq!(store.list_drafts().unwrap().len(), 1);
}

#[test]
fn finalizing_writes_exactly_the_relevant_answers_with_a_matching_hash() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, form_id, version) = store(dir.path());
    let id = store.start_draft(&form_id, &version, NEPAL).unwrap();
    // An answer given before consent was refused is not relevant any more: it must not leave.
    answer_all(&mut store, &id, &[("consent", "yes"), ("age", "40")]);
    answer_all(&mut store, &id, REFUSED);
    let FinalizeOutcome::Finalized {
        device_seq, sha256, ..
    } = store.finalize(&id, None).unwrap()
    else {
        panic!("blocked")
    };
    assert_eq!(device_seq, 1);
    assert!(store.list_drafts().unwrap().is_empty());
    assert_eq!(count(dir.path(), "draft_event"), 0);
    let outbox = store.list_outbox().unwrap();
    assert_eq!(outbox.len(), 1);
    let entry = &outbox[0];
    assert_eq!((entry.state, entry.attempts), (SyncState::Queued, 0));
    assert_eq!(entry.sha256, sha256);
    assert_eq!(
        fieldline_device_store::payload::sha256_hex(&entry.payload),
        sha256
    );
    let json: serde_json::Value = serde_json::from_slice(&entry.payload).unwrap();
    let profile = store.profile().unwrap();
    assert_eq!(json["format"], 1);
    assert_eq!(json["form_id"], "safe_migration_kap");
    assert_eq!(json["instance_id"], id.as_str());
    assert_eq!(json["device_id"], profile.device_id.as_str());
    assert_eq!(json["username"], "Asha");
    let text = String::from_utf8(entry.payload.clone()).unwrap();
    let keys = [
        "format",
        "form_id",
        "form_version",
        "instance_id",
        "device_id",
        "username",
        "start",
        "end",
        "values",
    ];
    let at: Vec<usize> = keys
        .iter()
        .map(|k| text.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "key order: {text}");
    let values: Vec<(String, String)> = serde_json::from_value(json["values"].clone()).unwrap();
    let paths: Vec<&str> = values.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/data/start",
            "/data/end",
            "/data/today",
            "/data/deviceid",
            "/data/province",
            "/data/municipality",
            "/data/ward",
            "/data/consent",
            "/data/youth",
            "/data/n_without_contract",
            "/data/end_note",
            "/data/meta/instanceID"
        ]
    );
    let get = |p: &str| values.iter().find(|(k, _)| k == p).unwrap().1.as_str();
    assert_eq!(
        (
            get("/data/province"),
            get("/data/ward"),
            get("/data/consent")
        ),
        ("koshi", "5", "no")
    );
    assert_eq!(get("/data/deviceid"), profile.device_id);
    // The submission's own instanceID names the same interview as its envelope.
    assert_eq!(get("/data/meta/instanceID"), format!("uuid:{id}"));
    assert!(!get("/data/end").is_empty());
    let forms = store.list_forms().unwrap();
    assert_eq!(
        (forms[0].drafts, forms[0].finalized, forms[0].not_sent),
        (0, 1, 1)
    );
}

#[test]
fn outbox_rows_can_never_be_changed_or_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, form_id, version) = store(dir.path());
    let id = store.start_draft(&form_id, &version, NEPAL).unwrap();
    answer_all(&mut store, &id, REFUSED);
    assert!(matches!(
        store.finalize(&id, None).unwrap(),
        FinalizeOutcome::Finalized { .. }
    ));
    let conn = raw(dir.path());
    let update = conn
        .execute("UPDATE outbox SET payload = x'00'", [])
        .unwrap_err();
    assert!(update.to_string().contains("can never change"), "{update}");
    let delete = conn.execute("DELETE FROM outbox", []).unwrap_err();
    assert!(
        delete.to_string().contains("can never be deleted"),
        "{delete}"
    );
    assert_eq!(count(dir.path(), "outbox"), 1);
    // Only the sync status moves.
    conn.execute("UPDATE sync_status SET state = 'sent'", [])
        .unwrap();
    assert_eq!(store.list_outbox().unwrap()[0].state, SyncState::Sent);
    assert_eq!(store.list_forms().unwrap()[0].not_sent, 0);
}

#[test]
fn device_sequence_numbers_are_dense() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, form_id, version) = store(dir.path());
    let mut seqs = Vec::new();
    for _ in 0..3 {
        let id = store.start_draft(&form_id, &version, NEPAL).unwrap();
        answer_all(&mut store, &id, REFUSED);
        match store.finalize(&id, None).unwrap() {
            FinalizeOutcome::Finalized { device_seq, .. } => seqs.push(device_seq),
            blocked => panic!("{blocked:?}"),
        }
    }
    assert_eq!(seqs, [1, 2, 3]);
    let listed: Vec<i64> = store
        .list_outbox()
        .unwrap()
        .iter()
        .map(|e| e.device_seq)
        .collect();
    assert_eq!(listed, [1, 2, 3]);
    // The schema itself refuses a gap.
    let gap = raw(dir.path())
        .execute(
            "INSERT INTO outbox (instance_id, form_id, form_version, payload, sha256,
                                 finalized_at, device_seq)
             SELECT 'x', form_id, form_version, payload, sha256, finalized_at, 5 FROM outbox
             LIMIT 1",
            [],
        )
        .unwrap_err();
    assert!(gap.to_string().contains("dense"), "{gap}");
}
