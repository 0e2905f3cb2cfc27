//! The form audit log (XLSForm `audit`), its audit.csv attachment in the outbox, and the sync
//! state the 0003 migration added, on real SQLite files.

mod common;

use common::*;
use fieldline_device_store::payload::sha256_hex;
use fieldline_device_store::{
    AuditEvent, DeviceStore, FinalizeOutcome, OutboxEntry, StoreError, SyncState, AUDIT_FILE,
    END_SCREEN_KEY,
};

/// A small form with a question per screen, a field-list group, a repeat and an `audit` row
/// with `parameters` (none when `None`).
fn audited_form(parameters: Option<&str>) -> Vec<u8> {
    let audit: &[&str] = &["audit", "audit", "", "", parameters.unwrap_or("")];
    xlsx(&[
        (
            "survey",
            &[
                &["type", "name", "label", "appearance", "parameters"],
                &["start", "start", "", "", ""],
                &["text", "respondent", "Name", "", ""],
                &["integer", "ward", "Ward", "", ""],
                &["begin_group", "about", "About", "field-list", ""],
                &["text", "village", "Village", "", ""],
                &["text", "remarks", "Remarks", "", ""],
                &["end_group", "", "", "", ""],
                &["begin_repeat", "migrants", "Migrants", "", ""],
                &["text", "m_name", "Migrant's name", "", ""],
                &["end_repeat", "", "", "", ""],
                audit,
            ],
        ),
        (
            "settings",
            &[&["form_id", "version"], &["audited_kap", "1"]],
        ),
    ])
}

/// A store with the audited form imported; returns (store, form id, version).
fn audited_store(dir: &std::path::Path, parameters: Option<&str>) -> (DeviceStore, String, String) {
    let store = DeviceStore::open(dir).unwrap();
    store.set_username("Asha").unwrap();
    let form = store
        .import_form("audited_kap.xlsx", &audited_form(parameters))
        .unwrap();
    (store, form.form_id, form.version)
}

fn finalized(store: &mut DeviceStore, id: &str) -> OutboxEntry {
    match store.finalize(id, None).unwrap() {
        FinalizeOutcome::Finalized { .. } => {}
        blocked => panic!("{blocked:?}"),
    }
    store
        .list_outbox()
        .unwrap()
        .into_iter()
        .find(|e| e.instance_id == id)
        .unwrap()
}

/// RFC 4180 CSV, as a spreadsheet or R reads audit.csv: quoted fields may hold commas, doubled
/// quotes and line breaks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let (mut record, mut field) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(field.is_empty() && record.is_empty(), "unterminated record");
    records
}

fn value<'a>(payload: &'a serde_json::Value, path: &str) -> Option<&'a str> {
    payload["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|pair| pair[0] == path)
        .map(|pair| pair[1].as_str().unwrap())
}

#[test]
fn a_form_without_audit_records_no_timings_and_its_payload_has_no_attachments() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, form_id, version) = store(dir.path());
    let id = store.start_draft(&form_id, &version, NEPAL).unwrap();
    store.set_position(&id, "/data/province").unwrap();
    answer_all(&mut store, &id, &[("consent", "yes"), ("age", "40")]);
    store.add_repeat(&id, "/data/migrants").unwrap();
    store.remove_repeat(&id, "/data/migrants[2]").unwrap();
    store.audit_event(&id, AuditEvent::FormExit).unwrap();
    store.audit_event(&id, AuditEvent::FormResume).unwrap();
    store.audit_event(&id, AuditEvent::FormSave).unwrap();
    answer_all(&mut store, &id, REFUSED);
    store.set_position(&id, END_SCREEN_KEY).unwrap();
    assert_eq!(count(dir.path(), "draft_audit"), 0);
    let entry = finalized(&mut store, &id);
    assert!(entry.attachments.is_empty());
    assert_eq!(count(dir.path(), "outbox_attachment"), 0);
    let text = String::from_utf8(entry.payload.clone()).unwrap();
    assert!(!text.contains("attachments"), "{text}");
    assert!(text.ends_with("]]}"), "{text}");
    assert!(matches!(
        store.outbox_attachment(&id, AUDIT_FILE),
        Err(StoreError::UnknownAttachment { .. })
    ));
    assert!(matches!(
        store.audit_event(&id, AuditEvent::FormExit),
        Err(StoreError::UnknownDraft(_))
    ));
}

