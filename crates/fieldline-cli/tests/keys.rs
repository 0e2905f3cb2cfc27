//! `fieldline keys new` and `fieldline admin campaign create --encrypt-to`: the manager's key
//! pair made safely, and only public keys accepted by the server.

use std::path::Path;
use std::process::{Command, Output};

fn fieldline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldline"))
        .args(args)
        .env_remove("FIELDLINE_DB")
        .env("FIELDLINE_LOG", "warn")
        .output()
        .expect("the fieldline binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn new_keys(dir: &Path) -> Output {
    fieldline(&["keys", "new", "--out", &dir.display().to_string()])
}

#[test]
fn a_key_pair_is_written_private_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let out = new_keys(&keys);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let recipient = std::fs::read_to_string(keys.join("fieldline-recipient.txt")).unwrap();
    assert_eq!(text(&out.stdout), recipient);
    assert!(recipient.starts_with("age1"));
    let identity = std::fs::read_to_string(keys.join("fieldline-identity.txt")).unwrap();
    assert!(identity.contains("AGE-SECRET-KEY-1"));
    assert!(
        identity.contains(recipient.trim()),
        "the public key is noted"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(keys.join("fieldline-identity.txt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the identity is readable by its owner only"
        );
    }
    let again = new_keys(&keys);
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("never overwritten"));
    assert_eq!(
        std::fs::read_to_string(keys.join("fieldline-identity.txt")).unwrap(),
        identity
    );
}

#[test]
fn a_campaign_is_encrypted_to_public_keys_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("server.sqlite3").display());
    let admin = |args: &[&str]| {
        let mut all = vec!["admin", "--db", &db];
        all.extend_from_slice(args);
        fieldline(&all)
    };
    let owner = text(&admin(&["org", "create", "Office"]).stdout);
    let owner = owner.trim();
    let manager = dir.path().join("manager");
    let escrow = dir.path().join("escrow");
    new_keys(&manager);
    new_keys(&escrow);
    let create = |name: &str, files: &[&Path]| {
        let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        let mut args = vec!["campaign", "create", "--owner", owner, "--name", name];
        for file in &files {
            args.extend(["--encrypt-to", file.as_str()]);
        }
        admin(&args)
    };

    // The private key where the public one belongs is refused, and no campaign is made.
    let out = create("Leaky", &[&manager.join("fieldline-identity.txt")]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("holds a private key"),
        "{}",
        text(&out.stderr)
    );
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "# the manager\nage1notakey\n").unwrap();
    let out = create("Garbled", &[&bad]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("line 2"),
        "{}",
        text(&out.stderr)
    );
    // Neither campaign was made: their names are still free.
    for name in ["Leaky", "Garbled"] {
        let out = create(name, &[&manager.join("fieldline-recipient.txt")]);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
    }

    // Two holders: the manager and an escrow key.
    let out = create(
        "Sealed",
        &[
            &manager.join("fieldline-recipient.txt"),
            &escrow.join("fieldline-recipient.txt"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The upload is in the audit log, with the public keys it stored.
    let audit = text(&admin(&["audit"]).stdout);
    let recipient = std::fs::read_to_string(escrow.join("fieldline-recipient.txt")).unwrap();
    assert!(
        audit.contains("2 encryption key(s) for Sealed") && audit.contains(recipient.trim()),
        "{audit}"
    );
}
