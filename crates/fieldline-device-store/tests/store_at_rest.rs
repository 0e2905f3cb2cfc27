//! The device database encrypted at rest under the enumerator's PIN: nothing an interview holds
//! is readable in any file of the profile, wrong PINs are refused and slowed down, a plain profile
//! is encrypted in place without losing anything, and the PIN can be changed.

mod common;

use std::path::Path;

use common::*;
use fieldline_device_store::payload::sha256_hex;
use fieldline_device_store::{
    DeviceStore, DraftSummary, FinalizeOutcome, OutboxEntry, StoreError, DATABASE_FILE, KEY_FILE,
};

const PIN: &str = "482916";
const OTHER_PIN: &str = "735104";

/// Free-text answers no file should show once the profile is encrypted.
const FINALIZED_STORY: &str = "Broker Ramkaji promised work in Doha for 90000 rupees";
const DRAFT_STORY: &str = "My cousin left from Birgunj with an agent called Sunmaya";

/// A photo whose bytes are easy to find: a marker repeated over a few pages.
fn photo(tag: &str) -> Vec<u8> {
    format!("<{tag} photo bytes 7f3a9c>")
        .repeat(300)
        .into_bytes()
}

/// A form with a free-text question and a photo.
fn story_form() -> Vec<u8> {
    xlsx(&[
        (
            "survey",
            &[
                &["type", "name", "label"],
                &["text", "story", "How did you hear about the job?"],
                &["image", "photo", "Photo of the advertisement"],
            ],
        ),
        ("settings", &[&["form_id", "version"], &["story_kap", "1"]]),
    ])
}

/// One interview finalized and not sent, another left open as a draft, each with a free-text
/// answer and a photo.
fn interview(store: &mut DeviceStore) {
    store.set_username("Asha").unwrap();
    let form = store.import_form("story_kap.xlsx", &story_form()).unwrap();
    let finalized = store
        .start_draft(&form.form_id, &form.version, NEPAL)
        .unwrap();
    store
        .record_answer(&finalized, "story", FINALIZED_STORY)
        .unwrap();
    store
        .attach_file(&finalized, "photo", "IMG_0001.jpg", &photo("finalized"))
        .unwrap();
    match store.finalize(&finalized, None).unwrap() {
        FinalizeOutcome::Finalized { .. } => {}
        blocked => panic!("{blocked:?}"),
    }
    let open = store
        .start_draft(&form.form_id, &form.version, NEPAL)
        .unwrap();
    store.record_answer(&open, "story", DRAFT_STORY).unwrap();
    store
        .attach_file(&open, "photo", "IMG_0002.jpg", &photo("draft"))
        .unwrap();
}

/// Every needle found in some file under `dir` (any depth, WAL and shared memory included), with
/// the file it was found in.
fn found_in_files(dir: &Path, needles: &[Vec<u8>]) -> Vec<String> {
    let needles: Vec<&[u8]> = needles.iter().map(Vec::as_slice).collect();
    fieldline_test_support::files_holding(dir, &needles)
        .unwrap()
        .into_iter()
        .map(|found| {
            let needle = needles[found.needle];
            let shown = String::from_utf8_lossy(&needle[..needle.len().min(24)]);
            format!("{shown:?} in {}", found.file.display())
        })
        .collect()
}

fn secrets() -> Vec<Vec<u8>> {
    vec![
        FINALIZED_STORY.as_bytes().to_vec(),
        DRAFT_STORY.as_bytes().to_vec(),
        photo("finalized")[..40].to_vec(),
        photo("draft")[..40].to_vec(),
    ]
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn key_file(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(KEY_FILE)).unwrap()).unwrap()
}

