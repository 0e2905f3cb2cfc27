//! `fieldline form check` and `fieldline form eval` as a user (and the conformance harness)
//! runs them.

use std::path::PathBuf;
use std::process::{Command, Output};

fn shared(rel: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/forms")
        .join(rel);
    p.to_string_lossy().into_owned()
}

fn fieldline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldline"))
        .args(args)
        .output()
        .expect("the fieldline binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const KAP: &str = "fieldline/safe_migration_kap.xlsx";

#[test]
fn check_prints_the_summary() {
    let out = fieldline(&["form", "check", &shared(KAP)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for needle in [
        "form_id:    safe_migration_kap",
        "version:    2026112201",
        "title:      Safe migration KAP survey",
        "English (en), Nepali (ne)",
        "repeats:    1",
        "heard_trafficking",
    ] {
        assert!(s.contains(needle), "{needle:?} in {s}");
    }
    let out = fieldline(&["form", "check", &shared(KAP), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["form_id"], "safe_migration_kap");
    assert_eq!(v["groups"], 3);
}

#[test]
fn check_lists_every_problem_and_exits_1() {
    let out = fieldline(&[
        "form",
        "check",
        &shared("public/pyxform/unknown_question_type.xls"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("Unknown question type"), "{err}");
    assert!(err.contains("sheet 'survey', row"), "{err}");
}

fn eval(answers: &str) -> (Output, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("answers.json");
    std::fs::write(&path, answers).unwrap();
    let out = fieldline(&[
        "form",
        "eval",
        &shared(KAP),
        "--answers",
        path.to_str().unwrap(),
        "--json",
    ]);
    let leaves = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    (out, leaves)
}

fn leaf<'a>(leaves: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    leaves
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["path"] == path)
        .unwrap_or_else(|| panic!("no leaf {path}"))
}

#[test]
fn eval_prints_every_leaf_in_document_order() {
    let (out, leaves) = eval(
        r#"[["consent","yes"],["age","15"],["/data/migrants[2]/m_country","qatar"],["consent","yes"]]"#,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let paths: Vec<&str> = leaves
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths[0], "/data/start");
    assert!(paths.contains(&"/data/migrants[2]/m_country"));
    assert_eq!(*paths.last().unwrap(), "/data/meta/instanceID");
    let age = leaf(&leaves, "/data/about/age");
    assert_eq!(age["value"], "15");
    assert_eq!(age["valid"], false);
    assert_eq!(age["type"], "integer");
    assert_eq!(age["message"], "Age must be 16 to 70");
    let province = leaf(&leaves, "/data/province");
    assert_eq!(province["required"], true);
    assert_eq!(province["type"], "select_one");
    let keys: Vec<&String> = province.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 9);
}

#[test]
fn eval_reports_rejected_answers_and_exits_2() {
    let (out, leaves) = eval(r#"{"province": "atlantis", "ward": "abc", "nosuch": "1"}"#);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("\"province\": invalid-value"), "{err}");
    assert!(err.contains("atlantis"), "{err}");
    assert!(err.contains("\"ward\": invalid-value"), "{err}");
    assert!(err.contains("\"nosuch\": unknown-key"), "{err}");
    // Object keys apply in the order written.
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines[0].contains("answer 0 \"province\""), "{err}");
    assert!(lines[2].contains("answer 2 \"nosuch\""), "{err}");
    // The leaves are printed anyway, as ODK's engine left them.
    assert_eq!(leaf(&leaves, "/data/province")["value"], "");
}
