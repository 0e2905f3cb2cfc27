//! Each kind of problem, from small workbooks written on the fly, with the exact sheet, row
//! and column reported.

mod support;

use fieldline_form::{Attachments, Form, FormErrors, Problem};
use support::xlsx;

fn load(sheets: &[(&str, &[&[&str]])]) -> Result<Form, FormErrors> {
    Form::from_xlsform(&xlsx(sheets), &Attachments::new())
}

fn errors(sheets: &[(&str, &[&[&str]])]) -> Vec<Problem> {
    match load(sheets) {
        Ok(_) => panic!("the form should be refused"),
        Err(e) => e.problems,
    }
}

fn find<'a>(ps: &'a [Problem], needle: &str) -> &'a Problem {
    ps.iter()
        .find(|p| p.message.contains(needle))
        .unwrap_or_else(|| panic!("no problem mentions {needle:?}: {ps:#?}"))
}

fn at(p: &Problem, sheet: &str, row: u32, letter: &str, header: &str) {
    assert_eq!(p.sheet, sheet, "{p:?}");
    assert_eq!(p.row, Some(row), "{p:?}");
    let col = p.column.as_ref().expect("a column");
    assert_eq!(
        (col.letter.as_str(), col.header.as_str()),
        (letter, header),
        "{p:?}"
    );
}

const HEAD: &[&str] = &[
    "type",
    "name",
    "label",
    "relevant",
    "calculation",
    "constraint",
];

#[test]
fn unknown_type_suggests_the_closest() {
    let ps = errors(&[("survey", &[HEAD, &["intger", "age", "Age"]])]);
    let p = find(&ps, "Unknown question type 'intger'");
    at(p, "survey", 2, "A", "type");
    assert!(p.hint.as_deref().unwrap().contains("'integer'"));
}

#[test]
fn a_select_without_its_list_is_told_to_name_one() {
    for ty in ["rank", "select_one", "select_multiple"] {
        let ps = errors(&[("survey", &[HEAD, &[ty, "q", "Q"]])]);
        let p = find(&ps, &format!("Unknown question type '{ty}'"));
        let hint = p.hint.as_deref().unwrap();
        assert!(
            hint.contains(&format!("write '{ty} list_name'")) && !hint.contains("did you mean"),
            "{ty}: {hint}"
        );
    }
}

#[test]
fn missing_choice_list() {
    let ps = errors(&[
        ("survey", &[HEAD, &["select_one colours", "c", "Colour"]]),
        (
            "choices",
            &[&["list_name", "name", "label"], &["colors", "red", "Red"]],
        ),
    ]);
    let p = find(&ps, "List name not in choices sheet: colours");
    at(p, "survey", 2, "A", "type");
    assert!(p.hint.as_deref().unwrap().contains("'colors'"));
}

#[test]
fn duplicate_names_in_the_same_parent_only() {
    let ps = errors(&[(
        "survey",
        &[
            HEAD,
            &["text", "a", "A"],
            &["begin_group", "g", "G"],
            &["text", "a", "A in a group is fine"],
            &["end_group"],
            &["integer", "a", "A again"],
        ],
    )]);
    assert_eq!(ps.len(), 1, "{ps:#?}");
    at(
        find(&ps, "The name 'a' is invalid"),
        "survey",
        6,
        "B",
        "name",
    );
}

#[test]
fn unknown_field_reference() {
    let ps = errors(&[(
        "survey",
        &[
            HEAD,
            &["integer", "age", "Age"],
            &["text", "job", "Job", "${agee} > 15"],
        ],
    )]);
    let p = find(&ps, "unknown field ${agee}");
    at(p, "survey", 3, "D", "relevant");
    assert!(p.hint.as_deref().unwrap().contains("${age}"));
}

#[test]
fn unparsable_expression_shows_a_caret() {
    let ps = errors(&[("survey", &[HEAD, &["integer", "n", "N", "", "", ". > (3"]])]);
    let p = find(&ps, "the expression could not be read");
    at(p, "survey", 2, "F", "constraint");
    let hint = p.hint.as_deref().unwrap();
    let mut lines = hint.lines();
    assert_eq!(lines.next(), Some(". > (3"));
    assert!(lines.next().unwrap().trim_start() == "^", "{hint}");
}

#[test]
fn unsupported_function_by_name() {
    let ps = errors(&[(
        "survey",
        &[HEAD, &["calculate", "x", "", "", "frobnicate(1)"]],
    )]);
    at(
        find(&ps, "frobnicate() is not supported"),
        "survey",
        2,
        "E",
        "calculation",
    );
}

