//! Fieldline's `indicators` sheet: named success expressions for baseline/endline analysis.
//! Columns: `name`, `label` (translatable like survey labels), `expression` (true = success),
//! `denominator` (which submissions count; empty = all).

use std::collections::{HashMap, HashSet};

use crate::expression::parse_expression;
use crate::headers::{self, Table, Vocabulary};
use crate::model::Indicator;
use crate::problems::Problems;
use crate::validate::check_references;
use crate::workbook::Workbook;

pub fn read(
    wb: &Workbook,
    lang: &str,
    names: &HashMap<String, u32>,
    problems: &mut Problems,
) -> (Vec<Indicator>, Option<Table>) {
    let Some(sheet) = wb.sheet("indicators") else {
        return (Vec::new(), None);
    };
    let table = headers::table(sheet, Vocabulary::Indicators, false, problems);
    let mut out = Vec::new();
    for required in ["name", "expression"] {
        if !table.rows.is_empty() && table.header(&[required]).is_none() {
            problems.at(
                &table.sheet,
                1,
                None,
                format!("the indicators sheet has no '{required}' column"),
                "the indicators sheet needs the columns name, label, expression and optionally \
                 denominator",
            );
            return (out, Some(table));
        }
    }
    let mut seen = HashSet::new();
    for row in &table.rows {
        let name_col = table.header(&["name"]).map(|h| h.column());
        let Some((name, _)) = table.get(row, &["name"]) else {
            problems.at(
                &table.sheet,
                row.number,
                name_col,
                "indicator without a name",
                "give every indicator a short unique name",
            );
            continue;
        };
        if !seen.insert(name.to_string()) {
            problems.at(
                &table.sheet,
                row.number,
                name_col,
                format!("duplicate indicator name '{name}'"),
                "indicator names must be unique; rename one of them",
            );
        }
        let expression = match table.get(row, &["expression"]) {
            Some((src, h)) => parse_expression(src, &table.sheet, row.number, h, problems),
            None => {
                problems.at(
                    &table.sheet,
                    row.number,
                    table.header(&["expression"]).map(|h| h.column()),
                    format!("indicator '{name}' has no expression"),
                    "write the condition that counts as a success, e.g. ${knows_hotline} = 'yes'",
                );
                None
            }
        };
        let denominator = table
            .get(row, &["denominator"])
            .and_then(|(src, h)| parse_expression(src, &table.sheet, row.number, h, problems));
        if let Some(expression) = expression {
            out.push(Indicator {
                name: name.to_string(),
                label: table.translations(row, &["label"], lang),
                expression,
                denominator,
                row: row.number,
            });
        }
    }
    check_references(&table, None, names, problems);
    (out, Some(table))
}
