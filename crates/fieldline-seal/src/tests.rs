use super::*;

fn binding(instance: &str) -> Binding {
    Binding {
        instance_id: instance.into(),
        form_id: "safe_migration_kap".into(),
        form_version: "2026112201".into(),
    }
}

fn contents() -> Contents {
    Contents {
        payload:
            br#"{"values":[["/data/know/heard_trafficking","yes"],["/data/name","Sunita Devi"]]}"#
                .to_vec(),
        files: vec![
            SealedFile {
                name: "audit.csv".into(),
                media_type: "text/csv".into(),
                bytes: b"event,node,start\nform start,,1\n".to_vec(),
            },
            SealedFile {
                name: "photo.jpg".into(),
                media_type: "image/jpeg".into(),
                bytes: (0..=255u8).cycle().take(10_000).collect(),
            },
        ],
    }
}

fn pair() -> (Identity, Recipients) {
    let keys = new_key_pair("2026-11-25");
    (
        Identity::parse(&keys.identity_file).unwrap(),
        Recipients::parse(&keys.recipient).unwrap(),
    )
}

#[test]
fn a_sealed_submission_opens_to_its_exact_contents_and_holds_no_plaintext() {
    let (identity, recipients) = pair();
    let sealed = seal(&recipients, &binding("uuid:1"), &contents()).unwrap();
    assert!(sealed.starts_with(b"age-encryption.org/v1\n"));
    for needle in [
        &b"Sunita"[..],
        b"heard_trafficking",
        b"uuid:1",
        b"audit.csv",
    ] {
        assert!(
            !sealed.windows(needle.len()).any(|w| w == needle),
            "{:?} is readable in the ciphertext",
            String::from_utf8_lossy(needle)
        );
    }
    assert_eq!(
        open(&identity, &binding("uuid:1"), &sealed).unwrap(),
        contents()
    );
    // Sealing is randomised: the same answers never give the same bytes twice.
    assert_ne!(
        sealed,
        seal(&recipients, &binding("uuid:1"), &contents()).unwrap()
    );
}

#[test]
fn every_recipient_opens_it_and_nobody_else() {
    let (manager, manager_key) = pair();
    let (escrow, escrow_key) = pair();
    let (stranger, _) = pair();
    let both = Recipients::parse(&format!(
        "# the manager\n{}\n\n# the escrow holder\n{}\n",
        manager_key.keys()[0],
        escrow_key.keys()[0]
    ))
    .unwrap();
    assert_eq!(both.keys().len(), 2);
    let sealed = seal(&both, &binding("uuid:2"), &contents()).unwrap();
    for identity in [&manager, &escrow] {
        assert_eq!(
            open(identity, &binding("uuid:2"), &sealed).unwrap(),
            contents()
        );
    }
    assert_eq!(
        open(&stranger, &binding("uuid:2"), &sealed),
        Err(SealError::NotForThisKey)
    );
}

#[test]
fn a_ciphertext_found_under_another_name_is_refused() {
    let (identity, recipients) = pair();
    let sealed = seal(&recipients, &binding("uuid:3"), &contents()).unwrap();
    let err = open(&identity, &binding("uuid:4"), &sealed).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the sealed submission says it is uuid:3 of form safe_migration_kap version 2026112201, \
         but it arrived as uuid:4 of form safe_migration_kap version 2026112201: refused"
    );
    let mut other_version = binding("uuid:3");
    other_version.form_version = "2026112202".into();
    assert!(matches!(
        open(&identity, &other_version, &sealed),
        Err(SealError::Mismatch { .. })
    ));
}

#[test]
fn a_changed_byte_is_detected() {
    let (identity, recipients) = pair();
    let sealed = seal(&recipients, &binding("uuid:5"), &contents()).unwrap();
    for at in [30, sealed.len() / 2, sealed.len() - 1] {
        let mut tampered = sealed.clone();
        tampered[at] ^= 0x01;
        assert!(
            matches!(
                open(&identity, &binding("uuid:5"), &tampered),
                Err(SealError::Damaged(_) | SealError::NotForThisKey)
            ),
            "a flipped bit at {at} went unnoticed"
        );
    }
    assert!(matches!(
        open(&identity, &binding("uuid:5"), b"not age at all"),
        Err(SealError::Damaged(_))
    ));
}

#[test]
fn keys_are_read_with_clear_errors() {
    let keys = new_key_pair("2026-11-25");
    assert!(keys.recipient.starts_with("age1"));
    assert!(keys.identity_file.contains(&keys.recipient));
    let identity = Identity::parse(&keys.identity_file).unwrap();
    assert_eq!(identity.recipient(), keys.recipient);

    let err = Recipients::parse(&format!("{}\nage1notakey\n", keys.recipient)).unwrap_err();
    assert!(
        matches!(err, SealError::BadRecipient { line: 2, .. }),
        "{err}"
    );
    assert_eq!(
        Recipients::parse("# only a comment\n\n").unwrap_err(),
        SealError::NoRecipients
    );
    // The public key where the private one belongs.
    assert!(matches!(
        Identity::parse(&keys.recipient),
        Err(SealError::BadIdentity(_))
    ));
    assert!(matches!(
        Identity::parse("# nothing\n"),
        Err(SealError::BadIdentity(_))
    ));
}

#[test]
fn a_compression_bomb_inside_the_encryption_is_refused() {
    let (identity, recipients) = pair();
    // What a hostile holder of the public key could send: a header claiming a small payload,
    // followed by far more bytes than any submission holds once inflated.
    let header = Header {
        format: FORMAT,
        binding: binding("uuid:6"),
        payload: 1,
        files: Vec::new(),
    };
    let mut compressor = DeflateEncoder::new(Vec::new(), Compression::best());
    serde_json::to_writer(&mut compressor, &header).unwrap();
    compressor.write_all(b"\n").unwrap();
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..=(MAX_OPENED_BYTES / zeros.len() as u64) {
        compressor.write_all(&zeros).unwrap();
    }
    let compressed = compressor.finish().unwrap();
    assert!(compressed.len() < 1024 * 1024, "{}", compressed.len());
    let encryptor =
        age::Encryptor::with_recipients(recipients.keys.iter().map(|k| k as &dyn age::Recipient))
            .unwrap();
    let mut sealed = Vec::new();
    let mut writer = encryptor.wrap_output(&mut sealed).unwrap();
    writer.write_all(&compressed).unwrap();
    writer.finish().unwrap();
    assert_eq!(
        open(&identity, &binding("uuid:6"), &sealed),
        Err(SealError::TooLarge)
    );
}

#[test]
fn sha256_is_lowercase_hex() {
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}
