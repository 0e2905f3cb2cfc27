//! A sheet into a [`Table`]: its header row into token paths (reporting duplicates and
//! aliases that clash), then its rows into cells, with pyxform's text clean-up.

use super::vocabulary::tokens_for;
use super::{Header, Row, Table, Vocabulary};
use crate::problems::{Column, Problems};
use crate::workbook::Sheet;

/// pyxform stops reading headers after this many empty columns in a row, and rows after this
/// many empty rows in a row: anything beyond is taken as stray content.
const MAX_EMPTY_COLUMNS: usize = 20;
const MAX_EMPTY_ROWS: usize = 60;

/// Turn a sheet into a table, reporting duplicate and conflicting headers.
///
/// Every value gets pyxform's clean-up: typographic quotes become plain ones (they break
/// expressions) and, when `collapse_spaces`, runs of spaces become one.
pub fn table(
    sheet: &Sheet,
    v: Vocabulary,
    collapse_spaces: bool,
    problems: &mut Problems,
) -> Table {
    let name = &sheet.name;
    let first = sheet.rows.first().cloned().unwrap_or_default();
    let mut raw: Vec<(usize, String)> = Vec::new();
    let mut empty_run = 0;
    for (i, cell) in first.iter().enumerate() {
        match cell {
            None => {
                if empty_run == MAX_EMPTY_COLUMNS {
                    break;
                }
                empty_run += 1;
            }
            Some(text) => {
                empty_run = 0;
                let clean = text
                    .split(' ')
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>();
                raw.push((i, clean.join(" ")));
            }
        }
    }
    let double_colon = raw.iter().any(|(_, h)| h.contains("::"));
    let mut headers: Vec<Header> = Vec::new();
    for (index, original) in raw {
        if let Some(prev) = headers.iter().find(|h| h.original == original) {
            problems.at(
                name,
                1,
                Some(Column::new(index, original.clone())),
                format!("Duplicate column header: {original}"),
                format!(
                    "column {} has the same header; delete or rename one of them",
                    prev.column().letter
                ),
            );
            continue;
        }
        let tokens = tokens_for(&original, double_colon, v);
        if let Some(prev) = headers.iter().find(|h| h.tokens == tokens) {
            problems.at(
                name,
                1,
                Some(Column::new(index, original.clone())),
                format!(
                    "Headers that are different names for the same column were found: '{}', '{}'",
                    prev.original, original
                ),
                format!(
                    "column {} ('{}') means the same; rename or remove one of these columns",
                    prev.column().letter,
                    prev.original
                ),
            );
            continue;
        }
        headers.push(Header {
            index,
            original,
            tokens,
        });
    }

    let mut rows = Vec::new();
    let mut empty_rows = 0;
    for (r, cells) in sheet.rows.iter().enumerate().skip(1) {
        let values: Vec<(usize, String)> = headers
            .iter()
            .enumerate()
            .filter_map(|(hi, h)| {
                let text = cells.get(h.index)?.as_deref()?;
                Some((hi, clean_text(text, collapse_spaces)))
            })
            .collect();
        if values.is_empty() {
            if empty_rows == MAX_EMPTY_ROWS {
                break;
            }
            empty_rows += 1;
            continue;
        }
        empty_rows = 0;
        rows.push(Row {
            number: r as u32 + 1,
            cells: values,
        });
    }
    Table {
        sheet: name.clone(),
        headers,
        rows,
    }
}

/// pyxform's clean_text_values.
pub fn clean_text(value: &str, collapse_spaces: bool) -> String {
    let value = if collapse_spaces {
        value
            .split(' ')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        value.to_string()
    };
    if value.contains(['\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}']) {
        value
            .replace(['\u{2018}', '\u{2019}'], "'")
            .replace(['\u{201c}', '\u{201d}'], "\"")
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typographic_quotes_become_plain() {
        assert_eq!(
            clean_text(
                "selected(${a}, \u{2018}yes\u{2019})  and  ${b} = \u{201c}x\u{201d}",
                true
            ),
            "selected(${a}, 'yes') and ${b} = \"x\""
        );
        assert_eq!(clean_text("a  b", false), "a  b");
    }
}
