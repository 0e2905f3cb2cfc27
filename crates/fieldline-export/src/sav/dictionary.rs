//! The `.sav` dictionary: everything before the data.

use super::segments::{whole_width, Segment};
use super::SYSMIS;
use crate::{names, now_utc, ExportError, Kind, Layout, MONTHS};

/// Format types of the PSPP manual's table.
const FORMAT_A: u8 = 1;
const FORMAT_F: u8 = 5;
const FORMAT_DATE: u8 = 20;
const FORMAT_DATETIME: u8 = 22;

/// The header and dictionary of a file of `cases` cases whose columns are laid out in
/// `layouts` (a column's segments).
pub fn write(
    layout: &Layout,
    layouts: &[Vec<Segment>],
    cases: i32,
) -> Result<Vec<u8>, ExportError> {
    let columns = &layout.columns;
    let case_slots: usize = layouts.iter().flatten().map(|s| s.slots()).sum();
    let case_slots = i32::try_from(case_slots).map_err(|_| {
        ExportError::Limit("the table is too wide for an SPSS file; export as CSV".into())
    })?;
    let long_names = names::spss(&layout.header());

    let mut h: Vec<u8> = Vec::new();
    h.extend_from_slice(b"$FL2");
    padded(&mut h, "@(#) SPSS DATA FILE Fieldline export", 60);
    i32le(&mut h, 2);
    i32le(&mut h, case_slots);
    i32le(&mut h, 0);
    i32le(&mut h, 0);
    i32le(&mut h, cases);
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

    // Variable records, a short name per segment (`V1`, `V2`, ...); the 1-based slot index of
    // each column and the short name of its first segment.
    let mut first_slot = Vec::with_capacity(columns.len());
    let mut short_names = Vec::with_capacity(columns.len());
    let mut slot = 1;
    let mut records = 0;
    for (c, parts) in columns.iter().zip(layouts) {
        first_slot.push(slot);
        for (i, segment) in parts.iter().enumerate() {
            records += 1;
            let short_name = format!("V{records}");
            if i == 0 {
                short_names.push(short_name.clone());
            }
            slot += segment.slots();
            let label = if i == 0 {
                crate::cut(&c.label, 255)
            } else {
                ""
            };
            i32le(&mut h, 2);
            i32le(&mut h, segment.width as i32);
            i32le(&mut h, i32::from(!label.is_empty()));
            i32le(&mut h, 0);
            let f = match c.kind {
                Kind::Text => format(FORMAT_A, segment.width, 0),
                Kind::Decimal => format(FORMAT_F, 12, 2),
                Kind::Integer | Kind::Coded { .. } => format(FORMAT_F, 8, 0),
                Kind::Date => format(FORMAT_DATE, 11, 0),
                Kind::DateTime => format(FORMAT_DATETIME, 24, 3),
            };
            i32le(&mut h, f);
            i32le(&mut h, f);
            padded(&mut h, &short_name, 8);
            if !label.is_empty() {
                i32le(&mut h, label.len() as i32);
                h.extend_from_slice(label.as_bytes());
                h.resize(h.len() + (4 - label.len() % 4) % 4, b' ');
            }
            for _ in 1..segment.slots() {
                i32le(&mut h, 2);
                i32le(&mut h, -1);
                for _ in 0..4 {
                    i32le(&mut h, 0);
                }
                padded(&mut h, "", 8);
            }
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
    let pairs: Vec<String> = short_names
        .iter()
        .zip(&long_names)
        .map(|(short, long)| format!("{short}={long}"))
        .collect();
    extension(&mut h, 13, 1, pairs.join("\t").as_bytes());
    // Very long strings: the whole width under the first segment's short name, each entry
    // ended by a NUL and a tab, as SPSS writes it.
    let mut very_long = Vec::new();
    for (short, parts) in short_names.iter().zip(layouts) {
        if parts.len() > 1 {
            let width = whole_width(parts);
            very_long.extend_from_slice(format!("{short}={width:05}\0\t").as_bytes());
        }
    }
    if !very_long.is_empty() {
        extension(&mut h, 14, 1, &very_long);
    }
    extension(&mut h, 20, 1, b"UTF-8");
    i32le(&mut h, 999);
    i32le(&mut h, 0);
    Ok(h)
}

fn extension(h: &mut Vec<u8>, subtype: i32, size: i32, data: &[u8]) {
    i32le(h, 7);
    i32le(h, subtype);
    i32le(h, size);
    i32le(h, data.len() as i32 / size);
    h.extend_from_slice(data);
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
