//! Group, repeat and loop nesting: the stack of open containers, what `begin_*` and
//! `end_*` rows do to it, and the nodes pyxform adds around containers (`*_count`,
//! table-list headers, loop copies, `meta`).

use std::collections::HashSet;

use crate::draft::{Context, Draft};
use crate::expression::Expression;
use crate::fields::fill;
use crate::headers::{Row, Table};
use crate::model::NodeKind;
use crate::problems::Column;
use crate::settings::Settings;
use crate::types::{ControlKind, QuestionType};

pub(super) struct Frame {
    pub(super) draft: Draft,
    pub(super) kind: ControlKind,
    pub(super) list: Option<String>,
    pub(super) row: u32,
    pub(super) names: HashSet<String>,
    /// `Some(None)` inside a table-list group before its first select, then `Some(Some(list))`.
    pub(super) table_list: Option<Option<String>>,
}

/// An `end_*` row: close the innermost container if it is of that kind.
pub(super) fn end(
    kind: ControlKind,
    name: Option<&str>,
    row: &Row,
    sheet: &str,
    type_col: &Option<Column>,
    stack: &mut Vec<Frame>,
    cx: &mut Context,
) {
    let top = stack.last().expect("root frame");
    if stack.len() == 1 || top.kind != kind {
        cx.problems.at(
            sheet,
            row.number,
            type_col.clone(),
            format!(
                "Unmatched 'end_{w}'. No matching 'begin_{w}' was found for the name '{}'.",
                name.unwrap_or("unknown"),
                w = kind.word()
            ),
            format!(
                "delete this row or add the missing 'begin_{}' row above it",
                kind.word()
            ),
        );
        return;
    }
    let frame = stack.pop().expect("open frame");
    close(frame, stack.last_mut().expect("parent"), cx);
}

/// Containers still open after the last row.
pub(super) fn close_unmatched(
    stack: &mut Vec<Frame>,
    sheet: &str,
    type_col: &Option<Column>,
    cx: &mut Context,
) {
    while stack.len() > 1 {
        let frame = stack.pop().expect("open frame");
        cx.problems.at(
            sheet,
            frame.row,
            type_col.clone(),
            format!(
                "Unmatched 'begin_{w}'. No matching 'end_{w}' was found for the name '{}'.",
                frame.draft.node.name,
                w = frame.kind.word()
            ),
            format!(
                "add an 'end_{}' row where the {} should end",
                frame.kind.word(),
                frame.kind.word()
            ),
        );
        close(frame, stack.last_mut().expect("parent"), cx);
    }
}

pub(super) fn check_unique(
    name: &str,
    row: &Row,
    frame: &mut Frame,
    sheet: &str,
    col: &Option<Column>,
    cx: &mut Context,
) {
    if frame.names.insert(name.to_string()) {
        return;
    }
    let (msg, hint) = if name == "meta" {
        (
            "The name 'meta' is reserved for form metadata.".to_string(),
            "rename it".to_string(),
        )
    } else {
        (
            format!(
                "The name '{name}' is invalid. Questions, groups, and repeats must be unique \
                 within their nearest parent group or repeat, or the survey if not inside a \
                 group or repeat."
            ),
            format!("rename one of the '{name}' rows"),
        )
    };
    cx.problems.at(sheet, row.number, col.clone(), msg, hint);
}

