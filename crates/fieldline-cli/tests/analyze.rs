//! `fieldline analyze` as a manager runs it, on baseline and endline CSV exports generated here
//! with known answers, so every n and success count per group is known exactly and every
//! estimate can be compared with `fieldline-stats` on the same observations.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use fieldline_stats::{Design, Obs};
use serde_json::Value;

const INDICATORS: [&str; 5] = [
    "heard_trafficking",
    "knows_hotline",
    "checks_agency",
    "rejects_debt_work",
    "youth_heard",
];

fn kap() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/forms/fieldline/safe_migration_kap.xlsx")
        .to_string_lossy()
        .into_owned()
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

/// One generated submission.
#[derive(Clone)]
struct Person {
    gender: &'static str,
    age: u32,
    heard: &'static str,
    knows: &'static str,
    hotline: &'static str,
    before: String,
    debt: u32,
    village: String,
    weight: f64,
    pid: String,
}

impl Person {
    /// Per indicator: `None` outside the denominator, else success. Written without XPath, as
    /// the indicators sheet says in words.
    fn outcomes(&self) -> [Option<bool>; 5] {
        let heard = self.heard == "yes";
        [
            Some(heard),
            Some(self.knows == "yes" && !self.hotline.is_empty()),
            Some(self.before.split(' ').any(|t| t == "check_agency")),
            Some(self.debt == 1 || self.debt == 2),
            (self.age <= 29).then_some(heard),
        ]
    }
}

/// A deterministic sample of `n` people; the endline knows more than the baseline.
fn people(endline: bool, n: usize) -> Vec<Person> {
    let mut state: u64 = if endline { 0x5eed_0002 } else { 0x5eed_0001 };
    let mut next = move |m: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % m
    };
    let aware = if endline { 70 } else { 30 };
    (0..n)
        .map(|i| {
            let gender = if i % 50 == 49 {
                ""
            } else {
                ["woman", "man", "other"][i % 3]
            };
            let heard = if next(100) < aware {
                "yes"
            } else if next(4) == 0 {
                "dont_know"
            } else {
                "no"
            };
            let knows = if next(100) < aware { "yes" } else { "no" };
            let hotline = if knows == "yes" && next(4) != 0 {
                "1145"
            } else {
                ""
            };
            let mut before: Vec<&str> = ["check_agency", "read_contract", "tell_family"]
                .into_iter()
                .filter(|_| next(100) < aware)
                .collect();
            if before.is_empty() {
                before.push("nothing");
            }
            Person {
                gender,
                age: 16 + next(55) as u32,
                heard,
                knows,
                hotline,
                before: before.join(" "),
                debt: 1 + next(5) as u32,
                village: format!("v{}", next(12)),
                weight: 0.5 + next(300) as f64 / 100.0,
                // 200 of the people are interviewed in both rounds.
                pid: if i < 200 {
                    format!("p{i}")
                } else {
                    format!("{}{i}", if endline { "e" } else { "b" })
                },
            }
        })
        .collect()
}

/// Fieldline's own export: headers are field names (plus extra columns).
fn plain_csv(people: &[Person]) -> String {
    let mut s = String::from(
        "pid,gender,age,youth,heard_trafficking,knows_hotline,hotline,before_leaving,view_debt,village,weight\n",
    );
    for p in people {
        s.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{}\n",
            p.pid,
            p.gender,
            p.age,
            if p.age <= 29 { "yes" } else { "no" },
            p.heard,
            p.knows,
            p.hotline,
            p.before,
            p.debt,
            p.village,
            p.weight
        ));
    }
    s
}

/// ODK Central's export: group paths joined with '-', no `youth` column (computed from age),
/// metadata columns around.
fn central_csv(people: &[Person]) -> String {
    let mut s = String::from(
        "SubmissionDate,about-gender,about-age,know-heard_trafficking,know-knows_hotline,know-hotline,know-before_leaving,views-view_debt,village,weight,pid,meta-instanceID,KEY\n",
    );
    for (i, p) in people.iter().enumerate() {
        s.push_str(&format!(
            "2026-03-01T10:00:00.000Z,{},{},{},{},{},\"{}\",{},{},{},{},uuid:{i},uuid:{i}\n",
            p.gender,
            p.age,
            p.heard,
            p.knows,
            p.hotline,
            p.before,
            p.debt,
            p.village,
            p.weight,
            p.pid
        ));
    }
    s
}

