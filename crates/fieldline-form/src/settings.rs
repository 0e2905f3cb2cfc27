//! The `settings` sheet: form id, title, version, languages, encryption key and the rest.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::expression::Expression;
#[cfg(feature = "xlsform")]
use crate::{
    headers::{self, Table, Vocabulary},
    problems::Problems,
    workbook::Workbook,
};

/// Form-level settings. Unknown columns are kept in `extra` so nothing the author wrote is lost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// `form_id` (pyxform's id_string); defaults to the file's name without extension, or
    /// `data` when no name is known.
    pub form_id: String,
    /// `form_title`; pyxform uses the form id when it is missing.
    pub form_title: String,
    pub version: Option<String>,
    /// `default_language` as written, if any.
    pub default_language: Option<String>,
    /// Base64 RSA public key for submission encryption.
    pub public_key: Option<String>,
    pub submission_url: Option<String>,
    /// `instance_name`: an expression naming each submission.
    pub instance_name: Option<Expression>,
    /// `style` (`pages`, `theme-grid`...).
    pub style: Option<String>,
    /// Name of the instance root element: `data` unless the settings `name` column says.
    pub root_name: String,
    /// `omit_instanceID`: no `meta/instanceID` node.
    pub omit_instance_id: bool,
    /// `allow_choice_duplicates`: duplicate choice names in a list are allowed.
    pub allow_choice_duplicates: bool,
    /// `clean_text_values` (default yes): collapse runs of spaces in survey cells.
    pub clean_text_values: bool,
    /// Every other column, by header.
    pub extra: BTreeMap<String, String>,
}

/// pyxform's yes/no spellings.
#[cfg(feature = "xlsform")]
pub fn yes_no(value: &str) -> Option<bool> {
    match value {
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "true()" => Some(true),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "false()" => Some(false),
        _ => None,
    }
}

/// Read the settings sheet. `fallback_id` is the file name without extension, if known.
#[cfg(feature = "xlsform")]
pub fn read(
    wb: &Workbook,
    fallback_id: Option<&str>,
    problems: &mut Problems,
) -> (Settings, Option<Table>) {
    let table = wb
        .sheet("settings")
        .map(|s| headers::table(s, Vocabulary::Settings, false, problems));
    let mut values: BTreeMap<String, (String, String)> = BTreeMap::new();
    if let Some(t) = &table {
        if let Some(row) = t.rows.first() {
            for (h, v) in &row.cells {
                let header = &t.headers[*h];
                values.insert(
                    header.tokens.join("::"),
                    (header.original.clone(), v.clone()),
                );
            }
        }
    }
    let mut take = |key: &str| values.remove(key).map(|(_, v)| v);
    let form_id = take("id_string")
        .or_else(|| fallback_id.map(str::to_string))
        .unwrap_or_else(|| "data".to_string());
    let form_title = take("title").unwrap_or_else(|| form_id.clone());
    let flag = |v: Option<String>, default: bool| v.and_then(|v| yes_no(&v)).unwrap_or(default);
    let mut settings = Settings {
        version: take("version"),
        default_language: take("default_language"),
        public_key: take("public_key"),
        submission_url: take("submission_url"),
        instance_name: None,
        style: take("style"),
        root_name: take("name").unwrap_or_else(|| "data".to_string()),
        omit_instance_id: flag(take("omit_instanceID"), false),
        allow_choice_duplicates: flag(take("allow_choice_duplicates"), false),
        clean_text_values: flag(take("clean_text_values"), true),
        extra: BTreeMap::new(),
        form_id,
        form_title,
    };
    if let (Some(t), Some(source)) = (&table, take("instance_name")) {
        let row = &t.rows[0];
        let header = t.header(&["instance_name"]).expect("instance_name column");
        settings.instance_name =
            crate::expression::parse_expression(&source, &t.sheet, row.number, header, problems);
    }
    settings.extra = values.into_values().collect();
    if let (Some(t), true) = (
        &table,
        settings.omit_instance_id && settings.public_key.is_some(),
    ) {
        problems.at(
            &t.sheet,
            2,
            t.header(&["omit_instanceID"]).map(|h| h.column()),
            "Cannot omit instanceID, it is required for encryption.",
            "remove omit_instanceID or the public_key",
        );
    }
    (settings, table)
}
