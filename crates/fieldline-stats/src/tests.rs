//! Edge cases of every formula. Values against statsmodels/scipy/samplics are in
//! `tests/reference.rs`.

use super::*;

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-12, "{a} vs {b}");
}

fn obs(success: bool, weight: f64, cluster: u32) -> Obs {
    Obs {
        success,
        weight,
        cluster,
    }
}

fn simple_obs(successes: usize, n: usize) -> Vec<Obs> {
    (0..n).map(|i| obs(i < successes, 1.0, i as u32)).collect()
}

#[test]
fn simple_n0_has_counts_zero_and_null_estimates() {
    let e = estimate(&[], Design::Simple);
    assert_eq!(e, Estimate::empty(Design::Simple));
    assert_eq!((e.n, e.successes), (0, 0));
    assert_eq!(
        (e.p, e.ci_low, e.ci_high, e.se, e.deff),
        (None, None, None, None, None)
    );
    assert_eq!(
        serde_json::to_string(&e).unwrap(),
        r#"{"n":0,"successes":0,"p":null,"ci_low":null,"ci_high":null}"#
    );
}

#[test]
fn survey_n0_keeps_se_and_deff_keys_as_null() {
    let e = estimate(&[], Design::Survey);
    assert_eq!(e, Estimate::empty(Design::Survey));
    assert_eq!(
        serde_json::to_string(&e).unwrap(),
        r#"{"n":0,"successes":0,"p":null,"ci_low":null,"ci_high":null,"se":null,"deff":null}"#
    );
}

#[test]
fn simple_p0_wilson_starts_at_zero() {
    let e = estimate(&simple_obs(0, 10), Design::Simple);
    assert_eq!((e.n, e.successes, e.p), (10, 0, Some(0.0)));
    assert_eq!(e.ci_low, Some(0.0));
    // Wilson upper limit at 0/n: z² / (n + z²).
    close(e.ci_high.unwrap(), Z_975 * Z_975 / (10.0 + Z_975 * Z_975));
}

#[test]
fn simple_p1_wilson_ends_at_one() {
    let e = estimate(&simple_obs(10, 10), Design::Simple);
    assert_eq!(e.p, Some(1.0));
    assert_eq!(e.ci_high, Some(1.0));
    close(e.ci_low.unwrap(), 10.0 / (10.0 + Z_975 * Z_975));
}

#[test]
fn simple_estimate_serializes_without_se_and_deff() {
    let json = serde_json::to_value(estimate(&simple_obs(3, 10), Design::Simple)).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 5);
    for k in ["n", "successes", "p", "ci_low", "ci_high"] {
        assert!(keys.contains(&k), "{k} missing from {json}");
    }
}

#[test]
fn survey_p0_and_p1_have_zero_se_and_null_deff() {
    for success in [false, true] {
        let data: Vec<Obs> = (0..6)
            .map(|i| obs(success, 1.0 + i as f64, i % 3))
            .collect();
        let e = estimate(&data, Design::Survey);
        let p = if success { 1.0 } else { 0.0 };
        assert_eq!(e.p, Some(p));
        assert_eq!(e.se, Some(0.0));
        assert_eq!((e.ci_low, e.ci_high), (Some(p), Some(p)));
        assert_eq!(e.deff, None);
        let json = serde_json::to_value(&e).unwrap();
        assert!(
            json["deff"].is_null() && json.get("deff").is_some(),
            "{json}"
        );
    }
}

#[test]
fn survey_single_cluster_has_null_variance() {
    let data = [obs(true, 2.0, 4), obs(false, 1.0, 4), obs(true, 3.0, 4)];
    let e = estimate(&data, Design::Survey);
    assert_eq!((e.n, e.successes), (3, 2));
    close(e.p.unwrap(), 5.0 / 6.0);
    assert_eq!(
        (e.se, e.ci_low, e.ci_high, e.deff),
        (None, None, None, None)
    );
    // The difference keeps its point estimate but has no interval or p-value.
    let other = [obs(true, 1.0, 0), obs(false, 1.0, 1)];
    let d = difference(&other, &data, Design::Survey);
    close(d.estimate.unwrap(), 5.0 / 6.0 - 0.5);
    assert_eq!((d.ci_low, d.ci_high, d.p_value), (None, None, None));
}