struct Fixture {
    _dir: tempfile::TempDir,
    base: Vec<Person>,
    end: Vec<Person>,
    base_path: String,
    end_path: String,
    dir: PathBuf,
}

fn fixture(csv: fn(&[Person]) -> String) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let base = people(false, 360);
    let end = people(true, 420);
    let base_path = dir.path().join("baseline.csv");
    let end_path = dir.path().join("endline.csv");
    std::fs::write(&base_path, csv(&base)).unwrap();
    std::fs::write(&end_path, csv(&end)).unwrap();
    Fixture {
        dir: dir.path().to_path_buf(),
        _dir: dir,
        base,
        end,
        base_path: base_path.to_string_lossy().into_owned(),
        end_path: end_path.to_string_lossy().into_owned(),
    }
}

fn run(f: &Fixture, extra: &[&str]) -> Output {
    let form = kap();
    let mut args = vec![
        "analyze",
        "--form",
        &form,
        "--baseline",
        &f.base_path,
        "--endline",
        &f.end_path,
    ];
    args.extend_from_slice(extra);
    fieldline(&args)
}

fn json(f: &Fixture, extra: &[&str]) -> Value {
    let out = run(f, extra);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)))
}

/// The people of a group: `None` is the whole sample.
fn in_group<'a>(people: &'a [Person], gender: Option<&str>) -> Vec<&'a Person> {
    people
        .iter()
        .filter(|p| gender.is_none_or(|g| p.gender == g))
        .collect()
}

fn close(a: &Value, b: Option<f64>, what: &str) {
    match (a.as_f64(), b) {
        (None, None) => assert!(a.is_null(), "{what}: {a}"),
        (Some(x), Some(y)) => assert!((x - y).abs() <= 1e-12, "{what}: {x} != {y}"),
        _ => panic!("{what}: {a} vs {b:?}"),
    }
}

const GENDERS: [Option<&str>; 5] = [None, Some(""), Some("man"), Some("other"), Some("woman")];

#[test]
fn json_counts_and_estimates_per_group_match_the_statistics() {
    let f = fixture(plain_csv);
    let v = json(&f, &["--by", "gender"]);
    let indicators = v["indicators"].as_array().unwrap();
    assert_eq!(indicators.len(), 5);
    for (i, ind) in indicators.iter().enumerate() {
        assert_eq!(ind["name"], INDICATORS[i]);
        let groups = ind["groups"].as_array().unwrap();
        // The whole sample, then gender's values sorted, the empty answer first.
        assert_eq!(groups.len(), GENDERS.len());
        for (g, gender) in groups.iter().zip(GENDERS) {
            match gender {
                None => assert_eq!(g["group"], serde_json::json!({})),
                Some(x) => assert_eq!(g["group"], serde_json::json!({ "gender": x })),
            }
            let count = |ps: &[Person]| {
                let members = in_group(ps, gender);
                let counted: Vec<bool> = members.iter().filter_map(|p| p.outcomes()[i]).collect();
                let s = counted.iter().filter(|&&b| b).count() as u64;
                (s, counted.len() as u64)
            };
            let (sb, nb) = count(&f.base);
            let (se, ne) = count(&f.end);
            assert!(nb > 0 && ne > 0);
            for (round, s, n) in [("baseline", sb, nb), ("endline", se, ne)] {
                let e = &g[round];
                assert_eq!(e["n"], n, "{} {gender:?} {round}", INDICATORS[i]);
                assert_eq!(e["successes"], s, "{} {gender:?} {round}", INDICATORS[i]);
                let expected = fieldline_stats::simple_estimate(s, n);
                close(&e["p"], expected.p, "p");
                close(&e["ci_low"], expected.ci_low, "ci_low");
                close(&e["ci_high"], expected.ci_high, "ci_high");
                assert!(e.get("se").is_none() && e.get("deff").is_none());
            }
            let d = fieldline_stats::simple_difference(sb, nb, se, ne);
            close(&g["diff"]["estimate"], d.estimate, "diff");
            close(&g["diff"]["ci_low"], d.ci_low, "diff ci_low");
            close(&g["diff"]["ci_high"], d.ci_high, "diff ci_high");
            close(&g["diff"]["p_value"], d.p_value, "p_value");
            assert!(g["diff"].get("pairs").is_none());
        }
    }
    // The label is the form's default language (English).
    assert_eq!(indicators[0]["label"], "Has heard of human trafficking");
}

