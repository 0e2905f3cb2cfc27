//! Select rows (`select_one`, `select_multiple`, `rank`, `*_from_file`, `or_other`) and the
//! `range` type's parameters.

use crate::draft::{file_source, Context, Draft};
use crate::expression::{references, Expression};
use crate::fields::fill;
use crate::headers::{Row, Table};
use crate::model::{Choice, ChoiceSource, Node, NodeKind, Translations};
use crate::problems::Problems;
use crate::types::{QuestionType, SelectCommand, SelectSpelling};

pub struct SelectContext<'a, 'b> {
    pub table: &'a Table,
    pub row: &'a Row,
    pub spelling: SelectSpelling,
    pub name: &'a str,
    pub cx: &'a mut Context<'b>,
}

/// The select node, and the nodes pyxform adds around it (a table-list header before it,
/// the `*_other` text question after it).
pub fn build(sc: &mut SelectContext, table_list: &mut Option<Option<String>>) -> Vec<Draft> {
    let SelectContext {
        table,
        row,
        spelling,
        name,
        cx,
    } = sc;
    let sheet = &table.sheet;
    let type_col = table.header(&["type"]).map(|h| h.column());
    let qt = match spelling.command {
        SelectCommand::One | SelectCommand::OneFromFile => QuestionType::SelectOne,
        SelectCommand::Multiple | SelectCommand::MultipleFromFile => QuestionType::SelectMultiple,
        SelectCommand::Rank => QuestionType::Rank,
        SelectCommand::OneExternal => QuestionType::SelectOneExternal,
    };
    let mut d = Draft::new(name.to_string(), NodeKind::Question(qt));
    fill(&mut d.node, table, row, cx.lang, cx.problems);
    let list = spelling.list.as_str();
    let is_reference = references(list).is_ok_and(|r| !r.is_empty());
    let from_file = matches!(
        spelling.command,
        SelectCommand::OneFromFile | SelectCommand::MultipleFromFile
    );
    let mut out = Vec::new();
    if from_file {
        let ext_ok = [".csv", ".xml", ".geojson"]
            .iter()
            .any(|e| list.len() > e.len() && list.ends_with(e));
        if !ext_ok {
            cx.problems.at(
                sheet,
                row.number,
                type_col.clone(),
                format!(
                    "File name for '{}' should end with one of the supported file extensions: \
                     .csv, .xml, .geojson",
                    list
                ),
                "name the attached file with its extension, e.g. select_one_from_file cities.csv",
            );
        }
        let value = d.node.parameters.get("value").cloned();
        let label = d.node.parameters.get("label").cloned();
        let (value, label) = if list.ends_with(".geojson") {
            (
                value.unwrap_or("id".into()),
                label.unwrap_or("title".into()),
            )
        } else {
            (
                value.unwrap_or("name".into()),
                label.unwrap_or("label".into()),
            )
        };
        match file_source(list, &value, &label, cx) {
            Ok(src) => d.node.choices = Some(src),
            Err(e) => cx.problems.at(
                sheet,
                row.number,
                type_col.clone(),
                format!("the attached file could not be read: {e}"),
                "attach a CSV whose first row names the columns (by default 'name' and 'label')",
            ),
        }
    } else if is_reference {
        d.node.choices = Some(ChoiceSource::PreviousAnswers {
            reference: list.to_string(),
        });
    } else if spelling.command == SelectCommand::OneExternal {
        d.node.choices = Some(ChoiceSource::External {
            list: list.to_string(),
        });
    } else if let Some(l) = cx.lists.iter().find(|l| l.name == list) {
        if qt == QuestionType::SelectMultiple {
            for c in l.choices.iter().filter(|c| c.name.contains(' ')) {
                cx.problems.at(
                    sheet,
                    row.number,
                    type_col.clone(),
                    format!(
                        "Choice names with spaces cannot be added to multiple choice selects. \
                         See [{}] in [{}]",
                        c.name, list
                    ),
                    format!(
                        "rename the choice (choices sheet row {}), e.g. with underscores",
                        c.row.map_or("?".into(), |r| r.to_string())
                    ),
                );
            }
        }
        d.node.choices = Some(ChoiceSource::List {
            list: list.to_string(),
        });
    } else {
        let (msg, hint) = if !cx.has_choices_sheet || cx.lists.is_empty() {
            (
                "There should be a choices sheet in this xlsform. Please ensure that the choices \
                 sheet has the mandatory columns 'list_name', 'name', and 'label'."
                    .to_string(),
                "add a sheet named 'choices' with the lists your selects use".to_string(),
            )
        } else {
            let close = cx
                .lists
                .iter()
                .map(|l| (strsim::damerau_levenshtein(&l.name, list), &l.name))
                .min_by_key(|(d, _)| *d)
                .filter(|(d, _)| *d <= 3)
                .map(|(_, n)| format!("did you mean '{n}'? "))
                .unwrap_or_default();
            (
                format!("List name not in choices sheet: {list}"),
                format!("{close}add a list named '{list}' to the choices sheet or fix the type"),
            )
        };
        cx.problems
            .at(sheet, row.number, type_col.clone(), msg, hint);
    }

    if let Some(tl) = table_list.as_mut() {
        match tl {
            None => {
                *tl = Some(list.to_string());
                let mut header = Draft::new(
                    format!("reserved_name_for_field_list_labels_{}", row.number),
                    NodeKind::Question(qt),
                );
                header.node.appearance = Some("label".into());
                header.node.choices = d.node.choices.clone();
                out.push(header);
            }
            Some(l) if l != list => cx.problems.at(
                sheet,
                row.number,
                type_col.clone(),
                format!("Badly formatted table list, list names don't match: {l} vs. {list}"),
                "every select in a table-list group must use the same choice list",
            ),
            Some(_) => {}
        }
        d.node.appearance = Some("list-nolabel".into());
    }

    let other = spelling
        .or_other
        .then(|| or_other(&mut d.node, table, row, cx));
    out.push(d);
    out.extend(other.flatten());
    out
}

