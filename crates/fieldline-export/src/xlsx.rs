//! XLSX: one worksheet in `rust_xlsxwriter`'s constant memory mode (each row goes to a
//! temporary file as it is written), the header row bold, numbers as numbers, dates and times
//! as ODK writes them (text, UTC offset included, as in the CSV).

use std::io::Write;

use rust_xlsxwriter::{Format, Workbook};

use crate::{number, ExportError, Finished, Kind, Layout, RowWriter};

/// Rows a worksheet holds, the header included.
const MAX_ROWS: u32 = 1_048_576;

pub struct XlsxWriter<W: Write + Send> {
    out: Option<W>,
    workbook: Workbook,
    numeric: Vec<bool>,
    next_row: u32,
}

impl<W: Write + Send> XlsxWriter<W> {
    /// Starts the workbook with its header row.
    pub fn new(out: W, layout: &Layout) -> Result<Self, ExportError> {
        let mut workbook = Workbook::new();
        let bold = Format::new().set_bold();
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name("data")?;
        for (i, column) in layout.columns.iter().enumerate() {
            sheet.write_string_with_format(0, col(i)?, &column.name, &bold)?;
        }
        let numeric = layout
            .columns
            .iter()
            .map(|c| matches!(c.kind, Kind::Integer | Kind::Decimal | Kind::Coded { .. }))
            .collect();
        Ok(XlsxWriter {
            out: Some(out),
            workbook,
            numeric,
            next_row: 1,
        })
    }
}

fn col(i: usize) -> Result<u16, ExportError> {
    u16::try_from(i)
        .ok()
        .filter(|&c| c < 16_384)
        .ok_or_else(|| {
            ExportError::Limit("an XLSX sheet holds at most 16,384 columns; export as CSV".into())
        })
}

impl<W: Write + Send> RowWriter for XlsxWriter<W> {
    fn write_row(&mut self, row: &[String]) -> Result<(), ExportError> {
        if self.next_row >= MAX_ROWS {
            return Err(ExportError::Limit(format!(
                "an XLSX sheet holds at most {} submissions; export as CSV, .dta or .sav",
                MAX_ROWS - 1
            )));
        }
        let r = self.next_row;
        let sheet = self.workbook.worksheet_from_index(0)?;
        for (i, value) in row.iter().enumerate() {
            if value.is_empty() {
                continue;
            }
            match (self.numeric[i], number(value)) {
                (true, Some(n)) => sheet.write_number(r, col(i)?, n)?,
                _ => sheet.write_string(r, col(i)?, value)?,
            };
        }
        self.next_row += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<Finished, ExportError> {
        let mut out = self.out.take().expect("finish runs once");
        self.workbook.save_to_writer(&mut out)?;
        out.flush()?;
        Ok(Finished {
            rows: u64::from(self.next_row - 1),
        })
    }
}