#[test]
fn with_a_pin_no_answer_or_photo_can_be_read_in_any_file_of_the_profile() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DeviceStore::open_with_pin(dir.path(), PIN).unwrap();
    assert!(store.is_pin_protected());
    interview(&mut store);
    // While the store is open the latest pages are in the WAL: it must be encrypted too.
    assert!(dir.path().join(format!("{DATABASE_FILE}-wal")).exists());
    assert_eq!(found_in_files(dir.path(), &secrets()), Vec::<String>::new());
    drop(store);
    assert_eq!(found_in_files(dir.path(), &secrets()), Vec::<String>::new());

    let mut store = DeviceStore::open_with_pin(dir.path(), PIN).unwrap();
    assert_eq!(store.list_drafts().unwrap().len(), 1);
    let outbox = store.list_outbox().unwrap();
    assert_eq!(outbox.len(), 1);
    let payload = String::from_utf8_lossy(&outbox[0].payload).into_owned();
    assert!(payload.contains(FINALIZED_STORY), "{payload}");
    let photo_name = &outbox[0].attachments[0].name;
    assert_eq!(
        store
            .outbox_attachment(&outbox[0].instance_id, photo_name)
            .unwrap(),
        photo("finalized")
    );
    let draft = store.list_drafts().unwrap()[0].instance_id.clone();
    let inst = store.open_draft(&draft).unwrap();
    let story = inst.find_key("story").unwrap();
    assert_eq!(inst.value(story), DRAFT_STORY);
}

#[test]
fn without_a_pin_the_same_interview_is_readable_in_the_files() {
    // The positive control of the test above: the search does find what a plain profile holds.
    let dir = tempfile::tempdir().unwrap();
    let mut store = DeviceStore::open(dir.path()).unwrap();
    assert!(!store.is_pin_protected());
    interview(&mut store);
    drop(store);
    assert_eq!(
        found_in_files(dir.path(), &secrets()).len(),
        secrets().len()
    );
    assert!(!dir.path().join(KEY_FILE).exists());
}

#[test]
fn an_encrypted_profile_opened_without_a_pin_asks_for_it() {
    let dir = tempfile::tempdir().unwrap();
    drop(DeviceStore::open_with_pin(dir.path(), PIN).unwrap());
    let err = DeviceStore::open(dir.path()).err().unwrap();
    assert!(matches!(err, StoreError::PinRequired), "{err}");
    assert!(err.to_string().contains("FIELDLINE_PIN"), "{err}");
}

#[test]
fn a_pin_must_be_six_to_sixteen_digits() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["1234", "12345a", "12345678901234567"] {
        let err = DeviceStore::open_with_pin(dir.path(), bad).err().unwrap();
        assert!(matches!(err, StoreError::InvalidPin(_)), "{bad}: {err}");
        assert!(err.to_string().contains("6 to 16 digits"), "{err}");
    }
    assert!(
        !dir.path().join(DATABASE_FILE).exists(),
        "a refused PIN creates nothing"
    );
}

#[test]
fn wrong_pins_are_refused_and_after_five_in_a_row_each_try_waits() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DeviceStore::open_with_pin(dir.path(), PIN).unwrap();
    interview(&mut store);
    drop(store);

    for attempt in 1..=4u32 {
        let err = DeviceStore::open_with_pin(dir.path(), OTHER_PIN)
            .err()
            .unwrap();
        match err {
            StoreError::WrongPin {
                tries_before_wait,
                wait_seconds: 0,
            } => assert_eq!(tries_before_wait, 5 - attempt),
            other => panic!("attempt {attempt}: {other}"),
        }
        // Counted on disk, where killing the app does not take it back.
        assert_eq!(key_file(dir.path())["failed_attempts"], attempt);
    }
    let fifth = DeviceStore::open_with_pin(dir.path(), OTHER_PIN)
        .err()
        .unwrap();
    assert!(
        matches!(
            fifth,
            StoreError::WrongPin {
                wait_seconds: 30,
                ..
            }
        ),
        "{fifth}"
    );
    // While the wait runs even the right PIN is not tried.
    let locked = DeviceStore::open_with_pin(dir.path(), PIN).err().unwrap();
    match locked {
        StoreError::PinLocked { wait_seconds } => {
            // Less the time the last try took, longer on a busy machine.
            assert!((20..=30).contains(&wait_seconds), "{wait_seconds}")
        }
        other => panic!("{other}"),
    }
    assert!(locked.to_string().contains("wait"), "{locked}");
    assert_eq!(key_file(dir.path())["failed_attempts"], 5);

    // Half a minute later (the clock moved by editing the file): one more wrong PIN doubles it.
    let pass_time = |ms: i64| {
        let mut file = key_file(dir.path());
        let last = file["last_attempt_unix_ms"].as_i64().unwrap();
        file["last_attempt_unix_ms"] = (last - ms).into();
        std::fs::write(dir.path().join(KEY_FILE), file.to_string()).unwrap();
    };
    pass_time(30_000);
    let sixth = DeviceStore::open_with_pin(dir.path(), OTHER_PIN)
        .err()
        .unwrap();
    assert!(
        matches!(
            sixth,
            StoreError::WrongPin {
                wait_seconds: 60,
                ..
            }
        ),
        "{sixth}"
    );
    pass_time(60_000);
    let store = DeviceStore::open_with_pin(dir.path(), PIN).unwrap();
    assert_eq!(store.list_outbox().unwrap().len(), 1);
    assert_eq!(key_file(dir.path())["failed_attempts"], 0);
    drop(store);
    let err = DeviceStore::open_with_pin(dir.path(), OTHER_PIN)
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            StoreError::WrongPin {
                tries_before_wait: 4,
                wait_seconds: 0
            }
        ),
        "the right PIN starts the count again: {err}"
    );
}

