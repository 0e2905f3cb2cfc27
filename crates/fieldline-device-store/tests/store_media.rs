//! A form's media files (pictures and spoken prompts) kept on the device with the form, from the
//! 0004 migration, on real SQLite files.

mod common;

use common::*;
use fieldline_device_store::payload::sha256_hex;
use fieldline_device_store::{media_files_next_to, DeviceStore, MediaFile, StoreError};

const FORM_FILE: &str = "consent_media.xlsx";

/// A consent question with a picture in English and Hindi and a spoken prompt in Hindi (via
/// `media::` headers), choices with pictures (via the `image` alias), and a question without
/// media. Uses five files: consent.png, consent-hi.png, consent-hi.mp3, yes.png, no.png.
fn media_form() -> Vec<u8> {
    xlsx(&[
        (
            "survey",
            &[
                &[
                    "type",
                    "name",
                    "label::English (en)",
                    "label::Hindi (hi)",
                    "media::image::English (en)",
                    "media::image::Hindi (hi)",
                    "media::audio::Hindi (hi)",
                ],
                &[
                    "select_one yn",
                    "consent",
                    "Do you agree to take part?",
                    "क्या आप भाग लेने के लिए सहमत हैं?",
                    "consent.png",
                    "consent-hi.png",
                    "consent-hi.mp3",
                ],
                &["text", "name", "Your name", "आपका नाम", "", "", ""],
            ],
        ),
        (
            "choices",
            &[
                &[
                    "list_name",
                    "name",
                    "label::English (en)",
                    "label::Hindi (hi)",
                    "image::English (en)",
                    "image::Hindi (hi)",
                ],
                &["yn", "yes", "Yes", "हाँ", "yes.png", "yes.png"],
                &["yn", "no", "No", "नहीं", "no.png", "no.png"],
            ],
        ),
        (
            "settings",
            &[
                &["form_id", "version", "form_title"],
                &["consent_media", "2", "Consent with pictures"],
            ],
        ),
    ])
}

fn file(name: &str, bytes: &[u8]) -> MediaFile {
    MediaFile {
        name: name.to_owned(),
        bytes: bytes.to_vec(),
    }
}

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n consent picture";
const MP3: &[u8] = b"ID3\x04 consent prompt in Hindi";

#[test]
fn import_with_media_stores_the_used_files_and_reports_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let store = DeviceStore::open(dir.path()).unwrap();
    let imported = store
        .import_form_with_media(
            FORM_FILE,
            &media_form(),
            &[
                file("consent.png", PNG),
                file("consent-hi.mp3", MP3),
                file("yes.png", b"yes picture"),
                file("notes.txt", b"not used by the form"),
                file("old-logo.png", b"not used either"),
            ],
        )
        .unwrap();
    assert_eq!(imported.form_id, "consent_media");
    assert_eq!(imported.version, "2");
    assert!(imported.newly_imported);
    assert_eq!(
        imported.media_stored,
        names(&["consent-hi.mp3", "consent.png", "yes.png"])
    );
    assert_eq!(
        imported.media_ignored,
        names(&["notes.txt", "old-logo.png"])
    );
    assert_eq!(imported.media_missing, names(&["consent-hi.png", "no.png"]));
    assert_eq!(count(dir.path(), "form_media"), 3);

    let (media_type, bytes) = store
        .form_media("consent_media", "2", "consent.png")
        .unwrap()
        .unwrap();
    assert_eq!((media_type.as_str(), bytes.as_slice()), ("image/png", PNG));
    let (media_type, bytes) = store
        .form_media("consent_media", "2", "consent-hi.mp3")
        .unwrap()
        .unwrap();
    assert_eq!((media_type.as_str(), bytes.as_slice()), ("audio/mpeg", MP3));
    // Size and hash are stored with the bytes.
    let (size, sha): (i64, String) = raw(dir.path())
        .query_row(
            "SELECT size, sha256 FROM form_media WHERE name = 'consent-hi.mp3'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((size, sha), (MP3.len() as i64, sha256_hex(MP3)));
}

#[test]
fn form_media_tells_a_missing_file_from_a_missing_form() {
    let dir = tempfile::tempdir().unwrap();
    let store = DeviceStore::open(dir.path()).unwrap();
    store.import_form(FORM_FILE, &media_form()).unwrap();
    assert_eq!(
        store
            .form_media("consent_media", "2", "consent.png")
            .unwrap(),
        None
    );
    // An ignored file is not stored either.
    store
        .import_form_with_media(FORM_FILE, &media_form(), &[file("notes.txt", b"x")])
        .unwrap();
    assert_eq!(
        store.form_media("consent_media", "2", "notes.txt").unwrap(),
        None
    );
    assert!(matches!(
        store.form_media("consent_media", "3", "consent.png"),
        Err(StoreError::UnknownForm { .. })
    ));
}