#[test]
fn survey_counts_only_clusters_present_and_zero_weights_still_count() {
    // Clusters 0 and 7 present; ids in between absent. A zero-weight observation counts in n and
    // makes its cluster present.
    let data = [
        obs(true, 1.0, 0),
        obs(false, 1.0, 0),
        obs(true, 1.0, 7),
        obs(true, 0.0, 3),
    ];
    let e = estimate(&data, Design::Survey);
    assert_eq!((e.n, e.successes), (4, 3));
    close(e.p.unwrap(), 2.0 / 3.0);
    // z_0 = (1 − 2·2/3)/3 = −1/9, z_3 = 0, z_7 = (1 − 2/3)/3 = 1/9; C = 3.
    let var: f64 = 3.0 / 2.0 * (2.0 / 81.0);
    close(e.se.unwrap(), var.sqrt());
    close(e.deff.unwrap(), var / ((2.0 / 3.0) * (1.0 / 3.0) / 4.0));
}

#[test]
fn survey_all_zero_weights_is_undefined() {
    let data = [obs(true, 0.0, 0), obs(false, 0.0, 1)];
    let e = estimate(&data, Design::Survey);
    assert_eq!((e.n, e.successes), (2, 1));
    assert_eq!((e.p, e.se, e.ci_low, e.deff), (None, None, None, None));
    assert_eq!(
        difference(&data, &data, Design::Survey),
        Difference::default()
    );
}

#[test]
fn difference_is_null_when_either_side_is_empty() {
    let some = simple_obs(3, 10);
    for design in [Design::Simple, Design::Survey] {
        for (b, e) in [
            (&some[..], &[][..]),
            (&[][..], &some[..]),
            (&[][..], &[][..]),
        ] {
            let d = difference(b, e, design);
            assert_eq!(d, Difference::default());
            assert_eq!(
                serde_json::to_string(&d).unwrap(),
                r#"{"estimate":null,"ci_low":null,"ci_high":null,"p_value":null}"#
            );
        }
    }
}

#[test]
fn simple_difference_pooled_0_or_1_has_p_value_1() {
    for s in [0, 1] {
        let b = simple_obs(5 * s, 5);
        let e = simple_obs(8 * s, 8);
        let d = difference(&b, &e, Design::Simple);
        assert_eq!(d.estimate, Some(0.0));
        assert_eq!(d.p_value, Some(1.0));
        assert!(d.ci_low.unwrap() < 0.0 && d.ci_high.unwrap() > 0.0);
    }
}

#[test]
fn survey_difference_with_zero_se_is_a_point() {
    let zeros: Vec<Obs> = (0..4).map(|i| obs(false, 1.0, i)).collect();
    let ones: Vec<Obs> = (0..4).map(|i| obs(true, 2.0, i)).collect();
    let d = difference(&zeros, &ones, Design::Survey);
    assert_eq!(
        (d.estimate, d.ci_low, d.ci_high, d.p_value),
        (Some(1.0), Some(1.0), Some(1.0), Some(0.0))
    );
    let d = difference(&zeros, &zeros, Design::Survey);
    assert_eq!(
        (d.estimate, d.ci_low, d.ci_high, d.p_value),
        (Some(0.0), Some(0.0), Some(0.0), Some(1.0))
    );
}

#[test]
fn panel_without_discordant_pairs_has_statistic_0_and_p_value_1() {
    let pairs = [(true, true), (false, false), (true, true)];
    let d = panel_difference(&pairs);
    assert_eq!(d.pairs, Some(3));
    assert_eq!((d.yes_to_no, d.no_to_yes), (Some(0), Some(0)));
    assert_eq!((d.statistic, d.p_value), (Some(0.0), Some(1.0)));
    assert_eq!(
        (d.estimate, d.ci_low, d.ci_high),
        (Some(0.0), Some(0.0), Some(0.0))
    );
}

#[test]
fn panel_without_pairs_is_null_with_zero_counts() {
    let d = panel_difference(&[]);
    assert_eq!(
        serde_json::to_string(&d).unwrap(),
        r#"{"estimate":null,"ci_low":null,"ci_high":null,"p_value":null,"pairs":0,"yes_to_no":0,"no_to_yes":0}"#
    );
}

