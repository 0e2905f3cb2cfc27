//! The survey sheet, row by row, into the tree of groups, repeats and questions that pyxform
//! would build, including the nodes pyxform adds itself (`meta/instanceID`, `*_other`,
//! `*_count`, table-list headers, loop copies), so instance paths match its XForm.

use std::collections::{HashMap, HashSet};

mod nesting;
mod question;

use crate::draft::{Context, Draft};
use crate::expression::is_xml_name;
use crate::fields::fill;
use crate::headers::Table;
use crate::model::NodeKind;
use crate::select::{self, SelectContext};
use crate::settings::yes_no;
use crate::types::{control_type, Control, ControlKind, QuestionType};

/// What the builder hands to validation.
pub struct Survey {
    pub root: Draft,
    /// How often each name occurs on the survey sheet (pyxform's element_names), for
    /// resolving `${name}` references.
    pub name_counts: HashMap<String, u32>,
}

/// Settings that pyxform also accepts as survey rows (`type` = form_title, name = the value).
const SETTING_TYPES: [(&str, &str); 5] = [
    ("form_title", "title"),
    ("set_form_title", "title"),
    ("form_id", "id_string"),
    ("set_form_id", "id_string"),
    ("prefix", "prefix"),
];

pub fn build(table: &Table, cx: &mut Context) -> Survey {
    let sheet = table.sheet.clone();
    let type_col = table.header(&["type"]).map(|h| h.column());
    let name_col = table.header(&["name"]).map(|h| h.column());
    let mut stack = vec![nesting::Frame {
        draft: Draft::new(cx.settings.root_name.clone(), NodeKind::Root),
        kind: ControlKind::Group,
        list: None,
        row: 0,
        names: HashSet::from(["meta".to_string()]),
        table_list: None,
    }];
    let mut repeat_names: HashSet<String> = HashSet::new();
    let mut meta: Vec<Draft> = Vec::new();
    let mut name_counts: HashMap<String, u32> = HashMap::new();

    for row in &table.rows {
        let get = |p: &[&str]| table.get(row, p).map(|(v, _)| v);
        if get(&["disabled"]).and_then(yes_no) == Some(true) {
            continue;
        }
        let Some(ty) = get(&["type"]) else {
            if get(&["name"]).is_some() || !table.translations(row, &["label"], cx.lang).is_empty()
            {
                cx.problems.at(
                    &sheet,
                    row.number,
                    type_col.clone(),
                    "Question with no type.",
                    "fill in the type (e.g. text, integer, select_one list), or clear the row",
                );
            }
            continue;
        };
        if let Some((_, key)) = SETTING_TYPES.iter().find(|(t, _)| *t == ty) {
            let value = get(&["name"]).unwrap_or_default().to_string();
            match *key {
                "title" => cx.settings.form_title = value,
                "id_string" => cx.settings.form_id = value,
                _ => {
                    cx.settings.extra.insert(key.to_string(), value);
                }
            }
            continue;
        }
        let control = control_type(ty);
        if let Some(Control::End(kind)) = control {
            nesting::end(kind, get(&["name"]), row, &sheet, &type_col, &mut stack, cx);
            continue;
        }
        if ty == "audit" {
            if get(&["name"]).is_some_and(|n| n != "audit") {
                cx.problems.at(
                    &sheet,
                    row.number,
                    name_col.clone(),
                    "Audits must always be named 'audit.' The name column should be left blank.",
                    "clear the name cell of the audit row",
                );
            }
            let mut d = Draft::new("audit", NodeKind::Question(QuestionType::Audit));
            fill(&mut d.node, table, row, cx.lang, cx.problems);
            meta.push(d);
            continue;
        }
        let name = match get(&["name"]) {
            Some(n) => n.to_string(),
            None if ty == "note" => format!("generated_note_name_{}", row.number),
            None => {
                cx.problems.at(
                    &sheet,
                    row.number,
                    name_col.clone(),
                    "Question or group with no name.",
                    "fill in a name: a letter or underscore, then letters, digits, _ - or .",
                );
                continue;
            }
        };
        if !is_xml_name(&name) {
            cx.problems.at(
                &sheet,
                row.number,
                name_col.clone(),
                format!(
                    "The name '{name}' is invalid. Names must begin with a letter or underscore. \
                     After the first character, names may contain letters, digits, \
                     underscores, hyphens, or periods."
                ),
                "rename it, e.g. replace spaces with underscores",
            );
        }
        *name_counts.entry(name.clone()).or_default() += 1;
        nesting::check_unique(
            &name,
            row,
            stack.last_mut().expect("frame"),
            &sheet,
            &name_col,
            cx,
        );

        if let Some(Control::Begin { kind, list }) = control {
            nesting::begin(
                kind,
                list,
                name,
                row,
                table,
                &mut stack,
                &mut repeat_names,
                cx,
            );
            continue;
        }
        let frame = stack.last_mut().expect("frame");
        if let Some(spelling) = crate::types::select_type(ty) {
            let mut sc = SelectContext {
                table,
                row,
                spelling,
                name: &name,
                cx,
            };
            for d in select::build(&mut sc, &mut frame.table_list) {
                frame.draft.children.push(d);
            }
            continue;
        }
        if let Some(d) = question::question(ty, name, row, table, cx) {
            frame.draft.children.push(d);
        }
    }

    nesting::close_unmatched(&mut stack, &sheet, &type_col, cx);
    let mut root = stack.pop().expect("root").draft;
    nesting::add_meta(&mut root, meta, cx.settings);
    if !cx.settings.omit_instance_id {
        *name_counts.entry("instanceID".into()).or_default() += 1;
    }
    Survey { root, name_counts }
}