/// `or_other`: an `other` choice in the list and a `NAME_other` text question shown when it
/// is picked.
fn or_other(node: &mut Node, table: &Table, row: &Row, cx: &mut Context) -> Option<Draft> {
    let type_col = table.header(&["type"]).map(|h| h.column());
    if node.choice_filter.is_some() {
        cx.problems.at(
            &table.sheet,
            row.number,
            type_col,
            "Choice filter not supported with or_other.",
            "remove or_other and add an 'other' choice plus a text question yourself",
        );
        return None;
    }
    let list_name = match &node.choices {
        Some(ChoiceSource::List { list }) => list.clone(),
        _ => return None,
    };
    let list = cx.lists.iter_mut().find(|l| l.name == list_name)?;
    if !list.choices.iter().any(|c| c.name == "other") {
        let langs: Vec<String> = list
            .choices
            .iter()
            .flat_map(|c| c.label.keys().cloned())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut label = Translations::new();
        for l in langs {
            label.insert(l, "Other".into());
        }
        if label.is_empty() {
            label.insert(cx.lang.to_string(), "Other".into());
        }
        list.choices.push(Choice {
            name: "other".into(),
            label,
            media: Default::default(),
            extra: Default::default(),
            row: None,
        });
    }
    let mut d = Draft::new(
        format!("{}_other", node.name),
        NodeKind::Question(QuestionType::Text),
    );
    d.node
        .label
        .insert(cx.lang.to_string(), "Specify other.".into());
    d.node.bind.relevant = Expression::parse(&format!("selected(../{}, 'other')", node.name)).ok();
    Some(d)
}

/// pyxform's range checks: start, end and step must be numbers, step not zero.
pub fn check_range(node: &Node, table: &Table, row: &Row, problems: &mut Problems) {
    let col = table.header(&["parameters"]).map(|h| h.column());
    for key in ["start", "end", "step"] {
        let Some(v) = node.parameters.get(key) else {
            continue;
        };
        match v.parse::<f64>() {
            Err(_) => problems.at(
                &table.sheet,
                row.number,
                col.clone(),
                format!(
                    "On the 'survey' sheet, the 'parameters' value is invalid. For the 'range' \
                     question type, the parameter '{key}' must be a number."
                ),
                format!("write {key} as a number, e.g. {key}=1"),
            ),
            Ok(n) if key == "step" && n == 0.0 => problems.at(
                &table.sheet,
                row.number,
                col.clone(),
                "On the 'survey' sheet, the 'parameters' value is invalid. For the 'range' \
                 question type, the parameter 'step' must not be '0' (zero).",
                "use a non-zero step",
            ),
            Ok(_) => {}
        }
    }
}