#[test]
fn an_audited_interview_is_sent_with_its_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let (mut store, form_id, version) =
            audited_store(dir.path(), Some("track-changes=true identify-user=true"));
        let id = store.start_draft(&form_id, &version, NEPAL).unwrap();
        store.set_position(&id, "/data/respondent").unwrap();
        // Redrawing the screen is not a second visit.
        store.set_position(&id, "/data/respondent").unwrap();
        store.record_answer(&id, "respondent", "Sita").unwrap();
        store.set_position(&id, "/data/ward").unwrap();
        store.record_answer(&id, "ward", "5").unwrap();
        store.record_answer(&id, "ward", "6").unwrap();
        store.audit_event(&id, AuditEvent::FormExit).unwrap();
        id
    };
    // The app is closed and the draft reopened later.
    let (mut store, _, _) =
        audited_store(dir.path(), Some("track-changes=true identify-user=true"));
    store.audit_event(&id, AuditEvent::FormResume).unwrap();
    store.set_position(&id, "/data/ward").unwrap();
    store.record_answer(&id, "ward", "7").unwrap();
    store.set_position(&id, "/data/about").unwrap();
    store.record_answer(&id, "village", "Dharan").unwrap();
    store.set_position(&id, "/data/migrants[1]/m_name").unwrap();
    store
        .record_answer(&id, "/data/migrants[1]/m_name", "Hari")
        .unwrap();
    store.set_position(&id, "/data/migrants").unwrap();
    assert_eq!(
        store.add_repeat(&id, "/data/migrants").unwrap(),
        "/data/migrants[2]"
    );
    store.set_position(&id, "/data/migrants[2]/m_name").unwrap();
    store.remove_repeat(&id, "/data/migrants[2]").unwrap();
    store.set_position(&id, END_SCREEN_KEY).unwrap();
    store.audit_event(&id, AuditEvent::FormSave).unwrap();
    store.set_position(&id, END_SCREEN_KEY).unwrap();
    let entry = finalized(&mut store, &id);

    let csv = store.outbox_attachment(&id, AUDIT_FILE).unwrap();
    assert_eq!(entry.attachments.len(), 1, "{:?}", entry.attachments);
    let info = &entry.attachments[0];
    assert_eq!(
        (info.name.as_str(), info.media_type.as_str()),
        (AUDIT_FILE, "text/csv")
    );
    assert_eq!(info.sha256, sha256_hex(&csv));
    assert_eq!(info.size, csv.len() as i64);

    let records = parse_csv(std::str::from_utf8(&csv).unwrap());
    assert_eq!(
        records[0],
        [
            "event",
            "node",
            "start",
            "end",
            "old-value",
            "new-value",
            "user"
        ]
    );
    let rows = &records[1..];
    let summary: Vec<[&str; 4]> = rows
        .iter()
        .map(|r| [r[0].as_str(), r[1].as_str(), r[4].as_str(), r[5].as_str()])
        .collect();
    assert_eq!(
        summary,
        [
            ["form start", "", "", ""],
            ["question", "/data/respondent", "", "Sita"],
            ["question", "/data/ward", "", "6"],
            ["form exit", "", "", ""],
            ["form resume", "", "", ""],
            ["question", "/data/ward", "6", "7"],
            ["group questions", "/data/about", "", ""],
            ["question", "/data/about/village", "", "Dharan"],
            ["question", "/data/migrants[1]/m_name", "", "Hari"],
            ["prompt new repeat", "/data/migrants", "", ""],
            ["add repeat", "/data/migrants[2]", "", ""],
            ["question", "/data/migrants[2]/m_name", "", ""],
            ["delete repeat", "/data/migrants[2]", "", ""],
            ["end screen", "", "", ""],
            ["form save", "", "", ""],
            ["end screen", "", "", ""],
            ["form finalize", "", "", ""],
        ]
    );
    assert!(rows.iter().all(|r| r.len() == 7 && r[6] == "Asha"));
    // Times: milliseconds since 1970, in order; a screen lasts until the next event, a
    // question of a field list shares its screen's times, other events have no end.
    let start = |r: &Vec<String>| r[2].parse::<i64>().unwrap();
    let payload: serde_json::Value = serde_json::from_slice(&entry.payload).unwrap();
    assert!(start(&rows[0]) > 1_700_000_000_000);
    assert_eq!(start(rows.last().unwrap()), entry.finalized_at);
    let mut previous_event = &rows[0];
    for (k, row) in rows.iter().enumerate() {
        let screen = matches!(
            row[0].as_str(),
            "question" | "group questions" | "prompt new repeat" | "end screen"
        );
        if row[0] == "question" && row[1] == "/data/about/village" {
            assert_eq!((&row[2], &row[3]), (&rows[k - 1][2], &rows[k - 1][3]));
            continue;
        }
        assert!(start(row) >= start(previous_event), "{row:?}");
        previous_event = row;
        if screen {
            let next = &rows[(k + 1..)
                .find(|&n| rows[n][1] != "/data/about/village")
                .unwrap()];
            assert_eq!(row[3], next[2], "{row:?} ends when {next:?} starts");
        } else {
            assert_eq!(row[3], "", "{row:?}");
        }
    }

    // The payload binds the file and names it as the audit question's value.
    assert_eq!(
        payload["attachments"],
        serde_json::json!([{
            "name": "audit.csv",
            "type": "text/csv",
            "sha256": sha256_hex(&csv),
            "size": csv.len(),
        }])
    );
    assert_eq!(value(&payload, "/data/meta/audit"), Some("audit.csv"));
    assert_eq!(sha256_hex(&entry.payload), entry.sha256);
    let text = String::from_utf8(entry.payload.clone()).unwrap();
    assert!(text.find("\"values\":").unwrap() < text.find("\"attachments\":").unwrap());
    // The draft's log went with the draft.
    assert_eq!(count(dir.path(), "draft_audit"), 0);
}

