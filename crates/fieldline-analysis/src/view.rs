//! A [`Report`] as the dashboard shows it ([`ReportView`]): the estimates, each group's title
//! and change sentence, and the columns the form offers as breakdowns, clusters and weights.
//! The server answers it for a readable campaign and the dashboard builds it in the browser for
//! an end-to-end encrypted one, both with this code, so the two pages cannot drift apart.

use fieldline_export::{Kind, Layout};
use fieldline_form::{Form, NodeKind, QuestionType};
use fieldline_protocol::dashboard::{
    ColumnChoice, DiffView, EstimateView, GroupView, IndicatorView, ReportView,
};

use crate::{render, Report, Spec};

/// Whose submissions a report was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataReach {
    /// Every organization's (the campaign's managers and admins).
    All,
    /// The person's own organization's only (a partner's people).
    Organization,
}

/// The view of `report`, computed with `spec` over rounds of `form` written with `layout` (the
/// respondent-level table of the baseline's form).
pub fn report_view(
    report: &Report,
    form: &Form,
    layout: &Layout,
    reach: DataReach,
    spec: &Spec,
) -> ReportView {
    let estimate = |e: &fieldline_stats::Estimate| EstimateView {
        n: e.n,
        successes: e.successes,
        p: e.p,
        ci_low: e.ci_low,
        ci_high: e.ci_high,
        se: e.se,
        deff: e.deff,
    };
    let indicators = report
        .indicators
        .iter()
        .map(|i| IndicatorView {
            name: i.name.clone(),
            label: i.label.clone(),
            groups: i
                .groups
                .iter()
                .map(|g| GroupView {
                    group: g.group.clone(),
                    title: render::group_title(&report.meta, g),
                    baseline: estimate(&g.baseline),
                    endline: estimate(&g.endline),
                    diff: DiffView {
                        estimate: g.diff.estimate,
                        ci_low: g.diff.ci_low,
                        ci_high: g.diff.ci_high,
                        p_value: g.diff.p_value,
                    },
                    change: render::change_sentence(g),
                })
                .collect(),
        })
        .collect();
    let (breakdowns, clusters, weights) = column_choices(form, layout);
    ReportView {
        title: report.meta.title.clone(),
        baseline_rows: report.meta.baseline_rows as u64,
        endline_rows: report.meta.endline_rows as u64,
        design: report.meta.design.clone(),
        by: spec.by.clone(),
        cluster: spec.cluster.clone(),
        weight: spec.weight.clone(),
        breakdowns,
        clusters,
        weights,
        reach: match reach {
            DataReach::All => "all",
            DataReach::Organization => "organization",
        }
        .into(),
        indicators,
        repeats: Layout::repeat_names(form),
    }
}

/// What the form offers as breakdowns (select_one questions, and calculated groups such as an
/// age group), clusters (any field, and the device) and weights (numeric fields and
/// calculations).
pub fn column_choices(
    form: &Form,
    layout: &Layout,
) -> (Vec<ColumnChoice>, Vec<ColumnChoice>, Vec<ColumnChoice>) {
    let question = |name: &str| {
        form.nodes
            .iter()
            .find(|n| n.name == name && matches!(n.kind, NodeKind::Question(_)))
            .and_then(|n| n.question_type())
    };
    let (mut breakdowns, mut clusters, mut weights) = (Vec::new(), Vec::new(), Vec::new());
    for column in &layout.columns {
        let choice = ColumnChoice {
            column: column.name.clone(),
            label: column.label.clone(),
        };
        if column.name == "instance_id" || column.name == "received_at" {
            continue;
        }
        let q = question(&column.name);
        let grouping_calc = q == Some(QuestionType::Calculate) && {
            let n = column.name.to_ascii_lowercase();
            [
                "age_group",
                "agegroup",
                "age_band",
                "youth",
                "sex",
                "district",
            ]
            .iter()
            .any(|w| n.contains(w))
        };
        if q == Some(QuestionType::SelectOne) || grouping_calc {
            breakdowns.push(choice.clone());
        }
        if matches!(column.kind, Kind::Integer | Kind::Decimal)
            || q == Some(QuestionType::Calculate)
        {
            weights.push(choice.clone());
        }
        if q != Some(QuestionType::Note) {
            clusters.push(choice);
        }
    }
    (breakdowns, clusters, weights)
}
