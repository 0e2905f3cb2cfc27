//! Stata `.dta`, format 118 (Stata 14 and later; UTF-8), little-endian, written by hand after
//! Stata's own description of the format (`help dta`): the header, the map of section
//! offsets, the variable descriptors (types, names, an empty sort list, display formats,
//! value-label names, variable labels), no characteristics, the data, no strLs, and the
//! value-label tables.
//!
//! Strings are `str#` (at most 2045 bytes, longer values cut); numbers `double`; coded
//! select_ones `long` with a value label named after the choice list. Missing numbers are
//! Stata's system missing `.`.

use std::io::{BufWriter, Write};

use crate::spool::Spool;
use crate::{names, now_utc, number, ExportError, Finished, Kind, Layout, RowWriter, MONTHS};

const MAX_STR: usize = 2045;
const TYPE_DOUBLE: u16 = 65526;
const TYPE_LONG: u16 = 65528;
const MISSING_DOUBLE: u64 = 0x7FE0_0000_0000_0000;
const MISSING_LONG: i32 = 2_147_483_621;

pub struct DtaWriter<W: Write> {
    out: W,
    layout: Layout,
    spool: Spool,
}

impl<W: Write> DtaWriter<W> {
    pub fn new(out: W, layout: &Layout) -> Result<Self, ExportError> {
        if layout.columns.len() > 32_767 {
            return Err(ExportError::Limit(
                "a Stata file holds at most 32,767 variables; export as CSV".into(),
            ));
        }
        Ok(DtaWriter {
            out,
            layout: layout.clone(),
            spool: Spool::new(layout.columns.len(), MAX_STR)?,
        })
    }
}

impl<W: Write> RowWriter for DtaWriter<W> {
    fn write_row(&mut self, row: &[String]) -> Result<(), ExportError> {
        self.spool.push(row)
    }

