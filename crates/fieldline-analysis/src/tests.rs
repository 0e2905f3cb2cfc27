//! Indicator evaluation, headers and errors on the KAP form with hand-written rows.

use std::path::PathBuf;

use fieldline_form::{Attachments, Form};

use crate::input::{FAILURE, OUT, SUCCESS};
use crate::{analyze, read_round, Analysis, AnalysisError, Round, Spec};

fn kap() -> Form {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/forms/fieldline/safe_migration_kap.xlsx");
    let bytes = std::fs::read(&path).expect("the KAP form is in shared/forms");
    Form::from_xlsform_named("safe_migration_kap.xlsx", &bytes, &Attachments::new())
        .expect("the KAP form loads")
}

fn analysis(spec: Spec) -> Analysis {
    Analysis::new(kap(), spec).unwrap()
}

fn read(a: &Analysis, csv: &str) -> Result<Round, AnalysisError> {
    read_round(a, "test.csv", csv.as_bytes())
}

/// The outcome per indicator (in sheet order) per row.
fn outcomes(round: &Round) -> Vec<Vec<u8>> {
    (0..round.rows)
        .map(|r| round.states.iter().map(|s| s[r]).collect())
        .collect()
}

fn error(result: Result<Round, AnalysisError>) -> String {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn indicator_order_is_the_sheet_order() {
    let a = analysis(Spec::default());
    let names: Vec<&str> = a.indicator_names().collect();
    assert_eq!(
        names,
        [
            "heard_trafficking",
            "knows_hotline",
            "checks_agency",
            "rejects_debt_work",
            "youth_heard"
        ]
    );
}

#[test]
fn each_kap_indicator_on_hand_written_rows() {
    let a = analysis(Spec::default());
    let csv = "\
heard_trafficking,knows_hotline,hotline,before_leaving,view_debt,age,youth
yes,yes,1145,check_agency read_contract,1,22,yes
no,no,,read_contract,2,40,no
dont_know,no,,nothing,3,29,yes
,,,,,,
yes,yes,,tell_family check_agency,5,55,no
";
    let round = read(&a, csv).unwrap();
    assert_eq!(round.rows, 5);
    let (s, f, o) = (SUCCESS, FAILURE, OUT);
    assert_eq!(
        outcomes(&round),
        vec![
            // heard, hotline, agency, debt, youth_heard
            vec![s, s, s, s, s],
            vec![f, f, f, s, o],
            vec![f, f, f, f, f],
            // Unanswered: empty strings, so every comparison is false; youth is empty, so the
            // row is outside youth_heard's denominator.
            vec![f, f, f, f, o],
            // Knows a hotline but gave no number: not a success.
            vec![s, f, s, f, o],
        ]
    );
}

#[test]
fn a_calculate_without_a_column_is_computed_from_the_row() {
    // No `youth` column: youth = if(${age} <= 29, 'yes', 'no'), as the form computes it.
    let a = analysis(Spec::default());
    let csv = "\
heard_trafficking,knows_hotline,hotline,before_leaving,view_debt,age
yes,no,,,1,22
no,no,,,1,29
yes,no,,,1,30
yes,no,,,1,
";
    let round = read(&a, csv).unwrap();
    let youth_heard: Vec<u8> = round.states[4].clone();
    // An empty age is not <= 29, so youth is 'no' and the row is out of the denominator.
    assert_eq!(youth_heard, vec![SUCCESS, FAILURE, OUT, OUT]);
}

#[test]
fn odk_central_and_kobo_group_path_headers() {
    let a = analysis(Spec {
        by: vec!["gender".into()],
        panel_id: Some("instanceID".into()),
        ..Spec::default()
    });
    // ODK Central: group paths joined with '-', metadata as meta-instanceID.
    let central = "\
SubmissionDate,about-gender,about-age,youth,know-heard_trafficking,know-knows_hotline,know-hotline,know-before_leaving,views-view_debt,meta-instanceID,KEY
2026-01-01,woman,20,yes,yes,no,,check_agency,2,uuid:1,uuid:1
2026-01-01,man,50,no,no,yes,1145,nothing,4,uuid:2,uuid:2
";
    let round = read(&a, central).unwrap();
    assert_eq!(
        outcomes(&round),
        vec![
            vec![SUCCESS, FAILURE, SUCCESS, SUCCESS, SUCCESS],
            vec![FAILURE, SUCCESS, FAILURE, FAILURE, OUT],
        ]
    );
    assert_eq!(round.groups[0].values, ["woman", "man"]);
    assert_eq!(round.panel.as_ref().unwrap().len(), 2);

    // KoboToolbox: '/' paths, ';' as separator, a byte order mark, and one-hot columns for the
    // select_multiple that must not be taken for fields.
    let kobo =
        "\u{feff}about/gender;about/age;know/heard_trafficking;know/knows_hotline;know/hotline;\
know/before_leaving;know/before_leaving/check_agency;views/view_debt;meta/instanceID\n\
woman;20;no;yes;1145;check_agency;1;5;uuid:3\n";
    let round = read(&a, kobo).unwrap();
    assert_eq!(
        outcomes(&round),
        vec![vec![FAILURE, SUCCESS, SUCCESS, FAILURE, FAILURE]]
    );

    // Full instance paths, and a group renamed in the export (last segment still unique).
    let paths = "/data/know/heard_trafficking,section2-knows_hotline,hotline,before_leaving,view_debt,youth,gender,instanceID\n\
yes,yes,1145,,3,no,man,x\n";
    let round = read(&a, paths).unwrap();
    assert_eq!(
        outcomes(&round),
        vec![vec![SUCCESS, SUCCESS, FAILURE, FAILURE, OUT]]
    );
}

#[test]
fn the_field_name_beats_a_group_path_for_the_same_field() {
    let a = analysis(Spec::default());
    let csv = "know-heard_trafficking,heard_trafficking,knows_hotline,hotline,before_leaving,view_debt,youth\n\
no,yes,no,,,,no\n";
    let round = read(&a, csv).unwrap();
    assert_eq!(round.states[0], vec![SUCCESS]);
}

#[test]
fn a_missing_column_names_the_field_and_the_indicator() {
    let a = analysis(Spec::default());
    let e = error(read(
        &a,
        "heard_trafficking,hotline,before_leaving,view_debt,youth\nyes,,,,\n",
    ));
    assert_eq!(
        e,
        "test.csv: row 1: no column for field \"knows_hotline\" (know/knows_hotline) (for \
         indicator knows_hotline); a column is found by the field's name, its group path (ODK \
         Central `group-field`, KoboToolbox `group/field`) or a header ending in `-field` or \
         `/field`"
    );
    // Without youth and age, youth cannot be computed: age is what is missing.
    let e = error(read(
        &a,
        "heard_trafficking,knows_hotline,hotline,before_leaving,view_debt\nyes,,,\n",
    ));
    assert!(
        e.contains("no column for field \"age\" (about/age) (for indicator youth_heard)"),
        "{e}"
    );
}

#[test]
fn an_unknown_choice_names_row_and_column() {
    let a = analysis(Spec::default());
    let head = "id,heard_trafficking,knows_hotline,hotline,before_leaving,view_debt,youth\n";
    let e = error(read(
        &a,
        &format!("{head}1,yes,no,,,,no\n2,yes,maybe,,,,no\n"),
    ));
    assert_eq!(
        e,
        "test.csv: row 3, column C (\"knows_hotline\"): unknown choice \"maybe\": the list \
         \"ynd\" has dont_know, no, yes"
    );
    // A select_multiple checks every value.
    let e = error(read(
        &a,
        &format!("{head}1,yes,no,,check_agency bribe,,no\n"),
    ));
    assert!(
        e.starts_with("test.csv: row 2, column E (\"before_leaving\"): unknown choice \"bribe\""),
        "{e}"
    );
    // A select_one takes one value.
    let e = error(read(&a, &format!("{head}1,yes no,no,,,,no\n")));
    assert!(
        e.starts_with(
            "test.csv: row 2, column B (\"heard_trafficking\"): \"yes no\" is several values"
        ),
        "{e}"
    );
}

#[test]
fn weight_errors_name_row_and_column() {
    let a = analysis(Spec {
        weight: Some("w".into()),
        ..Spec::default()
    });
    let head = "heard_trafficking,knows_hotline,hotline,before_leaving,view_debt,youth,w\n";
    let e = error(read(
        &a,
        &format!("{head}yes,no,,,,no,1.5\nyes,no,,,,no,abc\n"),
    ));
    assert_eq!(
        e,
        "test.csv: row 3, column G (\"w\"): the weight \"abc\" is not a number"
    );
    let e = error(read(&a, &format!("{head}yes,no,,,,no,-2\n")));
    assert_eq!(
        e,
        "test.csv: row 2, column G (\"w\"): the weight -2 is negative"
    );
    let e = error(read(&a, &format!("{head}yes,no,,,,no,\n")));
    assert_eq!(e, "test.csv: row 2, column G (\"w\"): the weight is empty");
    let round = read(&a, &format!("{head}yes,no,,,,no,1.5\nyes,no,,,,no,0\n")).unwrap();
    assert_eq!(round.weights, Some(vec![1.5, 0.0]));
}

#[test]
fn missing_design_columns_are_errors() {
    let head =
        "heard_trafficking,knows_hotline,hotline,before_leaving,view_debt,youth\nyes,no,,,,no\n";
    for (spec, flag, col) in [
        (
            Spec {
                cluster: Some("village".into()),
                ..Spec::default()
            },
            "--cluster",
            "village",
        ),
        (
            Spec {
                weight: Some("wt".into()),
                ..Spec::default()
            },
            "--weight",
            "wt",
        ),
        (
            Spec {
                panel_id: Some("respondent".into()),
                ..Spec::default()
            },
            "--panel-id",
            "respondent",
        ),
        (
            Spec {
                by: vec!["district".into()],
                ..Spec::default()
            },
            "--by",
            "district",
        ),
    ] {
        let e = error(read(&analysis(spec), head));
        assert!(
            e.starts_with(&format!("test.csv: row 1: no column {col:?} for {flag}")),
            "{e}"
        );
        assert!(e.ends_with("the headers are: heard_trafficking, knows_hotline, hotline, before_leaving, view_debt, youth"), "{e}");
    }
}

#[test]
fn empty_cluster_codes_and_repeated_panel_ids_are_errors() {
    let a = analysis(Spec {
        cluster: Some("village".into()),
        panel_id: Some("pid".into()),
        ..Spec::default()
    });
    let head =
        "heard_trafficking,knows_hotline,hotline,before_leaving,view_debt,youth,village,pid\n";
    let e = error(read(
        &a,
        &format!("{head}yes,no,,,,no,v1,p1\nyes,no,,,,no,,p2\n"),
    ));
    assert_eq!(
        e,
        "test.csv: row 3, column G (\"village\"): no cluster code: every submission needs one \
         with --cluster"
    );
    let e = error(read(
        &a,
        &format!("{head}yes,no,,,,no,v1,p1\nyes,no,,,,no,v1,p1\n"),
    ));
    assert_eq!(
        e,
        "test.csv: row 3, column H (\"pid\"): the panel id \"p1\" appears again (first at row \
         2): each person is interviewed once per round"
    );
    let round = read(
        &a,
        &format!("{head}yes,no,,,,no,v1,p1\nyes,no,,,,no,v2,\nno,no,,,,no,v1,p3\n"),
    )
    .unwrap();
    assert_eq!(round.clusters, Some(vec![0, 1, 0]));
    assert_eq!(round.cluster_count, 2);
    // An empty panel id is a submission without a partner.
    assert_eq!(round.panel.as_ref().unwrap().len(), 2);
}

#[test]
fn unreadable_and_empty_files() {
    let a = analysis(Spec::default());
    assert_eq!(
        error(read(&a, "")),
        "test.csv: the file is empty: the first row must name the columns"
    );
}

#[test]
fn a_form_without_indicators_is_refused() {
    let mut form = kap();
    form.indicators.clear();
    let e = Analysis::new(form, Spec::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("the form safe_migration_kap has no indicators"),
        "{e}"
    );
}

const HEAD: &str =
    "heard_trafficking,knows_hotline,hotline,before_leaving,view_debt,youth,gender,pid\n";

#[test]
fn groups_whole_sample_then_each_by_column_with_empty_values_as_a_group() {
    let a = analysis(Spec {
        by: vec!["gender".into()],
        ..Spec::default()
    });
    let base = read(
        &a,
        &format!("{HEAD}yes,,,,,no,woman,\nno,,,,,no,woman,\nno,,,,,no,man,\nyes,,,,,no,,\n"),
    )
    .unwrap();
    let end = read(&a, &format!("{HEAD}yes,,,,,no,woman,\nyes,,,,,no,other,\n")).unwrap();
    let report = analyze(&a, &base, &end);
    let heard = &report.indicators[0];
    assert_eq!(heard.name, "heard_trafficking");
    assert_eq!(heard.label, "Has heard of human trafficking");
    let groups: Vec<(String, u64, u64, u64, u64)> = heard
        .groups
        .iter()
        .map(|g| {
            (
                g.group.get("gender").cloned().unwrap_or("*".into()),
                g.baseline.n,
                g.baseline.successes,
                g.endline.n,
                g.endline.successes,
            )
        })
        .collect();
    assert_eq!(
        groups,
        vec![
            ("*".into(), 4, 2, 2, 2),
            ("".into(), 1, 1, 0, 0),
            ("man".into(), 1, 0, 0, 0),
            ("other".into(), 0, 0, 1, 1),
            ("woman".into(), 2, 1, 1, 1),
        ]
    );
    assert!(heard.groups[0].group.is_empty());
    // A round without data in a group: null estimates and a null change.
    let other = &heard.groups[3];
    assert_eq!(other.baseline.p, None);
    assert_eq!(other.diff.estimate, None);
    let whole = &heard.groups[0];
    assert_eq!(whole.diff, fieldline_stats::simple_difference(2, 4, 2, 2));
}

#[test]
fn panel_pairs_match_within_groups_and_unmatched_rows_still_count() {
    let a = analysis(Spec {
        by: vec!["gender".into()],
        panel_id: Some("pid".into()),
        ..Spec::default()
    });
    let base = read(
        &a,
        &format!(
            "{HEAD}no,,,,,no,woman,p1\nno,,,,,no,woman,p2\nyes,,,,,no,man,p3\nyes,,,,,no,man,p4\nno,,,,,no,man,p5\n"
        ),
    )
    .unwrap();
    // p3 changed gender between rounds: paired overall, not within a gender group. p5 was not
    // found again; p9 is new.
    let end = read(
        &a,
        &format!(
            "{HEAD}yes,,,,,no,woman,p1\nno,,,,,no,woman,p2\nno,,,,,no,woman,p3\nyes,,,,,no,man,p4\nyes,,,,,no,man,p9\n"
        ),
    )
    .unwrap();
    let report = analyze(&a, &base, &end);
    let heard = &report.indicators[0];
    let whole = &heard.groups[0];
    assert_eq!((whole.baseline.n, whole.endline.n), (5, 5));
    assert_eq!(whole.diff, fieldline_stats::panel_from_counts(4, 1, 1));
    let man = heard
        .groups
        .iter()
        .find(|g| g.group.get("gender").map(String::as_str) == Some("man"))
        .unwrap();
    assert_eq!(man.diff, fieldline_stats::panel_from_counts(1, 0, 0));
    let woman = heard
        .groups
        .iter()
        .find(|g| g.group.get("gender").map(String::as_str) == Some("woman"))
        .unwrap();
    assert_eq!(woman.diff, fieldline_stats::panel_from_counts(2, 0, 1));
    // youth_heard: nobody is young, so no pair is in the denominator.
    assert_eq!(
        report.indicators[4].groups[0].diff,
        fieldline_stats::panel_from_counts(0, 0, 0)
    );
}

#[test]
fn survey_design_uses_weights_and_clusters() {
    let a = analysis(Spec {
        cluster: Some("village".into()),
        weight: Some("w".into()),
        ..Spec::default()
    });
    let head = "heard_trafficking,knows_hotline,hotline,before_leaving,view_debt,youth,village,w\n";
    let base = read(
        &a,
        &format!(
            "{head}yes,,,,,no,a,2\nno,,,,,no,a,1\nno,,,,,no,b,1\nyes,,,,,no,c,3\nno,,,,,no,c,1\n"
        ),
    )
    .unwrap();
    let end = read(
        &a,
        &format!("{head}yes,,,,,no,x,1\nyes,,,,,no,y,1\nno,,,,,no,y,2\n"),
    )
    .unwrap();
    let report = analyze(&a, &base, &end);
    let whole = &report.indicators[0].groups[0];
    let obs = |v: &[(bool, f64, u32)]| -> Vec<fieldline_stats::Obs> {
        v.iter()
            .map(|&(success, weight, cluster)| fieldline_stats::Obs {
                success,
                weight,
                cluster,
            })
            .collect()
    };
    let b = obs(&[
        (true, 2.0, 0),
        (false, 1.0, 0),
        (false, 1.0, 1),
        (true, 3.0, 2),
        (false, 1.0, 2),
    ]);
    let e = obs(&[(true, 1.0, 0), (true, 1.0, 1), (false, 2.0, 1)]);
    let design = fieldline_stats::Design::Survey;
    assert_eq!(whole.baseline, fieldline_stats::estimate(&b, design));
    assert_eq!(whole.endline, fieldline_stats::estimate(&e, design));
    assert_eq!(whole.diff, fieldline_stats::difference(&b, &e, design));
    let json = serde_json::to_value(&report).unwrap();
    let base_json = &json["indicators"][0]["groups"][0]["baseline"];
    assert!(base_json.get("se").is_some() && base_json.get("deff").is_some());
}

#[test]
fn the_fast_path_agrees_with_the_xpath_engine() {
    use crate::context::{compute, Layout, Row};
    use crate::fast::Fast;

    let a = analysis(Spec::default());
    let csv = "\
heard_trafficking,knows_hotline,hotline,before_leaving,view_debt,age
yes,yes,1145,check_agency read_contract,1,22
no,no,,read_contract,2,40
dont_know,no,,  nothing ,3,29
,,,,,
yes,yes,,tell_family check_agency,5,55
";
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let layout = Layout::new(&a, headers, "t.csv").unwrap();
    // (what, the engine's tree, the fast form).
    let mut cases: Vec<(String, fieldline_xpath::Expr, Fast)> = [
        "'yes' != ${heard_trafficking}",
        "not(${knows_hotline} = 'no') or false()",
        "selected(${before_leaving}, ' nothing ')",
        "selected(${before_leaving}, '')",
        "${view_debt} = 2 and true()",
        "${age} <= 29 and selected(${before_leaving}, 'check_agency')",
        "count-selected(${before_leaving}) >= 2",
        "2 > count-selected(${before_leaving})",
        "count-selected(${hotline}) = 0 or count-selected(${before_leaving}) != 1",
        "29 >= ${age}",
        "${age} > 29 or ${age} < 23",
        "${age} != 40 and ${view_debt} >= 2",
        "${age} = 22",
    ]
    .iter()
    .map(|src| {
        let e = fieldline_xpath::parse(src).unwrap();
        let fast = Fast::compile(&e, &a);
        (src.to_string(), e, fast)
    })
    .collect();
    for ind in &a.indicators {
        cases.push((
            ind.name.clone(),
            ind.expression.clone(),
            ind.fast_expression.clone(),
        ));
        if let (Some(d), Some(f)) = (&ind.denominator, &ind.fast_denominator) {
            cases.push((format!("{} denominator", ind.name), d.clone(), f.clone()));
        }
    }
    let mut computed = Vec::new();
    let mut checked = 0;
    for record in r.records() {
        let record = record.unwrap();
        compute(&a, &layout, &record, &mut computed).unwrap();
        let row = Row {
            analysis: &a,
            layout: &layout,
            record: &record,
            computed: &computed,
        };
        for (what, expr, fast) in &cases {
            let engine = row.is_true(expr).unwrap();
            assert_eq!(fast.eval(&row).unwrap(), engine, "{what} on {record:?}");
            checked += 1;
        }
    }
    assert_eq!(checked, 5 * cases.len());
}
