//! Photos, recordings and files given as answers (`image`, `audio`, `video`, `file` questions):
//! kept with the draft by the 0005 migration's `draft_file`, sent with the submission, on real
//! SQLite files.

mod common;

use common::*;
use fieldline_device_store::payload::sha256_hex;
use fieldline_device_store::{
    Action, DeviceStore, FinalizeOutcome, OutboxEntry, StoreError, AUDIT_FILE,
    MAX_ANSWER_FILE_BYTES,
};

/// A form with a photo, a voice recording asked only when `record` is yes, a picked file and a
/// photo per household member (a repeat); with an `audit` row when `audited`.
fn files_form(audited: bool) -> Vec<u8> {
    let audit: &[&str] = if audited {
        &["audit", "audit", "", ""]
    } else {
        &["note", "thanks", "Thank you", ""]
    };
    xlsx(&[
        (
            "survey",
            &[
                &["type", "name", "label", "relevant"],
                &["text", "respondent", "Name", ""],
                &["image", "photo", "Photo of the notice board", ""],
                &["select_one yn", "record", "Record the answer?", ""],
                &["audio", "voice", "Recording", "${record} = 'yes'"],
                &["file", "document", "Signed consent", ""],
                &["begin_repeat", "members", "Members", ""],
                &["image", "member_photo", "Member's photo", ""],
                &["end_repeat", "", "", ""],
                audit,
            ],
        ),
        (
            "choices",
            &[
                &["list_name", "name", "label"],
                &["yn", "yes", "Yes"],
                &["yn", "no", "No"],
            ],
        ),
        ("settings", &[&["form_id", "version"], &["files_kap", "1"]]),
    ])
}

/// A store with the form imported and a draft started; returns (store, draft id).
fn draft(dir: &std::path::Path, audited: bool) -> (DeviceStore, String) {
    let mut store = DeviceStore::open(dir).unwrap();
    store.set_username("Asha").unwrap();
    let form = store
        .import_form("files_kap.xlsx", &files_form(audited))
        .unwrap();
    let id = store
        .start_draft(&form.form_id, &form.version, NEPAL)
        .unwrap();
    (store, id)
}

/// Distinct bytes standing for a file's content.
fn content(tag: &str, len: usize) -> Vec<u8> {
    tag.bytes().cycle().take(len).collect()
}

fn value_in(store: &mut DeviceStore, id: &str, key: &str) -> String {
    let inst = store.open_draft(id).unwrap();
    inst.find_key(key)
        .map(|n| inst.value(n).to_owned())
        .unwrap_or_default()
}

fn finalized(store: &mut DeviceStore, id: &str) -> (OutboxEntry, serde_json::Value) {
    match store.finalize(id, None).unwrap() {
        FinalizeOutcome::Finalized { .. } => {}
        blocked => panic!("{blocked:?}"),
    }
    let entry = store
        .list_outbox()
        .unwrap()
        .into_iter()
        .find(|e| e.instance_id == id)
        .unwrap();
    let payload = serde_json::from_slice(&entry.payload).unwrap();
    (entry, payload)
}

fn payload_value<'a>(payload: &'a serde_json::Value, path: &str) -> Option<&'a str> {
    payload["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|pair| pair[0] == path)
        .map(|pair| pair[1].as_str().unwrap())
}

