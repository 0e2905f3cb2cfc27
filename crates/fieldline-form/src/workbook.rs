//! Reading a workbook from bytes into sheets of text cells. The format is decided by the
//! content's magic bytes, never the file name: real forms circulate as `.xls` files renamed to
//! `.xlsx` and vice versa.

use std::io::Cursor;
use std::panic::AssertUnwindSafe;

use calamine::{Data, Reader, Xls, Xlsx};

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
        Format::Xls => crate::xls_guard::check(bytes).and_then(|()| {
            Xls::new(Cursor::new(bytes))
                .map_err(|e| e.to_string())
                .and_then(|mut wb| collect(&mut wb, Flavor::Xls, problems))
        }),
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

/// How many cells a form sheet may span, counting every cell from A1 to its last value in each
/// row (what the reader keeps). Real forms span a few tens of thousands; without a bound a 5 KB
/// `.xlsx` with one value in A1 and one in XFD1048576 asks for 512 GiB at once, which aborts
/// the process reading it.
pub const MAX_SHEET_CELLS: usize = 4_000_000;

/// How a workbook's sheets are read into cells.
trait SheetSource {
    fn read_sheet(
        &mut self,
        name: &str,
        flavor: Flavor,
        problems: &mut Problems,
    ) -> Result<Sheet, String>;
}

impl<RS: std::io::Read + std::io::Seek> SheetSource for Xlsx<RS> {
    /// Cell by cell, never as one rectangle: calamine's ranges are dense, so a stray far-away
    /// value would cost memory for every cell in between.
    fn read_sheet(
        &mut self,
        name: &str,
        flavor: Flavor,
        problems: &mut Problems,
    ) -> Result<Sheet, String> {
        let mut cells = self
            .worksheet_cells_reader(name)
            .map_err(|e| e.to_string())?;
        let mut sheet = SheetBuilder::new(name);
        while let Some(cell) = cells.next_cell().map_err(|e| e.to_string())? {
            let (row, column) = cell.get_position();
            sheet.place(
                row,
                column,
                &Data::from(cell.get_value().clone()),
                flavor,
                problems,
            )?;
        }
        Ok(sheet.finish())
    }
}

impl<RS: std::io::Read + std::io::Seek> SheetSource for Xls<RS> {
    /// calamine reads a `.xls` sheet only as a rectangle; the format itself bounds it (65,536
    /// rows of 256 columns).
    fn read_sheet(
        &mut self,
        name: &str,
        flavor: Flavor,
        problems: &mut Problems,
    ) -> Result<Sheet, String> {
        let range = self.worksheet_range(name).map_err(|e| e.to_string())?;
        let mut sheet = SheetBuilder::new(name);
        if let Some((row0, column0)) = range.start() {
            for (row, column, data) in range.used_cells() {
                sheet.place(
                    row0 + row as u32,
                    column0 + column as u32,
                    data,
                    flavor,
                    problems,
                )?;
            }
        }
        Ok(sheet.finish())
    }
}

fn collect<R, RS>(wb: &mut R, flavor: Flavor, problems: &mut Problems) -> Result<Workbook, String>
where
    R: Reader<RS> + SheetSource,
    RS: std::io::Read + std::io::Seek,
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
        let sheet = wb.read_sheet(name, flavor, problems)?;
        out.sheets.push((key, sheet));
    }
    Ok(out)
}

/// A sheet filled a cell at a time, within [`MAX_SHEET_CELLS`].
struct SheetBuilder {
    sheet: Sheet,
    /// Cells the rows span so far (each row counts at least one).
    spanned: usize,
}

impl SheetBuilder {
    fn new(name: &str) -> Self {
        SheetBuilder {
            sheet: Sheet {
                name: name.to_string(),
                rows: Vec::new(),
            },
            spanned: 0,
        }
    }

    /// Puts the text of `data` at 0-based `row` and `column`; an empty cell changes nothing.
    fn place(
        &mut self,
        row: u32,
        column: u32,
        data: &Data,
        flavor: Flavor,
        problems: &mut Problems,
    ) -> Result<(), String> {
        let (r, c) = (row as usize, column as usize);
        let text = match cell_text(data, flavor) {
            Ok(Some(text)) => text,
            Ok(None) => return Ok(()),
            Err(CellError::AmbiguousDate) => {
                problems.push(Problem {
                    sheet: self.sheet.name.clone(),
                    row: Some(row + 1),
                    column: Some(Column {
                        letter: column_letter(c),
                        header: String::new(),
                    }),
                    message: "the .xls file has an invalid (ambiguous) date in this cell".into(),
                    hint: Some(
                        "dates before 1900-03-01 are ambiguous in Excel; type the value as text \
                         (start it with an apostrophe)"
                            .into(),
                    ),
                });
                return Ok(());
            }
        };
        let new_rows = (r + 1).saturating_sub(self.sheet.rows.len());
        let row_len = self.sheet.rows.get(r).map_or(0, Vec::len);
        let new_cells = (c + 1).saturating_sub(row_len.max(1));
        if self.spanned + new_rows + new_cells > MAX_SHEET_CELLS {
            return Err(format!(
                "its sheet '{}' has a value in row {}, column {}, so far from the rest that \
                 reading it would take more than {MAX_SHEET_CELLS} cells; delete the rows and \
                 columns beyond the form",
                self.sheet.name,
                r + 1,
                column_letter(c)
            ));
        }
        self.spanned += new_rows + new_cells;
        if new_rows > 0 {
            self.sheet.rows.resize(r + 1, Vec::new());
        }
        let cells = &mut self.sheet.rows[r];
        if cells.len() <= c {
            cells.resize(c + 1, None);
        }
        cells[c] = Some(text);
        Ok(())
    }

    fn finish(self) -> Sheet {
        self.sheet
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