#[test]
fn circular_calculations_name_the_cycle() {
    let ps = errors(&[(
        "survey",
        &[
            HEAD,
            &["calculate", "a", "", "", "${b} + 1"],
            &["calculate", "b", "", "", "${c} + 1"],
            &["calculate", "c", "", "", "${a} * 2"],
            &["calculate", "d", "", "", "${d}"],
        ],
    )]);
    let p = find(&ps, "circular calculation: ${a} -> ${b} -> ${c} -> ${a}");
    at(p, "survey", 2, "E", "calculation");
    find(&ps, "circular calculation: ${d} -> ${d}");
}

#[test]
fn duplicate_and_conflicting_headers() {
    let ps = errors(&[(
        "survey",
        &[
            &["type", "name", "label", "relevant", "label", "relevance"],
            &["text", "a", "A"],
        ],
    )]);
    at(
        find(&ps, "Duplicate column header: label"),
        "survey",
        1,
        "E",
        "label",
    );
    at(
        find(
            &ps,
            "different names for the same column were found: 'relevant', 'relevance'",
        ),
        "survey",
        1,
        "F",
        "relevance",
    );
}

#[test]
fn missing_name_and_missing_calculation() {
    let ps = errors(&[(
        "survey",
        &[HEAD, &["text", "", "No name"], &["calculate", "c", ""]],
    )]);
    at(
        find(&ps, "Question or group with no name."),
        "survey",
        2,
        "B",
        "name",
    );
    at(
        find(&ps, "Missing calculation."),
        "survey",
        3,
        "E",
        "calculation",
    );
}

#[test]
fn groups_not_closed_or_closed_twice() {
    let ps = errors(&[(
        "survey",
        &[
            HEAD,
            &["begin_repeat", "hh", "Household"],
            &["text", "n", "Name"],
            &["end_group"],
            &["begin_group", "g", "G"],
        ],
    )]);
    at(find(&ps, "Unmatched 'end_group'"), "survey", 4, "A", "type");
    at(
        find(&ps, "No matching 'end_repeat' was found for the name 'hh'"),
        "survey",
        2,
        "A",
        "type",
    );
    at(
        find(&ps, "No matching 'end_group' was found for the name 'g'"),
        "survey",
        5,
        "A",
        "type",
    );
}

#[test]
fn duplicate_choice_names_unless_allowed() {
    let survey: &[&[&str]] = &[HEAD, &["select_one yn", "q", "Q"]];
    let choices: &[&[&str]] = &[
        &["list_name", "name", "label"],
        &["yn", "1", "Yes"],
        &["yn", "1", "Also yes"],
    ];
    let ps = errors(&[("survey", survey), ("choices", choices)]);
    at(
        find(&ps, "Choice names must be unique"),
        "choices",
        3,
        "B",
        "name",
    );
    let allowed = load(&[
        ("survey", survey),
        ("choices", choices),
        ("settings", &[&["allow_choice_duplicates"], &["yes"]]),
    ]);
    assert!(allowed.is_ok());
}

#[test]
fn every_problem_is_listed() {
    let ps = errors(&[(
        "survey",
        &[
            HEAD,
            &["intger", "a", "A"],
            &["text", "", "B"],
            &["text", "c", "C", "${zz} = 1"],
            &["calculate", "d", "", "", "concat("],
        ],
    )]);
    assert_eq!(ps.len(), 4, "{ps:#?}");
    let rows: Vec<u32> = ps.iter().map(|p| p.row.unwrap()).collect();
    assert_eq!(rows, [2, 3, 5, 4]);
}

#[test]
fn cells_read_as_people_see_them() {
    let form = load(&[
        (
            "survey",
            &[
                &["type", "name", "label", "relevant", "default"],
                &["select_one n", "q", "Q"],
                &[
                    "integer",
                    "x",
                    "X",
                    "selected(${q}, \u{2018}1\u{2019})",
                    "=2*3->6",
                ],
            ],
        ),
        (
            "choices",
            &[
                &["list_name", "name", "label"],
                &["n", "1", "One"],
                &["n", "2.5", "Two and a half"],
            ],
        ),
    ])
    .unwrap();
    let names: Vec<&str> = form.choice_lists[0]
        .choices
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["1", "2.5"]);
    let x = form.find("x").unwrap();
    assert_eq!(
        x.bind.relevant.as_ref().unwrap().source(),
        "selected(${q}, '1')"
    );
    assert_eq!(x.default.as_deref(), Some("6"));
}

