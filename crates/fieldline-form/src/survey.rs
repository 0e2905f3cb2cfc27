//! The survey sheet, row by row, into the tree of groups, repeats and questions that pyxform
//! would build, including the nodes pyxform adds itself (`meta/instanceID`, `*_other`,
//! `*_count`, table-list headers, loop copies), so instance paths match its XForm.

use std::collections::{HashMap, HashSet};

use crate::choices;
use crate::expression::{is_xml_name, Expression};
use crate::fields::{default_is_dynamic, fill};
use crate::headers::{Row, Table};
use crate::model::{ChoiceList, ChoiceSource, Node, NodeKind};
use crate::problems::Problems;
use crate::select::{self, SelectContext};
use crate::settings::{yes_no, Settings};
use crate::types::{control_type, simple_type, suggest, Control, ControlKind, QuestionType};
use crate::Attachments;

/// A node while the tree is being built; flattened into the arena at the end.
#[derive(Debug, Clone)]
pub struct Draft {
    pub node: Node,
    pub children: Vec<Draft>,
}

impl Draft {
    pub fn new(name: impl Into<String>, kind: NodeKind) -> Self {
        Draft {
            node: Node::new(0, name.into(), kind, None),
            children: Vec::new(),
        }
    }
}

struct Frame {
    draft: Draft,
    kind: ControlKind,
    list: Option<String>,
    row: u32,
    names: HashSet<String>,
    /// `Some(None)` inside a table-list group before its first select, then `Some(Some(list))`.
    table_list: Option<Option<String>>,
}

/// What the builder hands to validation.
pub struct Survey {
    pub root: Draft,
    /// How often each name occurs on the survey sheet (pyxform's element_names), for
    /// resolving `${name}` references.
    pub name_counts: HashMap<String, u32>,
}

/// Everything the builder reads or updates besides the sheet.
pub struct Context<'a> {
    pub settings: &'a mut Settings,
    pub lists: &'a mut Vec<ChoiceList>,
    pub has_choices_sheet: bool,
    pub attachments: &'a Attachments,
    pub missing_files: &'a mut Vec<String>,
    pub lang: &'a str,
    pub problems: &'a mut Problems,
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
    let mut stack = vec![Frame {
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
            let top = stack.last().expect("root frame");
            if stack.len() == 1 || top.kind != kind {
                cx.problems.at(
                    &sheet,
                    row.number,
                    type_col.clone(),
                    format!(
                        "Unmatched 'end_{w}'. No matching 'begin_{w}' was found for the name '{}'.",
                        get(&["name"]).unwrap_or("unknown"),
                        w = kind.word()
                    ),
                    format!(
                        "delete this row or add the missing 'begin_{}' row above it",
                        kind.word()
                    ),
                );
                continue;
            }
            let frame = stack.pop().expect("open frame");
            close(frame, stack.last_mut().expect("parent"), cx);
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
        check_unique(
            &name,
            row,
            stack.last_mut().expect("frame"),
            &sheet,
            &name_col,
            cx,
        );

        if let Some(Control::Begin { kind, list }) = control {
            begin(
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
        let osm = ty.strip_prefix("osm ").filter(|l| !l.contains(' '));
        let Some((qt, implied_constraint)) =
            simple_type(ty).or(osm.map(|_| (QuestionType::Osm, None)))
        else {
            if ty == "include" || ty.starts_with("include ") {
                cx.problems.at(
                    &sheet,
                    row.number,
                    type_col.clone(),
                    "This section has not been included: the 'include' type (pyxform's legacy \
                     way to paste another XLSForm in) is not supported.",
                    "copy the rows of the included form into this survey sheet",
                );
                continue;
            }
            let hint = match suggest(ty) {
                Some(s) => format!("did you mean '{s}'? See https://xlsform.org/#question-types"),
                None => "use a type from https://xlsform.org/#question-types".to_string(),
            };
            cx.problems.at(
                &sheet,
                row.number,
                type_col.clone(),
                format!("Unknown question type '{ty}'."),
                hint,
            );
            continue;
        };
        let mut d = Draft::new(name, NodeKind::Question(qt));
        fill(&mut d.node, table, row, cx.lang, cx.problems);
        d.node.in_instance = qt.has_instance_node();
        if let Some(c) = implied_constraint {
            if d.node.bind.constraint.is_none() {
                d.node.bind.constraint = Expression::parse(c).ok();
            }
        }
        if let Some((p, params)) = qt.preload() {
            // pyxform writes the `uri:` spellings verbatim as preload parameters, which ODK
            // does not recognise, so such a field stays empty.
            let params = if ty.starts_with("uri:") { ty } else { params };
            d.node.bind.preload = Some((p.to_string(), params.to_string()));
        }
        if qt == QuestionType::Note && d.node.bind.readonly.is_none() {
            d.node.bind.readonly = Expression::parse("true()").ok();
        }
        let date_like = matches!(
            qt.data_type(),
            crate::types::DataType::Date
                | crate::types::DataType::DateTime
                | crate::types::DataType::Geopoint
                | crate::types::DataType::Geotrace
                | crate::types::DataType::Geoshape
        );
        let dynamic = d
            .node
            .default
            .as_deref()
            .is_some_and(|v| default_is_dynamic(v, date_like));
        let has_calculation = table.get(row, &["bind", "calculate"]).is_some();
        if qt == QuestionType::Calculate && !has_calculation && !dynamic {
            let col = table
                .header(&["bind", "calculate"])
                .map(|h| h.column())
                .or(type_col.clone());
            cx.problems.at(
                &sheet,
                row.number,
                col,
                "Missing calculation.",
                "write the expression to compute in the calculation column",
            );
        }
        if qt == QuestionType::Range {
            crate::select::check_range(&d.node, table, row, cx.problems);
        }
        frame.draft.children.push(d);
    }

    while stack.len() > 1 {
        let frame = stack.pop().expect("open frame");
        cx.problems.at(
            &sheet,
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
    let mut root = stack.pop().expect("root").draft;
    add_meta(&mut root, meta, cx.settings);
    if !cx.settings.omit_instance_id {
        *name_counts.entry("instanceID".into()).or_default() += 1;
    }
    Survey { root, name_counts }
}

fn check_unique(
    name: &str,
    row: &Row,
    frame: &mut Frame,
    sheet: &str,
    col: &Option<crate::problems::Column>,
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
fn begin(
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

fn add_meta(root: &mut Draft, mut meta: Vec<Draft>, settings: &Settings) {
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

/// Resolve a select's choices from an attached file (CSV only; XML and GeoJSON are kept as
/// references the engine resolves later).
pub(crate) fn file_source(
    file: &str,
    value: &str,
    label: &str,
    cx: &mut Context,
) -> Result<ChoiceSource, String> {
    let loaded = match cx.attachments.get(file) {
        None => {
            if !cx.missing_files.iter().any(|f| f == file) {
                cx.missing_files.push(file.to_string());
            }
            false
        }
        Some(bytes) if file.ends_with(".csv") => {
            let list = choices::from_csv(file, bytes, value, label, cx.lang)?;
            if let Some(existing) = cx.lists.iter_mut().find(|l| l.name == file) {
                *existing = list;
            } else {
                cx.lists.push(list);
            }
            true
        }
        Some(_) => false,
    };
    Ok(ChoiceSource::File {
        file: file.to_string(),
        value: value.to_string(),
        label: label.to_string(),
        loaded,
    })
}