/// Observations as the stats crate wants them, clusters interned in order of appearance.
fn obs(people: &[&Person], i: usize, clustered: bool) -> Vec<Obs> {
    let mut ids: HashMap<&str, u32> = HashMap::new();
    people
        .iter()
        .filter_map(|p| {
            let success = p.outcomes()[i]?;
            let next = ids.len() as u32;
            let cluster = if clustered {
                *ids.entry(p.village.as_str()).or_insert(next)
            } else {
                Obs::OWN_CLUSTER
            };
            Some(Obs {
                success,
                weight: p.weight,
                cluster,
            })
        })
        .collect()
}

#[test]
fn clusters_and_weights_give_the_survey_estimates() {
    let f = fixture(plain_csv);
    for clustered in [true, false] {
        let mut args = vec!["--by", "gender", "--weight", "weight"];
        if clustered {
            args.extend(["--cluster", "village"]);
        }
        let v = json(&f, &args);
        for (i, ind) in v["indicators"].as_array().unwrap().iter().enumerate() {
            for (g, gender) in ind["groups"].as_array().unwrap().iter().zip(GENDERS) {
                let b = obs(&in_group(&f.base, gender), i, clustered);
                let e = obs(&in_group(&f.end, gender), i, clustered);
                for (round, o) in [("baseline", &b), ("endline", &e)] {
                    let want = fieldline_stats::estimate(o, Design::Survey);
                    let got = &g[round];
                    assert_eq!(got["n"], want.n);
                    assert_eq!(got["successes"], want.successes);
                    close(&got["p"], want.p, "p");
                    close(&got["ci_low"], want.ci_low, "ci_low");
                    close(&got["ci_high"], want.ci_high, "ci_high");
                    close(&got["se"], want.se, "se");
                    close(&got["deff"], want.deff, "deff");
                }
                let d = fieldline_stats::difference(&b, &e, Design::Survey);
                close(&g["diff"]["estimate"], d.estimate, "diff");
                close(&g["diff"]["ci_low"], d.ci_low, "diff ci_low");
                close(&g["diff"]["p_value"], d.p_value, "p_value");
            }
        }
    }
}

#[test]
fn panel_ids_pair_the_same_people_within_groups() {
    let f = fixture(plain_csv);
    let v = json(&f, &["--by", "gender", "--panel-id", "pid"]);
    let by_pid = |ps: &[Person]| -> HashMap<String, Person> {
        ps.iter().map(|p| (p.pid.clone(), p.clone())).collect()
    };
    let (base, end) = (by_pid(&f.base), by_pid(&f.end));
    for (i, ind) in v["indicators"].as_array().unwrap().iter().enumerate() {
        for (g, gender) in ind["groups"].as_array().unwrap().iter().zip(GENDERS) {
            let mut pairs = Vec::new();
            for (pid, b) in &base {
                let Some(e) = end.get(pid) else { continue };
                if gender.is_some_and(|x| b.gender != x || e.gender != x) {
                    continue;
                }
                if let (Some(x), Some(y)) = (b.outcomes()[i], e.outcomes()[i]) {
                    pairs.push((x, y));
                }
            }
            let d = fieldline_stats::panel_difference(&pairs);
            let got = &g["diff"];
            assert_eq!(got["pairs"], d.pairs.unwrap());
            assert_eq!(got["yes_to_no"], d.yes_to_no.unwrap());
            assert_eq!(got["no_to_yes"], d.no_to_yes.unwrap());
            close(&got["statistic"], d.statistic, "statistic");
            close(&got["estimate"], d.estimate, "estimate");
            close(&got["p_value"], d.p_value, "p_value");
            // Unmatched people still count in each round's estimate.
            let n = in_group(&f.base, gender)
                .iter()
                .filter(|p| p.outcomes()[i].is_some())
                .count();
            assert_eq!(g["baseline"]["n"], n as u64);
        }
    }
    assert!(
        v["indicators"][0]["groups"][0]["diff"]["pairs"]
            .as_u64()
            .unwrap()
            >= 150
    );
}

