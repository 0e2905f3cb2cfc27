//! One round's estimates of one indicator in every group of every breakdown.
//!
//! A round's rows are sorted once into cells ([`Cells`]): the rows that share their group in every
//! breakdown and their cluster. Then each indicator needs one pass over the rows that adds each
//! row to its cell ([`ObsSums`]: counts, and for the survey design the weighted sums), and a pass
//! over the few thousand cells that adds each cell to its group in every breakdown. Per row that
//! is one addition instead of one per breakdown, and only the outcome, the cell and the weight
//! are read: the pass over a million rows is what the analysis spends its time on, twenty
//! indicators times two rounds.
//!
//! When the breakdowns and clusters could combine into too many cells for a dense table, rows
//! are added to their group in every breakdown directly instead ([`by_split`]): the same sums,
//! added in another order.

use fieldline_stats::{Design, Estimate, Obs, ObsSums, SurveySums};

use crate::input::{Round, OUT, SUCCESS};

/// The most combinations of groups and clusters [`Cells::new`] makes a dense table for (4 bytes
/// each): far more than survey breakdowns have (3 sexes x 7 provinces x 6 levels of education x
/// 500 clusters is 63,000).
const MAX_COMBINATIONS: usize = 1 << 22;

/// How one breakdown splits a round's rows.
#[derive(Clone, Copy)]
pub(crate) struct Split<'a> {
    /// The group of each row; `None` for the whole sample (one group).
    pub group_of_row: Option<&'a [u32]>,
    /// Number of groups.
    pub groups: usize,
}

impl Split<'_> {
    #[inline]
    fn group(&self, row: usize) -> usize {
        self.group_of_row.map_or(0, |g| g[row] as usize)
    }
}

/// A round's rows sorted by their group in every split and their cluster.
pub(crate) struct Cells {
    /// The cell of each row.
    of_row: Vec<u32>,
    /// Each cell's group in each split (`cell * splits + split`).
    groups: Vec<u32>,
    /// Each cell's cluster id, or [`Obs::OWN_CLUSTER`] without a cluster column.
    cluster: Vec<u32>,
}

impl Cells {
    /// `None` when the splits and clusters could make more than [`MAX_COMBINATIONS`].
    pub fn new(round: &Round, splits: &[Split<'_>]) -> Option<Cells> {
        Cells::with_limit(round, splits, MAX_COMBINATIONS)
    }

    fn with_limit(round: &Round, splits: &[Split<'_>], limit: usize) -> Option<Cells> {
        let clusters = round.clusters.as_deref();
        let mut combinations = clusters.map_or(1, |_| round.cluster_count.max(1));
        for split in splits {
            combinations = combinations.checked_mul(split.groups.max(1))?;
        }
        if combinations > limit {
            return None;
        }
        // Cells are numbered in order of first appearance, through a table of every combination.
        const NONE: u32 = u32::MAX;
        let mut cell_of_combination = vec![NONE; combinations];
        let mut cells = Cells {
            of_row: Vec::with_capacity(round.rows),
            groups: Vec::new(),
            cluster: Vec::new(),
        };
        for row in 0..round.rows {
            let cluster = clusters.map_or(Obs::OWN_CLUSTER, |c| c[row]);
            let mut combination = clusters.map_or(0, |_| cluster as usize);
            for split in splits {
                combination = combination * split.groups + split.group(row);
            }
            let cell = &mut cell_of_combination[combination];
            if *cell == NONE {
                *cell = cells.cluster.len() as u32;
                cells.cluster.push(cluster);
                cells
                    .groups
                    .extend(splits.iter().map(|s| s.group(row) as u32));
            }
            cells.of_row.push(*cell);
        }
        Some(cells)
    }
}

/// Per split, per group: the estimate of the rows whose `states` (one per row of `round`) are
/// not [`OUT`], under `design`. `cells` are the round's [`Cells`] for these splits, when it has
/// them.
pub(crate) fn estimate_groups(
    design: Design,
    round: &Round,
    states: &[u8],
    splits: &[Split<'_>],
    cells: Option<&Cells>,
) -> Vec<Vec<Estimate>> {
    let groups = match cells {
        Some(cells) => by_cell(round, states, splits, cells),
        None => by_split(round, states, splits),
    };
    groups
        .iter()
        .map(|groups| {
            groups
                .iter()
                .map(|g| match design {
                    Design::Simple => fieldline_stats::simple_estimate(g.successes, g.n),
                    Design::Survey => g.sums.estimate(),
                })
                .collect()
        })
        .collect()
}

/// One group's counts and survey sums.
#[derive(Clone)]
struct GroupSums {
    n: u64,
    successes: u64,
    sums: SurveySums,
}

impl GroupSums {
    fn per_split(round: &Round, splits: &[Split<'_>]) -> Vec<Vec<GroupSums>> {
        let empty = GroupSums {
            n: 0,
            successes: 0,
            sums: SurveySums::with_clusters(round.cluster_count),
        };
        splits
            .iter()
            .map(|s| vec![empty.clone(); s.groups])
            .collect()
    }
}

/// The weight of a row: 1 without a weight column.
fn weight_of(round: &Round) -> impl Fn(usize) -> f64 + '_ {
    let weights = round.weights.as_deref();
    move |row| weights.map_or(1.0, |w| w[row])
}

fn by_cell(
    round: &Round,
    states: &[u8],
    splits: &[Split<'_>],
    cells: &Cells,
) -> Vec<Vec<GroupSums>> {
    let weight = weight_of(round);
    let mut of_cell = vec![ObsSums::default(); cells.cluster.len()];
    for (row, (&state, &cell)) in states.iter().zip(&cells.of_row).enumerate() {
        if state != OUT {
            of_cell[cell as usize].add(state == SUCCESS, weight(row));
        }
    }
    let mut groups = GroupSums::per_split(round, splits);
    let per_cell = cells.groups.chunks_exact(splits.len().max(1));
    for ((sums, &cluster), cell_groups) in of_cell.iter().zip(&cells.cluster).zip(per_cell) {
        if sums.n() == 0 {
            continue;
        }
        for (split_groups, &g) in groups.iter_mut().zip(cell_groups) {
            let group = &mut split_groups[g as usize];
            group.n += sums.n();
            group.successes += sums.successes();
            group.sums.add_sums(cluster, sums);
        }
    }
    groups
}

fn by_split(round: &Round, states: &[u8], splits: &[Split<'_>]) -> Vec<Vec<GroupSums>> {
    let weight = weight_of(round);
    let clusters = round.clusters.as_deref();
    let mut groups = GroupSums::per_split(round, splits);
    for (row, &state) in states.iter().enumerate() {
        if state == OUT {
            continue;
        }
        let obs = Obs {
            success: state == SUCCESS,
            weight: weight(row),
            cluster: clusters.map_or(Obs::OWN_CLUSTER, |c| c[row]),
        };
        for (split, split_groups) in splits.iter().zip(&mut groups) {
            let group = &mut split_groups[split.group(row)];
            group.n += 1;
            group.successes += u64::from(obs.success);
            group.sums.add(obs);
        }
    }
    groups
}

#[cfg(test)]
mod tests;