#[test]
fn languages_and_default_language() {
    let form = load(&[
        (
            "survey",
            &[
                &[
                    "type",
                    "name",
                    "label::English (en)",
                    "label::Hindi (hi)",
                    "hint",
                ],
                &["text", "a", "Name", "naam", "a hint"],
            ],
        ),
        (
            "settings",
            &[&["form_id", "default_language"], &["f1", "English (en)"]],
        ),
    ])
    .unwrap();
    assert_eq!(form.languages, ["English (en)", "Hindi (hi)"]);
    let a = form.find("a").unwrap();
    assert_eq!(a.label["Hindi (hi)"], "naam");
    assert_eq!(a.hint["English (en)"], "a hint");
    assert_eq!(form.settings.form_id, "f1");
    assert_eq!(form.root().path, "/data");
    assert_eq!(a.path, "/data/a");
}

#[test]
fn select_from_file_with_and_without_the_attachment() {
    let sheets: &[(&str, &[&[&str]])] = &[(
        "survey",
        &[HEAD, &["select_one_from_file cities.csv", "city", "City"]],
    )];
    let form = load(sheets).unwrap();
    assert_eq!(form.missing_files, ["cities.csv"]);
    let mut files = Attachments::new();
    files.insert(
        "cities.csv",
        b"name,label\nktm,Kathmandu\npkr,Pokhara\n".to_vec(),
    );
    let form = Form::from_xlsform(&xlsx(sheets), &files).unwrap();
    assert!(form.missing_files.is_empty());
    let list = form.choice_list("cities.csv").unwrap();
    assert_eq!(list.choices.len(), 2);
    assert_eq!(list.choices[1].label["default"], "Pokhara");
}

#[test]
fn repeat_count_and_or_other_add_pyxform_nodes() {
    let form = load(&[
        (
            "survey",
            &[
                &["type", "name", "label", "repeat_count"],
                &["integer", "n", "N"],
                &["begin_repeat", "hh", "HH", "${n} + 1"],
                &["select_multiple c or_other", "col", "Colours"],
                &["end_repeat"],
            ],
        ),
        (
            "choices",
            &[&["list_name", "name", "label"], &["c", "red", "Red"]],
        ),
    ])
    .unwrap();
    let paths: Vec<&str> = form.nodes.iter().map(|n| n.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/data",
            "/data/n",
            "/data/hh_count",
            "/data/hh",
            "/data/hh/col",
            "/data/hh/col_other",
            "/data/meta",
            "/data/meta/instanceID"
        ]
    );
    let hh = form.find("hh").unwrap();
    assert_eq!(hh.repeat_count.as_ref().unwrap().source(), "${hh_count}");
    assert_eq!(form.choice_list("c").unwrap().choices[1].name, "other");
}

#[test]
fn indicators_sheet() {
    let form = load(&[
        (
            "survey",
            &[HEAD, &["select_one yn", "knows", "Knows the hotline"]],
        ),
        (
            "choices",
            &[&["list_name", "name", "label"], &["yn", "yes", "Yes"]],
        ),
        (
            "indicators",
            &[
                &["name", "label::English", "expression", "denominator"],
                &["hotline", "Knows hotline", "${knows} = 'yes'", ""],
            ],
        ),
    ])
    .unwrap();
    assert_eq!(form.indicators.len(), 1);
    assert_eq!(form.indicators[0].label["English"], "Knows hotline");
    assert!(form.indicators[0].denominator.is_none());
    let ps = errors(&[
        ("survey", &[HEAD, &["text", "a", "A"]]),
        (
            "indicators",
            &[
                &["name", "expression"],
                &["bad", "${nope} = 1"],
                &["bad", "(("],
            ],
        ),
    ]);
    at(
        find(&ps, "unknown field ${nope}"),
        "indicators",
        2,
        "B",
        "expression",
    );
    at(
        find(&ps, "duplicate indicator name 'bad'"),
        "indicators",
        3,
        "A",
        "name",
    );
    at(
        find(&ps, "could not be read"),
        "indicators",
        3,
        "B",
        "expression",
    );
}

#[test]
fn not_a_workbook() {
    let e = Form::from_xlsform(b"type,name\ntext,a\n", &Attachments::new()).unwrap_err();
    assert!(e.mentions("not an Excel workbook"), "{e}");
}