#[test]
fn without_track_changes_no_answer_is_kept_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, form_id, version) = audited_store(dir.path(), None);
    let id = store.start_draft(&form_id, &version, NEPAL).unwrap();
    store.set_position(&id, "/data/ward").unwrap();
    store.record_answer(&id, "ward", "5").unwrap();
    store.record_answer(&id, "ward", "6").unwrap();
    let events: Vec<String> = {
        let conn = raw(dir.path());
        let mut stmt = conn
            .prepare("SELECT event FROM draft_audit ORDER BY seq")
            .unwrap();
        let rows = stmt.query_map([], |r| r.get(0)).unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    };
    assert_eq!(events, ["form start", "question"]);
    // A discarded draft takes its log with it.
    let other = store.start_draft(&form_id, &version, NEPAL).unwrap();
    store.discard_draft(&other).unwrap();
    assert_eq!(count(dir.path(), "draft_audit"), 2);

    finalized(&mut store, &id);
    let csv = String::from_utf8(store.outbox_attachment(&id, AUDIT_FILE).unwrap()).unwrap();
    let records = parse_csv(&csv);
    assert_eq!(records[0], ["event", "node", "start", "end"]);
    let events: Vec<&str> = records[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(events, ["form start", "question", "form finalize"]);
    assert!(records.iter().all(|r| r.len() == 4), "{records:?}");
}

#[test]
fn an_answer_with_commas_quotes_and_line_breaks_reads_back_from_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, form_id, version) = audited_store(dir.path(), Some("track-changes=true"));
    let id = store.start_draft(&form_id, &version, NEPAL).unwrap();
    let tricky = "Dharan, ward 5: \"near the bridge\"\nsecond line\r\nthird";
    store.set_position(&id, "/data/about").unwrap();
    store.record_answer(&id, "remarks", tricky).unwrap();
    let entry = finalized(&mut store, &id);
    let csv = store.outbox_attachment(&id, AUDIT_FILE).unwrap();
    let records = parse_csv(std::str::from_utf8(&csv).unwrap());
    assert_eq!(
        records[0],
        ["event", "node", "start", "end", "old-value", "new-value"]
    );
    let payload: serde_json::Value = serde_json::from_slice(&entry.payload).unwrap();
    let stored = value(&payload, "/data/about/remarks").unwrap();
    let row = records
        .iter()
        .find(|r| r[1] == "/data/about/remarks")
        .unwrap();
    assert_eq!(row[0], "question");
    assert_eq!((row[4].as_str(), row[5].as_str()), ("", stored));
    assert!(stored.contains(",") && stored.contains('"') && stored.contains('\n'));
    assert!(records.iter().all(|r| r.len() == 6), "{records:?}");
}

