//! Every formula against reference values from statsmodels, scipy and samplics.
//!
//! `reference/fixtures.json` is the committed output of `reference/generate.py` (see that script
//! for where each value comes from and for the cases where issue 6 fixes a rule instead); nothing
//! here needs Python. Every value must agree to 1e-9: absolute for values up to 1 in magnitude,
//! relative beyond (McNemar statistics run into the tens of thousands).

use std::cell::Cell;

use fieldline_stats::{
    difference, difference_of, estimate, panel_difference, panel_from_counts, simple_difference,
    simple_estimate, Design, Difference, Estimate, Obs, Z_975,
};
use serde_json::Value;

const TOLERANCE: f64 = 1e-9;

fn fixtures() -> Value {
    let text = include_str!("../reference/fixtures.json");
    serde_json::from_str(text).expect("fixtures.json parses")
}

/// Compares values and remembers the largest scaled deviation seen.
struct Checker {
    max_dev: Cell<f64>,
    compared: Cell<usize>,
}

impl Checker {
    fn new() -> Self {
        Checker {
            max_dev: Cell::new(0.0),
            compared: Cell::new(0),
        }
    }

    fn value(&self, what: &str, got: Option<f64>, want: &Value) {
        match (got, want.as_f64()) {
            (None, None) => assert!(want.is_null(), "{what}: expected {want}, got null"),
            (Some(g), Some(w)) => {
                let dev = (g - w).abs() / w.abs().max(1.0);
                assert!(
                    dev <= TOLERANCE,
                    "{what}: got {g}, reference {w} (deviation {dev:e})"
                );
                self.compared.set(self.compared.get() + 1);
                if dev > self.max_dev.get() {
                    self.max_dev.set(dev);
                }
            }
            (g, _) => panic!("{what}: got {g:?}, reference {want}"),
        }
    }

    fn count(&self, what: &str, got: u64, want: &Value) {
        assert_eq!(Some(got), want.as_u64(), "{what}");
    }

    fn report(&self, section: &str) {
        // Shown with --nocapture: the largest deviation from the references in this section.
        eprintln!(
            "{section}: {} values, max deviation {:e}",
            self.compared.get(),
            self.max_dev.get()
        );
        assert!(self.compared.get() > 0, "{section}: nothing compared");
    }

    fn difference(&self, what: &str, got: &Difference, case: &Value) {
        self.value(&format!("{what} estimate"), got.estimate, &case["estimate"]);
        self.value(&format!("{what} ci_low"), got.ci_low, &case["ci_low"]);
        self.value(&format!("{what} ci_high"), got.ci_high, &case["ci_high"]);
        self.value(&format!("{what} p_value"), got.p_value, &case["p_value"]);
    }
}

fn u(v: &Value) -> u64 {
    v.as_u64().expect("an unsigned integer")
}

fn cases<'a>(doc: &'a Value, key: &str) -> &'a Vec<Value> {
    doc[key].as_array().expect("a list of cases")
}

fn simple_obs(successes: u64, n: u64) -> Vec<Obs> {
    (0..n)
        .map(|i| Obs {
            success: i < successes,
            weight: 1.0,
            cluster: 0,
        })
        .collect()
}

/// A survey fixture's observations: weight 1 without a weight column; without a cluster column each
/// observation is its own cluster, marked [`Obs::OWN_CLUSTER`] (or, with `distinct_ids`, given its
/// index as a cluster id: the same design).
fn survey_obs_with(case: &Value, distinct_ids: bool) -> Vec<Obs> {
    let success = case["success"].as_str().unwrap().as_bytes();
    success
        .iter()
        .enumerate()
        .map(|(i, &s)| Obs {
            success: s == b'1',
            weight: case["weight"]
                .as_array()
                .map_or(1.0, |w| w[i].as_f64().unwrap()),
            cluster: case["cluster"].as_array().map_or(
                if distinct_ids {
                    i as u32
                } else {
                    Obs::OWN_CLUSTER
                },
                |c| c[i].as_u64().unwrap() as u32,
            ),
        })
        .collect()
}

fn survey_obs(case: &Value) -> Vec<Obs> {
    survey_obs_with(case, false)
}

#[test]
fn critical_value_matches_scipy() {
    assert_eq!(fixtures()["z_975"].as_f64(), Some(Z_975));
}

