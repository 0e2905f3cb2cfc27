//! Column headers: pyxform's aliases, case-insensitivity and `label::Language` grouping, and
//! the rows of a sheet as (header, text) pairs.
//!
//! A header becomes a token path: `relevance` -> `bind/relevant`, `label::Hindi (hi)` ->
//! `label/Hindi (hi)`, `image::fr` -> `media/image/fr`. Unknown headers are kept verbatim because
//! `choice_filter` expressions may refer to choice columns by their exact name.

use std::collections::BTreeMap;

use crate::model::Translations;
use crate::problems::{Column, Problems};
use crate::workbook::Sheet;

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

/// Media column kinds pyxform knows.
pub const MEDIA_KINDS: [&str; 4] = ["image", "big-image", "audio", "video"];

/// Which sheet's vocabulary to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocabulary {
    Survey,
    Choices,
    Settings,
    Indicators,
}

/// Columns each sheet knows by name (after snake-casing), as pyxform's element slots.
fn known_columns(v: Vocabulary) -> &'static [&'static str] {
    match v {
        Vocabulary::Survey => &[
            "type",
            "name",
            "label",
            "hint",
            "guidance_hint",
            "default",
            "trigger",
            "bind",
            "choice_filter",
            "control",
            "media",
            "parameters",
            "instance",
            "query",
            "sms_field",
            "choices",
            "itemset",
            "list_name",
        ],
        Vocabulary::Choices => &["name", "label", "media", "sms_option", "list name"],
        Vocabulary::Settings => &[
            "id_string",
            "title",
            "version",
            "default_language",
            "public_key",
            "submission_url",
            "auto_send",
            "auto_delete",
            "style",
            "instance_name",
            "name",
            "namespaces",
            "allow_choice_duplicates",
            "clean_text_values",
            "omit_instanceID",
            "instance_id",
            "sms_keyword",
            "client_editable",
        ],
        Vocabulary::Indicators => &["name", "label", "expression", "denominator"],
    }
}

/// pyxform's header aliases (aliases.py) for each sheet.
fn alias(v: Vocabulary, header: &str) -> Option<&'static [&'static str]> {
    let a: &[&str] = match (v, header) {
        (Vocabulary::Survey, h) => match h {
            "read_only" | "readonly" => &["bind", "readonly"],
            "relevant" | "relevance" => &["bind", "relevant"],
            "caption" => &["label"],
            "appearance" => &["control", "appearance"],
            "required" => &["bind", "required"],
            "constraint" => &["bind", "constraint"],
            "constraining_message" | "constraint_message" => &["bind", "jr:constraintMsg"],
            "calculation" | "calculate" => &["bind", "calculate"],
            "command" => &["type"],
            "tag" | "value" => &["name"],
            "image" => &["media", "image"],
            "big-image" => &["media", "big-image"],
            "audio" => &["media", "audio"],
            "video" => &["media", "video"],
            "count" | "repeat_count" | "jr:count" => &["control", "jr:count"],
            "autoplay" => &["control", "autoplay"],
            "rows" => &["control", "rows"],
            "noapperrorstring" | "no_app_error_string" => &["bind", "jr:noAppErrorString"],
            "requiredmsg" | "required_message" => &["bind", "jr:requiredMsg"],
            "body" => &["control"],
            "compact_tag" => &["instance", "odk:tag"],
            "save_to" => &["bind", "entities:saveto"],
            "sms_field" => &["sms_field"],
            _ => return None,
        },
        (Vocabulary::Choices, h) => match h {
            "caption" => &["label"],
            "list_name" => &["list name"],
            "value" => &["name"],
            "image" => &["media", "image"],
            "big-image" => &["media", "big-image"],
            "audio" => &["media", "audio"],
            "video" => &["media", "video"],
            _ => return None,
        },
        (Vocabulary::Settings, h) => match h {
            "form_title" | "set_form_title" => &["title"],
            "form_id" | "set_form_id" => &["id_string"],
            "prefix" => &["prefix"],
            _ => return None,
        },
        (Vocabulary::Indicators, _) => return None,
    };
    Some(a)
}

/// `"Default  Language"` -> `"default_language"`.
fn snake_case(value: &str) -> String {
    value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("_")
        .to_lowercase()
}

/// pyxform's process_header: the token path for one header.
fn tokens_for(header: &str, double_colon: bool, v: Vocabulary) -> Vec<String> {
    let known = known_columns(v);
    if known.contains(&header) && alias(v, header).is_none() {
        return vec![header.to_string()];
    }
    let normalised = snake_case(header);
    if known.contains(&normalised.as_str()) && alias(v, &normalised).is_none() {
        return vec![normalised];
    }
    let mut tokens: Vec<String> = if double_colon || header.contains("::") {
        header.split("::").map(|t| t.trim().to_string()).collect()
    } else {
        let mut t: Vec<String> = header.split(':').map(|t| t.trim().to_string()).collect();
        // Single colons also separate XML namespaces: rejoin `jr:count`-style pairs.
        if let Some(i) = t.iter().position(|x| x == "jr") {
            if i + 1 < t.len() {
                let joined = format!("jr:{}", t[i + 1]);
                t.splice(i..i + 2, [joined]);
            }
        }
        t
    };
    let first = snake_case(&tokens[0]);
    if let Some(a) = alias(v, &first) {
        let mut out: Vec<String> = a.iter().map(|s| s.to_string()).collect();
        out.extend(tokens.drain(1..));
        out
    } else if known.contains(&first.as_str()) {
        tokens[0] = first;
        tokens
    } else {
        tokens
    }
}

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

    fn t(h: &str, v: Vocabulary) -> Vec<String> {
        tokens_for(h, h.contains("::"), v)
    }

    #[test]
    fn aliases_and_languages() {
        use Vocabulary::*;
        assert_eq!(t("Relevance", Survey), ["bind", "relevant"]);
        assert_eq!(t("TYPE", Survey), ["type"]);
        assert_eq!(t("label::Hindi (hi)", Survey), ["label", "Hindi (hi)"]);
        assert_eq!(t("Label::Hindi (hi)", Survey), ["label", "Hindi (hi)"]);
        assert_eq!(t("image::fr", Survey), ["media", "image", "fr"]);
        assert_eq!(t("media::image::fr", Survey), ["media", "image", "fr"]);
        assert_eq!(
            t("constraint_message::en", Survey),
            ["bind", "jr:constraintMsg", "en"]
        );
        assert_eq!(t("bind:relevant", Survey), ["bind", "relevant"]);
        assert_eq!(t("jr:count", Survey), ["control", "jr:count"]);
        assert_eq!(t("repeat_count", Survey), ["control", "jr:count"]);
        assert_eq!(t("Comments", Survey), ["Comments"]);
        assert_eq!(t("list_name", Choices), ["list name"]);
        assert_eq!(t("List Name", Choices), ["list name"]);
        assert_eq!(t("form_id", Settings), ["id_string"]);
        assert_eq!(t("Form Title", Settings), ["title"]);
        assert_eq!(t("Default Language", Settings), ["default_language"]);
    }

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