#[allow(clippy::too_many_arguments)]
pub(super) fn begin(
    kind: ControlKind,
    list: Option<String>,
    name: String,
    row: &Row,
    table: &Table,
    stack: &mut Vec<Frame>,
    repeat_names: &mut HashSet<String>,
    cx: &mut Context,
) {
    let sheet = &table.sheet;
    let name_col = table.header(&["name"]).map(|h| h.column());
    if kind == ControlKind::Repeat {
        if name == cx.settings.root_name {
            cx.problems.at(
                sheet,
                row.number,
                name_col.clone(),
                format!(
                    "The name '{name}' is invalid. Repeat names must not be the same as the \
                     survey root (which defaults to 'data')."
                ),
                "rename the repeat",
            );
        } else if !repeat_names.insert(name.clone()) {
            cx.problems.at(
                sheet,
                row.number,
                name_col,
                format!(
                    "The name '{name}' is invalid. Repeat names must unique anywhere in the \
                     survey, at all levels of group or repeat nesting."
                ),
                "rename one of the repeats",
            );
        }
    }
    let node_kind = if kind == ControlKind::Repeat {
        NodeKind::Repeat
    } else {
        NodeKind::Group
    };
    let mut d = Draft::new(name.clone(), node_kind);
    fill(&mut d.node, table, row, cx.lang, cx.problems);
    let parent = stack.last_mut().expect("frame");
    if kind == ControlKind::Repeat {
        repeat_count_node(&mut d, &mut parent.draft, table, row);
    }
    if kind == ControlKind::Loop {
        match &list {
            None => cx.problems.at(
                sheet,
                row.number,
                table.header(&["type"]).map(|h| h.column()),
                "Repeat loop without list name.",
                "write 'begin loop over LIST' with the choice list to loop over",
            ),
            Some(l) if !cx.lists.iter().any(|x| &x.name == l) => cx.problems.at(
                sheet,
                row.number,
                table.header(&["type"]).map(|h| h.column()),
                format!("List name not in choices sheet: {l}"),
                "add the list to the choices sheet or fix the list name",
            ),
            _ => {}
        }
    }
    let mut table_list = None;
    let appearance = d.node.appearance.clone().unwrap_or_default();
    let words: Vec<&str> = appearance.split_whitespace().collect();
    if words.contains(&"table-list") {
        // pyxform rewrites table-list into field-list plus a label row and list-nolabel
        // selects; the generated nodes exist in its instance.
        let rest: Vec<&str> = words.into_iter().filter(|w| *w != "table-list").collect();
        d.node.appearance = Some(
            std::iter::once("field-list")
                .chain(rest)
                .collect::<Vec<_>>()
                .join(" "),
        );
        table_list = Some(None);
        if !d.node.label.is_empty() || !d.node.hint.is_empty() {
            let mut note = Draft::new(
                format!("generated_table_list_label_{}", row.number),
                NodeKind::Question(QuestionType::Note),
            );
            note.node.label = std::mem::take(&mut d.node.label);
            note.node.hint = std::mem::take(&mut d.node.hint);
            note.node.bind.readonly = Expression::parse("true()").ok();
            d.children.push(note);
        }
    }
    stack.push(Frame {
        draft: d,
        kind,
        list,
        row: row.number,
        names: HashSet::new(),
        table_list,
    });
}

/// A `repeat_count` that is not a plain `${name}` gets its own calculate node before the
/// repeat, named `<repeat>_count`, which the repeat then counts by.
fn repeat_count_node(d: &mut Draft, parent: &mut Draft, table: &Table, row: &Row) {
    let Some(count) = d.node.repeat_count.clone() else {
        return;
    };
    let src = count.source().trim();
    let plain_ref = crate::expression::references(src)
        .ok()
        .is_some_and(|r| r.len() == 1 && r[0].offset == 0 && src.len() == r[0].name.len() + 3);
    if plain_ref {
        return;
    }
    let name = format!("{}_count", d.node.name);
    let mut calc = Draft::new(name.clone(), NodeKind::Question(QuestionType::Calculate));
    calc.node.bind.readonly = Expression::parse("true()").ok();
    calc.node.bind.calculate = Some(count);
    let _ = (table, row);
    parent.children.push(calc);
    d.node.repeat_count = Expression::parse(&format!("${{{name}}}")).ok();
}

fn close(frame: Frame, parent: &mut Frame, cx: &mut Context) {
    let mut draft = frame.draft;
    if frame.kind == ControlKind::Loop {
        // A loop repeats its questions once per choice, each copy in a group named after it.
        let template = std::mem::take(&mut draft.children);
        if let Some(list) = frame
            .list
            .and_then(|l| cx.lists.iter().find(|x| x.name == l))
        {
            for choice in &list.choices {
                let mut g = Draft::new(choice.name.clone(), NodeKind::Group);
                g.node.label = choice.label.clone();
                g.children = template.clone();
                draft.children.push(g);
            }
        }
    }
    parent.draft.children.push(draft);
}

pub(super) fn add_meta(root: &mut Draft, mut meta: Vec<Draft>, settings: &Settings) {
    if !settings.omit_instance_id {
        let mut id = Draft::new("instanceID", NodeKind::Question(QuestionType::Calculate));
        id.node.bind.readonly = Expression::parse("true()").ok();
        id.node.bind.preload = Some(("uid".into(), String::new()));
        meta.push(id);
    }
    if let Some(name) = &settings.instance_name {
        let mut n = Draft::new("instanceName", NodeKind::Question(QuestionType::Calculate));
        n.node.bind.calculate = Some(name.clone());
        meta.push(n);
    }
    if !meta.is_empty() {
        let mut g = Draft::new("meta", NodeKind::Group);
        g.children = meta;
        root.children.push(g);
    }
}