#[test]
fn import_form_without_media_reports_every_used_file_missing() {
    let dir = tempfile::tempdir().unwrap();
    let store = DeviceStore::open(dir.path()).unwrap();
    let imported = store.import_form(FORM_FILE, &media_form()).unwrap();
    assert!(imported.newly_imported);
    assert!(imported.media_stored.is_empty() && imported.media_ignored.is_empty());
    assert_eq!(
        imported.media_missing,
        names(&[
            "consent-hi.mp3",
            "consent-hi.png",
            "consent.png",
            "no.png",
            "yes.png"
        ])
    );
    assert_eq!(count(dir.path(), "form_media"), 0);
}

#[test]
fn reimporting_the_form_adds_files_that_arrive_later() {
    let dir = tempfile::tempdir().unwrap();
    let store = DeviceStore::open(dir.path()).unwrap();
    let form = media_form();
    store
        .import_form_with_media(FORM_FILE, &form, &[file("consent.png", PNG)])
        .unwrap();

    // The same folder again, now with the Hindi prompt: the picture is unchanged, the prompt
    // is added.
    let again = store
        .import_form_with_media(
            FORM_FILE,
            &form,
            &[file("consent.png", PNG), file("consent-hi.mp3", MP3)],
        )
        .unwrap();
    assert!(!again.newly_imported);
    assert_eq!(
        again.media_stored,
        names(&["consent-hi.mp3", "consent.png"])
    );
    assert_eq!(
        again.media_missing,
        names(&["consent-hi.png", "no.png", "yes.png"])
    );
    assert_eq!(count(dir.path(), "form_media"), 2);

    // Only the late files, without the ones already held.
    let last = store
        .import_form_with_media(
            FORM_FILE,
            &form,
            &[
                file("consent-hi.png", b"hindi picture"),
                file("yes.png", b"yes"),
                file("no.png", b"no"),
            ],
        )
        .unwrap();
    assert!(last.media_missing.is_empty());
    assert_eq!(count(dir.path(), "form_media"), 5);
    assert_eq!(
        store
            .form_media("consent_media", "2", "consent-hi.mp3")
            .unwrap()
            .unwrap()
            .1,
        MP3
    );
}

#[test]
fn a_different_file_under_a_stored_name_is_refused_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let store = DeviceStore::open(dir.path()).unwrap();
    let form = media_form();
    store
        .import_form_with_media(FORM_FILE, &form, &[file("consent.png", PNG)])
        .unwrap();

    let err = store
        .import_form_with_media(
            FORM_FILE,
            &form,
            &[
                // Would be added, but goes with the refused import.
                file("consent-hi.mp3", MP3),
                file("consent.png", b"a new picture"),
            ],
        )
        .unwrap_err();
    match &err {
        StoreError::MediaConflict {
            form_id,
            version,
            name,
        } => assert_eq!(
            (form_id.as_str(), version.as_str(), name.as_str()),
            ("consent_media", "2", "consent.png")
        ),
        other => panic!("{other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("consent.png"), "{message}");
    assert!(message.contains("new form version"), "{message}");

    assert_eq!(count(dir.path(), "form_media"), 1);
    assert_eq!(
        store
            .form_media("consent_media", "2", "consent.png")
            .unwrap()
            .unwrap()
            .1,
        PNG
    );
    assert_eq!(
        store
            .form_media("consent_media", "2", "consent-hi.mp3")
            .unwrap(),
        None
    );
}

#[test]
fn a_first_import_refused_for_its_media_leaves_no_form() {
    let dir = tempfile::tempdir().unwrap();
    let store = DeviceStore::open(dir.path()).unwrap();
    let err = store
        .import_form_with_media(
            FORM_FILE,
            &media_form(),
            &[file("consent.png", PNG), file("consent.png", b"another")],
        )
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::DuplicateMedia(name) if name == "consent.png"),
        "{err:?}"
    );
    assert_eq!(count(dir.path(), "form"), 0);
    assert_eq!(count(dir.path(), "form_media"), 0);
    // The same file given twice is just one file.
    let imported = store
        .import_form_with_media(
            FORM_FILE,
            &media_form(),
            &[file("consent.png", PNG), file("consent.png", PNG)],
        )
        .unwrap();
    assert_eq!(imported.media_stored, names(&["consent.png"]));
}

