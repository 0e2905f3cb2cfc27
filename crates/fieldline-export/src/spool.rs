//! Rows kept in an unnamed temporary file, with each column's widest value measured, for the
//! formats whose header fixes string widths (and, for Stata's strLs, the size of what follows
//! the data) before the data. The rows can be read back more than once.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use crate::ExportError;

pub struct Spool {
    file: BufWriter<File>,
    /// The widest value of each column, in bytes.
    pub widths: Vec<usize>,
    /// The bytes of each column's values, all rows together.
    pub total_bytes: Vec<u64>,
    /// How many rows have a value (not empty) in each column.
    pub non_empty: Vec<u64>,
    pub rows: u64,
}

impl Spool {
    /// A spool for rows of `columns` values.
    pub fn new(columns: usize) -> Result<Self, ExportError> {
        Ok(Spool {
            file: BufWriter::with_capacity(1 << 16, tempfile::tempfile()?),
            widths: vec![0; columns],
            total_bytes: vec![0; columns],
            non_empty: vec![0; columns],
            rows: 0,
        })
    }

    pub fn push(&mut self, row: &[String]) -> Result<(), ExportError> {
        if row.len() != self.widths.len() {
            return Err(ExportError::RowLength {
                values: row.len(),
                columns: self.widths.len(),
            });
        }
        for (i, value) in row.iter().enumerate() {
            // Below u32::MAX, so that a Stata GSO's length (the value and a NUL) fits too.
            let len = u32::try_from(value.len())
                .ok()
                .filter(|&len| len < u32::MAX)
                .ok_or(ExportError::ValueTooLong {
                    row: self.rows + 1,
                    column: i + 1,
                })?;
            self.widths[i] = self.widths[i].max(value.len());
            self.total_bytes[i] += u64::from(len);
            self.non_empty[i] += u64::from(len > 0);
            self.file.write_all(&len.to_le_bytes())?;
            self.file.write_all(value.as_bytes())?;
        }
        self.rows += 1;
        Ok(())
    }

    /// The rows back, from the first; each call starts over.
    pub fn replay(&mut self) -> Result<Replay, ExportError> {
        self.file.flush()?;
        // The clone shares the file position with the spool, which writes no more.
        let mut file = self.file.get_ref().try_clone()?;
        file.seek(SeekFrom::Start(0))?;
        Ok(Replay {
            file: BufReader::with_capacity(1 << 16, file),
            columns: self.widths.len(),
        })
    }
}

pub struct Replay {
    file: BufReader<File>,
    columns: usize,
}

impl Replay {
    /// The next row's values into `row` (reused).
    pub fn next_row(&mut self, row: &mut Vec<Vec<u8>>) -> Result<(), ExportError> {
        row.resize_with(self.columns, Vec::new);
        for value in row.iter_mut() {
            let mut len = [0u8; 4];
            self.file.read_exact(&mut len)?;
            value.resize(u32::from_le_bytes(len) as usize, 0);
            self.file.read_exact(value)?;
        }
        Ok(())
    }
}
