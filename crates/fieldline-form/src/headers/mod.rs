//! Column headers: pyxform's aliases, case-insensitivity and `label::Language` grouping, and
//! the rows of a sheet as (header, text) pairs.
//!
//! A header becomes a token path: `relevance` -> `bind/relevant`, `label::Hindi (hi)` ->
//! `label/Hindi (hi)`, `image::fr` -> `media/image/fr`. Unknown headers are kept verbatim because
//! `choice_filter` expressions may refer to choice columns by their exact name.

mod read;
mod vocabulary;

use std::collections::BTreeMap;

pub use read::table;
pub use vocabulary::Vocabulary;
use vocabulary::MEDIA_KINDS;

use crate::problems::Column;
use crate::translations::Translations;

/// One column of a sheet.
#[derive(Debug, Clone)]
pub struct Header {
    /// 0-based column index.
    pub index: usize,
    /// The header text as written (whitespace collapsed).
    pub original: String,
    /// The dealiased token path, e.g. `["bind", "relevant"]`.
    pub tokens: Vec<String>,
}

impl Header {
    pub fn column(&self) -> Column {
        Column::new(self.index, self.original.clone())
    }

    pub fn is(&self, path: &[&str]) -> bool {
        self.tokens.len() == path.len() && self.tokens.iter().zip(path).all(|(a, b)| a == b)
    }
}

/// A data row: 1-based spreadsheet row number and its non-empty cells.
#[derive(Debug, Clone)]
pub struct Row {
    pub number: u32,
    /// (index into `Table::headers`, cell text)
    pub cells: Vec<(usize, String)>,
}

/// A sheet after header processing.
#[derive(Debug, Clone)]
pub struct Table {
    pub sheet: String,
    pub headers: Vec<Header>,
    pub rows: Vec<Row>,
}

impl Table {
    /// The first cell under the header with exactly this token path.
    pub fn get<'a>(&'a self, row: &'a Row, path: &[&str]) -> Option<(&'a str, &'a Header)> {
        row.cells.iter().find_map(|(h, v)| {
            let header = &self.headers[*h];
            header.is(path).then_some((v.as_str(), header))
        })
    }

    /// The header with exactly this token path.
    pub fn header(&self, path: &[&str]) -> Option<&Header> {
        self.headers.iter().find(|h| h.is(path))
    }

    /// Cells whose header starts with `prefix` and has exactly one more token (a language or an
    /// attribute name), plus the bare `prefix` column under the key `None`.
    pub fn with_prefix<'a>(
        &'a self,
        row: &'a Row,
        prefix: &'a [&'a str],
    ) -> impl Iterator<Item = (Option<&'a str>, &'a str, &'a Header)> + 'a {
        row.cells.iter().filter_map(move |(h, v)| {
            let header = &self.headers[*h];
            let t = &header.tokens;
            if t.len() < prefix.len() || t.iter().zip(prefix).any(|(a, b)| a != b) {
                return None;
            }
            match t.len() - prefix.len() {
                0 => Some((None, v.as_str(), header)),
                1 => Some((Some(t[prefix.len()].as_str()), v.as_str(), header)),
                _ => None,
            }
        })
    }
}

impl Table {
    /// Text per language from `prefix` (bare) and `prefix::Language` columns. A bare column
    /// counts as `default_language`; an explicit column for that language wins, as in pyxform.
    pub fn translations(&self, row: &Row, prefix: &[&str], default_language: &str) -> Translations {
        let mut out = Translations::new();
        for (lang, text, _) in self.with_prefix(row, prefix) {
            match lang {
                Some(l) => {
                    out.insert(l.to_string(), text.to_string());
                }
                None => {
                    out.entry(default_language.to_string())
                        .or_insert_with(|| text.to_string());
                }
            }
        }
        out
    }

    /// Media columns (`media::image`, `media::audio::fr`...) by kind, then language.
    pub fn media(&self, row: &Row, default_language: &str) -> BTreeMap<String, Translations> {
        let mut out = BTreeMap::new();
        for kind in MEDIA_KINDS {
            let t = self.translations(row, &["media", kind], default_language);
            if !t.is_empty() {
                out.insert(kind.to_string(), t);
            }
        }
        out
    }

    /// Languages named in translatable column headers, in header order.
    pub fn languages(&self, into: &mut Vec<String>) {
        for h in &self.headers {
            let t: Vec<&str> = h.tokens.iter().map(String::as_str).collect();
            let lang = match t.as_slice() {
                ["label" | "hint" | "guidance_hint", l] => l,
                ["media", _, l] => l,
                ["bind", "jr:constraintMsg" | "jr:requiredMsg", l] => l,
                _ => continue,
            };
            if !into.iter().any(|x| x == lang) {
                into.push(lang.to_string());
            }
        }
    }

    /// Whether some translatable column has no language.
    pub fn has_untranslated(&self) -> bool {
        self.headers.iter().any(|h| {
            let t: Vec<&str> = h.tokens.iter().map(String::as_str).collect();
            matches!(
                t.as_slice(),
                ["label" | "hint" | "guidance_hint"]
                    | ["media", _]
                    | ["bind", "jr:constraintMsg" | "jr:requiredMsg"]
            )
        })
    }
}
