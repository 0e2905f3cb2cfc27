//! SPSS `.sav`, written by hand after the "System File Format" appendix of the PSPP manual:
//! the file header, a variable record per variable (with continuation records for strings
//! wider than 8 bytes, and a record per segment of a very long string), value labels with the
//! variables they apply to, machine integer and floating-point information, long variable
//! names, very long string widths, the character encoding (UTF-8), the dictionary termination
//! and uncompressed little-endian data.
//!
//! Strings hold whole values: up to 255 bytes as short strings, beyond as very long strings
//! (see [`segments`]); SPSS pads strings with spaces, so trailing spaces are not kept.
//! Numbers are doubles, coded select_ones numeric with value labels,
//! dates `DATE11` and datetimes `DATETIME24.3` (seconds since 1582-10-14 00:00, the
//! datetime to the millisecond). Missing numbers and dates are system-missing.

mod dictionary;
mod segments;

use std::io::{BufWriter, Write};

use crate::spool::Spool;
use crate::{dates, number, ExportError, Finished, Kind, Layout, RowWriter};
use segments::Segment;

const SYSMIS: f64 = -f64::MAX;
/// Days from 1582-10-14, SPSS's day 0, to 1970-01-01.
const DAYS_1582_TO_1970: i64 = 141_428;

pub struct SavWriter<W: Write> {
    out: W,
    layout: Layout,
    spool: Spool,
}

impl<W: Write> SavWriter<W> {
    pub fn new(out: W, layout: &Layout) -> Result<Self, ExportError> {
        Ok(SavWriter {
            out,
            layout: layout.clone(),
            spool: Spool::new(layout.columns.len())?,
        })
    }
}

/// A numeric cell's value as SPSS stores it; `None` is system-missing.
fn spss_number(kind: &Kind, value: &str) -> Option<f64> {
    match kind {
        Kind::Date => {
            dates::days_since_1970(value).map(|d| ((d + DAYS_1582_TO_1970) * 86_400) as f64)
        }
        Kind::DateTime => dates::local_millis_since_1970(value)
            .map(|ms| (ms + DAYS_1582_TO_1970 * 86_400_000) as f64 / 1000.0),
        _ => number(value),
    }
}

impl<W: Write> RowWriter for SavWriter<W> {
    fn write_row(&mut self, row: &[String]) -> Result<(), ExportError> {
        self.spool.push(row)
    }

    fn finish(self: Box<Self>) -> Result<Finished, ExportError> {
        let SavWriter {
            out,
            layout,
            mut spool,
        } = *self;
        let rows = spool.rows;
        if rows > i32::MAX as u64 {
            return Err(ExportError::Limit(
                "an SPSS file holds at most 2,147,483,647 cases; export as CSV".into(),
            ));
        }
        let columns = &layout.columns;
        let layouts: Vec<Vec<Segment>> = columns
            .iter()
            .zip(&spool.widths)
            .map(|(c, &widest)| segments::segments((c.kind == Kind::Text).then_some(widest)))
            .collect();
        let header = dictionary::write(&layout, &layouts, rows as i32)?;
        let case_bytes: usize = layouts.iter().flatten().map(|s| s.bytes).sum();

        let mut out = BufWriter::with_capacity(1 << 16, out);
        out.write_all(&header)?;
        let mut replay = spool.replay()?;
        let mut row = Vec::new();
        let mut record = Vec::with_capacity(case_bytes);
        for _ in 0..rows {
            replay.next_row(&mut row)?;
            record.clear();
            for ((c, parts), value) in columns.iter().zip(&layouts).zip(&row) {
                if c.kind == Kind::Text {
                    segments::write_text(&mut record, parts, value);
                } else {
                    let v = std::str::from_utf8(value)
                        .ok()
                        .and_then(|v| spss_number(&c.kind, v))
                        .unwrap_or(SYSMIS);
                    record.extend_from_slice(&v.to_le_bytes());
                }
            }
            out.write_all(&record)?;
        }
        out.flush()?;
        Ok(Finished { rows })
    }
}
