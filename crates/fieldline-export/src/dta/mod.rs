//! Stata `.dta`, format 118 (Stata 14 and later; UTF-8), little-endian, written by hand after
//! Stata's own description of the format (`help dta`): the header, the map of section
//! offsets, the variable descriptors (types, names, an empty sort list, display formats,
//! value-label names, variable labels), no characteristics, the data, the strLs and the
//! value-label tables.
//!
//! Strings are `str#` up to 2045 bytes and `strL` beyond (see [`strl`]); numbers `double`;
//! dates `double` in `%td` (days since 1960-01-01) and datetimes `double` in `%tc`
//! (milliseconds since 1960-01-01 00:00); coded select_ones `long` with a value label named
//! after the choice list. Missing numbers and dates are Stata's system missing `.`.

mod strl;

use std::io::{BufWriter, Write};

use crate::spool::Spool;
use crate::{
    dates, names, now_utc, number, ExportError, Finished, Kind, Layout, RowWriter, MONTHS,
};

const TYPE_DOUBLE: u16 = 65526;
const TYPE_LONG: u16 = 65528;
const MISSING_DOUBLE: u64 = 0x7FE0_0000_0000_0000;
const MISSING_LONG: i32 = 2_147_483_621;
/// Days from 1960-01-01, Stata's day 0, to 1970-01-01.
const DAYS_1960_TO_1970: i64 = 3653;

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
            spool: Spool::new(layout.columns.len())?,
        })
    }
}

/// How a column is stored.
#[derive(Clone, Copy, PartialEq)]
enum Storage {
    /// `str#` of this width.
    Str(usize),
    StrL,
    Double,
    Long,
}

impl Storage {
    fn of(kind: &Kind, widest: usize) -> Self {
        match kind {
            Kind::Text if widest > strl::MAX_STR => Storage::StrL,
            Kind::Text => Storage::Str(widest.max(1)),
            Kind::Integer | Kind::Decimal | Kind::Date | Kind::DateTime => Storage::Double,
            Kind::Coded { .. } => Storage::Long,
        }
    }

    fn type_code(self) -> u16 {
        match self {
            Storage::Str(width) => width as u16,
            Storage::StrL => strl::TYPE_STRL,
            Storage::Double => TYPE_DOUBLE,
            Storage::Long => TYPE_LONG,
        }
    }

    /// Bytes in each observation.
    fn len(self) -> usize {
        match self {
            Storage::Str(width) => width,
            Storage::StrL | Storage::Double => 8,
            Storage::Long => 4,
        }
    }
}

fn display_format(kind: &Kind, storage: Storage) -> String {
    match (kind, storage) {
        (_, Storage::Str(width)) => format!("%-{width}s"),
        (_, Storage::StrL) => "%9s".into(),
        (Kind::Date, _) => "%td".into(),
        (Kind::DateTime, _) => "%tc".into(),
        (Kind::Coded { .. }, _) => "%8.0g".into(),
        _ => "%10.0g".into(),
    }
}

/// A numeric cell's value as Stata stores it; `None` is missing.
fn stata_number(kind: &Kind, value: &str) -> Option<f64> {
    match kind {
        Kind::Date => dates::days_since_1970(value).map(|d| (d + DAYS_1960_TO_1970) as f64),
        Kind::DateTime => dates::local_millis_since_1970(value)
            .map(|ms| (ms + DAYS_1960_TO_1970 * 86_400_000) as f64),
        _ => number(value),
    }
}

impl<W: Write> RowWriter for DtaWriter<W> {
    fn write_row(&mut self, row: &[String]) -> Result<(), ExportError> {
        self.spool.push(row)
    }