#[test]
fn the_key_file_holds_the_salt_and_parameters_but_not_the_key() {
    let dir = tempfile::tempdir().unwrap();
    drop(DeviceStore::open_with_pin(dir.path(), PIN).unwrap());
    let file = key_file(dir.path());
    assert_eq!(file["kdf"], "argon2id");
    assert_eq!(file["memory_kib"], 65536);
    assert_eq!(file["iterations"], 10);
    assert_eq!(file["parallelism"], 1);
    assert_eq!(
        file["salt"].as_str().unwrap().len(),
        24,
        "16 bytes of base64"
    );
    let text = std::fs::read_to_string(dir.path().join(KEY_FILE)).unwrap();
    assert!(!text.contains(PIN));
    assert_eq!(file.as_object().unwrap().len(), 8, "{text}");
}

/// What a profile holds, as the app sees it.
fn everything(store: &mut DeviceStore) -> (Vec<DraftSummary>, Vec<OutboxEntry>, Vec<String>) {
    let drafts = store.list_drafts().unwrap();
    let mut answers = Vec::new();
    for draft in &drafts {
        for (name, media_type) in store.draft_files(&draft.instance_id).unwrap() {
            let bytes = store
                .draft_file(&draft.instance_id, &name)
                .unwrap()
                .map(|(_, bytes)| sha256_hex(&bytes));
            answers.push(format!("{name} {media_type} {bytes:?}"));
        }
        let inst = store.open_draft(&draft.instance_id).unwrap();
        for leaf in inst.leaves(None) {
            answers.push(format!("{} = {}", leaf.path, inst.value(leaf.node)));
        }
    }
    (drafts, store.list_outbox().unwrap(), answers)
}

/// A plain profile with two finalized interviews (their photos in the outbox), one refused
/// consent and an open draft, as a device has it before its PIN is set.
fn plain_profile(dir: &Path) {
    let (mut store, kap_id, kap_version) = store(dir);
    let refused = store.start_draft(&kap_id, &kap_version, NEPAL).unwrap();
    answer_all(&mut store, &refused, REFUSED);
    assert!(matches!(
        store.finalize(&refused, None).unwrap(),
        FinalizeOutcome::Finalized { .. }
    ));
    interview(&mut store);
}

