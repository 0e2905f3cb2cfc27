//! Filling a node from the columns of its survey row: labels, media, binds, appearance,
//! parameters and attribute columns (with the `xlsform` feature); and telling computed
//! defaults from stored ones, which the engine needs too.

#[cfg(feature = "xlsform")]
use crate::{
    expression::{parse_expression, Expression},
    headers::{Row, Table},
    model::Node,
    problems::Problems,
};

/// Columns handled elsewhere or by meaning, which are therefore not kept as attributes.
#[cfg(feature = "xlsform")]
fn is_interpreted(tokens: &[String]) -> bool {
    let t: Vec<&str> = tokens.iter().map(String::as_str).collect();
    matches!(
        t.as_slice(),
        ["type"]
            | ["name"]
            | ["label", ..]
            | ["hint", ..]
            | ["guidance_hint", ..]
            | ["media", ..]
            | ["default"]
            | ["parameters"]
            | ["choice_filter"]
            | ["trigger"]
            | ["disabled"]
            | ["sensitive"]
            | [
                "bind",
                "relevant" | "required" | "readonly" | "constraint" | "calculate"
            ]
            | ["bind", "jr:constraintMsg" | "jr:requiredMsg", ..]
            | ["control", "appearance" | "jr:count"]
    )
}

/// pyxform's conversions of yes/no spellings in bind columns.
#[cfg(feature = "xlsform")]
fn bind_value(v: &str) -> &str {
    match crate::settings::yes_no(v) {
        Some(true) if v != "true()" => "true()",
        Some(false) if v != "false()" => "false()",
        _ => v,
    }
}

/// Fill `node` from `row`.
#[cfg(feature = "xlsform")]
pub fn fill(node: &mut Node, table: &Table, row: &Row, lang: &str, problems: &mut Problems) {
    node.row = Some(row.number);
    node.label = table.translations(row, &["label"], lang);
    node.hint = table.translations(row, &["hint"], lang);
    node.guidance_hint = table.translations(row, &["guidance_hint"], lang);
    node.media = table.media(row, lang);
    node.bind.constraint_message = table.translations(row, &["bind", "jr:constraintMsg"], lang);
    node.bind.required_message = table.translations(row, &["bind", "jr:requiredMsg"], lang);
    let sheet = table.sheet.as_str();
    let expr = |path: &[&str], problems: &mut Problems| {
        let (v, h) = table.get(row, path)?;
        parse_expression(bind_value(v), sheet, row.number, h, problems)
    };
    node.bind.relevant = expr(&["bind", "relevant"], problems);
    node.bind.required = expr(&["bind", "required"], problems);
    node.bind.readonly = expr(&["bind", "readonly"], problems);
    node.bind.constraint = expr(&["bind", "constraint"], problems);
    node.bind.calculate = expr(&["bind", "calculate"], problems);
    node.choice_filter = match table.get(row, &["choice_filter"]) {
        // pyxform copies filters such as `label::English != ''` verbatim, naming a choices
        // column that XPath cannot name; ODK cannot evaluate it either, so warn and drop it.
        Some((v, h)) if v.contains("::") && Expression::parse(v).is_err() => {
            problems.warn_at(
                sheet,
                row.number,
                Some(h.column()),
                format!("the choice_filter '{v}' names a column with '::', which expressions cannot refer to; the filter is ignored"),
                "filter on a choices column whose name has no '::' (e.g. copy it into a new column)",
            );
            None
        }
        _ => expr(&["choice_filter"], problems),
    };
    node.repeat_count = expr(&["control", "jr:count"], problems);
    node.appearance = table
        .get(row, &["control", "appearance"])
        .map(|(v, _)| v.to_string());
    node.default = table.get(row, &["default"]).map(|(v, _)| v.to_string());
    if let Some((raw, h)) = table.get(row, &["parameters"]) {
        match parse_parameters(raw) {
            Ok(p) => node.parameters = p,
            Err(()) => problems.at(
                sheet,
                row.number,
                Some(h.column()),
                "the 'parameters' value could not be read",
                "write parameters as key=value pairs separated by spaces, e.g. start=0 end=10",
            ),
        }
    }
    if let Some((raw, h)) = table.get(row, &["trigger"]) {
        match crate::expression::references(raw) {
            Ok(refs) if !refs.is_empty() => {
                node.trigger = refs.iter().map(|r| r.name.to_string()).collect()
            }
            _ => problems.at(
                sheet,
                row.number,
                Some(h.column()),
                format!("the trigger '{raw}' is not a question reference"),
                "write the question(s) that trigger the update as ${name}, separated by commas",
            ),
        }
    }
    if let Some((raw, h)) = table.get(row, &["sensitive"]) {
        match sensitive_flag(raw) {
            Some(sensitive) => node.sensitive = sensitive,
            None => problems.at(
                sheet,
                row.number,
                Some(h.column()),
                format!("'{raw}' in the sensitive column is neither yes nor no"),
                "write yes (or true, 1) for an answer that names, reaches or locates the \
                 respondent, such as a name, a phone number or a GPS point; no or nothing \
                 otherwise",
            ),
        }
    }
    for (h, v) in &row.cells {
        let header = &table.headers[*h];
        if !is_interpreted(&header.tokens) {
            node.attributes.insert(header.original.clone(), v.clone());
        }
    }
}

