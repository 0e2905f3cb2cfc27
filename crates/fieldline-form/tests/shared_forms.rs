//! Every form in the shared collection loads, or is refused as pyxform refuses it
//! (SOURCES.md), and the loaded forms' instance trees match the XForms pyxform produced.

use std::path::{Path, PathBuf};

use fieldline_form::{Attachments, Form, FormErrors, NodeKind};

fn shared_forms() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/forms")
}

fn workbooks() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if matches!(p.extension().and_then(|e| e.to_str()), Some("xls" | "xlsx")) {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&shared_forms(), &mut out);
    out
}

/// Forms pyxform refuses, with (a part of) the message and the row Fieldline must report.
const REFUSED: &[(&str, &str, Option<u32>)] = &[
    (
        "calculate_without_calculation.xls",
        "Missing calculation.",
        Some(34),
    ),
    ("duplicate_columns.xlsx", "Duplicate column header: label", Some(1)),
    ("group_name_test.xls", "Question or group with no name.", Some(3)),
    ("include.xls", "include", None),
    ("include.xlsx", "include", None),
    ("include_json.xls", "include", None),
    ("include_json.xlsx", "include", None),
    // Not refused by pyxform (it skips ODK Validate), but its calculation is prose, which no
    // engine can evaluate: Fieldline refuses it as an unparsable expression, with a caret.
    (
        "bad_calc.xlsx",
        "the expression could not be read",
        Some(2),
    ),
    (
        "unknown_question_type.xls",
        "Headers that are different names for the same column were found: 'bind:relevant', 'relevance'",
        Some(1),
    ),
];

fn load(path: &Path) -> Result<Form, FormErrors> {
    let bytes = std::fs::read(path).unwrap();
    let name = path.file_name().unwrap().to_str().unwrap();
    Form::from_xlsform_named(name, &bytes, &Attachments::new())
}

#[test]
fn every_shared_form_loads_or_is_refused_as_pyxform_does() {
    let books = workbooks();
    assert!(books.len() >= 50, "found only {} workbooks", books.len());
    let mut failures = Vec::new();
    for path in &books {
        let name = path.file_name().unwrap().to_str().unwrap();
        let result = load(path);
        let expected = REFUSED.iter().find(|(f, _, _)| *f == name);
        match (result, expected) {
            (Ok(_), None) => {}
            (Err(e), None) if name == "pull_data.xlsx" => {
                if !(e.mentions("pulldata()") && e.mentions("fruits.csv")) {
                    failures.push(format!("{name}: refused without naming pulldata: {e}"));
                }
            }
            (Err(e), None) => failures.push(format!("{name}: should load but:\n{e}")),
            (Ok(_), Some(_)) => failures.push(format!("{name}: should be refused")),
            (Err(e), Some((_, msg, row))) => {
                let hit = e
                    .problems
                    .iter()
                    .find(|p| p.message.contains(msg) && (row.is_none() || p.row == *row));
                if hit.is_none() {
                    failures.push(format!(
                        "{name}: expected '{msg}' at row {row:?}, got:\n{e}"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Element paths of the primary instance in document order, skipping repeat templates.
fn xform_instance(xml: &str) -> (String, Option<String>, Option<String>, Vec<String>) {
    let doc = roxmltree::Document::parse(xml).unwrap();
    let instance = doc
        .descendants()
        .find(|n| n.has_tag_name("instance") && n.attribute("id").is_none())
        .expect("primary instance");
    let root = instance.children().find(|n| n.is_element()).unwrap();
    fn walk(n: roxmltree::Node, prefix: &str, out: &mut Vec<String>) {
        for c in n.children().filter(|c| c.is_element()) {
            let template = c
                .attributes()
                .any(|a| a.name() == "template" && a.namespace().is_some());
            if template {
                continue;
            }
            let path = format!("{prefix}/{}", c.tag_name().name());
            out.push(path.clone());
            walk(c, &path, out);
        }
    }
    let name = root.tag_name().name().to_string();
    let mut paths = Vec::new();
    walk(root, &format!("/{name}"), &mut paths);
    (
        name,
        root.attribute("id").map(str::to_string),
        root.attribute("version").map(str::to_string),
        paths,
    )
}

#[test]
fn instance_trees_match_pyxform_xforms() {
    let xforms = shared_forms().join("public/xform");
    let mut compared = 0;
    let mut failures = Vec::new();
    for path in workbooks() {
        let stem = path.file_stem().unwrap().to_str().unwrap();
        let xml_path = xforms.join(format!("{stem}.xml"));
        let Ok(xml) = std::fs::read_to_string(&xml_path) else {
            continue;
        };
        let Ok(form) = load(&path) else {
            continue;
        };
        // Two fixtures share this stem; the shared XForm was made from the .xlsx one.
        if path.file_name().unwrap() == "extra_columns.xls" {
            continue;
        }
        let (root, id, version, expected) = xform_instance(&xml);
        let actual: Vec<String> = form
            .nodes
            .iter()
            .filter(|n| n.kind != NodeKind::Root && n.in_instance)
            .map(|n| n.path.clone())
            .collect();
        compared += 1;
        if root != form.root().name {
            failures.push(format!("{stem}: root {root} vs {}", form.root().name));
        }
        if id.as_deref() != Some(form.settings.form_id.as_str()) {
            failures.push(format!("{stem}: id {id:?} vs {}", form.settings.form_id));
        }
        if version != form.settings.version {
            failures.push(format!(
                "{stem}: version {version:?} vs {:?}",
                form.settings.version
            ));
        }
        if actual != expected {
            let first = actual
                .iter()
                .zip(&expected)
                .position(|(a, e)| a != e)
                .unwrap_or(actual.len().min(expected.len()));
            failures.push(format!(
                "{stem}: paths differ at #{first}: ours {:?} pyxform {:?} ({} vs {} nodes)",
                actual.get(first),
                expected.get(first),
                actual.len(),
                expected.len()
            ));
        }
    }
    assert!(compared >= 40, "compared only {compared} forms");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn fieldline_kap_form_summary_and_serde_round_trip() {
    let path = shared_forms().join("fieldline/safe_migration_kap.xlsx");
    let form = load(&path).unwrap();
    let s = form.summary();
    assert_eq!(s.form_id, "safe_migration_kap");
    assert_eq!(s.version.as_deref(), Some("2026112201"));
    assert_eq!(s.title, "Safe migration KAP survey");
    assert!(s.languages.len() >= 2, "{:?}", s.languages);
    assert_eq!(s.repeats, 1);
    assert!(!s.indicators.is_empty());
    let json = serde_json::to_string(&form).unwrap();
    let back: Form = serde_json::from_str(&json).unwrap();
    assert_eq!(back, form);
}

#[test]
fn legacy_xls_named_xlsx_is_read_by_content() {
    let path =
        shared_forms().join("public/odk-web-forms/ifrc-distribution-site-assessment-v1.xlsx");
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        fieldline_form::detect_format(&bytes),
        Some(fieldline_form::Format::Xls)
    );
    let form = load(&path).unwrap();
    assert!(form.leaves().count() > 20);
}
