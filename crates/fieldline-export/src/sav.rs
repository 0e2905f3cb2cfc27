//! SPSS `.sav`, written by hand after the "System File Format" appendix of the PSPP manual:
//! the file header, a variable record per variable (with continuation records for strings
//! wider than 8 bytes), value labels with the variables they apply to, machine integer and
//! floating-point information, long variable names, the character encoding (UTF-8), the
//! dictionary termination and uncompressed little-endian data.
//!
//! Strings are at most 255 bytes (longer values cut); numbers are doubles, coded select_ones
//! numeric with value labels. Missing numbers are system-missing.

use std::io::{BufWriter, Write};

use crate::spool::Spool;
use crate::{names, now_utc, number, ExportError, Finished, Kind, Layout, RowWriter, MONTHS};

const MAX_STR: usize = 255;
const SYSMIS: f64 = -f64::MAX;

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
            spool: Spool::new(layout.columns.len(), MAX_STR)?,
        })
    }
}

fn i32le(buf: &mut Vec<u8>, v: i32) {
    buf.extend_from_slice(&v.to_le_bytes());
}

/// `text` in `len` bytes, space-padded.
fn padded(buf: &mut Vec<u8>, text: &str, len: usize) {
    let text = crate::cut(text, len);
    buf.extend_from_slice(text.as_bytes());
    buf.resize(buf.len() + (len - text.len()), b' ');
}

/// Print/write format: type, width, decimals.
fn format(kind: u8, width: usize, decimals: u8) -> i32 {
    (i32::from(kind) << 16) | ((width as i32) << 8) | i32::from(decimals)
}

impl<W: Write> RowWriter for SavWriter<W> {
    fn write_row(&mut self, row: &[String]) -> Result<(), ExportError> {
        self.spool.push(row)
    }

