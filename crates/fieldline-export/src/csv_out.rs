//! CSV: RFC 4180 (comma, `"` quoting where needed, `\n` line ends), UTF-8, the header row
//! first. What `fieldline analyze` reads.

use std::io::Write;

use crate::{ExportError, Finished, Layout, RowWriter};

pub struct CsvWriter<W: Write> {
    out: csv::Writer<W>,
    rows: u64,
}

impl<W: Write> CsvWriter<W> {
    /// Writes the header row.
    pub fn new(out: W, layout: &Layout) -> Result<Self, ExportError> {
        let mut out = csv::WriterBuilder::new().from_writer(out);
        out.write_record(layout.header())?;
        Ok(CsvWriter { out, rows: 0 })
    }
}

impl<W: Write> RowWriter for CsvWriter<W> {
    fn write_row(&mut self, row: &[String]) -> Result<(), ExportError> {
        self.out.write_record(row)?;
        self.rows += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<Finished, ExportError> {
        self.out.flush()?;
        Ok(Finished { rows: self.rows })
    }
}