#[test]
fn a_plain_profile_opened_with_a_pin_is_encrypted_in_place_keeping_everything() {
    let app = tempfile::tempdir().unwrap();
    plain_profile(app.path());
    let mut plain = DeviceStore::open(app.path()).unwrap();
    // Changes the app made last, still only in the WAL when it was killed: the files copied now,
    // with the store open, are what a killed app leaves.
    plain.set_username("Asha Rai").unwrap();
    let (form_id, version) = {
        let form = &plain.list_forms().unwrap()[0];
        (form.form_id.clone(), form.version.clone())
    };
    let last = plain.start_draft(&form_id, &version, NEPAL).unwrap();
    plain.record_answer(&last, "province", "koshi").unwrap();
    let device_id = plain.profile().unwrap().device_id;
    let before = everything(&mut plain);
    assert_eq!((before.0.len(), before.1.len()), (2, 2));
    let dir = tempfile::tempdir().unwrap();
    for name in file_names(app.path()) {
        std::fs::copy(app.path().join(&name), dir.path().join(&name)).unwrap();
    }
    drop(plain);
    let wal = std::fs::metadata(dir.path().join(format!("{DATABASE_FILE}-wal"))).unwrap();
    assert!(wal.len() > 0, "the last changes are in the WAL");

    let mut encrypted = DeviceStore::open_with_pin(dir.path(), PIN).unwrap();
    assert!(encrypted.is_pin_protected());
    assert_eq!(everything(&mut encrypted), before);
    assert_eq!(encrypted.profile().unwrap().device_id, device_id);
    drop(encrypted);

    assert_eq!(found_in_files(dir.path(), &secrets()), Vec::<String>::new());
    assert_eq!(
        file_names(dir.path()),
        [KEY_FILE, DATABASE_FILE],
        "no plain copy, WAL or shared memory is left behind"
    );
    assert!(matches!(
        DeviceStore::open(dir.path()).err().unwrap(),
        StoreError::PinRequired
    ));
    let mut again = DeviceStore::open_with_pin(dir.path(), PIN).unwrap();
    assert_eq!(everything(&mut again), before);
}

#[test]
fn a_conversion_killed_before_its_rename_leaves_the_plain_profile_usable() {
    // Killed after writing the encrypted copy and the key file, before the rename that makes the
    // copy the database: the copy is half written and the key file's salt is not the next one's.
    let dir = tempfile::tempdir().unwrap();
    plain_profile(dir.path());
    let mut plain = DeviceStore::open(dir.path()).unwrap();
    let before = everything(&mut plain);
    drop(plain);
    std::fs::write(
        dir.path().join(format!("{DATABASE_FILE}.encrypting")),
        vec![0x5a; 3000],
    )
    .unwrap();
    let other = tempfile::tempdir().unwrap();
    drop(DeviceStore::open_with_pin(other.path(), OTHER_PIN).unwrap());
    std::fs::copy(other.path().join(KEY_FILE), dir.path().join(KEY_FILE)).unwrap();

    // Still the plain profile, as the app without a PIN sees it...
    let mut plain = DeviceStore::open(dir.path()).unwrap();
    assert!(!plain.is_pin_protected());
    assert_eq!(everything(&mut plain), before);
    drop(plain);
    // ...and the next try converts it, with the PIN it is given.
    let mut encrypted = DeviceStore::open_with_pin(dir.path(), PIN).unwrap();
    assert_eq!(everything(&mut encrypted), before);
    drop(encrypted);
    assert_eq!(file_names(dir.path()), [KEY_FILE, DATABASE_FILE]);
    assert_eq!(found_in_files(dir.path(), &secrets()), Vec::<String>::new());
}

/// `cargo test` builds the crate's examples next to the test binaries' directory.
fn encrypt_profile_example() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().unwrap().parent().unwrap();
    debug
        .join("examples")
        .join(format!("encrypt_profile{}", std::env::consts::EXE_SUFFIX))
}

/// A copy of every file of the profile in `from`.
fn copy_profile(from: &Path) -> tempfile::TempDir {
    let to = tempfile::tempdir().unwrap();
    for name in file_names(from) {
        std::fs::copy(from.join(&name), to.path().join(&name)).unwrap();
    }
    to
}