    fn finish(self: Box<Self>) -> Result<Finished, ExportError> {
        let DtaWriter {
            out,
            layout,
            mut spool,
        } = *self;
        let rows = spool.rows;
        let columns = &layout.columns;
        let storage: Vec<Storage> = columns
            .iter()
            .zip(&spool.widths)
            .map(|(c, &widest)| Storage::of(&c.kind, widest))
            .collect();
        let row_len: usize = storage.iter().map(|s| s.len()).sum();
        let strls_len: u64 = storage
            .iter()
            .enumerate()
            .filter(|(_, s)| **s == Storage::StrL)
            .map(|(i, _)| strl::gsos_len(spool.non_empty[i], spool.total_bytes[i]))
            .sum();

        let (mut h, map_at, mut map) = descriptors(&layout, &storage, rows);
        map[9] = h.len() as u64;
        let data_len = b"<data>".len() as u64 + rows * row_len as u64 + b"</data>".len() as u64;
        map[10] = map[9] + data_len;
        let strls_section = b"<strls>".len() as u64 + strls_len + b"</strls>".len() as u64;
        map[11] = map[10] + strls_section;
        let tail = value_labels(&layout);
        map[12] = map[11] + tail.len() as u64;
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
        for observation in 1..=rows {
            replay.next_row(&mut row)?;
            record.clear();
            for (i, ((c, &s), value)) in columns.iter().zip(&storage).zip(&row).enumerate() {
                match s {
                    Storage::Str(width) => {
                        record.extend_from_slice(value);
                        record.resize(record.len() + (width - value.len()), 0);
                    }
                    Storage::StrL => {
                        record.extend_from_slice(&strl::reference(i + 1, observation, value))
                    }
                    Storage::Double => {
                        let bits = std::str::from_utf8(value)
                            .ok()
                            .and_then(|v| stata_number(&c.kind, v))
                            .map_or(MISSING_DOUBLE, f64::to_bits);
                        record.extend_from_slice(&bits.to_le_bytes());
                    }
                    Storage::Long => {
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
        out.write_all(b"</data><strls>")?;
        if strls_len > 0 {
            // The strLs follow the data: a second pass over the spool.
            let mut replay = spool.replay()?;
            for observation in 1..=rows {
                replay.next_row(&mut row)?;
                for (i, (&s, value)) in storage.iter().zip(&row).enumerate() {
                    if s == Storage::StrL && !value.is_empty() {
                        strl::write_gso(&mut out, i + 1, observation, value)?;
                    }
                }
            }
        }
        out.write_all(b"</strls>")?;
        out.write_all(&tail)?;
        out.write_all(end)?;
        out.flush()?;
        Ok(Finished { rows })
    }
}

/// The header, map (to be filled in from entry 9 on) and variable descriptors up to the
/// characteristics; returns them with the map's offset and its first nine entries.
fn descriptors(layout: &Layout, storage: &[Storage], rows: u64) -> (Vec<u8>, usize, [u64; 14]) {
    let columns = &layout.columns;
    let k = columns.len();
    let var_names = names::stata(&layout.header());
    let lists = coded_lists(layout);
    let list_names: Vec<&str> = lists.iter().map(|(l, _)| *l).collect();
    let label_names = names::stata(&list_names);

    let mut h: Vec<u8> = Vec::new();
    h.extend_from_slice(b"<stata_dta><header><release>118</release><byteorder>LSF</byteorder><K>");
    h.extend_from_slice(&(k as u16).to_le_bytes());
    h.extend_from_slice(b"</K><N>");
    h.extend_from_slice(&rows.to_le_bytes());
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
    for s in storage {
        h.extend_from_slice(&s.type_code().to_le_bytes());
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
    for (c, &s) in columns.iter().zip(storage) {
        fixed(&mut h, &display_format(&c.kind, s), 57);
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
    (h, map_at, map)
}

/// One value label per coded choice list, in the order the columns use them.
fn coded_lists(layout: &Layout) -> Vec<(&str, &[(i32, String)])> {
    let mut lists: Vec<(&str, &[(i32, String)])> = Vec::new();
    for c in &layout.columns {
        if let Kind::Coded { list, labels } = &c.kind {
            if !lists.iter().any(|(l, _)| l == list) {
                lists.push((list, labels));
            }
        }
    }
    lists
}

/// The `<value_labels>` section: a table per coded choice list, named after it.
fn value_labels(layout: &Layout) -> Vec<u8> {
    let lists = coded_lists(layout);
    let list_names: Vec<&str> = lists.iter().map(|(l, _)| *l).collect();
    let label_names = names::stata(&list_names);
    let mut tail: Vec<u8> = Vec::new();
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
    tail
}

/// `text` in a field of `len` bytes, NUL-padded (cut to leave at least one NUL).
fn fixed(buf: &mut Vec<u8>, text: &str, len: usize) {
    let text = crate::cut(text, len - 1);
    buf.extend_from_slice(text.as_bytes());
    buf.resize(buf.len() + (len - text.len()), 0);
}
