//! Grouping two rounds and estimating every indicator in every group.

use std::collections::{BTreeMap, HashMap};

use fieldline_stats::{Design, Difference, Estimate};
use serde::Serialize;

use crate::compile::{text_in, Analysis};
use crate::input::{Round, OUT, SUCCESS};
use crate::tally::{self, Cells, Split};

/// The result, serialized as issue 6's stable JSON shape.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub indicators: Vec<IndicatorResult>,
    /// For the human-readable renderings; not part of the JSON.
    #[serde(skip)]
    pub meta: Meta,
}

#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub title: String,
    pub baseline_file: String,
    pub endline_file: String,
    pub baseline_rows: usize,
    pub endline_rows: usize,
    /// "simple random sample", or the survey design with its columns; and "panel" when paired.
    pub design: String,
    /// Whether estimates carry `se` and `deff` (survey design) and the change is paired.
    pub survey: bool,
    pub panel: bool,
    /// Labels of `--by` values that are choices of a select question (column -> value -> label).
    pub value_labels: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IndicatorResult {
    pub name: String,
    /// In the form's default language.
    pub label: String,
    pub groups: Vec<GroupResult>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupResult {
    /// `{}` for the whole sample, `{"column": "value"}` for a breakdown group.
    pub group: BTreeMap<String, String>,
    pub baseline: Estimate,
    pub endline: Estimate,
    pub diff: Difference,
}

/// One breakdown: the whole sample (`column` `None`, one group) or a `--by` column.
struct Breakdown {
    column: Option<String>,
    values: Vec<String>,
    /// Per round, the row's group index.
    of_row: [Option<Vec<u32>>; 2],
}

impl Breakdown {
    fn group(&self, round: usize, row: usize) -> usize {
        self.of_row[round].as_ref().map_or(0, |g| g[row] as usize)
    }
}

/// Estimate every indicator for the whole sample and each group of each `--by` column, in
/// both rounds, and the change from baseline to endline.
pub fn analyze(analysis: &Analysis, baseline: &Round, endline: &Round) -> Report {
    let spec = &analysis.spec;
    let design = if spec.is_survey() {
        Design::Survey
    } else {
        Design::Simple
    };
    let rounds = [baseline, endline];
    let mut breakdowns = vec![Breakdown {
        column: None,
        values: vec![String::new()],
        of_row: [None, None],
    }];
    for (b, name) in spec.by.iter().enumerate() {
        let mut values: Vec<String> = rounds
            .iter()
            .flat_map(|r| r.groups[b].values.iter().cloned())
            .collect();
        sort_values(&mut values);
        values.dedup();
        let index: HashMap<&str, u32> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (v.as_str(), i as u32))
            .collect();
        let of_row = rounds.map(|r| {
            let g = &r.groups[b];
            let global: Vec<u32> = g.values.iter().map(|v| index[v.as_str()]).collect();
            Some(g.of_row.iter().map(|&l| global[l as usize]).collect())
        });
        breakdowns.push(Breakdown {
            column: Some(name.clone()),
            values,
            of_row,
        });
    }
    let pairs = panel_pairs(baseline, endline);

    let splits: [Vec<Split>; 2] = std::array::from_fn(|r| {
        breakdowns
            .iter()
            .map(|bd| Split {
                group_of_row: bd.of_row[r].as_deref(),
                groups: bd.values.len(),
            })
            .collect()
    });
    let cells: [Option<Cells>; 2] = std::array::from_fn(|r| Cells::new(rounds[r], &splits[r]));

    let one = |i: usize| {
        let ind = &analysis.indicators[i];
        let [base, end] = std::array::from_fn(|r| {
            let (round, cells) = (rounds[r], cells[r].as_ref());
            tally::estimate_groups(design, round, &round.states[i], &splits[r], cells)
        });
        let mut groups = Vec::new();
        for ((bd, base), end) in breakdowns.iter().zip(base).zip(end) {
            let diffs: Vec<Difference> = match &pairs {
                Some(pairs) => panel_differences(bd, pairs, baseline, endline, i),
                None => base
                    .iter()
                    .zip(&end)
                    .map(|(b, e)| fieldline_stats::difference_of(b, e))
                    .collect(),
            };
            for (g, ((b, e), d)) in base.into_iter().zip(end).zip(diffs).enumerate() {
                let mut group = BTreeMap::new();
                if let Some(column) = &bd.column {
                    group.insert(column.clone(), bd.values[g].clone());
                }
                groups.push(GroupResult {
                    group,
                    baseline: b,
                    endline: e,
                    diff: d,
                });
            }
        }
        IndicatorResult {
            name: ind.name.clone(),
            label: ind.label.clone(),
            groups,
        }
    };
    let indicators = each_indicator(analysis.indicators.len(), one);
    Report {
        indicators,
        meta: meta(analysis, baseline, endline),
    }
}

