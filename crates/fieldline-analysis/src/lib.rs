//! Baseline versus endline analysis of a form's indicators over CSV exports.
//!
//! Pure: callers pass the parsed form and readers over the CSV bytes; nothing here opens files,
//! so the CLI, the server's dashboard and the browser share it.
//!
//! 1. [`Analysis::new`] compiles the form's `indicators` sheet once: each indicator's
//!    `expression` and `denominator` are XPath trees evaluated per submission, where `${q}` reads
//!    that submission's column for field `q` (an empty cell is an empty string, so
//!    `${q} = 'yes'` is false when unanswered or not relevant). A submission counts in the
//!    denominator when the denominator is true or the indicator has none, and is a success when
//!    the expression is true. A `calculate` field with no column of its own is computed from the
//!    row with its calculation (`youth` from `age`).
//! 2. [`read_round`] streams one CSV file (see [`columns`] for accepted headers), checks it
//!    (select values against the form's choice lists, weights, cluster codes, panel ids) and
//!    keeps per submission only what the statistics need: each indicator's outcome, the group
//!    of each `--by` column, the weight, the cluster and the panel id.
//! 3. [`analyze`] groups the two rounds (the whole sample, then one-way breakdowns by each
//!    `by` column, each value a group; an empty value is a group of its own, `""`), estimates
//!    each round and the change with `fieldline-stats`, pairing panel members within groups.
//!    Rows are added to running sums per group (one pass per indicator and round, through cells
//!    of rows that share every group and cluster), never copied.
//! 4. [`render`] writes the report as JSON, CSV, HTML and (feature `xlsx`) XLSX, and [`view`]
//!    makes it the dashboard's [`fieldline_protocol::dashboard::ReportView`].

pub mod columns;
mod compile;
mod context;
mod error;
mod fast;
mod input;
pub mod render;
mod report;
mod tally;
pub mod view;

pub use compile::{Analysis, Spec};
pub use error::{column_letter, AnalysisError, Place};
pub use input::{read_round, Round};
pub use report::{analyze, GroupResult, IndicatorResult, Meta, Report};

#[cfg(test)]
mod tests;
