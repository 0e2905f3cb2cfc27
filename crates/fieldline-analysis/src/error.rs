//! Errors that name the file, the row as a spreadsheet shows it (the header is row 1) and the
//! column (letter and header), so a manager can find the cell.

use std::fmt;

/// Where in an input file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub file: String,
    /// 1-based, header included: the first submission is row 2.
    pub row: u64,
    /// 0-based column index and its header.
    pub column: Option<(usize, String)>,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: row {}", self.file, self.row)?;
        if let Some((index, header)) = &self.column {
            write!(f, ", column {} ({header:?})", column_letter(*index))?;
        }
        Ok(())
    }
}

pub use fieldline_form::column_letter;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalysisError {
    /// The form cannot be analysed (no indicators, an option naming nothing).
    #[error("{0}")]
    Form(String),
    /// A problem with the data at a place in a file.
    #[error("{place}: {message}")]
    Data { place: Place, message: String },
    /// Writing a report failed (the XLSX writer refused a value).
    #[error("cannot write the report: {0}")]
    Render(String),
    /// The file is not readable CSV.
    #[error("{file}: {message}")]
    Csv { file: String, message: String },
}

impl AnalysisError {
    pub(crate) fn data(place: Place, message: impl Into<String>) -> Self {
        AnalysisError::Data {
            place,
            message: message.into(),
        }
    }
}