/// A `sensitive` cell: XLSForm's yes/no spellings, and 1/0 as a spreadsheet writes a boolean.
#[cfg(feature = "xlsform")]
fn sensitive_flag(value: &str) -> Option<bool> {
    match value.trim() {
        "1" => Some(true),
        "0" => Some(false),
        other => crate::settings::yes_no(other),
    }
}

/// pyxform's parameters grammar: `key=value` pairs separated by spaces, commas or semicolons.
/// Keys are lower-cased, and so are values except `label` and `value` (file column names).
#[cfg(feature = "xlsform")]
pub fn parse_parameters(raw: &str) -> Result<std::collections::BTreeMap<String, String>, ()> {
    let mut out = std::collections::BTreeMap::new();
    // Spaces around '=' are allowed: join "a = b" into "a=b" before splitting pairs.
    let mut compact = String::new();
    for part in raw.split('=') {
        if !compact.is_empty() {
            compact = compact.trim_end().to_string();
            compact.push('=');
            compact.push_str(part.trim_start());
        } else {
            compact.push_str(part);
        }
    }
    for pair in compact.split(|c: char| c.is_whitespace() || c == ',' || c == ';') {
        if pair.is_empty() {
            continue;
        }
        let (k, v) = pair.split_once('=').ok_or(())?;
        if k.is_empty() || v.is_empty() || v.contains('=') {
            return Err(());
        }
        let key = k.to_lowercase();
        let value = if key == "label" || key == "value" {
            v.to_string()
        } else {
            v.to_lowercase()
        };
        out.insert(key, value);
    }
    Ok(out)
}

/// pyxform's default_is_dynamic, approximated on the text: a default with a reference, a
/// function call, a predicate or arithmetic is computed when the form loads, not stored.
pub fn default_is_dynamic(default: &str, date_like: bool) -> bool {
    default.contains("${")
        || default.contains('(')
        || default.contains('[')
        || default.contains('|')
        || default.contains('*')
        || default.contains('+')
        || default.contains(" div ")
        || default.contains(" mod ")
        || (!date_like && default.contains(" - "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(feature = "xlsform")]
    fn parameters() {
        let p = parse_parameters("start=0 end = 10;step=2, value=Code label=Name").unwrap();
        assert_eq!(p["start"], "0");
        assert_eq!(p["end"], "10");
        assert_eq!(p["step"], "2");
        assert_eq!(p["value"], "Code");
        assert_eq!(p["label"], "Name");
        assert!(parse_parameters("start").is_err());
        assert!(parse_parameters("").unwrap().is_empty());
    }

    #[test]
    fn dynamic_defaults() {
        assert!(default_is_dynamic("${a} + 1", false));
        assert!(default_is_dynamic("today()", true));
        assert!(!default_is_dynamic("2020-01-01", true));
        assert!(!default_is_dynamic("yes", false));
    }
}
