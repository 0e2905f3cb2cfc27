//! Calculations: topological order, recomputing only dependents, triggers, dynamic defaults,
//! once(), jr:choice-name, metadata.

mod support;

use support::{answer, instance, shared, value};

#[test]
fn calculation_chains_run_once_each_in_dependency_order() {
    // Written in reverse: c reads b, b reads a.
    let mut i = instance(&[(
        "survey",
        &[
            &["type", "name", "label", "calculation"],
            &["calculate", "c", "", "${b} * 2"],
            &["calculate", "b", "", "${a} + 1"],
            &["integer", "a", "A", ""],
            &["calculate", "other", "", "${z} + 1"],
            &["integer", "z", "Z", ""],
        ],
    )]);
    let before = i.evaluations();
    answer(&mut i, &[("a", "1")]);
    assert_eq!(value(&mut i, "b"), "2");
    assert_eq!(value(&mut i, "c"), "4");
    // b then c, each once; `other` is not touched.
    assert_eq!(i.evaluations() - before, 2);
}

#[test]
fn an_answer_recomputes_only_its_dependents_on_a_large_form() {
    let mut i = shared("public/odk-web-forms/whova_form.xlsx");
    let at_creation = i.evaluations();
    assert!(at_creation > 1000, "{at_creation}");
    let before = i.evaluations();
    answer(&mut i, &[("Id10007", "Asha")]);
    let used = i.evaluations() - before;
    assert!(used <= 5, "{used} computations for one name answer");
}

#[test]
fn trigger_recomputes_only_when_its_trigger_changes() {
    let mut i = instance(&[(
        "survey",
        &[
            &["type", "name", "label", "calculation", "trigger"],
            &["integer", "a", "A", "", ""],
            &["integer", "b", "B", "", ""],
            &["calculate", "t", "", "${b} * 10", "${a}"],
        ],
    )]);
    answer(&mut i, &[("b", "2")]);
    assert_eq!(value(&mut i, "t"), "");
    answer(&mut i, &[("a", "1")]);
    assert_eq!(value(&mut i, "t"), "20");
    answer(&mut i, &[("b", "3")]);
    assert_eq!(value(&mut i, "t"), "20");
    answer(&mut i, &[("a", "2")]);
    assert_eq!(value(&mut i, "t"), "30");
}

#[test]
fn dynamic_defaults_are_evaluated_once_at_creation() {
    let mut i = instance(&[(
        "survey",
        &[
            &["type", "name", "label", "default"],
            &["date", "visit", "Visit", "today()"],
            &["text", "code", "Code", "concat('T-', 7 * 6)"],
            &["text", "plain", "Plain", "hello"],
        ],
    )]);
    assert_eq!(value(&mut i, "visit"), "2024-05-01");
    assert_eq!(value(&mut i, "code"), "T-42");
    assert_eq!(value(&mut i, "plain"), "hello");
    // A default is an ordinary answer afterwards.
    answer(&mut i, &[("code", "mine")]);
    assert_eq!(value(&mut i, "code"), "mine");
}

#[test]
fn once_keeps_its_first_value() {
    let mut i = instance(&[(
        "survey",
        &[
            &["type", "name", "label", "calculation"],
            &["integer", "a", "A", ""],
            &["calculate", "first", "", "once(${a})"],
        ],
    )]);
    answer(&mut i, &[("a", "1")]);
    assert_eq!(value(&mut i, "first"), "1");
    answer(&mut i, &[("a", "2")]);
    assert_eq!(value(&mut i, "first"), "1");
}

#[test]
fn choice_name_follows_the_language() {
    let mut i = instance(&[
        (
            "survey",
            &[
                &[
                    "type",
                    "name",
                    "label::English (en)",
                    "label::French (fr)",
                    "calculation",
                ],
                &["select_one colors", "color", "Color", "Couleur", ""],
                &[
                    "calculate",
                    "color_label",
                    "",
                    "",
                    "jr:choice-name(${color}, '${color}')",
                ],
            ],
        ),
        (
            "choices",
            &[
                &[
                    "list_name",
                    "name",
                    "label::English (en)",
                    "label::French (fr)",
                ],
                &["colors", "red", "Red", "Rouge"],
            ],
        ),
        ("settings", &[&["default_language"], &["English (en)"]]),
    ]);
    answer(&mut i, &[("color", "red")]);
    assert_eq!(value(&mut i, "color_label"), "Red");
    i.set_language("French (fr)");
    assert_eq!(value(&mut i, "color_label"), "Rouge");
}

#[test]
fn metadata_comes_from_the_environment() {
    let mut i = instance(&[(
        "survey",
        &[
            &["type", "name", "label"],
            &["start", "start", ""],
            &["end", "end", ""],
            &["today", "today", ""],
            &["deviceid", "deviceid", ""],
            &["username", "username", ""],
            &["text", "q", "Q"],
        ],
    )]);
    assert_eq!(value(&mut i, "start"), "2024-05-01T10:00:00.000+00:00");
    assert_eq!(value(&mut i, "today"), "2024-05-01");
    assert_eq!(value(&mut i, "deviceid"), "tablet-7");
    assert_eq!(value(&mut i, "username"), "asha");
    assert_eq!(value(&mut i, "end"), "");
    i.finalize_time(1_714_561_200_000.0);
    assert_eq!(value(&mut i, "end"), "2024-05-01T11:00:00.000+00:00");
    let id = value(&mut i, "instanceID");
    assert!(id.starts_with("uuid:") && id.len() == 41, "{id}");
    // The same seed gives the same instance id.
    let mut j = instance(&[("survey", &[&["type", "name", "label"], &["text", "q", "Q"]])]);
    assert_eq!(value(&mut j, "instanceID"), id);
}

#[test]
fn uri_spelled_metadata_stays_empty_as_in_odk() {
    let mut i = instance(&[(
        "survey",
        &[
            &["type", "name", "label"],
            &["deviceid", "plain", ""],
            &["uri:deviceid", "uri", ""],
        ],
    )]);
    assert_eq!(value(&mut i, "plain"), "tablet-7");
    assert_eq!(value(&mut i, "uri"), "");
}
