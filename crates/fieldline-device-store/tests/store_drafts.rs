//! Forms and drafts on real SQLite files with the real campaign form.

mod common;

use common::*;
use fieldline_device_store::{DeviceStore, StoreError, MAX_UTC_OFFSET_MINUTES};

#[test]
fn importing_twice_is_idempotent_and_other_content_under_the_same_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (store, form_id, _) = store(dir.path());
    assert_eq!(form_id, "safe_migration_kap");
    let again = store.import_form(KAP_FILE, &kap()).unwrap();
    assert!(!again.newly_imported);
    assert_eq!(count(dir.path(), "form"), 1);
    let forms = store.list_forms().unwrap();
    assert_eq!(forms.len(), 1);
    assert_eq!(
        (forms[0].drafts, forms[0].finalized, forms[0].not_sent),
        (0, 0, 0)
    );
    // Pretend the device holds other bytes under this id and version (no second workbook with
    // the same settings exists): the genuine form must now be refused, not overwrite them.
    raw(dir.path())
        .execute("UPDATE form SET sha256 = ?1", [&"0".repeat(64)])
        .unwrap();
    let err = store.import_form(KAP_FILE, &kap()).unwrap_err();
    assert!(
        matches!(err, StoreError::FormVersionConflict { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("new version"), "{err}");
}

#[test]
fn an_unusable_form_is_refused_with_the_engines_problems() {
    let dir = tempfile::tempdir().unwrap();
    let store = DeviceStore::open(dir.path()).unwrap();
    let err = store
        .import_form("broken.xlsx", b"not a workbook")
        .unwrap_err();
    assert!(matches!(err, StoreError::UnusableForm(_)), "{err}");
    assert!(
        err.to_string().starts_with("this form cannot be used"),
        "{err}"
    );
    assert_eq!(count(dir.path(), "form"), 0);
}

#[test]
fn answers_and_repeats_are_autosaved_and_a_reopened_store_resumes_them() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let (mut store, form_id, version) = store(dir.path());
        let id = store.start_draft(&form_id, &version, NEPAL).unwrap();
        answer_all(
            &mut store,
            &id,
            &[("province", "koshi"), ("consent", "yes"), ("age", "34")],
        );
        assert_eq!(
            store.add_repeat(&id, "/data/migrants").unwrap(),
            "/data/migrants[2]"
        );
        store.add_repeat(&id, "/data/migrants").unwrap();
        answer_all(
            &mut store,
            &id,
            &[
                ("/data/migrants[1]/m_relation", "brother"),
                ("/data/migrants[2]/m_relation", "aunt"),
                ("/data/migrants[3]/m_relation", "son"),
                ("/data/migrants[3]/m_contract", "no"),
            ],
        );
        store.remove_repeat(&id, "/data/migrants[2]").unwrap();
        store
            .set_position(&id, "/data/migrants[2]/m_contract")
            .unwrap();
        id
    };
    let mut store = DeviceStore::open(dir.path()).unwrap();
    let drafts = store.list_drafts().unwrap();
    assert_eq!(drafts.len(), 1);
    assert_eq!(
        drafts[0].position.as_deref(),
        Some("/data/migrants[2]/m_contract")
    );
    assert_eq!(drafts[0].events, 10);
    let inst = store.open_draft(&id).unwrap();
    let value = |key: &str| inst.value(inst.find_key(key).unwrap()).to_owned();
    assert_eq!(value("province"), "koshi");
    assert_eq!(value("age"), "34");
    assert_eq!(value("/data/migrants[1]/m_relation"), "brother");
    // The aunt's instance was removed: the son's moved up, with its answers.
    assert_eq!(value("/data/migrants[2]/m_relation"), "son");
    assert_eq!(value("n_without_contract"), "1");
    assert!(inst.find_key("/data/migrants[3]/m_relation").is_err());
    assert_eq!(store.list_forms().unwrap()[0].drafts, 1);
}

