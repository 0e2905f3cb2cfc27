//! Problems found while reading a form, reported like a compiler would: every problem at once,
//! each pinned to a sheet, a spreadsheet row and a column, with a message and what to do.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where in the workbook a problem sits. Rows are 1-based as the spreadsheet shows them; the
/// column is given both as its letter and its header text, since authors search by either.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// Spreadsheet column letter, e.g. `"C"`.
    pub letter: String,
    /// Header text as written in row 1, e.g. `"relevant"`.
    pub header: String,
}

impl Column {
    /// A column at a 0-based index with its header text.
    pub fn new(index: usize, header: impl Into<String>) -> Self {
        Column {
            letter: column_letter(index),
            header: header.into(),
        }
    }
}

/// One reason a form cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Sheet name as spelled in the workbook (`survey`, `choices`, ...), or empty for
    /// problems with the file itself.
    pub sheet: String,
    /// 1-based spreadsheet row, if the problem is on a row.
    pub row: Option<u32>,
    /// The column, if the problem is in one cell or header.
    pub column: Option<Column>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Problem {
    /// A problem with the workbook as a whole.
    pub fn file(message: impl Into<String>, hint: Option<String>) -> Self {
        Problem {
            sheet: String::new(),
            row: None,
            column: None,
            message: message.into(),
            hint,
        }
    }

    /// A problem at one cell; an empty hint is no hint.
    #[cfg(feature = "xlsform")]
    fn at_cell(
        sheet: &str,
        row: u32,
        column: Option<Column>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        let hint = hint.into();
        Problem {
            sheet: sheet.to_string(),
            row: Some(row),
            column,
            message: message.into(),
            hint: (!hint.is_empty()).then_some(hint),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        if !self.sheet.is_empty() {
            write!(f, "\n  --> sheet '{}'", self.sheet)?;
            if let Some(row) = self.row {
                write!(f, ", row {row}")?;
            }
            if let Some(col) = &self.column {
                write!(f, ", column {} ({})", col.letter, col.header)?;
            }
        }
        if let Some(hint) = &self.hint {
            for line in hint.lines() {
                write!(f, "\n  = {line}")?;
            }
        }
        Ok(())
    }
}

/// The reasons a form was refused. Never empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub struct FormErrors {
    /// Every problem found, in sheet and row order.
    pub problems: Vec<Problem>,
}

impl FormErrors {
    /// Whether any problem's message contains `needle` (handy in tests and tools).
    pub fn mentions(&self, needle: &str) -> bool {
        self.problems.iter().any(|p| p.message.contains(needle))
    }
}

impl fmt::Display for FormErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        let n = self.problems.len();
        write!(
            f,
            "\n\nthe form cannot be used: {n} problem{}",
            if n == 1 { "" } else { "s" }
        )
    }
}

/// Collects problems while the reader carries on, so the author sees all of them at once.
#[cfg(feature = "xlsform")]
#[derive(Debug, Default)]
pub(crate) struct Problems {
    list: Vec<Problem>,
    warnings: Vec<Problem>,
}

#[cfg(feature = "xlsform")]
impl Problems {
    pub fn push(&mut self, p: Problem) {
        // The same cell can be reached twice (e.g. a header checked per language); say it once.
        if !self.list.contains(&p) {
            self.list.push(p);
        }
    }

    /// A problem at a cell.
    pub fn at(
        &mut self,
        sheet: &str,
        row: u32,
        column: Option<Column>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.push(Problem::at_cell(sheet, row, column, message, hint));
    }

    /// Something the author should know that does not stop the form from loading.
    pub fn warn_at(
        &mut self,
        sheet: &str,
        row: u32,
        column: Option<Column>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.warnings
            .push(Problem::at_cell(sheet, row, column, message, hint));
    }

    pub fn take_warnings(&mut self) -> Vec<Problem> {
        std::mem::take(&mut self.warnings)
    }

    /// The problems gathered so far, for a reader that cannot go on (no workbook, no survey
    /// sheet). Only called after pushing the problem that stopped it.
    pub fn into_errors(self) -> FormErrors {
        debug_assert!(!self.list.is_empty(), "stopped reading without saying why");
        FormErrors {
            problems: self.list,
        }
    }

    pub fn into_result<T>(self, value: T) -> Result<T, FormErrors> {
        if self.list.is_empty() {
            Ok(value)
        } else {
            Err(FormErrors {
                problems: self.list,
            })
        }
    }
}

/// Spreadsheet letter for a 0-based column index: 0 -> A, 25 -> Z, 26 -> AA.
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII letters")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    #[cfg(feature = "xlsform")]
    fn display_like_a_compiler() {
        let mut ps = Problems::default();
        ps.at(
            "survey",
            4,
            Some(Column::new(2, "relevant")),
            "unknown field ${agee}",
            "did you mean ${age}?",
        );
        let err = ps.into_result(()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("error: unknown field ${agee}"));
        assert!(text.contains("--> sheet 'survey', row 4, column C (relevant)"));
        assert!(text.contains("= did you mean ${age}?"));
        assert!(text.ends_with("1 problem"));
    }
}
