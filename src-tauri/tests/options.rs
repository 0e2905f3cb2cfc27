//! `fieldline-app`'s command line, as a launcher or a test harness uses it. Options are parsed
//! before any window opens, so these run without a display.

use std::process::Command;

fn app(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fieldline-app"))
        .args(args)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("the fieldline-app binary runs")
}

#[test]
fn help_names_the_profile_directory_and_server_options() {
    let out = app(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--data-dir <DIR>"), "{help}");
    assert!(help.contains("--server <URL>"), "{help}");
}

#[test]
fn prints_its_version() {
    let out = app(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("fieldline-app {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn refuses_an_unknown_option_before_opening_anything() {
    let out = app(&["--no-such-option"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--no-such-option"), "{err}");
}
