//! Rows kept in an unnamed temporary file, with each column's widest value measured, for the
//! formats whose header fixes string widths before the data.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use crate::{cut, ExportError};

pub struct Spool {
    file: BufWriter<File>,
    /// The widest (cut) value of each column, in bytes.
    pub widths: Vec<usize>,
    pub rows: u64,
    pub truncated: u64,
    max: usize,
}

impl Spool {
    /// A spool for rows of `columns` values, each cut to `max` bytes.
    pub fn new(columns: usize, max: usize) -> Result<Self, ExportError> {
        Ok(Spool {
            file: BufWriter::with_capacity(1 << 16, tempfile::tempfile()?),
            widths: vec![0; columns],
            rows: 0,
            truncated: 0,
            max,
        })
    }

    pub fn push(&mut self, row: &[String]) -> Result<(), ExportError> {
        if row.len() != self.widths.len() {
            return Err(ExportError::Limit(format!(
                "a row of {} values for {} columns",
                row.len(),
                self.widths.len()
            )));
        }
        for (i, value) in row.iter().enumerate() {
            let v = cut(value, self.max);
            if v.len() < value.len() {
                self.truncated += 1;
            }
            self.widths[i] = self.widths[i].max(v.len());
            self.file.write_all(&(v.len() as u32).to_le_bytes())?;
            self.file.write_all(v.as_bytes())?;
        }
        self.rows += 1;
        Ok(())
    }

    /// The rows back, from the first.
    pub fn replay(self) -> Result<Replay, ExportError> {
        let mut file = self.file.into_inner().map_err(|e| e.into_error())?;
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