#[test]
fn an_attachment_can_never_change_or_be_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, form_id, version) = audited_store(dir.path(), None);
    let id = store.start_draft(&form_id, &version, NEPAL).unwrap();
    let entry = finalized(&mut store, &id);
    let before = store.outbox_attachment(&id, AUDIT_FILE).unwrap();
    let conn = raw(dir.path());
    let update = conn
        .execute("UPDATE outbox_attachment SET bytes = x'00', size = 1", [])
        .unwrap_err();
    assert!(update.to_string().contains("can never change"), "{update}");
    let delete = conn
        .execute("DELETE FROM outbox_attachment", [])
        .unwrap_err();
    assert!(
        delete.to_string().contains("can never be deleted"),
        "{delete}"
    );
    // A second file cannot be slipped in under another submission's name either.
    let duplicate = conn
        .execute(
            "INSERT INTO outbox_attachment SELECT * FROM outbox_attachment",
            [],
        )
        .unwrap_err();
    assert!(duplicate.to_string().contains("UNIQUE"), "{duplicate}");
    assert_eq!(store.outbox_attachment(&id, AUDIT_FILE).unwrap(), before);
    assert_eq!(
        store.list_outbox().unwrap()[0].attachments,
        entry.attachments
    );
}

#[test]
fn sync_status_keeps_its_rows_and_takes_the_conflict_state() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, form_id, version) = store(dir.path());
    let id = store.start_draft(&form_id, &version, NEPAL).unwrap();
    answer_all(&mut store, &id, REFUSED);
    finalized(&mut store, &id);
    let conn = raw(dir.path());
    conn.execute(
        "UPDATE sync_status SET state = 'conflict', reason = 'held with other content',
             attempts = 1",
        [],
    )
    .unwrap();
    let entry = &store.list_outbox().unwrap()[0];
    assert_eq!(entry.state, SyncState::Conflict);
    assert_eq!(entry.reason.as_deref(), Some("held with other content"));
    assert_eq!(SyncState::Conflict.as_str(), "conflict");
    let bogus = conn
        .execute("UPDATE sync_status SET state = 'lost'", [])
        .unwrap_err();
    assert!(bogus.to_string().contains("CHECK"), "{bogus}");
    assert_eq!(store.list_forms().unwrap()[0].not_sent, 1);
}

#[test]
fn a_database_from_before_the_audit_log_keeps_its_outbox_and_sync_states() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut conn = raw(dir.path());
        fieldline_migrations::apply(&mut conn, &fieldline_migrations::DEVICE[..2]).unwrap();
        conn.execute_batch(&format!(
            "INSERT INTO device (singleton, device_id) VALUES (1, 'fieldline:old');
             INSERT INTO form (form_id, version, title, file_name, sha256, xlsform, definition,
                               imported_at)
                 VALUES ('f', '1', 'F', 'f.xlsx', '{sha}', x'00', '{{}}', 1);
             INSERT INTO outbox (instance_id, form_id, form_version, payload, sha256,
                                 finalized_at, device_seq)
                 VALUES ('a', 'f', '1', x'7b7d', '{sha}', 10, 1),
                        ('b', 'f', '1', x'7b7d', '{sha}', 11, 2);
             INSERT INTO sync_status (instance_id, state, reason, attempts, queued_at,
                                      last_attempt_at, sent_at, updated_at)
                 VALUES ('a', 'sent', NULL, 2, 10, 20, 21, 21),
                        ('b', 'rejected', 'form closed', 1, 11, 22, NULL, 22);",
            sha = "0".repeat(64)
        ))
        .unwrap();
    }
    let store = DeviceStore::open(dir.path()).unwrap();
    let outbox = store.list_outbox().unwrap();
    let states: Vec<(&str, SyncState, Option<&str>, i64)> = outbox
        .iter()
        .map(|e| {
            (
                e.instance_id.as_str(),
                e.state,
                e.reason.as_deref(),
                e.attempts,
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("a", SyncState::Sent, None, 2),
            ("b", SyncState::Rejected, Some("form closed"), 1)
        ]
    );
    let conn = raw(dir.path());
    let kept: (i64, Option<i64>, i64) = conn
        .query_row(
            "SELECT last_attempt_at, sent_at, updated_at FROM sync_status WHERE instance_id = 'a'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(kept, (20, Some(21), 21));
    let index: String = conn
        .query_row(
            "SELECT tbl_name FROM sqlite_master WHERE type = 'index'
               AND name = 'sync_status_by_state'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(index, "sync_status");
    conn.execute(
        "UPDATE sync_status SET state = 'conflict' WHERE instance_id = 'b'",
        [],
    )
    .unwrap();
    assert_eq!(store.list_outbox().unwrap()[1].state, SyncState::Conflict);
    // The rebuilt table still refers to the outbox.
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let orphan = conn
        .execute(
            "INSERT INTO sync_status (instance_id, queued_at, updated_at) VALUES ('zz', 1, 1)",
            [],
        )
        .unwrap_err();
    assert!(orphan.to_string().contains("FOREIGN KEY"), "{orphan}");
}