#[test]
fn a_stored_media_file_can_never_change() {
    let dir = tempfile::tempdir().unwrap();
    let store = DeviceStore::open(dir.path()).unwrap();
    store
        .import_form_with_media(FORM_FILE, &media_form(), &[file("consent.png", PNG)])
        .unwrap();
    let conn = raw(dir.path());
    for sql in [
        "UPDATE form_media SET bytes = x'00', size = 1",
        "UPDATE form_media SET name = 'other.png'",
        "UPDATE form_media SET media_type = 'image/gif'",
    ] {
        let err = conn.execute(sql, []).unwrap_err().to_string();
        assert!(err.contains("can never change"), "{sql}: {err}");
    }
    // The schema also refuses a size that is not the bytes'.
    let err = conn
        .execute(
            "INSERT INTO form_media (form_id, version, name, media_type, sha256, size, bytes)
             VALUES ('consent_media', '2', 'no.png', 'image/png', ?1, 5, x'00')",
            [sha256_hex(b"\0")],
        )
        .unwrap_err();
    assert!(err.to_string().contains("CHECK"), "{err}");
    assert_eq!(
        store
            .form_media("consent_media", "2", "consent.png")
            .unwrap()
            .unwrap(),
        ("image/png".to_owned(), PNG.to_vec())
    );
}

#[test]
fn media_files_next_to_reads_the_forms_media_folder() {
    let dir = tempfile::tempdir().unwrap();
    let form_path = dir.path().join(FORM_FILE);
    std::fs::write(&form_path, media_form()).unwrap();
    // No folder: no files.
    assert!(media_files_next_to(&form_path).unwrap().is_empty());

    let folder = dir.path().join("consent_media-media");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("consent.png"), PNG).unwrap();
    std::fs::write(folder.join("consent-hi.mp3"), MP3).unwrap();
    // Sub-folders are not read; another form's folder is not this one's.
    std::fs::create_dir(folder.join("old")).unwrap();
    std::fs::write(folder.join("old").join("yes.png"), b"old").unwrap();
    std::fs::create_dir(dir.path().join("other-media")).unwrap();
    std::fs::write(dir.path().join("other-media").join("no.png"), b"no").unwrap();

    let files = media_files_next_to(&form_path).unwrap();
    assert_eq!(
        files,
        vec![file("consent-hi.mp3", MP3), file("consent.png", PNG)]
    );

    // What the folder holds imports as the form's media.
    let store = DeviceStore::open(&dir.path().join("device")).unwrap();
    let imported = store
        .import_form_with_media(FORM_FILE, &std::fs::read(&form_path).unwrap(), &files)
        .unwrap();
    assert_eq!(
        imported.media_stored,
        names(&["consent-hi.mp3", "consent.png"])
    );
}

#[test]
fn list_forms_counts_the_media_files_not_on_the_device() {
    let dir = tempfile::tempdir().unwrap();
    let store = DeviceStore::open(dir.path()).unwrap();
    let kap_id = store.import_form(KAP_FILE, &kap()).unwrap().form_id;
    store
        .import_form_with_media(
            FORM_FILE,
            &media_form(),
            &[file("consent.png", PNG), file("yes.png", b"yes")],
        )
        .unwrap();
    let missing = |store: &DeviceStore| -> Vec<(String, i64)> {
        store
            .list_forms()
            .unwrap()
            .into_iter()
            .map(|f| (f.form_id, f.media_missing))
            .collect()
    };
    let mut expected = vec![("consent_media".to_owned(), 3), (kap_id, 0)];
    let mut got = missing(&store);
    got.sort();
    expected.sort();
    assert_eq!(got, expected);

    store
        .import_form_with_media(
            FORM_FILE,
            &media_form(),
            &[
                file("consent-hi.png", b"hi"),
                file("consent-hi.mp3", MP3),
                file("no.png", b"no"),
            ],
        )
        .unwrap();
    let mut got = missing(&store);
    got.sort();
    assert!(got.iter().all(|(_, n)| *n == 0), "{got:?}");
}

#[test]
fn a_form_built_twice_is_the_same_form_version_even_a_second_later() {
    // Re-importing a form is how its missing media arrive; the test workbooks must not differ by
    // their creation time, or the store rightly calls the second import a version conflict.
    let first = media_form();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert!(
        first == media_form(),
        "the workbook's bytes changed with the clock"
    );
}