#[test]
fn panel_counts_and_formulas() {
    // b = 2 (yes→no), c = 5 (no→yes), n = 10.
    let mut pairs = vec![(true, false); 2];
    pairs.extend([(false, true); 5]);
    pairs.extend([(true, true); 2]);
    pairs.push((false, false));
    let d = panel_difference(&pairs);
    assert_eq!(
        (d.pairs, d.yes_to_no, d.no_to_yes),
        (Some(10), Some(2), Some(5))
    );
    close(d.estimate.unwrap(), 0.3);
    let se = (7.0f64 - 9.0 / 10.0).sqrt() / 10.0;
    close(d.ci_low.unwrap(), 0.3 - Z_975 * se);
    close(d.statistic.unwrap(), 4.0 / 7.0);
    close(d.p_value.unwrap(), chi2_1_sf(4.0 / 7.0));
    assert_eq!(d, panel_from_counts(10, 2, 5));
}

#[test]
fn panel_equal_discordant_counts_follow_statsmodels() {
    // (|b − c| − 1)² is not floored: b = c = 3 gives 1/6.
    let d = panel_from_counts(9, 3, 3);
    close(d.statistic.unwrap(), 1.0 / 6.0);
    assert_eq!(d.estimate, Some(0.0));
}

#[test]
fn distribution_tails() {
    close(normal_sf(0.0), 0.5);
    close(two_sided_p(Z_975), 0.05);
    close(two_sided_p(-Z_975), 0.05);
    close(chi2_1_sf(Z_975 * Z_975), 0.05);
    assert_eq!(chi2_1_sf(0.0), 1.0);
    // scipy.stats.norm.sf(10) = 7.61985302416047e-24: relative accuracy in the far tail.
    let v = normal_sf(10.0);
    assert!((v / 7.619_853_024_160_47e-24 - 1.0).abs() < 1e-13, "{v}");
}

#[test]
fn difference_of_matches_difference() {
    let b: Vec<Obs> = (0..40)
        .map(|i| obs(i % 3 == 0, 1.0 + (i % 5) as f64, i % 6))
        .collect();
    let e: Vec<Obs> = (0..50)
        .map(|i| obs(i % 2 == 0, 0.5 + (i % 7) as f64, i % 9))
        .collect();
    for design in [Design::Simple, Design::Survey] {
        let d = difference(&b, &e, design);
        assert_eq!(
            d,
            difference_of(&estimate(&b, design), &estimate(&e, design))
        );
        assert!(d.p_value.is_some() && d.pairs.is_none());
    }
}

#[test]
fn own_cluster_marker_equals_distinct_ids_even_mixed_with_clusters() {
    let distinct: Vec<Obs> = (0..30u32)
        .map(|i| obs(i % 4 == 1 || i % 7 == 0, 0.3 + f64::from(i % 5) * 1.7, i))
        .collect();
    let marked: Vec<Obs> = distinct
        .iter()
        .map(|o| Obs {
            cluster: Obs::OWN_CLUSTER,
            ..*o
        })
        .collect();
    let (a, b) = (
        estimate(&distinct, Design::Survey),
        estimate(&marked, Design::Survey),
    );
    assert_eq!((a.n, a.successes, a.p), (b.n, b.successes, b.p));
    close(a.se.unwrap(), b.se.unwrap());
    close(a.deff.unwrap(), b.deff.unwrap());
    // Half in real clusters (ids 0..3), half on their own (ids 100.. or the marker).
    let mixed_ids: Vec<Obs> = distinct
        .iter()
        .enumerate()
        .map(|(i, o)| Obs {
            cluster: if i < 15 { i as u32 % 3 } else { 100 + i as u32 },
            ..*o
        })
        .collect();
    let mixed_marker: Vec<Obs> = mixed_ids
        .iter()
        .map(|o| Obs {
            cluster: if o.cluster >= 100 {
                Obs::OWN_CLUSTER
            } else {
                o.cluster
            },
            ..*o
        })
        .collect();
    let (a, b) = (
        estimate(&mixed_ids, Design::Survey),
        estimate(&mixed_marker, Design::Survey),
    );
    assert_eq!(a.p, b.p);
    close(a.se.unwrap(), b.se.unwrap());
    // One observation on its own is a single cluster too.
    let one = [obs(true, 2.0, Obs::OWN_CLUSTER)];
    assert_eq!(estimate(&one, Design::Survey).se, None);
}