#[test]
fn sigkill_at_random_moments_of_the_conversion_leaves_a_profile_with_everything() {
    let exe = encrypt_profile_example();
    assert!(
        exe.exists(),
        "{} not built (cargo test builds examples)",
        exe.display()
    );
    // A profile big enough (a 20 MB recording kept with the draft) that copying it takes a
    // good part of the conversion, not only the key's derivation before it.
    let template = tempfile::tempdir().unwrap();
    plain_profile(template.path());
    let mut plain = DeviceStore::open(template.path()).unwrap();
    let draft = plain.list_drafts().unwrap()[0].instance_id.clone();
    let recording: Vec<u8> = (0..20 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    plain
        .attach_file(&draft, "photo", "IMG_0003.jpg", &recording)
        .unwrap();
    let before = everything(&mut plain);
    drop(plain);

    let run = |dir: &Path| {
        std::process::Command::new(&exe)
            .arg(dir)
            .arg(PIN)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let whole = copy_profile(template.path());
    let started = std::time::Instant::now();
    assert!(run(whole.path()).wait().unwrap().success());
    let full_run = started.elapsed();

    // Seeded (xorshift64*), so a failing run can be repeated exactly.
    let mut seed = 0x5EED_C1F3_u64;
    let (mut still_plain, mut encrypted) = (0, 0);
    for round in 0..12 {
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        let fraction = (seed.wrapping_mul(0x2545_F491_4F6C_DD1D) % 1000) as f64 / 1000.0;
        let dir = copy_profile(template.path());
        let mut child = run(dir.path());
        std::thread::sleep(full_run.mul_f64(0.3 + 0.8 * fraction));
        // Child::kill sends SIGKILL on Unix: nothing of the conversion gets to clean up.
        let _ = child.kill();
        child.wait().unwrap();
        let header = std::fs::read(dir.path().join(DATABASE_FILE)).unwrap();
        let mut store = if header.starts_with(b"SQLite format 3\0") {
            still_plain += 1;
            DeviceStore::open(dir.path()).unwrap()
        } else {
            encrypted += 1;
            DeviceStore::open_with_pin(dir.path(), PIN)
                .unwrap_or_else(|e| panic!("round {round}: {e}"))
        };
        assert_eq!(everything(&mut store), before, "round {round}");
        drop(store);
        // And a profile left plain converts on the next try.
        let mut store = DeviceStore::open_with_pin(dir.path(), PIN).unwrap();
        assert_eq!(everything(&mut store), before, "round {round}");
    }
    eprintln!(
        "full conversion {full_run:?}; killed: {still_plain} left plain, {encrypted} encrypted"
    );
}

#[test]
fn the_pin_can_be_changed_and_only_the_new_one_opens() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DeviceStore::open_with_pin(dir.path(), PIN).unwrap();
    interview(&mut store);
    let before = everything(&mut store);

    let err = store.change_pin("999999", OTHER_PIN).unwrap_err();
    assert!(matches!(err, StoreError::WrongPin { .. }), "{err}");
    let err = store.change_pin(PIN, "12").unwrap_err();
    assert!(matches!(err, StoreError::InvalidPin(_)), "{err}");
    store.change_pin(PIN, OTHER_PIN).unwrap();
    // The open store goes on working under the new key.
    assert_eq!(everything(&mut store), before);
    drop(store);

    let err = DeviceStore::open_with_pin(dir.path(), PIN).err().unwrap();
    assert!(matches!(err, StoreError::WrongPin { .. }), "{err}");
    let mut store = DeviceStore::open_with_pin(dir.path(), OTHER_PIN).unwrap();
    assert_eq!(everything(&mut store), before);
    drop(store);
    assert_eq!(found_in_files(dir.path(), &secrets()), Vec::<String>::new());
}

#[test]
fn a_profile_without_a_pin_has_no_pin_to_change() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = DeviceStore::open(dir.path()).unwrap();
    let err = store.change_pin(PIN, OTHER_PIN).unwrap_err();
    assert!(matches!(err, StoreError::NoPinToChange), "{err}");
}

#[test]
fn unlocking_is_slow_on_purpose_yet_quick_enough() {
    let dir = tempfile::tempdir().unwrap();
    drop(DeviceStore::open_with_pin(dir.path(), PIN).unwrap());
    let started = std::time::Instant::now();
    drop(DeviceStore::open_with_pin(dir.path(), PIN).unwrap());
    let unlock = started.elapsed();
    eprintln!("unlocking with the PIN took {unlock:?}");
    // Generous bounds: other builds share this machine's two cores.
    assert!(
        unlock.as_millis() >= 100,
        "{unlock:?}: the derivation is too cheap"
    );
    assert!(unlock.as_secs() < 5, "{unlock:?}");
}