    fn finish(self: Box<Self>) -> Result<Finished, ExportError> {
        let SavWriter { out, layout, spool } = *self;
        let finished = Finished {
            rows: spool.rows,
            truncated: spool.truncated,
        };
        if finished.rows > i32::MAX as u64 {
            return Err(ExportError::Limit(
                "an SPSS file holds at most 2,147,483,647 cases; export as CSV".into(),
            ));
        }
        let columns = &layout.columns;
        let widths: Vec<usize> = columns
            .iter()
            .zip(&spool.widths)
            .map(|(c, &w)| match c.kind {
                Kind::Text => w.max(1),
                _ => 0,
            })
            .collect();
        // 8-byte slots per variable; the case is their sum.
        let slots: Vec<usize> = widths
            .iter()
            .map(|&w| if w == 0 { 1 } else { w.div_ceil(8) })
            .collect();
        let case_slots: usize = slots.iter().sum();
        let long_names = names::spss(&layout.header());

        let mut h: Vec<u8> = Vec::new();
        h.extend_from_slice(b"$FL2");
        padded(&mut h, "@(#) SPSS DATA FILE Fieldline export", 60);
        i32le(&mut h, 2);
        i32le(&mut h, case_slots as i32);
        i32le(&mut h, 0);
        i32le(&mut h, 0);
        i32le(&mut h, finished.rows as i32);
        h.extend_from_slice(&100f64.to_le_bytes());
        let (d, m, y, hh, mm, ss) = now_utc();
        padded(
            &mut h,
            &format!("{d:02} {} {:02}", MONTHS[(m - 1) as usize], y % 100),
            9,
        );
        padded(&mut h, &format!("{hh:02}:{mm:02}:{ss:02}"), 8);
        padded(&mut h, "", 64);
        h.extend_from_slice(&[0; 3]);

        // Variable records; the 1-based slot index of each variable for value labels.
        let mut first_slot = Vec::with_capacity(columns.len());
        let mut slot = 1;
        for (i, c) in columns.iter().enumerate() {
            first_slot.push(slot);
            slot += slots[i];
            let w = widths[i];
            i32le(&mut h, 2);
            i32le(&mut h, w as i32);
            let label = crate::cut(&c.label, 255);
            i32le(&mut h, i32::from(!label.is_empty()));
            i32le(&mut h, 0);
            let f = match c.kind {
                Kind::Text => format(1, w, 0),
                Kind::Decimal => format(5, 12, 2),
                Kind::Integer | Kind::Coded { .. } => format(5, 8, 0),
            };
            i32le(&mut h, f);
            i32le(&mut h, f);
            padded(&mut h, &short_name(i), 8);
            if !label.is_empty() {
                i32le(&mut h, label.len() as i32);
                h.extend_from_slice(label.as_bytes());
                h.resize(h.len() + (4 - label.len() % 4) % 4, b' ');
            }
            for _ in 1..slots[i] {
                i32le(&mut h, 2);
                i32le(&mut h, -1);
                for _ in 0..4 {
                    i32le(&mut h, 0);
                }
                padded(&mut h, "", 8);
            }
        }

        // Value labels: one set per coded choice list, with the variables using it.
        let mut done: Vec<&str> = Vec::new();
        for c in columns {
            let Kind::Coded { list, labels } = &c.kind else {
                continue;
            };
            if done.contains(&list.as_str()) {
                continue;
            }
            done.push(list);
            i32le(&mut h, 3);
            i32le(&mut h, labels.len() as i32);
            for (code, label) in labels {
                h.extend_from_slice(&f64::from(*code).to_le_bytes());
                let label = crate::cut(label, 120);
                h.push(label.len() as u8);
                h.extend_from_slice(label.as_bytes());
                h.resize(h.len() + (8 - (label.len() + 1) % 8) % 8, b' ');
            }
            let vars: Vec<i32> = columns
                .iter()
                .zip(&first_slot)
                .filter(|(c, _)| matches!(&c.kind, Kind::Coded { list: l, .. } if l == list))
                .map(|(_, &s)| s as i32)
                .collect();
            i32le(&mut h, 4);
            i32le(&mut h, vars.len() as i32);
            for v in vars {
                i32le(&mut h, v);
            }
        }

        // Machine integer info: version, machine, IEEE 754, compression, little-endian, UTF-8.
        let extension = |h: &mut Vec<u8>, subtype: i32, size: i32, data: &[u8]| {
            i32le(h, 7);
            i32le(h, subtype);
            i32le(h, size);
            i32le(h, data.len() as i32 / size);
            h.extend_from_slice(data);
        };
        let ints: Vec<u8> = [1, 0, 0, -1, 1, 1, 2, 65001]
            .iter()
            .flat_map(|v: &i32| v.to_le_bytes())
            .collect();
        extension(&mut h, 3, 4, &ints);
        let floats: Vec<u8> = [SYSMIS, f64::MAX, f64::from_bits(0xFFEF_FFFF_FFFF_FFFE)]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        extension(&mut h, 4, 8, &floats);
        let names: Vec<String> = long_names
            .iter()
            .enumerate()
            .map(|(i, name)| format!("{}={name}", short_name(i)))
            .collect();
        extension(&mut h, 13, 1, names.join("\t").as_bytes());
        extension(&mut h, 20, 1, b"UTF-8");
        i32le(&mut h, 999);
        i32le(&mut h, 0);

        let mut out = BufWriter::with_capacity(1 << 16, out);
        out.write_all(&h)?;
        let mut replay = spool.replay()?;
        let mut row = Vec::new();
        let mut record = Vec::with_capacity(case_slots * 8);
        for _ in 0..finished.rows {
            replay.next_row(&mut row)?;
            record.clear();
            for ((c, &n), value) in columns.iter().zip(&slots).zip(&row) {
                match c.kind {
                    Kind::Text => {
                        record.extend_from_slice(value);
                        record.resize(record.len() + (n * 8 - value.len()), b' ');
                    }
                    _ => {
                        let v = std::str::from_utf8(value)
                            .ok()
                            .and_then(number)
                            .unwrap_or(SYSMIS);
                        record.extend_from_slice(&v.to_le_bytes());
                    }
                }
            }
            out.write_all(&record)?;
        }
        out.flush()?;
        Ok(finished)
    }
}

/// The 8-byte name of the `i`th variable; its long name comes in record 7.13.
fn short_name(i: usize) -> String {
    format!("V{}", i + 1)
}