fn payload_attachment_names(payload: &serde_json::Value) -> Vec<String> {
    payload["attachments"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|a| a["name"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn an_attached_photo_is_the_answer_and_survives_reopening_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, id) = draft(dir.path(), false);
    let photo = content("jpeg", 4096);
    let before = fieldline_now();
    let attached = store
        .attach_file(&id, "photo", "/sdcard/DCIM/IMG_0042.JPG", &photo)
        .unwrap();
    let after = fieldline_now();
    assert_eq!(attached.path, "/data/photo");
    assert_eq!(attached.media_type, "image/jpeg");
    assert_eq!(attached.size, 4096);
    // Named as ODK Collect names captures: the time in milliseconds and the extension.
    let (millis, ext) = attached.name.split_once('.').unwrap();
    assert_eq!(ext, "jpg");
    let millis: i64 = millis.parse().unwrap();
    assert!((before..=after).contains(&millis), "{}", attached.name);

    assert_eq!(value_in(&mut store, &id, "/data/photo"), attached.name);
    let log = store.draft_log(&id).unwrap();
    assert_eq!(
        log.actions,
        [Action::Set {
            path: "/data/photo".into(),
            value: attached.name.clone(),
        }]
    );
    drop(store);

    let mut reopened = DeviceStore::open(dir.path()).unwrap();
    assert_eq!(
        value_in(&mut reopened, &id, "/data/photo"),
        attached.name,
        "the replayed draft answers the question with the file"
    );
    assert_eq!(
        reopened.draft_file(&id, &attached.name).unwrap(),
        Some(("image/jpeg".to_owned(), photo))
    );
    assert_eq!(reopened.draft_file(&id, "1.jpg").unwrap(), None);
    assert!(matches!(
        reopened.draft_file("no-such-draft", &attached.name),
        Err(StoreError::UnknownDraft(_))
    ));
}

/// The store's clock, as `attach_file` reads it.
fn fieldline_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn names_taken_in_the_draft_are_skipped_so_every_file_keeps_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, id) = draft(dir.path(), false);
    // The next two seconds' names are taken already, as if files had arrived in each of them.
    let now = fieldline_now();
    let raw = raw(dir.path());
    let taken = b"x";
    for millis in now..now + 2000 {
        raw.execute(
            "INSERT INTO draft_file (instance_id, name, media_type, sha256, size, bytes, added_at)
             VALUES (?1, ?2, 'image/png', ?3, 1, ?4, ?5)",
            rusqlite::params![
                id,
                format!("{millis}.png"),
                sha256_hex(taken),
                &taken[..],
                now
            ],
        )
        .unwrap();
    }
    let attached = store
        .attach_file(&id, "photo", "board.png", b"the board")
        .unwrap();
    let millis: i64 = attached.name.strip_suffix(".png").unwrap().parse().unwrap();
    assert!(millis >= now + 2000, "{}", attached.name);
    assert_eq!(
        store.draft_file(&id, &attached.name).unwrap().unwrap().1,
        b"the board"
    );

    // Files arriving back to back, in the same millisecond or not, never share a name.
    let mut names: Vec<String> = (0..20)
        .map(|k| {
            store
                .attach_file(
                    &id,
                    "document",
                    "consent.pdf",
                    format!("page {k}").as_bytes(),
                )
                .unwrap()
                .name
        })
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 20);
    for name in &names {
        assert!(name.ends_with(".pdf"), "{name}");
    }
}

#[test]
fn a_file_for_a_question_of_another_type_is_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, id) = draft(dir.path(), false);
    for key in ["respondent", "/data/respondent"] {
        let err = store
            .attach_file(&id, key, "IMG_0042.jpg", b"jpeg")
            .unwrap_err();
        assert!(
            matches!(
                &err,
                StoreError::NotAFileQuestion { question, question_type: "text" }
                    if question == "respondent"
            ),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains("respondent") && message.contains("text"),
            "{message}"
        );
    }
    let err = store
        .attach_file(&id, "record", "IMG_0042.jpg", b"jpeg")
        .unwrap_err();
    assert!(err.to_string().contains("select_one"), "{err}");
    // A key the form does not have: the engine's refusal.
    let err = store
        .attach_file(&id, "signature", "sig.png", b"png")
        .unwrap_err();
    assert!(matches!(err, StoreError::AnswerRefused(_)), "{err:?}");
    assert!(matches!(
        store.attach_file("no-such-draft", "photo", "a.jpg", b"jpeg"),
        Err(StoreError::UnknownDraft(_))
    ));
    assert_eq!(count(dir.path(), "draft_file"), 0);
    assert_eq!(count(dir.path(), "draft_event"), 0);
    assert_eq!(value_in(&mut store, &id, "respondent"), "");
}

#[test]
fn files_over_the_limit_and_empty_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, id) = draft(dir.path(), false);
    assert_eq!(MAX_ANSWER_FILE_BYTES, 50 * 1024 * 1024);
    let big = vec![7u8; MAX_ANSWER_FILE_BYTES + 1];
    let err = store
        .attach_file(&id, "voice", "interview.m4a", &big)
        .unwrap_err();
    assert!(matches!(err, StoreError::FileTooLarge { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("interview.m4a")
            && message.contains("50.1 MB")
            && message.contains("50 MB"),
        "{message}"
    );
    let err = store
        .attach_file(&id, "photo", "blank.jpg", b"")
        .unwrap_err();
    assert!(matches!(err, StoreError::EmptyFile(_)), "{err:?}");
    assert!(err.to_string().contains("blank.jpg"), "{err}");
    assert_eq!(count(dir.path(), "draft_file"), 0);
    assert_eq!(count(dir.path(), "draft_event"), 0);

    // A file of exactly the limit is kept.
    let at_limit = &big[..MAX_ANSWER_FILE_BYTES];
    let attached = store
        .attach_file(&id, "document", "scan.pdf", at_limit)
        .unwrap();
    assert_eq!(attached.size, MAX_ANSWER_FILE_BYTES as i64);
    assert_eq!(attached.media_type, "application/pdf");
}

#[test]
fn a_replaced_photo_is_not_sent_only_the_latest_is() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, id) = draft(dir.path(), false);
    let first = store
        .attach_file(&id, "photo", "blurred.jpg", &content("blurred", 900))
        .unwrap();
    let sharp = content("sharp", 1200);
    let second = store
        .attach_file(&id, "/data/photo", "sharp.jpg", &sharp)
        .unwrap();
    assert_ne!(first.name, second.name);
    // Both are kept until the draft ends (a file never changes).
    assert!(store.draft_file(&id, &first.name).unwrap().is_some());
    assert_eq!(count(dir.path(), "draft_file"), 2);

    let (entry, payload) = finalized(&mut store, &id);
    assert_eq!(
        payload_value(&payload, "/data/photo"),
        Some(second.name.as_str())
    );
    assert_eq!(payload_attachment_names(&payload), [second.name.as_str()]);
    let names: Vec<&str> = entry.attachments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, [second.name.as_str()]);
    assert_eq!(store.outbox_attachment(&id, &second.name).unwrap(), sharp);
    assert!(store.outbox_attachment(&id, &first.name).is_err());
    // The draft's files went with it.
    assert_eq!(count(dir.path(), "draft_file"), 0);
    assert_eq!(count(dir.path(), "outbox_attachment"), 1);
}