#[test]
fn wilson_matches_statsmodels_proportion_confint() {
    let doc = fixtures();
    let check = Checker::new();
    for case in cases(&doc, "wilson") {
        let (s, n) = (u(&case["s"]), u(&case["n"]));
        let what = format!("wilson {s}/{n}");
        let mut estimates = vec![simple_estimate(s, n)];
        if n <= 100_000 {
            estimates.push(estimate(&simple_obs(s, n), Design::Simple));
        }
        for e in estimates {
            check.count(&what, e.n, &case["n"]);
            check.count(&what, e.successes, &case["s"]);
            let p = (n > 0).then(|| s as f64 / n as f64);
            assert_eq!(e.p, p, "{what} p");
            check.value(&format!("{what} ci_low"), e.ci_low, &case["low"]);
            check.value(&format!("{what} ci_high"), e.ci_high, &case["high"]);
            assert_eq!((e.se, e.deff), (None, None), "{what}: simple design");
        }
    }
    check.report("wilson");
}

#[test]
fn simple_difference_matches_statsmodels_newcombe_and_ztest() {
    let doc = fixtures();
    let check = Checker::new();
    for case in cases(&doc, "difference") {
        let (sb, nb, se, ne) = (
            u(&case["sb"]),
            u(&case["nb"]),
            u(&case["se"]),
            u(&case["ne"]),
        );
        let what = format!("difference {se}/{ne} - {sb}/{nb}");
        let got = simple_difference(sb, nb, se, ne);
        check.difference(&what, &got, case);
        assert_eq!(
            got,
            difference_of(&simple_estimate(sb, nb), &simple_estimate(se, ne))
        );
        if nb + ne <= 20_000 {
            let from_obs = difference(&simple_obs(sb, nb), &simple_obs(se, ne), Design::Simple);
            check.difference(&format!("{what} (observations)"), &from_obs, case);
        }
    }
    check.report("difference");
}

#[test]
fn survey_estimate_matches_samplics_taylor() {
    let doc = fixtures();
    let check = Checker::new();
    for case in cases(&doc, "survey") {
        let name = case["name"].as_str().unwrap();
        for distinct_ids in [false, true] {
            if distinct_ids && !case["cluster"].is_null() {
                continue;
            }
            let e: Estimate = estimate(&survey_obs_with(case, distinct_ids), Design::Survey);
            let what = format!("{name} (distinct ids: {distinct_ids})");
            check.count(&what, e.n, &case["n"]);
            check.count(&what, e.successes, &case["successes"]);
            check.value(&format!("{what}: p"), e.p, &case["p"]);
            check.value(&format!("{what}: se"), e.se, &case["se"]);
            check.value(&format!("{what}: ci_low"), e.ci_low, &case["ci_low"]);
            check.value(&format!("{what}: ci_high"), e.ci_high, &case["ci_high"]);
            check.value(&format!("{what}: deff"), e.deff, &case["deff"]);
            // The JSON shape: se and deff present with a survey design, null or not.
            let json = serde_json::to_value(&e).unwrap();
            assert!(
                json.get("se").is_some() && json.get("deff").is_some(),
                "{json}"
            );
        }
    }
    check.report("survey");
}

#[test]
fn survey_difference_matches_normal_approximation() {
    let doc = fixtures();
    let survey = cases(&doc, "survey");
    let check = Checker::new();
    for case in cases(&doc, "survey_difference") {
        let (b, e) = (
            &survey[u(&case["baseline"]) as usize],
            &survey[u(&case["endline"]) as usize],
        );
        let what = format!(
            "{} -> {}",
            b["name"].as_str().unwrap(),
            e["name"].as_str().unwrap()
        );
        let got = difference(&survey_obs(b), &survey_obs(e), Design::Survey);
        check.difference(&what, &got, case);
        let json = serde_json::to_value(&got).unwrap();
        assert!(json.get("pairs").is_none(), "{json}");
    }
    check.report("survey_difference");
}

#[test]
fn panel_matches_statsmodels_mcnemar_and_paired_wald() {
    let doc = fixtures();
    let check = Checker::new();
    for case in cases(&doc, "panel") {
        let (n, b, c) = (u(&case["n"]), u(&case["b"]), u(&case["c"]));
        let what = format!("panel n={n} b={b} c={c}");
        let both = (n - b - c) / 2;
        let mut pairs = Vec::with_capacity(n as usize);
        pairs.extend((0..both).map(|_| (true, true)));
        pairs.extend((0..b).map(|_| (true, false)));
        pairs.extend((0..c).map(|_| (false, true)));
        pairs.extend((0..n - b - c - both).map(|_| (false, false)));
        let got = panel_difference(&pairs);
        assert_eq!(got, panel_from_counts(n, b, c), "{what}");
        assert_eq!(
            (got.pairs, got.yes_to_no, got.no_to_yes),
            (Some(n), Some(b), Some(c)),
            "{what}"
        );
        check.difference(&what, &got, case);
        check.value(
            &format!("{what} statistic"),
            got.statistic,
            &case["statistic"],
        );
    }
    check.report("panel");
}
