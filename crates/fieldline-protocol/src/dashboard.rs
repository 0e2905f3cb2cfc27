//! What the dashboard reads besides the sync protocol: a campaign's fieldwork progress
//! (`GET /api/v1/campaigns/{c}/progress`) and its baseline-versus-endline report
//! (`GET /api/v1/campaigns/{c}/report?format=json`). The server writes these and the dashboard
//! (Yew, in the browser) reads them, so both compile against the same types.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Submissions counted by one key (a day, a partner, a device, a round).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    /// What is counted by: `2026-11-25`, an organization id, a device id, a round name.
    pub key: String,
    /// How people know it: the organization's name, the device's label (the enumerator's
    /// tablet), the round's name; the day itself.
    pub label: String,
    pub count: u64,
}

/// A submission kept aside, as the progress page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub instance_id: String,
    /// The sending device's organization, by name.
    pub organization: String,
    /// The sending device's label.
    pub device: String,
    /// `rejected` or `conflict`.
    pub outcome: String,
    pub reason: String,
    pub received_at: String,
}

/// A campaign's fieldwork so far, as far as the person reaches (a partner counts only its own
/// organization's devices and submissions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Stored submissions (set-aside ones not included).
    pub total: u64,
    /// By the UTC day received, oldest first.
    pub per_day: Vec<Count>,
    /// By the sending device's organization, most first.
    pub per_partner: Vec<Count>,
    /// By device (an enumerator's tablet), most first.
    pub per_enumerator: Vec<Count>,
    /// By round, in publication order (rounds with none included).
    pub per_round: Vec<Count>,
    /// How many submissions are kept aside (rejected or conflicting).
    pub set_aside_total: u64,
    /// The latest of them, newest first (at most [`LATEST_PROBLEMS`]).
    pub latest_problems: Vec<Problem>,
    /// Fieldwork against the sampling plan of each round that has one, in publication order.
    #[serde(default)]
    pub sampling: Vec<RoundSampling>,
}

/// A round's interviews per cluster (a village, a ward) against its sampling plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundSampling {
    pub round: String,
    /// The fields whose values name a cluster, e.g. `["municipality", "ward"]`.
    pub cluster_fields: Vec<String>,
    /// The sum of the clusters' targets.
    pub target_total: u64,
    /// Interviews that count towards a target: each cluster's, up to its target.
    pub towards_target: u64,
    /// The plan's clusters in its order, then clusters outside the plan by name.
    pub clusters: Vec<ClusterCount>,
}

/// One cluster's interviews so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterCount {
    /// The cluster fields' values joined with " / " ("dharan / 3"); empty when a submission
    /// has none of them.
    pub cluster: String,
    pub count: u64,
    pub target: u64,
    /// False for a cluster the plan does not list: interviews where none were planned.
    pub planned: bool,
}

/// Most set-aside submissions the progress lists.
pub const LATEST_PROBLEMS: usize = 20;

/// A column of the round's table offered as a breakdown, a cluster or a weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnChoice {
    /// The column's name (the form's field name).
    pub column: String,
    /// The form's label for it (empty when it has none).
    pub label: String,
}

/// One round's estimate of an indicator in one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimateView {
    pub n: u64,
    pub successes: u64,
    pub p: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// Survey design (cluster or weight) only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub se: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deff: Option<f64>,
}

/// Endline minus baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffView {
    pub estimate: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub p_value: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupView {
    /// `{}` for the whole sample, `{"column": "value"}` for a breakdown group.
    pub group: BTreeMap<String, String>,
    /// How the group reads: "All respondents", "gender: Woman".
    pub title: String,
    pub baseline: EstimateView,
    pub endline: EstimateView,
    pub diff: DiffView,
    /// The change written plainly: "14% -> 92%, +78 points, p < 0.001".
    pub change: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorView {
    pub name: String,
    pub label: String,
    pub groups: Vec<GroupView>,
}

/// The report as JSON: `indicators` in the stable shape of `fieldline analyze --format json`
/// (plus each group's `title` and `change`), and what the dashboard needs to offer settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportView {
    pub title: String,
    /// Submissions read per round (within the person's reach).
    pub baseline_rows: u64,
    pub endline_rows: u64,
    /// "simple random sample", or the survey design with its columns.
    pub design: String,
    /// The breakdowns, cluster and weight this report was computed with.
    pub by: Vec<String>,
    pub cluster: Option<String>,
    pub weight: Option<String>,
    /// Columns that can break the report down (select questions, and calculated groups).
    pub breakdowns: Vec<ColumnChoice>,
    /// Columns that can name clusters (any field).
    pub clusters: Vec<ColumnChoice>,
    /// Columns that can weigh (numeric fields).
    pub weights: Vec<ColumnChoice>,
    /// `organization` when only the person's own organization's submissions are in it.
    pub reach: String,
    pub indicators: Vec<IndicatorView>,
    /// The repeats of the baseline's form (e.g. `migrants`): each round's export offers a table
    /// per repeat (`.../export?repeat=NAME`).
    #[serde(default)]
    pub repeats: Vec<String>,
}
