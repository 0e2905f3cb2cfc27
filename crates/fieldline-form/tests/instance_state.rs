//! The instance model's per-node state: relevance, required, read-only, constraints and
//! messages, typed values, choices, submission.

mod support;

use fieldline_form::instance::{AnswerError, ProblemKind, SetError};
use support::{answer, instance, node, shared, value};

const KAP: &str = "fieldline/safe_migration_kap.xlsx";

#[test]
fn relevance_cascades_through_groups_and_values() {
    let mut i = shared(KAP);
    let gender = node(&mut i, "gender");
    // `about` is relevant only with consent; its questions inherit that.
    assert!(!i.is_relevant(gender));
    answer(&mut i, &[("consent", "yes")]);
    assert!(i.is_relevant(gender));
    answer(
        &mut i,
        &[("heard_trafficking", "yes"), ("channels", "other radio")],
    );
    let other = node(&mut i, "channels_other");
    assert!(i.is_relevant(other));
    // channels becomes non-relevant, reads "", so channels_other's relevance falls too.
    answer(&mut i, &[("heard_trafficking", "no")]);
    assert!(!i.is_relevant(other));
    answer(&mut i, &[("consent", "no")]);
    assert!(!i.is_relevant(gender));
}

#[test]
fn required_questions_block_finalizing_in_document_order() {
    let mut i = shared(KAP);
    let problem = i.first_problem(None).expect("province is required");
    assert_eq!(problem.path, "/data/province");
    assert_eq!(problem.kind, ProblemKind::Required);
    let province = node(&mut i, "province");
    assert!(i.is_required(province));
    answer(&mut i, &[("province", "koshi"), ("municipality", "dharan")]);
    assert_eq!(i.first_problem(None).unwrap().path, "/data/ward");
    answer(&mut i, &[("ward", "99")]);
    let p = i.first_problem(None).unwrap();
    assert_eq!(
        (p.path.as_str(), p.kind),
        ("/data/ward", ProblemKind::Constraint)
    );
    assert_eq!(p.message, "Ward numbers run from 1 to 35");
}

#[test]
fn read_only_nodes_refuse_writes() {
    let mut i = instance(&[(
        "survey",
        &[
            &["type", "name", "label", "read_only", "calculation"],
            &["text", "fixed", "Fixed", "yes", ""],
            &["begin_group", "g", "G", "yes", ""],
            &["text", "inner", "Inner", "", ""],
            &["end_group", "", "", "", ""],
            &["text", "free", "Free", "", ""],
            &["calculate", "calc", "", "", "1 + 1"],
        ],
    )]);
    let fixed = node(&mut i, "fixed");
    assert!(i.is_readonly(fixed));
    assert!(matches!(
        i.set_value(fixed, "x"),
        Err(SetError::ReadOnly { ref path }) if path == "/data/fixed"
    ));
    assert_eq!(i.value(fixed), "");
    // Read-only is inherited from the group.
    let inner = node(&mut i, "inner");
    assert!(i.is_readonly(inner));
    assert!(matches!(
        i.set_value(inner, "x"),
        Err(SetError::ReadOnly { .. })
    ));
    let calc = node(&mut i, "calc");
    assert!(matches!(
        i.set_answer("calc", "3"),
        Err(AnswerError::Set(SetError::NotSettable { .. }))
    ));
    assert_eq!(i.value(calc), "2");
    answer(&mut i, &[("free", "ok")]);
}

#[test]
fn constraint_messages_in_two_languages() {
    let mut i = instance(&[
        (
            "survey",
            &[
                &[
                    "type",
                    "name",
                    "label::English (en)",
                    "label::French (fr)",
                    "constraint",
                    "constraint_message::English (en)",
                    "constraint_message::French (fr)",
                    "required",
                    "required_message::English (en)",
                    "required_message::French (fr)",
                ],
                &[
                    "integer",
                    "age",
                    "Age",
                    "Âge",
                    ". >= 18",
                    "Too young",
                    "Trop jeune",
                    "yes",
                    "Please answer",
                    "Répondez",
                ],
            ],
        ),
        ("settings", &[&["default_language"], &["English (en)"]]),
    ]);
    let age = node(&mut i, "age");
    assert!(i.is_valid(age), "an empty value is valid");
    assert_eq!(i.message(age, None).as_deref(), Some("Please answer"));
    assert_eq!(
        i.message(age, Some("French (fr)")).as_deref(),
        Some("Répondez")
    );
    answer(&mut i, &[("age", "10")]);
    assert!(!i.is_valid(age));
    assert_eq!(
        i.message(age, Some("English (en)")).as_deref(),
        Some("Too young")
    );
    assert_eq!(
        i.message(age, Some("French (fr)")).as_deref(),
        Some("Trop jeune")
    );
    answer(&mut i, &[("age", "30")]);
    assert!(i.is_valid(age));
    assert_eq!(i.message(age, None), None);
}

#[test]
fn messages_fall_back_to_the_default_language() {
    let mut i = shared(KAP);
    answer(&mut i, &[("consent", "yes"), ("age", "15")]);
    let age = node(&mut i, "age");
    // The Nepali column has no constraint message for age.
    assert_eq!(
        i.message(age, Some("Nepali (ne)")).as_deref(),
        Some("Age must be 16 to 70")
    );
}

