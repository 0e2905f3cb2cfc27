//! The `fieldline` binary as a user runs it.

use std::process::Command;

fn fieldline(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fieldline"))
        .args(args)
        .output()
        .expect("the fieldline binary runs")
}

#[test]
fn prints_its_version() {
    let out = fieldline(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("fieldline {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help_lists_the_commands() {
    let out = fieldline(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("serve"), "{help}");
    assert!(help.contains("baseline and endline"), "{help}");
}

#[test]
fn serve_refuses_an_unknown_database_url_and_says_what_to_use() {
    let dir = tempfile::tempdir().unwrap();
    let out = fieldline(&[
        "serve",
        "--db",
        "mysql://localhost/x",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("use sqlite:PATH"), "{err}");
}
