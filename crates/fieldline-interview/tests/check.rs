//! Checking a received submission's values with the engine, on the campaign's own form.

mod support;

use fieldline_form::instance::Instance;
use fieldline_interview::{apply, check_submission, Action};
use support::{facts, kap};

/// The values a device sends after these answers: the engine's submission, as the device store
/// writes it into the payload.
fn interview(answers: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut inst = Instance::from_plan(kap(), facts().environment());
    for (path, value) in answers {
        let action = if let Some(repeat) = path.strip_prefix('+') {
            Action::AddRepeat {
                path: repeat.into(),
            }
        } else {
            Action::Set {
                path: (*path).into(),
                value: (*value).into(),
            }
        };
        apply(&mut inst, &action).unwrap();
    }
    inst.finalize_time(1_795_625_000_000.0);
    inst.submission()
        .into_iter()
        .map(|v| (v.path, v.value))
        .collect()
}

const FULL: &[(&str, &str)] = &[
    ("province", "koshi"),
    ("municipality", "dharan"),
    ("ward", "7"),
    ("consent", "yes"),
    ("gender", "woman"),
    ("age", "34"),
    ("education", "secondary"),
    ("heard_trafficking", "yes"),
    ("channels", "radio other"),
    ("channels_other", "a neighbour"),
    ("knows_hotline", "yes"),
    ("hotline", "1145"),
    ("before_leaving", "check_agency read_contract"),
    ("view_debt", "2"),
    ("view_report", "5"),
    ("/data/migrants[1]/m_relation", "brother"),
    ("/data/migrants[1]/m_country", "qatar"),
    ("/data/migrants[1]/m_contract", "no"),
    ("+/data/migrants", ""),
    ("/data/migrants[2]/m_relation", "sister"),
    ("/data/migrants[2]/m_country", "malaysia"),
    ("/data/migrants[2]/m_contract", "yes"),
];

fn full() -> Vec<(String, String)> {
    interview(FULL)
}

fn with(values: &[(String, String)], path: &str, value: &str) -> Vec<(String, String)> {
    let mut out = values.to_vec();
    match out.iter_mut().find(|(p, _)| p == path) {
        Some(entry) => entry.1 = value.into(),
        None => out.push((path.into(), value.into())),
    }
    out
}

fn without(values: &[(String, String)], path: &str) -> Vec<(String, String)> {
    values.iter().filter(|(p, _)| p != path).cloned().collect()
}

#[test]
fn a_full_interview_passes() {
    let values = full();
    assert!(values
        .iter()
        .any(|(p, _)| p == "/data/migrants[2]/m_contract"));
    assert_eq!(check_submission(kap(), &values), Ok(()));
}

#[test]
fn a_refusal_with_the_roster_removed_passes() {
    let values = interview(&[
        ("province", "madhesh"),
        ("municipality", "janakpur"),
        ("ward", "3"),
        ("consent", "no"),
    ]);
    assert_eq!(check_submission(kap(), &values), Ok(()));

    // A respondent with nobody abroad: the roster's first instance removed on the device.
    let mut inst = Instance::from_plan(kap(), facts().environment());
    for (path, value) in &FULL[..15] {
        apply(
            &mut inst,
            &Action::Set {
                path: (*path).into(),
                value: (*value).into(),
            },
        )
        .unwrap();
    }
    apply(
        &mut inst,
        &Action::RemoveRepeat {
            path: "/data/migrants[1]".into(),
        },
    )
    .unwrap();
    let values: Vec<(String, String)> = inst
        .submission()
        .into_iter()
        .map(|v| (v.path, v.value))
        .collect();
    assert!(!values.iter().any(|(p, _)| p.contains("migrants")));
    assert_eq!(check_submission(kap(), &values), Ok(()));
}

#[test]
fn a_missing_required_answer_is_refused_naming_the_question() {
    let values = without(&full(), "/data/about/age");
    let reason = check_submission(kap(), &values).unwrap_err();
    assert!(reason.contains("/data/about/age"), "{reason}");
    assert!(reason.contains("required"), "{reason}");

    // Sent empty, as the engine would write an unanswered question.
    let values = with(&full(), "/data/migrants[2]/m_relation", "");
    let reason = check_submission(kap(), &values).unwrap_err();
    assert!(reason.contains("/data/migrants[2]/m_relation"), "{reason}");
}

#[test]
fn a_violated_constraint_is_refused_naming_the_question_and_its_message() {
    let values = with(&full(), "/data/about/age", "12");
    let reason = check_submission(kap(), &values).unwrap_err();
    assert!(reason.contains("/data/about/age"), "{reason}");
    assert!(reason.contains("Age must be 16 to 70"), "{reason}");

    let values = with(&full(), "/data/know/channels", "radio dont_know");
    let reason = check_submission(kap(), &values).unwrap_err();
    assert!(reason.contains("/data/know/channels"), "{reason}");
}

#[test]
fn an_unknown_path_is_refused_naming_it() {
    let values = with(&full(), "/data/about/salary", "100");
    let reason = check_submission(kap(), &values).unwrap_err();
    assert!(reason.contains("/data/about/salary"), "{reason}");

    let values = with(&full(), "age", "30");
    let reason = check_submission(kap(), &values).unwrap_err();
    assert!(reason.contains("age"), "{reason}");
}

#[test]
fn a_value_the_question_cannot_take_is_refused_naming_it() {
    let values = with(&full(), "/data/about/gender", "robot");
    let reason = check_submission(kap(), &values).unwrap_err();
    assert!(reason.contains("/data/about/gender"), "{reason}");
    let values = with(&full(), "/data/ward", "seven");
    let reason = check_submission(kap(), &values).unwrap_err();
    assert!(reason.contains("/data/ward"), "{reason}");
}

#[test]
fn a_value_for_a_question_not_asked_is_refused_naming_it() {
    // No hotline known, yet a hotline number sent.
    let values = interview(
        &FULL
            .iter()
            .map(|&(p, v)| {
                if p == "knows_hotline" {
                    (p, "no")
                } else {
                    (p, v)
                }
            })
            .filter(|&(p, _)| p != "hotline")
            .collect::<Vec<_>>(),
    );
    assert_eq!(check_submission(kap(), &values), Ok(()));
    let values = with(&values, "/data/know/hotline", "1145");
    let reason = check_submission(kap(), &values).unwrap_err();
    assert!(reason.contains("/data/know/hotline"), "{reason}");
    assert!(reason.contains("not asked"), "{reason}");
}

#[test]
fn computed_values_are_left_to_the_engine() {
    // A calculation's value as sent is not taken: the engine computes its own.
    let values = with(&full(), "/data/n_without_contract", "99");
    assert_eq!(check_submission(kap(), &values), Ok(()));
}