#[test]
fn a_file_on_a_question_no_longer_relevant_or_cleared_is_not_sent() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, id) = draft(dir.path(), false);
    store.record_answer(&id, "record", "yes").unwrap();
    let voice = store
        .attach_file(&id, "voice", "answer.m4a", &content("voice", 500))
        .unwrap();
    assert_eq!(voice.media_type, "audio/mp4");
    store.record_answer(&id, "record", "no").unwrap();
    let photo = store
        .attach_file(&id, "photo", "board.jpg", &content("board", 300))
        .unwrap();
    store.record_answer(&id, "photo", "").unwrap();
    let document = store
        .attach_file(&id, "document", "consent.PDF", &content("consent", 700))
        .unwrap();

    let (entry, payload) = finalized(&mut store, &id);
    assert_eq!(payload_value(&payload, "/data/voice"), None);
    assert_eq!(payload_value(&payload, "/data/photo"), Some(""));
    assert_eq!(payload_attachment_names(&payload), [document.name.as_str()]);
    assert_eq!(entry.attachments.len(), 1);
    assert!(store.outbox_attachment(&id, &voice.name).is_err());
    assert!(store.outbox_attachment(&id, &photo.name).is_err());
    assert_eq!(count(dir.path(), "draft_file"), 0);
}

#[test]
fn the_payload_lists_every_file_with_its_hash_and_the_outbox_keeps_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, id) = draft(dir.path(), true);
    store.record_answer(&id, "respondent", "Maya").unwrap();
    store.record_answer(&id, "record", "yes").unwrap();
    let originals = [
        ("photo", "IMG_1.jpg", content("photo", 2048)),
        ("voice", "rec.OGG", content("voice", 3000)),
        ("document", "consent.pdf", content("consent", 1500)),
        (
            "/data/members[2]/member_photo",
            "member.png",
            content("m2", 999),
        ),
    ];
    let mut sent = Vec::new();
    for (key, original_name, bytes) in &originals {
        let attached = store.attach_file(&id, key, original_name, bytes).unwrap();
        sent.push((attached, bytes.clone()));
    }
    assert_eq!(sent[1].0.media_type, "audio/ogg");
    assert_eq!(sent[3].0.path, "/data/members[2]/member_photo");
    assert_eq!(sent[3].0.media_type, "image/png");

    let (entry, payload) = finalized(&mut store, &id);
    let listed = payload["attachments"].as_array().unwrap();
    let names = payload_attachment_names(&payload);
    let mut expected: Vec<String> = sent.iter().map(|(a, _)| a.name.clone()).collect();
    expected.push(AUDIT_FILE.to_owned());
    expected.sort();
    assert_eq!(names, expected, "sorted by name, audit.csv with them");
    assert_eq!(names.last().map(String::as_str), Some(AUDIT_FILE));
    for (attached, bytes) in &sent {
        let answer = payload_value(&payload, &attached.path);
        assert_eq!(answer, Some(attached.name.as_str()));
        let item = listed.iter().find(|a| a["name"] == *attached.name).unwrap();
        assert_eq!(item["type"], *attached.media_type);
        assert_eq!(item["sha256"], *sha256_hex(bytes));
        assert_eq!(item["size"], bytes.len());
        assert_eq!(
            &store.outbox_attachment(&id, &attached.name).unwrap(),
            bytes
        );
        let info = entry
            .attachments
            .iter()
            .find(|a| a.name == attached.name)
            .unwrap();
        assert_eq!(info.sha256, sha256_hex(bytes));
        assert_eq!(info.size, bytes.len() as i64);
        assert_eq!(info.media_type, attached.media_type);
    }
    let entry_names: Vec<&str> = entry.attachments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        entry_names,
        names.iter().map(String::as_str).collect::<Vec<_>>()
    );
    // The audit log saw the answers as any other.
    let audit = String::from_utf8(store.outbox_attachment(&id, AUDIT_FILE).unwrap()).unwrap();
    assert!(audit.starts_with("event,node,start,end\n"), "{audit}");
    assert_eq!(sha256_hex(&entry.payload), entry.sha256);
}