    fn finish(self: Box<Self>) -> Result<Finished, ExportError> {
        let DtaWriter { out, layout, spool } = *self;
        let finished = Finished {
            rows: spool.rows,
            truncated: spool.truncated,
        };
        let widths: Vec<usize> = spool.widths.iter().map(|&w| w.max(1)).collect();
        let columns = &layout.columns;
        let k = columns.len();
        let var_names = names::stata(&layout.header());
        // One value label per coded choice list, named after it.
        let mut lists: Vec<(&str, &[(i32, String)])> = Vec::new();
        for c in columns {
            if let Kind::Coded { list, labels } = &c.kind {
                if !lists.iter().any(|(l, _)| l == list) {
                    lists.push((list, labels));
                }
            }
        }
        let list_names: Vec<&str> = lists.iter().map(|(l, _)| *l).collect();
        let label_names = names::stata(&list_names);

        let mut h: Vec<u8> = Vec::new();
        h.extend_from_slice(
            b"<stata_dta><header><release>118</release><byteorder>LSF</byteorder><K>",
        );
        h.extend_from_slice(&(k as u16).to_le_bytes());
        h.extend_from_slice(b"</K><N>");
        h.extend_from_slice(&spool.rows.to_le_bytes());
        h.extend_from_slice(b"</N><label>");
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(b"</label><timestamp>");
        let (d, m, y, hh, mm, _) = now_utc();
        let stamp = format!("{d:02} {} {y:04} {hh:02}:{mm:02}", MONTHS[(m - 1) as usize]);
        h.push(stamp.len() as u8);
        h.extend_from_slice(stamp.as_bytes());
        h.extend_from_slice(b"</timestamp></header>");
        let mut map = [0u64; 14];
        map[1] = h.len() as u64;
        h.extend_from_slice(b"<map>");
        let map_at = h.len();
        h.resize(h.len() + 14 * 8, 0);
        h.extend_from_slice(b"</map>");

        map[2] = h.len() as u64;
        h.extend_from_slice(b"<variable_types>");
        let mut row_len = 0usize;
        for (c, &w) in columns.iter().zip(&widths) {
            let (t, len) = match c.kind {
                Kind::Text => (w as u16, w),
                Kind::Integer | Kind::Decimal => (TYPE_DOUBLE, 8),
                Kind::Coded { .. } => (TYPE_LONG, 4),
            };
            row_len += len;
            h.extend_from_slice(&t.to_le_bytes());
        }
        h.extend_from_slice(b"</variable_types>");

        map[3] = h.len() as u64;
        h.extend_from_slice(b"<varnames>");
        for name in &var_names {
            fixed(&mut h, name, 129);
        }
        h.extend_from_slice(b"</varnames>");

        map[4] = h.len() as u64;
        h.extend_from_slice(b"<sortlist>");
        h.resize(h.len() + 2 * (k + 1), 0);
        h.extend_from_slice(b"</sortlist>");

        map[5] = h.len() as u64;
        h.extend_from_slice(b"<formats>");
        for (c, &w) in columns.iter().zip(&widths) {
            let format = match c.kind {
                Kind::Text => format!("%-{w}s"),
                Kind::Integer | Kind::Decimal => "%10.0g".into(),
                Kind::Coded { .. } => "%8.0g".into(),
            };
            fixed(&mut h, &format, 57);
        }
        h.extend_from_slice(b"</formats>");

        map[6] = h.len() as u64;
        h.extend_from_slice(b"<value_label_names>");
        for c in columns {
            let name = match &c.kind {
                Kind::Coded { list, .. } => {
                    let i = list_names.iter().position(|l| l == list).unwrap_or(0);
                    label_names[i].as_str()
                }
                _ => "",
            };
            fixed(&mut h, name, 129);
        }
        h.extend_from_slice(b"</value_label_names>");

        map[7] = h.len() as u64;
        h.extend_from_slice(b"<variable_labels>");
        for c in columns {
            // Stata shows 80 characters of a variable label.
            let label: String = c.label.chars().take(80).collect();
            fixed(&mut h, crate::cut(&label, 320), 321);
        }
        h.extend_from_slice(b"</variable_labels>");

        map[8] = h.len() as u64;
        h.extend_from_slice(b"<characteristics></characteristics>");

        map[9] = h.len() as u64;
        let data_len =
            b"<data>".len() as u64 + spool.rows * row_len as u64 + b"</data>".len() as u64;
        map[10] = map[9] + data_len;
        let strls = b"<strls></strls>";
        map[11] = map[10] + strls.len() as u64;

        let mut tail: Vec<u8> = Vec::new();
        tail.extend_from_slice(strls);
        tail.extend_from_slice(b"<value_labels>");
        for ((_, labels), name) in lists.iter().zip(&label_names) {
            let mut text: Vec<u8> = Vec::new();
            let mut offsets = Vec::new();
            for (_, label) in labels.iter() {
                offsets.push(text.len() as i32);
                text.extend_from_slice(crate::cut(label, 32_000).as_bytes());
                text.push(0);
            }
            let n = labels.len();
            let len = 8 + 8 * n + text.len();
            tail.extend_from_slice(b"<lbl>");
            tail.extend_from_slice(&(len as i32).to_le_bytes());
            fixed(&mut tail, name, 129);
            tail.extend_from_slice(&[0; 3]);
            tail.extend_from_slice(&(n as i32).to_le_bytes());
            tail.extend_from_slice(&(text.len() as i32).to_le_bytes());
            for o in offsets {
                tail.extend_from_slice(&o.to_le_bytes());
            }
            for (code, _) in labels.iter() {
                tail.extend_from_slice(&code.to_le_bytes());
            }
            tail.extend_from_slice(&text);
            tail.extend_from_slice(b"</lbl>");
        }
        tail.extend_from_slice(b"</value_labels>");
        map[12] = map[10] + tail.len() as u64;
        let end = b"</stata_dta>";
        map[13] = map[12] + end.len() as u64;
        for (i, offset) in map.iter().enumerate() {
            h[map_at + 8 * i..map_at + 8 * i + 8].copy_from_slice(&offset.to_le_bytes());
        }

        let mut out = BufWriter::with_capacity(1 << 16, out);
        out.write_all(&h)?;
        out.write_all(b"<data>")?;
        let mut replay = spool.replay()?;
        let mut row = Vec::new();
        let mut record = Vec::with_capacity(row_len);
        for _ in 0..finished.rows {
            replay.next_row(&mut row)?;
            record.clear();
            for ((c, &w), value) in columns.iter().zip(&widths).zip(&row) {
                match c.kind {
                    Kind::Text => {
                        record.extend_from_slice(value);
                        record.resize(record.len() + (w - value.len()), 0);
                    }
                    Kind::Integer | Kind::Decimal => {
                        let bits = std::str::from_utf8(value)
                            .ok()
                            .and_then(number)
                            .map_or(MISSING_DOUBLE, f64::to_bits);
                        record.extend_from_slice(&bits.to_le_bytes());
                    }
                    Kind::Coded { .. } => {
                        let code = std::str::from_utf8(value)
                            .ok()
                            .and_then(|v| v.trim().parse::<i32>().ok())
                            .filter(|c| c.unsigned_abs() <= 2_147_483_620)
                            .unwrap_or(MISSING_LONG);
                        record.extend_from_slice(&code.to_le_bytes());
                    }
                }
            }
            out.write_all(&record)?;
        }
        out.write_all(b"</data>")?;
        out.write_all(&tail)?;
        out.write_all(end)?;
        out.flush()?;
        Ok(finished)
    }
}

/// `text` in a field of `len` bytes, NUL-padded (cut to leave at least one NUL).
fn fixed(buf: &mut Vec<u8>, text: &str, len: usize) {
    let text = crate::cut(text, len - 1);
    buf.extend_from_slice(text.as_bytes());
    buf.resize(buf.len() + (len - text.len()), 0);
}
