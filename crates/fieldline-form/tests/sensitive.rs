//! The `sensitive` column of the survey sheet: which answers name, reach or locate the
//! respondent, so that exports can leave them out.

mod support;

use fieldline_form::{Attachments, Form};
use support::xlsx;

const HEAD: &[&str] = &["type", "name", "label", "sensitive"];

fn load(rows: &[&[&str]]) -> Result<Form, fieldline_form::FormErrors> {
    let mut survey = vec![HEAD];
    survey.extend_from_slice(rows);
    Form::from_xlsform(&xlsx(&[("survey", &survey)]), &Attachments::new())
}

fn sensitive_names(form: &Form) -> Vec<&str> {
    form.leaves()
        .filter(|n| form.is_sensitive(n))
        .map(|n| n.name.as_str())
        .collect()
}

#[test]
fn yes_true_and_1_mark_a_field_sensitive_and_no_or_nothing_do_not() {
    let form = load(&[
        &["text", "full_name", "Name", "yes"],
        &["text", "phone", "Phone", "TRUE"],
        // A spreadsheet's number 1, as typed into the cell.
        &["geopoint", "gps", "Where", "1"],
        &["integer", "age", "Age", "no"],
        &["acknowledge", "agreed", "Agreed?", ""],
        &["text", "village", "Village", "0"],
    ])
    .unwrap();
    assert_eq!(sensitive_names(&form), ["full_name", "phone", "gps"]);
    // Read by meaning, not kept as an unknown attribute column.
    assert!(form.find("full_name").unwrap().attributes.is_empty());
}

#[test]
fn a_sensitive_group_makes_what_it_holds_sensitive() {
    let form = load(&[
        &["begin_group", "contact", "Contact", "yes"],
        &["text", "phone", "Phone", ""],
        &["begin_repeat", "relatives", "Relatives", ""],
        &["text", "relative_name", "Name", ""],
        &["end_repeat", "", "", ""],
        &["end_group", "", "", ""],
        &["integer", "age", "Age", ""],
    ])
    .unwrap();
    assert_eq!(sensitive_names(&form), ["phone", "relative_name"]);
}

#[test]
fn a_value_that_is_neither_yes_nor_no_is_an_error_naming_its_cell() {
    let errors = load(&[
        &["text", "full_name", "Name", "yes"],
        &["text", "phone", "Phone", "maybe"],
    ])
    .unwrap_err();
    let problem = errors
        .problems
        .iter()
        .find(|p| p.message.contains("sensitive"))
        .unwrap_or_else(|| panic!("no problem about the sensitive column: {errors}"));
    assert_eq!(problem.sheet, "survey");
    assert_eq!(problem.row, Some(3));
    let column = problem.column.as_ref().unwrap();
    assert_eq!(
        (column.letter.as_str(), column.header.as_str()),
        ("D", "sensitive")
    );
    assert!(problem.message.contains("'maybe'"), "{}", problem.message);
}

#[test]
fn a_definition_stored_before_the_column_existed_loads_as_not_sensitive() {
    let form = load(&[&["text", "full_name", "Name", "yes"]]).unwrap();
    let stored = serde_json::to_string(&form).unwrap();
    assert!(stored.contains(r#""sensitive":true"#), "{stored}");
    let before = stored.replace(r#","sensitive":true"#, "");
    assert!(!before.contains("sensitive"), "{before}");
    let loaded: Form = serde_json::from_str(&before).unwrap();
    assert!(sensitive_names(&loaded).is_empty());
    // And a form without sensitive fields stores no trace of the column.
    let plain = load(&[&["text", "village", "Village", ""]]).unwrap();
    assert!(!serde_json::to_string(&plain).unwrap().contains("sensitive"));
}
