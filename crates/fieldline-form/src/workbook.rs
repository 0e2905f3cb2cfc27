//! Reading a workbook from bytes into sheets of text cells. The format is decided by the
//! content's magic bytes, never the file name: real forms circulate as `.xls` files renamed to
//! `.xlsx` and vice versa.

use std::io::Cursor;
use std::panic::AssertUnwindSafe;

use calamine::{Data, Range, Reader, Xls, Xlsx};

use crate::cells::{cell_text, CellError, Flavor};
use crate::problems::{column_letter, Column, Problem, Problems};

/// The sheets an XLSForm reader looks at (lower case); others are notes for humans.
pub const FORM_SHEETS: [&str; 6] = [
    "survey",
    "choices",
    "settings",
    "indicators",
    "external_choices",
    "entities",
];

/// A sheet as text: `rows[r][c]` is the cell at 0-based spreadsheet row `r` and column `c`.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    /// The sheet's name as spelled in the workbook.
    pub name: String,
    pub rows: Vec<Vec<Option<String>>>,
}

/// The workbook's form sheets, keyed by lower-cased name, plus every sheet name for
/// spelling suggestions.
#[derive(Debug, Default)]
pub struct Workbook {
    pub sheets: Vec<(String, Sheet)>,
    pub sheet_names: Vec<String>,
}

impl Workbook {
    /// The sheet called `name` (lower case), if present.
    pub fn sheet(&self, name: &str) -> Option<&Sheet> {
        self.sheets.iter().find(|(k, _)| k == name).map(|(_, s)| s)
    }
}

/// Which container the bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Office Open XML, a ZIP archive.
    Xlsx,
    /// Legacy Excel 97-2003, an OLE compound file.
    Xls,
}

/// Detect the format from the first bytes.
pub fn detect_format(bytes: &[u8]) -> Option<Format> {
    const ZIP: &[u8] = b"PK\x03\x04";
    const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.starts_with(ZIP) {
        Some(Format::Xlsx)
    } else if bytes.starts_with(OLE) {
        Some(Format::Xls)
    } else {
        None
    }
}

/// Read the form sheets. Unreadable files and unreadable cells become problems.
pub fn read(bytes: &[u8], problems: &mut Problems) -> Option<Workbook> {
    let Some(format) = detect_format(bytes) else {
        problems.push(Problem::file(
            "the file is not an Excel workbook (neither .xlsx nor .xls)",
            Some("save the form from your spreadsheet program as .xlsx and try again".into()),
        ));
        return None;
    };
    // calamine indexes into damaged files without checking everywhere (fuzzing found a
    // truncated .xls whose sector table points past the end of the file): a workbook anyone can
    // upload must not take the server, the CLI or the app down with it, so a panic while reading
    // is a damaged file like any other. (Where panics abort, as in the wasm UI, this cannot
    // catch; the device imports only files its own user picked.)
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| match format {
        Format::Xlsx => Xlsx::new(Cursor::new(bytes))
            .map_err(|e| e.to_string())
            .and_then(|mut wb| collect(&mut wb, Flavor::Xlsx, problems)),
        Format::Xls => Xls::new(Cursor::new(bytes))
            .map_err(|e| e.to_string())
            .and_then(|mut wb| collect(&mut wb, Flavor::Xls, problems)),
    }))
    .unwrap_or_else(|_| Err("it is damaged (its structure points outside the file)".into()));
    match result {
        Ok(wb) => Some(wb),
        Err(e) => {
            let kind = if format == Format::Xlsx {
                ".xlsx"
            } else {
                ".xls"
            };
            problems.push(Problem::file(
                format!("the {kind} workbook could not be read: {e}"),
                Some("open it in a spreadsheet program, save it again as .xlsx and retry".into()),
            ));
            None
        }
    }
}

fn collect<R, RS>(wb: &mut R, flavor: Flavor, problems: &mut Problems) -> Result<Workbook, String>
where
    R: Reader<RS>,
    RS: std::io::Read + std::io::Seek,
    R::Error: std::fmt::Display,
{
    let names = wb.sheet_names();
    let mut out = Workbook {
        sheet_names: names.clone(),
        ..Workbook::default()
    };
    for name in &names {
        let lower = name.to_lowercase();
        // As pyxform: a lone sheet is the survey whatever its name.
        let key = if FORM_SHEETS.contains(&lower.as_str()) {
            lower
        } else if names.len() == 1 {
            "survey".to_string()
        } else {
            continue;
        };
        if out.sheet(&key).is_some() {
            problems.push(Problem::file(
                format!("the workbook has two sheets named '{key}' (names differ only in case)"),
                Some(format!("rename or delete one of the '{key}' sheets")),
            ));
            continue;
        }
        let range = wb.worksheet_range(name).map_err(|e| e.to_string())?;
        let sheet = to_sheet(name, &range, flavor, problems);
        out.sheets.push((key, sheet));
    }
    Ok(out)
}

fn to_sheet(name: &str, range: &Range<Data>, flavor: Flavor, problems: &mut Problems) -> Sheet {
    let mut rows: Vec<Vec<Option<String>>> = Vec::new();
    let Some((r0, c0)) = range.start() else {
        return Sheet {
            name: name.to_string(),
            rows,
        };
    };
    for (i, row) in range.rows().enumerate() {
        let r = r0 as usize + i;
        let mut cells: Vec<Option<String>> = vec![None; c0 as usize];
        for (j, data) in row.iter().enumerate() {
            match cell_text(data, flavor) {
                Ok(t) => cells.push(t),
                Err(CellError::AmbiguousDate) => {
                    let c = c0 as usize + j;
                    problems.push(Problem {
                        sheet: name.to_string(),
                        row: Some(r as u32 + 1),
                        column: Some(Column {
                            letter: column_letter(c),
                            header: String::new(),
                        }),
                        message: "the .xls file has an invalid (ambiguous) date in this cell"
                            .into(),
                        hint: Some(
                            "dates before 1900-03-01 are ambiguous in Excel; type the value as \
                             text (start it with an apostrophe)"
                                .into(),
                        ),
                    });
                    cells.push(None);
                }
            }
        }
        while cells.last().is_some_and(|c| c.is_none()) {
            cells.pop();
        }
        if rows.len() < r {
            rows.resize(r, Vec::new());
        }
        rows.push(cells);
    }
    while rows.last().is_some_and(|r| r.is_empty()) {
        rows.pop();
    }
    Sheet {
        name: name.to_string(),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_from_magic_bytes() {
        assert_eq!(detect_format(b"PK\x03\x04rest"), Some(Format::Xlsx));
        assert_eq!(
            detect_format(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]),
            Some(Format::Xls)
        );
        assert_eq!(detect_format(b"type,name\n"), None);
    }
}
