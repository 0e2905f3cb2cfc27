//! The `choices` sheet and choice lists from attached CSV files.

use std::collections::{BTreeMap, HashSet};

use crate::headers::{self, Table, Vocabulary};
use crate::model::{Choice, ChoiceList, Translations};
use crate::problems::Problems;
use crate::workbook::Workbook;

/// Read the choices sheet into lists, in order of first appearance.
pub fn read(
    wb: &Workbook,
    default_language: &str,
    allow_duplicates: bool,
    problems: &mut Problems,
) -> (Vec<ChoiceList>, Option<Table>) {
    let Some(sheet) = wb.sheet("choices") else {
        return (Vec::new(), None);
    };
    let table = headers::table(sheet, Vocabulary::Choices, false, problems);
    let mut lists: Vec<ChoiceList> = Vec::new();
    if !table.rows.is_empty() && table.header(&["name"]).is_none() {
        problems.at(
            &table.sheet,
            1,
            None,
            format!(
                "Invalid headers provided for sheet: '{}'. One or more required column headers \
                 were not found: 'name'.",
                table.sheet
            ),
            "add a 'name' column to the choices sheet (the value saved for each choice)",
        );
        return (lists, Some(table));
    }
    let name_col = table.header(&["name"]).map(|h| h.column());
    let mut seen: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    for row in &table.rows {
        // pyxform drops rows without a list name: they are notes, not choices.
        let Some((list, _)) = table.get(row, &["list name"]) else {
            continue;
        };
        let Some((name, _)) = table.get(row, &["name"]) else {
            problems.at(
                &table.sheet,
                row.number,
                name_col.clone(),
                "On the 'choices' sheet, the 'name' value is invalid. Choices must have a name.",
                "fill in the name (the value saved when this choice is picked)",
            );
            continue;
        };
        let names = seen.entry(list.to_string()).or_default();
        if !names.insert(name.to_string()) && !allow_duplicates {
            problems.at(
                &table.sheet,
                row.number,
                name_col.clone(),
                format!(
                    "On the 'choices' sheet, the 'name' value is invalid. Choice names must be \
                     unique for each choice list: '{name}' is already in list '{list}'."
                ),
                "rename one of the choices, or if this is intentional add the setting \
                 'allow_choice_duplicates' = yes",
            );
        }
        let mut extra = BTreeMap::new();
        for (h, v) in &row.cells {
            let header = &table.headers[*h];
            let first = header.tokens[0].as_str();
            if !matches!(first, "list name" | "name" | "label" | "media") {
                extra.insert(header.original.clone(), v.clone());
            }
        }
        let choice = Choice {
            name: name.to_string(),
            label: table.translations(row, &["label"], default_language),
            media: table.media(row, default_language),
            extra,
            row: Some(row.number),
        };
        match lists.iter_mut().find(|l| l.name == list) {
            Some(l) => l.choices.push(choice),
            None => lists.push(ChoiceList {
                name: list.to_string(),
                choices: vec![choice],
            }),
        }
    }
    (lists, Some(table))
}

/// Choices from an attached CSV: `value` and `label` name the columns to use (`name` and
/// `label` by default, or pyxform's `value=`/`label=` parameters). `label::Language` columns
/// give translated labels.
pub fn from_csv(
    file: &str,
    bytes: &[u8],
    value: &str,
    label: &str,
    default_language: &str,
) -> Result<ChoiceList, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| format!("{file} is not UTF-8 text"))?;
    let rows = crate::csv::parse(text);
    let Some((header, data)) = rows.split_first() else {
        return Err(format!("{file} is empty"));
    };
    let header: Vec<&str> = header.iter().map(|h| h.trim()).collect();
    let value_at = header
        .iter()
        .position(|h| *h == value)
        .ok_or_else(|| format!("{file} has no '{value}' column"))?;
    let labels: Vec<(usize, String)> = header
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            if *h == label {
                Some((i, default_language.to_string()))
            } else {
                let lang = h.strip_prefix(label)?.strip_prefix("::")?;
                Some((i, lang.trim().to_string()))
            }
        })
        .collect();
    let choices = data
        .iter()
        .filter_map(|row| {
            let name = row.get(value_at)?.trim();
            if name.is_empty() {
                return None;
            }
            let mut l = Translations::new();
            for (i, lang) in &labels {
                if let Some(text) = row.get(*i).filter(|t| !t.is_empty()) {
                    l.insert(lang.clone(), text.clone());
                }
            }
            let extra = header
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != value_at && !labels.iter().any(|(j, _)| j == i))
                .filter_map(|(i, h)| Some((h.to_string(), row.get(i)?.clone())))
                .collect();
            Some(Choice {
                name: name.to_string(),
                label: l,
                media: BTreeMap::new(),
                extra,
                row: None,
            })
        })
        .collect();
    Ok(ChoiceList {
        name: file.to_string(),
        choices,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_choices_by_columns() {
        let csv =
            b"name,label,label::Nepali (ne),province\nktm,Kathmandu,kathmandu-ne,3\n,skip,,\n";
        let list = from_csv("cities.csv", csv, "name", "label", "default").unwrap();
        assert_eq!(list.name, "cities.csv");
        assert_eq!(list.choices.len(), 1);
        let c = &list.choices[0];
        assert_eq!(c.name, "ktm");
        assert_eq!(c.label["default"], "Kathmandu");
        assert_eq!(c.label["Nepali (ne)"], "kathmandu-ne");
        assert_eq!(c.extra["province"], "3");
        let by_param = from_csv("cities.csv", csv, "province", "name", "default").unwrap();
        assert_eq!(by_param.choices[0].name, "3");
        assert_eq!(by_param.choices[0].label["default"], "ktm");
        assert!(from_csv("cities.csv", csv, "code", "label", "default").is_err());
    }
}
