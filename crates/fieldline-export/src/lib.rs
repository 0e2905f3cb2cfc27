//! A round's submissions as one table, written as CSV, XLSX, Stata `.dta` (format 118) or SPSS
//! `.sav`, a row at a time: no writer holds the data set.
//!
//! # The table
//!
//! One row per submission. The columns are the form's leaves outside repeats, in document
//! order (questions, calculations and metadata such as `start` or `instanceID`; notes, which
//! hold no data, are left out), each named as in the form, then `instance_id`, `device` and
//! `received_at` from the server. That is the CSV `fieldline analyze` reads: a column per
//! field named as in the form, select_multiple values space-separated (as the payload holds
//! them), an unanswered or non-relevant field empty. Two leaves with the same name in
//! different groups are told apart by their path under the root (`about/age`); a form field
//! named like a server column leaves that column named `fieldline_<name>`.
//!
//! Repeats are not in this table: a repeat's instances vary in number from one submission to
//! the next, and a streamed file must fix its columns before the first row. A repeat's
//! `repeat_count` field (pyxform's `*_count` calculation), being outside the repeat, is a
//! column like any other; the repeats' own rows belong in a per-repeat file keyed by
//! `instance_id`, as ODK Central and KoboToolbox export them.
//!
//! # Types and labels (.dta, .sav and .xlsx)
//!
//! - `integer`, `decimal` and `range` questions are numbers (Stata `double`, SPSS numeric);
//!   an empty answer is missing (`.` / system-missing). XLSX writes them as numbers.
//! - A `select_one` whose choice names are all integers (`1`, `2`, ...) is a number (Stata
//!   `long`) with a value label mapping each code to the choice's label. Any other
//!   `select_one` is a string holding the choice name, as in the CSV: Stata's value labels
//!   map integers only, and inventing codes would make the `.dta` disagree with the CSV and
//!   with the form's expressions (`${q} = 'yes'`). Forms meant for Stata or SPSS users give
//!   their choices integer names, as SurveyCTO and Kobo templates do.
//! - Everything else (text, select_multiple, dates and times, calculations, metadata) is a
//!   string holding the value as submitted.
//! - Variable labels are the form's labels in its default language (else the first language
//!   that has one). Variable names are made valid for the format (Stata: letters, digits and
//!   `_`, at most 32 characters; SPSS: at most 64 bytes, starting with a letter), unique, and
//!   otherwise the form's names.
//!
//! # Streaming
//!
//! CSV and XLSX write rows as they come (XLSX through `rust_xlsxwriter`'s constant memory
//! mode, which keeps rows in a temporary file until the workbook is zipped). `.dta` and
//! `.sav` fix the width of every string variable in their header, before the data, so those
//! writers spool rows to an unnamed temporary file while measuring the widest value of each
//! column, then write the header with the row count and widths and copy the rows out padded:
//! memory stays flat (one row), and the output need not be seekable. Stata's `str#` holds up
//! to 2045 bytes and SPSS's short strings 255; longer values are cut at a character boundary
//! and counted in [`Finished::truncated`].

mod csv_out;
mod dta;
mod names;
mod sav;
mod spool;
mod xlsx;

use std::collections::HashMap;

use fieldline_form::{ChoiceSource, Form, NodeKind, QuestionType, Translations};
use serde::Deserialize;

pub use csv_out::CsvWriter;
pub use dta::DtaWriter;
pub use sav::SavWriter;
pub use xlsx::XlsxWriter;

/// What went wrong writing an export.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("writing CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("writing XLSX: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("{0}")]
    Limit(String),
}

/// How a column's values are typed in formats that type them.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Text,
    Integer,
    Decimal,
    /// A select_one whose choice names are integers: the codes with their labels, in the
    /// choice list's order, and the list's name.
    Coded {
        list: String,
        labels: Vec<(i32, String)>,
    },
}

/// One column of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// As in the form (or the server's `instance_id`, `device`, `received_at`).
    pub name: String,
    /// The form's label in its default language; empty when it has none.
    pub label: String,
    pub kind: Kind,
}

/// The table's columns for a form, and where each payload path goes.
#[derive(Debug, Clone)]
pub struct Layout {
    pub columns: Vec<Column>,
    by_path: HashMap<String, usize>,
    fields: usize,
}

/// The server's columns, after the form's fields.
pub const SERVER_COLUMNS: [&str; 3] = ["instance_id", "device", "received_at"];