#[test]
fn values_are_stored_as_odk_types_them() {
    let mut i = instance(&[
        (
            "survey",
            &[
                &["type", "name", "label"],
                &["decimal", "d", "D"],
                &["integer", "n", "N"],
                &["date", "day", "Day"],
                &["geopoint", "gps", "Where"],
                &["select_multiple colors", "colors", "Colors"],
                &["select_one colors", "color", "Color"],
            ],
        ),
        (
            "choices",
            &[
                &["list_name", "name", "label"],
                &["colors", "red", "Red"],
                &["colors", "green", "Green"],
                &["colors", "blue", "Blue"],
            ],
        ),
    ]);
    answer(
        &mut i,
        &[
            ("d", "10"),
            ("n", "07"),
            ("gps", "1 2 3 4"),
            ("colors", "blue red red"),
            ("day", "2024-02-29"),
        ],
    );
    assert_eq!(value(&mut i, "d"), "10.0");
    assert_eq!(value(&mut i, "n"), "7");
    assert_eq!(value(&mut i, "gps"), "1.0 2.0 3.0 4.0");
    assert_eq!(value(&mut i, "colors"), "red blue");
    // Wrong values are refused and leave the state unchanged...
    let n = node(&mut i, "n");
    let err = i.set_value(n, "3.7").unwrap_err();
    assert!(err.to_string().contains("/data/n"), "{err}");
    assert_eq!(i.value(n), "7");
    assert!(i.set_answer("day", "2023-02-29").is_err());
    assert!(i.set_answer("color", "purple").is_err());
    assert_eq!(value(&mut i, "color"), "");
    let colors = node(&mut i, "colors");
    assert!(i.set_value(colors, "red purple").is_err());
    assert_eq!(i.value(colors), "red blue");
    // ...unless replayed the way ODK takes them (truncated, unknown choices dropped).
    assert!(i.set_value_as_odk(n, "3.7").is_err());
    assert_eq!(i.value(n), "3");
    assert!(i.set_value_as_odk(colors, "green purple").is_err());
    assert_eq!(i.value(colors), "green");
}

#[test]
fn non_relevant_values_are_kept_but_not_submitted() {
    let mut i = shared(KAP);
    answer(
        &mut i,
        &[
            ("consent", "yes"),
            ("knows_hotline", "yes"),
            ("hotline", "1145"),
        ],
    );
    let hotline = node(&mut i, "hotline");
    let submitted = |i: &fieldline_form::instance::Instance| {
        i.submission()
            .into_iter()
            .find(|v| v.path == "/data/know/hotline")
            .map(|v| v.value)
    };
    assert_eq!(submitted(&i).as_deref(), Some("1145"));
    answer(&mut i, &[("knows_hotline", "no")]);
    assert_eq!(i.value(hotline), "");
    assert_eq!(i.kept_value(hotline), "1145");
    assert_eq!(submitted(&i), None);
    answer(&mut i, &[("knows_hotline", "yes")]);
    assert_eq!(i.value(hotline), "1145");
    // Submission values are in document order with repeat positions.
    answer(&mut i, &[("/data/migrants[2]/m_relation", "son")]);
    let paths: Vec<String> = i.submission().into_iter().map(|v| v.path).collect();
    let at = |p: &str| paths.iter().position(|x| x == p).unwrap();
    assert!(at("/data/migrants[1]/m_relation") < at("/data/migrants[2]/m_relation"));
    assert!(at("/data/know/hotline") < at("/data/migrants[1]/m_relation"));
}

#[test]
fn cascading_select_offers_only_matching_choices() {
    let mut i = shared(KAP);
    let municipality = node(&mut i, "municipality");
    answer(&mut i, &[("province", "koshi")]);
    let names: Vec<String> = i
        .choices(municipality, None)
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["biratnagar", "dharan"]);
    let nepali = i.choices(municipality, Some("Nepali (ne)"));
    assert_eq!(nepali[1].label, "धरान");
    assert_eq!(
        i.choices(municipality, Some("English (en)"))[1].label,
        "Dharan"
    );
    answer(&mut i, &[("municipality", "dharan")]);
    // Another province: dharan is no longer offered, so the value reads "" (as in ODK)...
    answer(&mut i, &[("province", "madhesh")]);
    assert_eq!(i.value(municipality), "");
    assert!(i.set_value(municipality, "dharan").is_err());
    // ...and comes back with its province.
    answer(&mut i, &[("province", "koshi")]);
    assert_eq!(i.value(municipality), "dharan");
}

#[test]
fn ranges_store_nothing_outside_their_bounds() {
    let mut i = instance(&[(
        "survey",
        &[
            &["type", "name", "label", "parameters"],
            &["range", "r", "R", "start=1 end=5 step=1"],
            &["range", "half", "Half", "start=0 end=1 step=0.5"],
        ],
    )]);
    answer(&mut i, &[("r", "3"), ("half", "0.5")]);
    assert_eq!(value(&mut i, "half"), "0.5");
    let r = node(&mut i, "r");
    assert!(i.set_value(r, "9").is_err());
    assert_eq!(i.value(r), "3");
    assert!(i.set_value_as_odk(r, "0").is_err());
    assert_eq!(i.value(r), "");
}

#[test]
fn odk_messages_show_pyxforms_dash_for_a_missing_language() {
    let mut i = shared(KAP);
    answer(&mut i, &[("consent", "yes"), ("age", "15")]);
    let leaves = i.leaves_as_odk("Nepali (ne)");
    let age = leaves.iter().find(|l| l.name == "age").unwrap();
    assert_eq!(age.message, "-");
    let leaves = i.leaves(Some("Nepali (ne)"));
    let age = leaves.iter().find(|l| l.name == "age").unwrap();
    assert_eq!(age.message, "Age must be 16 to 70");
}
