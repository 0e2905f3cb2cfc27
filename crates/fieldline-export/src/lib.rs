//! A round's submissions as tables, written as CSV, XLSX, Stata `.dta` (format 118) or SPSS
//! `.sav`, a row at a time: no writer holds the data set.
//!
//! # The tables
//!
//! The respondent-level table ([`Layout::new`]) has one row per submission. The columns are
//! the form's leaves outside repeats, in document order (questions, calculations and metadata
//! such as `start` or `instanceID`; notes, which hold no data, are left out), each named as in
//! the form, then `instance_id`, `device` and `received_at` from the server. That is the CSV
//! `fieldline analyze` reads: a column per field named as in the form, select_multiple values
//! space-separated (as the payload holds them), an unanswered or non-relevant field empty.
//! Two leaves with the same name in different groups are told apart by their path under the
//! root (`about/age`); a form field named like a server column leaves that column named
//! `fieldline_<name>`. A repeat's `repeat_count` field (pyxform's `*_count` calculation),
//! being outside the repeat, is a column like any other.
//!
//! Each repeat has its own table ([`Layout::for_repeat`]), as ODK Central exports them: one row
//! per repeat instance, with the leaves directly inside the repeat (a nested repeat has its
//! own table), then `PARENT_KEY` and `KEY`. `KEY` is the submission's instance id followed by
//! the instance's path under the root with its position (`uuid:.../migrants[2]`);
//! `PARENT_KEY` is the submission's instance id, which is `instance_id` in the respondent-level
//! table, or for a nested repeat the enclosing instance's `KEY`. A submission without
//! instances has no rows there.
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
//! - `date` and `today` are dates (Stata `%td`, days since 1960-01-01; SPSS `DATE11`, seconds
//!   since 1582-10-14); `dateTime`, `start`, `end` and the server's `received_at` are
//!   datetimes (Stata `%tc`, milliseconds since 1960-01-01 00:00; SPSS `DATETIME24.3`, seconds
//!   since 1582-10-14 00:00, to the millisecond) holding the local time as recorded, the UTC
//!   offset set aside (see [`dates`]). A value that does not parse is missing. CSV and XLSX
//!   keep ODK's text (`2026-11-25`, `2026-11-25T10:00:00.000+05:45`), offset included.
//! - Everything else (text, select_multiple, times, geopoints, calculations, metadata) is a
//!   string holding the value as submitted, whatever its length: Stata columns whose longest
//!   value exceeds 2045 bytes are `strL`, SPSS strings over 255 bytes are very long strings.
//!   SPSS pads strings with spaces, so a value's trailing spaces do not come back from a
//!   `.sav` (the format's one limit on text; every other byte does).
//! - Variable labels are the form's labels in its default language (else the first language
//!   that has one). Variable names are made valid for the format (Stata: letters, digits and
//!   `_`, at most 32 characters; SPSS: at most 64 bytes, starting with a letter), unique, and
//!   otherwise the form's names. Labels are metadata the formats limit (Stata shows 80
//!   characters of a variable label, SPSS value labels hold 120 bytes) and are cut there;
//!   answers never are.
//!
//! # Streaming
//!
//! CSV and XLSX write rows as they come (XLSX through `rust_xlsxwriter`'s constant memory
//! mode, which keeps rows in a temporary file until the workbook is zipped). `.dta` and
//! `.sav` fix the width of every string variable in their header, before the data, so those
//! writers spool rows to an unnamed temporary file while measuring the widest value of each
//! column, then write the header with the row count and widths and copy the rows out padded
//! (the `.dta` reads the spool a second time for its strLs, which follow the data): memory
//! stays flat (one row), and the output need not be seekable.

mod csv_out;
pub mod dates;
mod dta;
mod layout;
mod names;
mod sav;
mod spool;
mod xlsx;

use serde::Deserialize;

pub use csv_out::CsvWriter;
pub use dta::DtaWriter;
pub use layout::{Layout, REPEAT_KEY_COLUMNS, SERVER_COLUMNS};
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
    #[error("a row of {values} values for a table of {columns} columns")]
    RowLength { values: usize, columns: usize },
    #[error("the value in row {row}, column {column} is over 4 GiB")]
    ValueTooLong { row: u64, column: usize },
    #[error("the form has no repeat named {name:?}; its repeats: {repeats}")]
    UnknownRepeat { name: String, repeats: String },
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
    /// A `date` or `today` answer, `YYYY-MM-DD`.
    Date,
    /// A `dateTime`, `start` or `end` answer, or the server's `received_at`: ISO 8601 with an
    /// offset, taken as the local time recorded (see [`dates`]).
    DateTime,
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
    /// Rows written: submissions, or repeat instances in a repeat's table.
    pub rows: u64,
}

/// A writer of one export format: the header first (at construction), then rows in order.
pub trait RowWriter {
    fn write_row(&mut self, row: &[String]) -> Result<(), ExportError>;
    /// Writes what remains and flushes.
    fn finish(self: Box<Self>) -> Result<Finished, ExportError>;
}

/// `s` cut to at most `max` bytes at a character boundary (for labels, which formats limit;
/// answers are never cut).
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