#[test]
fn survey_sums_give_the_hand_computed_answer() {
    // W = 6, Σ w y = 3, so p = 1/2; z = (0, 1/6, −1/6), z̄ = 0, so
    // var = 3/2 · 2/36 = 1/12 and deff = (1/12) / (1/4 / 4) = 4/3.
    let data = [
        obs(true, 1.0, 0),
        obs(false, 1.0, 0),
        obs(true, 2.0, 1),
        obs(false, 2.0, 2),
    ];
    let mut sums = SurveySums::new();
    data.iter().for_each(|&o| sums.add(o));
    let e = sums.estimate();
    assert_eq!((e.n, e.successes, e.p), (4, 2, Some(0.5)));
    close(e.se.unwrap(), (1.0f64 / 12.0).sqrt());
    close(e.deff.unwrap(), 4.0 / 3.0);
    close(e.ci_low.unwrap(), 0.5 - Z_975 * (1.0f64 / 12.0).sqrt());
    // Each observation its own cluster: W = 4, p = 1/4, z = ±3/16, var = 2 · 2 · (3/16)² and
    // deff = var / (3/16 / 2) = 3/2.
    let mut own = SurveySums::new();
    own.add(obs(true, 1.0, Obs::OWN_CLUSTER));
    own.add(obs(false, 3.0, Obs::OWN_CLUSTER));
    let e = own.estimate();
    assert_eq!(e.p, Some(0.25));
    close(e.se.unwrap(), 0.375);
    close(e.deff.unwrap(), 1.5);
}

/// The variance as written, z_c = Σ_{i∈c} w_i (y_i − p) / W, with p known first: a second
/// pass over stored observations, which [`SurveySums`] does without.
fn two_pass_variance(data: &[Obs]) -> f64 {
    let total_w: f64 = data.iter().map(|o| o.weight).sum();
    let p = data
        .iter()
        .filter(|o| o.success)
        .map(|o| o.weight)
        .sum::<f64>()
        / total_w;
    let mut z: std::collections::BTreeMap<u32, f64> = Default::default();
    for o in data {
        let y = if o.success { 1.0 } else { 0.0 };
        *z.entry(o.cluster).or_default() += o.weight * (y - p) / total_w;
    }
    let c = z.len() as f64;
    let mean = z.values().sum::<f64>() / c;
    c / (c - 1.0) * z.values().map(|v| (v - mean).powi(2)).sum::<f64>()
}

#[test]
fn survey_sums_in_one_pass_equal_the_two_pass_formula_whatever_the_table_size() {
    // 500 observations over 37 clusters (ids with gaps), weights from 0 to 3.
    let data: Vec<Obs> = (0..500u32)
        .map(|i| {
            let mix = i.wrapping_mul(2_654_435_761);
            obs(mix % 5 < 2, f64::from(mix % 31) / 10.0, (mix >> 7) % 37 * 2)
        })
        .collect();
    let want = two_pass_variance(&data);
    for mut sums in [SurveySums::new(), SurveySums::with_clusters(80)] {
        data.iter().for_each(|&o| sums.add(o));
        let e = sums.estimate();
        close(e.se.unwrap().powi(2), want);
        assert_eq!(e, estimate(&data, Design::Survey));
    }
}

#[test]
fn survey_sums_added_in_batches_equal_one_at_a_time() {
    // Weights in quarters, so every sum is exact in any order and the estimates must be equal.
    let data: Vec<Obs> = (0..400u32)
        .map(|i| {
            let mix = i.wrapping_mul(2_654_435_761);
            let cluster = if i % 9 == 0 {
                Obs::OWN_CLUSTER
            } else {
                (mix >> 9) % 23
            };
            obs(mix % 3 == 0, f64::from(mix % 13) / 4.0, cluster)
        })
        .collect();
    // Batches: one per (cluster, i % 4), as a caller's finer cells would be.
    let mut cells: std::collections::BTreeMap<(u32, u32), ObsSums> = Default::default();
    for (i, o) in data.iter().enumerate() {
        let cell = cells.entry((o.cluster, i as u32 % 4)).or_default();
        cell.add(o.success, o.weight);
    }
    let mut batched = SurveySums::new();
    for (&(cluster, _), sums) in &cells {
        batched.add_sums(cluster, sums);
    }
    let e = batched.estimate();
    assert_eq!(e, estimate(&data, Design::Survey));
    assert!(e.se.is_some() && e.deff.is_some());
    let (n, successes) = cells
        .values()
        .fold((0, 0), |(n, s), c| (n + c.n(), s + c.successes()));
    assert_eq!((n, successes), (e.n, e.successes));
}