#[test]
fn a_refused_answer_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, form_id, version) = store(dir.path());
    let id = store.start_draft(&form_id, &version, NEPAL).unwrap();
    store.record_answer(&id, "ward", "7").unwrap();
    let err = store.record_answer(&id, "ward", "seven").unwrap_err();
    assert!(matches!(err, StoreError::AnswerRefused(_)), "{err}");
    assert!(err.to_string().contains("/data/ward"), "{err}");
    let err = store.record_answer(&id, "gender", "female").unwrap_err();
    assert!(err.to_string().contains("not offered"), "{err}");
    // A path into a repeat instance not yet there is refused without adding the instance.
    store
        .record_answer(&id, "/data/migrants[4]/m_country", "atlantis")
        .unwrap_err();
    assert!(store.record_answer(&id, "nosuch", "1").is_err());
    assert_eq!(count(dir.path(), "draft_event"), 1);
    let inst = store.open_draft(&id).unwrap();
    assert_eq!(inst.value(inst.find_key("ward").unwrap()), "7");
    assert!(inst.find_key("/data/migrants[2]/m_country").is_err());
}

#[test]
fn discarding_a_draft_removes_it_and_its_answers() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, form_id, version) = store(dir.path());
    let keep = store.start_draft(&form_id, &version, NEPAL).unwrap();
    let drop = store.start_draft(&form_id, &version, NEPAL).unwrap();
    answer_all(&mut store, &keep, &[("ward", "3")]);
    answer_all(&mut store, &drop, &[("ward", "4"), ("consent", "yes")]);
    store.discard_draft(&drop).unwrap();
    let drafts = store.list_drafts().unwrap();
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].instance_id, keep);
    assert_eq!(count(dir.path(), "draft_event"), 1);
    assert!(matches!(
        store.open_draft(&drop),
        Err(StoreError::UnknownDraft(_))
    ));
    assert!(matches!(
        store.discard_draft(&drop),
        Err(StoreError::UnknownDraft(_))
    ));
    assert!(matches!(
        store.record_answer(&drop, "ward", "5"),
        Err(StoreError::UnknownDraft(_))
    ));
}

#[test]
fn an_interview_keeps_the_local_date_it_started_on() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, form_id, version) = store(dir.path());
    // 36 hours apart, the two extremes put at least one local date off the UTC date whatever the
    // time of day the test runs, so ignoring the offset cannot pass.
    for offset in [NEPAL, MAX_UTC_OFFSET_MINUTES, -MAX_UTC_OFFSET_MINUTES] {
        let id = store.start_draft(&form_id, &version, offset).unwrap();
        let started = store
            .list_drafts()
            .unwrap()
            .into_iter()
            .find(|d| d.instance_id == id)
            .unwrap()
            .created_at;
        let local_day = (started + i64::from(offset) * 60_000).div_euclid(86_400_000);
        let (y, m, d) = fieldline_xpath::civil_from_days(local_day);
        let today = {
            let instance = store.open_draft(&id).unwrap();
            let node = instance.find_key("today").unwrap();
            instance.value(node).to_owned()
        };
        assert_eq!(today, format!("{y:04}-{m:02}-{d:02}"), "offset {offset}");
    }
    assert!(matches!(
        store.start_draft(&form_id, &version, 24 * 60),
        Err(StoreError::UtcOffset(1440))
    ));
}

#[test]
fn drafts_are_named_by_time_ordered_uuids() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, form_id, version) = store(dir.path());
    let first = store.start_draft(&form_id, &version, NEPAL).unwrap();
    let second = store.start_draft(&form_id, &version, NEPAL).unwrap();
    for id in [&first, &second] {
        let parsed = uuid::Uuid::parse_str(id).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(parsed.get_version_num(), 7, "{id} is not a UUIDv7");
    }
    // UUIDv7 sort by creation, so a device's instances list in the order they were begun.
    assert!(first < second, "{first} then {second}");
}