/// The paired change of indicator `i` in each group of `bd`: pairs whose two rows are in the
/// group and in the indicator's denominator in both rounds.
fn panel_differences(
    bd: &Breakdown,
    pairs: &[(u32, u32)],
    baseline: &Round,
    endline: &Round,
    i: usize,
) -> Vec<Difference> {
    // (pairs, yes_to_no, no_to_yes) per group.
    let mut counts = vec![(0u64, 0u64, 0u64); bd.values.len()];
    let (sb, se) = (&baseline.states[i], &endline.states[i]);
    for &(rb, re) in pairs {
        let (rb, re) = (rb as usize, re as usize);
        let g = bd.group(0, rb);
        if g != bd.group(1, re) || sb[rb] == OUT || se[re] == OUT {
            continue;
        }
        let c = &mut counts[g];
        c.0 += 1;
        match (sb[rb] == SUCCESS, se[re] == SUCCESS) {
            (true, false) => c.1 += 1,
            (false, true) => c.2 += 1,
            _ => {}
        }
    }
    counts
        .into_iter()
        .map(|(n, b, c)| fieldline_stats::panel_from_counts(n, b, c))
        .collect()
}

/// `one(i)` for every indicator `i`, in order. Natively the indicators are shared out among the
/// machine's cores (each indicator reads every row of both rounds, so this is most of the work
/// after reading); in wasm, one after the other.
fn each_indicator<F>(count: usize, one: F) -> Vec<IndicatorResult>
where
    F: Fn(usize) -> IndicatorResult + Sync,
{
    #[cfg(not(target_arch = "wasm32"))]
    {
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(count);
        if threads > 1 {
            let next = std::sync::atomic::AtomicUsize::new(0);
            let mut done: Vec<(usize, IndicatorResult)> = std::thread::scope(|s| {
                let workers: Vec<_> = (0..threads)
                    .map(|_| {
                        s.spawn(|| {
                            let mut mine = Vec::new();
                            loop {
                                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                if i >= count {
                                    break mine;
                                }
                                mine.push((i, one(i)));
                            }
                        })
                    })
                    .collect();
                workers
                    .into_iter()
                    .flat_map(|w| w.join().expect("an indicator's estimation panicked"))
                    .collect()
            });
            done.sort_by_key(|(i, _)| *i);
            return done.into_iter().map(|(_, r)| r).collect();
        }
    }
    (0..count).map(one).collect()
}

/// Baseline and endline rows with the same panel id, ordered by baseline row.
fn panel_pairs(baseline: &Round, endline: &Round) -> Option<Vec<(u32, u32)>> {
    let (b, e) = (baseline.panel.as_ref()?, endline.panel.as_ref()?);
    let mut pairs: Vec<(u32, u32)> = b
        .iter()
        .filter_map(|(id, &rb)| e.get(id).map(|&re| (rb, re)))
        .collect();
    pairs.sort_unstable();
    Some(pairs)
}

/// Groups in order: the empty value (no answer) first, then numbers by value when every other
/// value is a number (wards 2 before 10), else text in code-point order.
fn sort_values(values: &mut [String]) {
    let numeric = values
        .iter()
        .filter(|v| !v.is_empty())
        .all(|v| v.parse::<f64>().is_ok_and(f64::is_finite));
    values.sort_by(|a, b| match (a.is_empty(), b.is_empty()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        (false, false) if numeric => {
            let (x, y) = (
                a.parse::<f64>().unwrap_or(0.0),
                b.parse::<f64>().unwrap_or(0.0),
            );
            x.total_cmp(&y).then_with(|| a.cmp(b))
        }
        (false, false) => a.cmp(b),
    });
}

fn meta(analysis: &Analysis, baseline: &Round, endline: &Round) -> Meta {
    let form = &analysis.form;
    let spec = &analysis.spec;
    let mut design = if spec.is_survey() {
        let mut parts = vec!["survey design (Taylor-linearised standard errors".to_string()];
        if let Some(c) = &spec.cluster {
            parts.push(format!("clusters: {c}"));
        }
        if let Some(w) = &spec.weight {
            parts.push(format!("weights: {w}"));
        }
        format!("{})", parts.join("; "))
    } else {
        "simple random sample (Wilson and Newcombe intervals, two-proportion z-test)".to_string()
    };
    if let Some(p) = &spec.panel_id {
        design.push_str(&format!(
            "; panel matched on {p} (paired difference, McNemar's test)"
        ));
    }
    let mut value_labels = BTreeMap::new();
    for column in &spec.by {
        let Some(node) = form.nodes.iter().find(|n| &n.name == column) else {
            continue;
        };
        let list = match &node.choices {
            Some(fieldline_form::ChoiceSource::List { list }) => list,
            _ => continue,
        };
        let Some(list) = form.choice_list(list) else {
            continue;
        };
        let labels = list
            .choices
            .iter()
            .filter_map(|c| {
                text_in(&c.label, &form.default_language).map(|l| (c.name.clone(), l.to_string()))
            })
            .collect();
        value_labels.insert(column.clone(), labels);
    }
    Meta {
        title: form.settings.form_title.clone(),
        baseline_file: baseline.file.clone(),
        endline_file: endline.file.clone(),
        baseline_rows: baseline.rows,
        endline_rows: endline.rows,
        design,
        survey: spec.is_survey(),
        panel: spec.panel_id.is_some(),
        value_labels,
    }
}

#[cfg(test)]
mod tests {
    use super::sort_values;

    #[test]
    fn group_order() {
        let mut v: Vec<String> = ["10", "2", "", "1"].map(String::from).to_vec();
        sort_values(&mut v);
        assert_eq!(v, ["", "1", "2", "10"]);
        let mut v: Vec<String> = ["woman", "man", "", "10"].map(String::from).to_vec();
        sort_values(&mut v);
        assert_eq!(v, ["", "10", "man", "woman"]);
    }
}
