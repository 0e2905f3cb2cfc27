use fieldline_stats::{Design, Estimate, Obs};

use super::{estimate_groups, Cells, Split};
use crate::input::{Round, FAILURE, OUT, SUCCESS};

/// 600 rows: two breakdowns (3 and 5 groups), 17 clusters, weights in quarters so that every
/// sum is exact in any order, and some rows out of the denominator.
struct Data {
    round: Round,
    sex: Vec<u32>,
    district: Vec<u32>,
}

fn data(clustered: bool, weighted: bool) -> Data {
    let rows = 600;
    let mix = |i: usize| (i as u32).wrapping_mul(2_654_435_761);
    let states: Vec<u8> = (0..rows)
        .map(|i| match mix(i) % 7 {
            0 => OUT,
            1..=3 => SUCCESS,
            _ => FAILURE,
        })
        .collect();
    Data {
        round: Round {
            file: "test.csv".into(),
            rows,
            states: vec![states],
            groups: Vec::new(),
            weights: weighted.then(|| (0..rows).map(|i| f64::from(mix(i) % 11) / 4.0).collect()),
            clusters: clustered.then(|| (0..rows).map(|i| (mix(i) >> 11) % 17).collect()),
            cluster_count: if clustered { 17 } else { 0 },
            panel: None,
        },
        sex: (0..rows).map(|i| (mix(i) >> 5) % 3).collect(),
        district: (0..rows).map(|i| (mix(i) >> 17) % 5).collect(),
    }
}

fn splits(d: &Data) -> Vec<Split<'_>> {
    vec![
        Split {
            group_of_row: None,
            groups: 1,
        },
        Split {
            group_of_row: Some(&d.sex),
            groups: 3,
        },
        Split {
            group_of_row: Some(&d.district),
            groups: 5,
        },
    ]
}

/// What the statistics crate says of each group's observations, collected in row order.
fn expected(d: &Data, splits: &[Split<'_>], design: Design) -> Vec<Vec<Estimate>> {
    let round = &d.round;
    splits
        .iter()
        .map(|split| {
            (0..split.groups)
                .map(|g| {
                    let obs: Vec<Obs> = (0..round.rows)
                        .filter(|&row| round.states[0][row] != OUT && split.group(row) == g)
                        .map(|row| Obs {
                            success: round.states[0][row] == SUCCESS,
                            weight: round.weights.as_ref().map_or(1.0, |w| w[row]),
                            cluster: round.clusters.as_ref().map_or(Obs::OWN_CLUSTER, |c| c[row]),
                        })
                        .collect();
                    fieldline_stats::estimate(&obs, design)
                })
                .collect()
        })
        .collect()
}

#[test]
fn cells_and_the_direct_pass_give_each_groups_estimate() {
    for (design, clustered, weighted) in [
        (Design::Simple, false, false),
        (Design::Survey, true, true),
        (Design::Survey, true, false),
        (Design::Survey, false, true),
    ] {
        let d = data(clustered, weighted);
        let splits = splits(&d);
        let want = expected(&d, &splits, design);
        let cells = Cells::new(&d.round, &splits).expect("few combinations");
        // 1 x 3 x 5 groups (x 17 clusters) over 600 rows: most combinations occur.
        assert!(cells.cluster.len() > if clustered { 150 } else { 14 });
        let states = &d.round.states[0];
        let got = estimate_groups(design, &d.round, states, &splits, Some(&cells));
        assert_eq!(
            got, want,
            "{design:?} clustered {clustered} weighted {weighted}"
        );
        let direct = estimate_groups(design, &d.round, states, &splits, None);
        assert_eq!(
            direct, want,
            "{design:?} clustered {clustered} weighted {weighted}"
        );
        assert!(want[0][0].se.is_some() || design == Design::Simple);
    }
}

#[test]
fn too_many_combinations_leave_the_rows_to_the_direct_pass() {
    let d = data(true, true);
    let splits = splits(&d);
    // 17 clusters x 3 x 5 groups = 255 combinations.
    assert!(Cells::with_limit(&d.round, &splits, 254).is_none());
    assert!(Cells::with_limit(&d.round, &splits, 255).is_some());
}