#[test]
fn odk_central_headers_give_the_same_report() {
    let plain = json(
        &fixture(plain_csv),
        &["--by", "gender", "--panel-id", "pid"],
    );
    let central = json(
        &fixture(central_csv),
        &["--by", "gender", "--panel-id", "pid"],
    );
    assert_eq!(plain, central);
}

#[test]
fn csv_has_a_row_per_indicator_and_group() {
    let f = fixture(plain_csv);
    let out = run(&f, &["--by", "gender", "--format", "csv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut r = csv::Reader::from_reader(out.stdout.as_slice());
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        headers[..8],
        [
            "indicator",
            "label",
            "group_column",
            "group_value",
            "baseline_n",
            "baseline_successes",
            "baseline_p",
            "baseline_ci_low"
        ]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5 * GENDERS.len());
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let first = &rows[0];
    assert_eq!(&first[0], "heard_trafficking");
    assert_eq!(&first[2], "");
    let n: u64 = first[col("baseline_n")].parse().unwrap();
    assert_eq!(n, 360);
    let s: u64 = first[col("baseline_successes")].parse().unwrap();
    let p: f64 = first[col("baseline_p")].parse().unwrap();
    assert_eq!(p, fieldline_stats::simple_estimate(s, n).p.unwrap());
    assert_eq!(&rows[2][2], "gender");
    assert_eq!(&rows[2][3], "man");
}

#[test]
fn xlsx_has_a_summary_and_a_sheet_per_indicator() {
    use calamine::Reader;
    let f = fixture(plain_csv);
    let out_path = f.dir.join("report.xlsx");
    let out = run(
        &f,
        &[
            "--by",
            "gender",
            "--cluster",
            "village",
            "--out",
            out_path.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&out_path).unwrap();
    let names = wb.sheet_names();
    assert_eq!(names.len(), 6);
    assert_eq!(names[0], "Summary");
    assert_eq!(names[1..], INDICATORS);
    let summary = wb.worksheet_range("Summary").unwrap();
    let cells: Vec<String> = summary.rows().flatten().map(|c| c.to_string()).collect();
    assert!(cells.iter().any(|c| c == "heard_trafficking"), "{cells:?}");
    let sheet = wb.worksheet_range("heard_trafficking").unwrap();
    // Title, name, blank, header, then the whole sample and four genders.
    assert_eq!(sheet.height(), 4 + GENDERS.len());
}

#[test]
fn html_is_one_page_with_the_numbers_and_charts() {
    let f = fixture(plain_csv);
    let out_path = f.dir.join("report.html");
    let out = run(&f, &["--by", "gender", "--out", out_path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let html = std::fs::read_to_string(&out_path).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(html.matches("<svg xmlns").count(), 5);
    assert!(!html.contains("src=") && !html.contains("href=") && !html.contains("<script"));
    assert!(html.contains("Would check the agency&#39;s licence before leaving"));
    assert!(html.contains("gender: Woman") && html.contains("gender: (no answer)"));
    // The whole-sample sentence for heard_trafficking.
    let count = |ps: &[Person]| {
        let s = ps.iter().filter(|p| p.heard == "yes").count();
        (s, ps.len())
    };
    let ((sb, nb), (se, ne)) = (count(&f.base), count(&f.end));
    let pct = |s: usize, n: usize| format!("{:.0}%", 100.0 * s as f64 / n as f64);
    let sentence = format!("{} -&gt; {}, +", pct(sb, nb), pct(se, ne));
    assert!(html.contains(&sentence), "{sentence} in the page");
    assert!(html.contains("p &lt; 0.001"));
    assert!(html.contains(&format!("{sb} of {nb}")));
}

#[test]
fn format_follows_the_out_extension_and_xlsx_needs_a_file() {
    let f = fixture(plain_csv);
    let out_path = f.dir.join("r.csv");
    let out = run(&f, &["--out", out_path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(std::fs::read_to_string(&out_path)
        .unwrap()
        .starts_with("indicator,label,"));
    let out = run(&f, &["--format", "xlsx"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--out FILE.xlsx"),
        "{}",
        text(&out.stderr)
    );
}

fn write(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p.to_string_lossy().into_owned()
}

/// Run with a broken endline and expect exit 1 and `needle` on stderr.
fn data_error(endline: &str, extra: &[&str], needle: &str) {
    let f = fixture(plain_csv);
    let end = write(&f.dir, "broken.csv", endline);
    let form = kap();
    let mut args = vec![
        "analyze",
        "--form",
        &form,
        "--baseline",
        &f.base_path,
        "--endline",
        &end,
    ];
    args.extend_from_slice(extra);
    let out = fieldline(&args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(err.contains(needle), "{needle:?} in {err}");
    assert!(out.stdout.is_empty());
}

const HEAD: &str = "pid,gender,age,youth,heard_trafficking,knows_hotline,hotline,before_leaving,view_debt,village,weight\n";

#[test]
fn errors_name_file_row_and_column() {
    data_error(
        "pid,gender,heard_trafficking,hotline,before_leaving,view_debt,youth\n1,man,yes,,,,no\n",
        &[],
        "broken.csv: row 1: no column for field \"knows_hotline\" (know/knows_hotline) (for indicator knows_hotline)",
    );
    data_error(
        &format!(
            "{HEAD}p1,man,30,no,yes,no,,nothing,1,v1,1\np2,man,30,no,perhaps,no,,nothing,1,v1,1\n"
        ),
        &[],
        "broken.csv: row 3, column E (\"heard_trafficking\"): unknown choice \"perhaps\"",
    );
    data_error(
        &format!("{HEAD}p1,man,30,no,yes,no,,nothing,1,v1,one\n"),
        &["--weight", "weight"],
        "broken.csv: row 2, column K (\"weight\"): the weight \"one\" is not a number",
    );
    data_error(
        &format!("{HEAD}p1,man,30,no,yes,no,,nothing,1,v1,-1\n"),
        &["--weight", "weight"],
        "broken.csv: row 2, column K (\"weight\"): the weight -1 is negative",
    );
    data_error(
        &format!("{HEAD}p1,man,30,no,yes,no,,nothing,1,v1,1\n"),
        &["--cluster", "district"],
        "broken.csv: row 1: no column \"district\" for --cluster",
    );
    data_error(
        &format!("{HEAD}p1,man,30,no,yes,no,,nothing,1,v1,1\n"),
        &["--panel-id", "respondent"],
        "broken.csv: row 1: no column \"respondent\" for --panel-id",
    );
    data_error(
        &format!("{HEAD}p1,woman,30,no,yes,no,,nothing,1,v1,1\n"),
        &["--by", "district"],
        "broken.csv: row 1: no column \"district\" for --by",
    );
}

#[test]
fn a_form_without_indicators_is_refused() {
    let f = fixture(plain_csv);
    let form = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/forms/public/pyxform/unknown_question_type.xls");
    let out = fieldline(&[
        "analyze",
        "--form",
        form.to_str().unwrap(),
        "--baseline",
        &f.base_path,
        "--endline",
        &f.end_path,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("the form cannot be used"));
}

/// The value labels map in the page comes from the form's gender choices.
#[test]
fn group_values_are_sorted_with_labels_only_in_the_page() {
    let f = fixture(plain_csv);
    let v = json(&f, &["--by", "gender", "--by", "village"]);
    let groups = v["indicators"][0]["groups"].as_array().unwrap();
    let keys: Vec<BTreeMap<String, String>> = groups
        .iter()
        .map(|g| serde_json::from_value(g["group"].clone()).unwrap())
        .collect();
    // Whole sample, 4 genders, then the villages in order (one-way, not crossed).
    assert_eq!(keys.len(), 1 + 4 + 12);
    assert_eq!(keys[5].get("village").map(String::as_str), Some("v0"));
    assert_eq!(keys[6].get("village").map(String::as_str), Some("v1"));
    assert_eq!(keys[7].get("village").map(String::as_str), Some("v10"));
    assert!(keys[1..5].iter().all(|k| k.contains_key("gender")));
}