impl Layout {
    /// The columns of a respondent-level export of `form` (see the crate documentation).
    pub fn new(form: &Form) -> Self {
        let in_repeat = |mut id: usize| loop {
            let node = &form.nodes[id];
            if node.kind == NodeKind::Repeat {
                return true;
            }
            match node.parent {
                Some(parent) => id = parent,
                None => return false,
            }
        };
        let leaves: Vec<_> = form
            .nodes
            .iter()
            .filter(|n| match n.question_type() {
                Some(q) => {
                    q != QuestionType::Note
                        && q.has_instance_node()
                        && n.in_instance
                        && !in_repeat(n.id)
                }
                None => false,
            })
            .collect();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for leaf in &leaves {
            *counts.entry(leaf.name.as_str()).or_default() += 1;
        }
        let root = form.nodes.first().map(|r| r.path.as_str()).unwrap_or("");
        let mut columns = Vec::new();
        let mut by_path = HashMap::new();
        for leaf in &leaves {
            let name = if counts[leaf.name.as_str()] > 1 {
                leaf.path
                    .strip_prefix(root)
                    .unwrap_or(&leaf.path)
                    .trim_start_matches('/')
                    .to_owned()
            } else {
                leaf.name.clone()
            };
            let q = leaf.question_type().unwrap_or(QuestionType::Text);
            let kind = match q {
                QuestionType::Integer => Kind::Integer,
                QuestionType::Decimal | QuestionType::Range => Kind::Decimal,
                QuestionType::SelectOne => coded(form, leaf.choices.as_ref()).unwrap_or(Kind::Text),
                _ => Kind::Text,
            };
            by_path.insert(leaf.path.clone(), columns.len());
            columns.push(Column {
                name,
                label: text_in(form, &leaf.label),
                kind,
            });
        }
        let fields = columns.len();
        for server in SERVER_COLUMNS {
            let name = if columns.iter().any(|c| c.name == server) {
                format!("fieldline_{server}")
            } else {
                server.to_owned()
            };
            columns.push(Column {
                name,
                label: String::new(),
                kind: Kind::Text,
            });
        }
        Layout {
            columns,
            by_path,
            fields,
        }
    }

    /// The column names, as the header row.
    pub fn header(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    /// A submission's row: its payload's values in their columns (values of repeats and of
    /// paths the form does not have are left out), then the server's columns.
    pub fn row(
        &self,
        values: &[(String, String)],
        instance_id: &str,
        device: &str,
        received_at: &str,
    ) -> Vec<String> {
        let mut row = vec![String::new(); self.columns.len()];
        for (path, value) in values {
            if let Some(&i) = self.by_path.get(path) {
                row[i].clone_from(value);
            }
        }
        row[self.fields] = instance_id.to_owned();
        row[self.fields + 1] = device.to_owned();
        row[self.fields + 2] = received_at.to_owned();
        row
    }
}

/// A select_one's codes and labels when every choice name is an integer.
fn coded(form: &Form, source: Option<&ChoiceSource>) -> Option<Kind> {
    let Some(ChoiceSource::List { list }) = source else {
        return None;
    };
    let choices = &form.choice_lists.iter().find(|l| &l.name == list)?.choices;
    if choices.is_empty() {
        return None;
    }
    let labels = choices
        .iter()
        .map(|c| {
            let code: i32 = c.name.parse().ok()?;
            // Canonical spellings only ("01" would come back as "1"), within Stata's `long`.
            (code.to_string() == c.name && code.unsigned_abs() <= 2_147_483_620)
                .then(|| (code, text_in(form, &c.label)))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Kind::Coded {
        list: list.clone(),
        labels,
    })
}

/// Text in the form's default language, else in the first language that has it.
fn text_in(form: &Form, text: &Translations) -> String {
    text.get(&form.default_language)
        .or_else(|| form.languages.iter().find_map(|l| text.get(l)))
        .or_else(|| text.values().next())
        .cloned()
        .unwrap_or_default()
}

/// What a submission's payload holds for an export (payload format 1).
#[derive(Debug, Deserialize)]
pub struct PayloadValues {
    pub values: Vec<(String, String)>,
}

impl PayloadValues {
    /// Reads a stored payload (canonical JSON, format 1).
    pub fn parse(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// What a finished export holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Finished {
    pub rows: u64,
    /// Values cut to the format's longest string (see the crate documentation).
    pub truncated: u64,
}

/// A writer of one export format: the header first (at construction), then rows in order.
pub trait RowWriter {
    fn write_row(&mut self, row: &[String]) -> Result<(), ExportError>;
    /// Writes what remains and flushes.
    fn finish(self: Box<Self>) -> Result<Finished, ExportError>;
}

/// `s` cut to at most `max` bytes at a character boundary.
pub(crate) fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A numeric column's value: `None` (missing) when empty or not a number.
pub(crate) fn number(value: &str) -> Option<f64> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    v.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Day, month (1-12), year, hour, minute, second of the current UTC time, for headers.
pub(crate) fn now_utc() -> (i64, i64, i64, i64, i64, i64) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (y, m, d) = fieldline_xpath::civil_from_days(days);
    (
        d.into(),
        m.into(),
        y,
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60,
    )
}

pub(crate) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

#[cfg(test)]
mod tests;
