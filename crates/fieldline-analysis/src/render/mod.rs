//! The report as JSON (the stable shape), CSV (one row per indicator and group), HTML (one
//! self-contained page) and XLSX (a summary sheet and one sheet per indicator).

mod html;
#[cfg(feature = "xlsx")]
mod xlsx;

pub use html::html;
#[cfg(feature = "xlsx")]
pub use xlsx::xlsx;

use fieldline_stats::{Difference, Estimate};

use crate::report::{GroupResult, Meta, Report};

/// `{"indicators": [{"name", "label", "groups": [{"group", "baseline", "endline", "diff"}]}]}`.
pub fn json(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()));
    s.push('\n');
    s
}

/// The CSV columns, in order: estimates as proportions (0 to 1), empty for null.
pub fn csv_headers(meta: &Meta) -> Vec<&'static str> {
    let mut h = vec!["indicator", "label", "group_column", "group_value"];
    for round in ["baseline", "endline"] {
        let cols: &[&'static str] = match (round, meta.survey) {
            ("baseline", false) => &[
                "baseline_n",
                "baseline_successes",
                "baseline_p",
                "baseline_ci_low",
                "baseline_ci_high",
            ],
            ("baseline", true) => &[
                "baseline_n",
                "baseline_successes",
                "baseline_p",
                "baseline_ci_low",
                "baseline_ci_high",
                "baseline_se",
                "baseline_deff",
            ],
            (_, false) => &[
                "endline_n",
                "endline_successes",
                "endline_p",
                "endline_ci_low",
                "endline_ci_high",
            ],
            (_, true) => &[
                "endline_n",
                "endline_successes",
                "endline_p",
                "endline_ci_low",
                "endline_ci_high",
                "endline_se",
                "endline_deff",
            ],
        };
        h.extend_from_slice(cols);
    }
    h.extend_from_slice(&[
        "diff_estimate",
        "diff_ci_low",
        "diff_ci_high",
        "diff_p_value",
    ]);
    if meta.panel {
        h.extend_from_slice(&[
            "diff_pairs",
            "diff_yes_to_no",
            "diff_no_to_yes",
            "diff_statistic",
        ]);
    }
    h
}

/// A cell of the flattened table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Count(u64),
    Number(f64),
    Null,
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Count(n) => n.to_string(),
            Cell::Number(x) => x.to_string(),
            Cell::Null => String::new(),
        }
    }
}

fn opt(x: Option<f64>) -> Cell {
    x.filter(|v| v.is_finite()).map_or(Cell::Null, Cell::Number)
}

fn estimate_cells(e: &Estimate, survey: bool, out: &mut Vec<Cell>) {
    out.extend([
        Cell::Count(e.n),
        Cell::Count(e.successes),
        opt(e.p),
        opt(e.ci_low),
        opt(e.ci_high),
    ]);
    if survey {
        out.extend([opt(e.se), opt(e.deff)]);
    }
}

fn diff_cells(d: &Difference, panel: bool, out: &mut Vec<Cell>) {
    out.extend([
        opt(d.estimate),
        opt(d.ci_low),
        opt(d.ci_high),
        opt(d.p_value),
    ]);
    if panel {
        let count = |c: Option<u64>| c.map_or(Cell::Null, Cell::Count);
        out.extend([
            count(d.pairs),
            count(d.yes_to_no),
            count(d.no_to_yes),
            opt(d.statistic),
        ]);
    }
}

/// The rows of the flattened table (see [`csv_headers`]).
pub fn table(report: &Report) -> Vec<Vec<Cell>> {
    let meta = &report.meta;
    let mut rows = Vec::new();
    for ind in &report.indicators {
        for g in &ind.groups {
            let (column, value) = group_key(g);
            let mut row = vec![
                Cell::Text(ind.name.clone()),
                Cell::Text(ind.label.clone()),
                Cell::Text(column.to_string()),
                Cell::Text(value.to_string()),
            ];
            estimate_cells(&g.baseline, meta.survey, &mut row);
            estimate_cells(&g.endline, meta.survey, &mut row);
            diff_cells(&g.diff, meta.panel, &mut row);
            rows.push(row);
        }
    }
    rows
}

/// One row per indicator and group, the columns of [`csv_headers`].
pub fn csv(report: &Report) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = w.write_record(csv_headers(&report.meta));
    for row in table(report) {
        let _ = w.write_record(row.iter().map(Cell::text));
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// The group's column and value; empty strings for the whole sample.
pub fn group_key(g: &GroupResult) -> (&str, &str) {
    g.group
        .iter()
        .next()
        .map_or(("", ""), |(k, v)| (k.as_str(), v.as_str()))
}

/// How a group reads to a manager: "All respondents", "gender: Woman", "ward: 3",
/// "gender: (no answer)".
pub fn group_title(meta: &Meta, g: &GroupResult) -> String {
    if g.group.is_empty() {
        return "All respondents".into();
    }
    let (column, value) = group_key(g);
    if value.is_empty() {
        return format!("{column}: (no answer)");
    }
    match meta.value_labels.get(column).and_then(|l| l.get(value)) {
        Some(label) if label != value => format!("{column}: {label}"),
        _ => format!("{column}: {value}"),
    }
}

/// A proportion as a whole percentage ("14%"), or with one decimal below 1% and above 99%.
pub fn percent(p: f64) -> String {
    let x = p * 100.0;
    if (x > 0.0 && x < 1.0) || (x > 99.0 && x < 100.0) {
        format!("{x:.1}%")
    } else {
        format!("{x:.0}%")
    }
}

/// "p < 0.001", "p = 0.034".
pub fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {p:.3}")
    }
}

/// The change written plainly: "14% -> 92%, +78 points, p < 0.001"; or why there is none.
pub fn change_sentence(g: &GroupResult) -> String {
    let (Some(pb), Some(pe)) = (g.baseline.p, g.endline.p) else {
        return match (g.baseline.n, g.endline.n) {
            (0, 0) => "no data in either round".into(),
            (0, _) => "no baseline data".into(),
            (_, 0) => "no endline data".into(),
            _ => "no estimate".into(),
        };
    };
    let mut s = format!("{} -> {}", percent(pb), percent(pe));
    if let Some(d) = g.diff.estimate {
        let points = (d * 100.0).round();
        let points = if points == 0.0 { 0.0 } else { points };
        let word = if points.abs() == 1.0 {
            "point"
        } else {
            "points"
        };
        s.push_str(&format!(", {points:+} {word}"));
    }
    if let Some(p) = g.diff.p_value {
        s.push_str(&format!(", {}", p_text(p)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_numbers() {
        assert_eq!(percent(0.14), "14%");
        assert_eq!(percent(0.005), "0.5%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(percent(0.995), "99.5%");
        assert_eq!(p_text(0.0004), "p < 0.001");
        assert_eq!(p_text(0.0341), "p = 0.034");
    }

    #[test]
    fn the_change_in_a_sentence() {
        let g = GroupResult {
            group: Default::default(),
            baseline: fieldline_stats::simple_estimate(14, 100),
            endline: fieldline_stats::simple_estimate(92, 100),
            diff: fieldline_stats::simple_difference(14, 100, 92, 100),
        };
        assert_eq!(change_sentence(&g), "14% -> 92%, +78 points, p < 0.001");
        let empty = GroupResult {
            group: Default::default(),
            baseline: fieldline_stats::simple_estimate(0, 0),
            endline: fieldline_stats::simple_estimate(3, 10),
            diff: fieldline_stats::simple_difference(0, 0, 3, 10),
        };
        assert_eq!(change_sentence(&empty), "no baseline data");
    }
}