#[test]
fn a_file_and_its_answer_are_saved_together_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, id) = draft(dir.path(), false);
    let raw = raw(dir.path());

    // The file's write fails after the answer's: the answer must not stay.
    raw.execute_batch(
        "CREATE TRIGGER test_disk_full BEFORE INSERT ON draft_file
         BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
    )
    .unwrap();
    let err = store
        .attach_file(&id, "photo", "board.jpg", b"jpeg bytes")
        .unwrap_err();
    assert!(err.to_string().contains("disk full"), "{err}");
    assert_eq!(count(dir.path(), "draft_file"), 0);
    assert_eq!(count(dir.path(), "draft_event"), 0);
    assert_eq!(value_in(&mut store, &id, "photo"), "");

    // The answer's write fails: the file must not stay.
    raw.execute_batch(
        "DROP TRIGGER test_disk_full;
         CREATE TRIGGER test_log_full BEFORE INSERT ON draft_event
         BEGIN SELECT RAISE(ABORT, 'log full'); END;",
    )
    .unwrap();
    let err = store
        .attach_file(&id, "photo", "board.jpg", b"jpeg bytes")
        .unwrap_err();
    assert!(err.to_string().contains("log full"), "{err}");
    assert_eq!(count(dir.path(), "draft_file"), 0);
    assert_eq!(count(dir.path(), "draft_event"), 0);
    drop(store);
    let mut reopened = DeviceStore::open(dir.path()).unwrap();
    assert_eq!(value_in(&mut reopened, &id, "photo"), "");

    // With the disk well again, both are kept.
    raw.execute_batch("DROP TRIGGER test_log_full;").unwrap();
    let attached = reopened
        .attach_file(&id, "photo", "board.jpg", b"jpeg bytes")
        .unwrap();
    assert_eq!(count(dir.path(), "draft_file"), 1);
    assert_eq!(count(dir.path(), "draft_event"), 1);
    assert_eq!(value_in(&mut reopened, &id, "photo"), attached.name);
}

#[test]
fn a_kept_file_never_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, id) = draft(dir.path(), false);
    let attached = store
        .attach_file(&id, "photo", "board.jpg", b"jpeg bytes")
        .unwrap();
    let err = raw(dir.path())
        .execute(
            "UPDATE draft_file SET bytes = x'00', size = 1 WHERE name = ?1",
            [&attached.name],
        )
        .unwrap_err();
    assert!(err.to_string().contains("never change"), "{err}");
    assert_eq!(
        store.draft_file(&id, &attached.name).unwrap().unwrap().1,
        b"jpeg bytes"
    );
}

#[test]
fn an_answer_naming_a_file_the_draft_lacks_blocks_finalizing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, id) = draft(dir.path(), false);
    store
        .record_answer(&id, "photo", "1764000000123.jpg")
        .unwrap();
    match store.finalize(&id, None).unwrap() {
        FinalizeOutcome::Blocked { path, message } => {
            assert_eq!(path, "/data/photo");
            assert!(message.contains("1764000000123.jpg"), "{message}");
            assert!(message.contains("again"), "{message}");
        }
        done => panic!("finalized with a dangling file name: {done:?}"),
    }
    assert_eq!(count(dir.path(), "outbox"), 0);
    assert_eq!(count(dir.path(), "draft"), 1);
    // Taking the photo again fixes it.
    store
        .attach_file(&id, "photo", "board.jpg", b"jpeg bytes")
        .unwrap();
    let (entry, _) = finalized(&mut store, &id);
    assert_eq!(entry.attachments.len(), 1);
}

#[test]
fn discarding_a_draft_deletes_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, id) = draft(dir.path(), false);
    let other = store.start_draft("files_kap", "1", NEPAL).unwrap();
    let photo = store
        .attach_file(&id, "photo", "board.jpg", b"jpeg bytes")
        .unwrap();
    store
        .attach_file(&id, "document", "consent.pdf", b"pdf bytes")
        .unwrap();
    let kept = store
        .attach_file(&other, "photo", "other.jpg", b"other bytes")
        .unwrap();
    assert_eq!(count(dir.path(), "draft_file"), 3);
    store.discard_draft(&id).unwrap();
    assert_eq!(count(dir.path(), "draft_file"), 1);
    assert!(matches!(
        store.draft_file(&id, &photo.name),
        Err(StoreError::UnknownDraft(_))
    ));
    assert_eq!(
        store.draft_file(&other, &kept.name).unwrap().unwrap().1,
        b"other bytes"
    );
}
