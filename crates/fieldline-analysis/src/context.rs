//! A CSV file's layout against the form, and the XPath [`Context`] over one row of it: the
//! form's node tree, with each field's value read from its column. No interview instance is
//! built, so evaluation costs a lookup per `${field}`.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use fieldline_form::{ChoiceSource, Expr, NodeId, NodeKind, QuestionType};
use fieldline_xpath::{Context, EvalError, NodeSet};

use crate::columns::ColumnMap;
use crate::compile::Analysis;
use crate::error::{AnalysisError, Place};

/// The document node above the root element.
const DOC: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// Not in the file: reads as "".
    Absent,
    Column(usize),
    /// A calculate field without a column, computed per row (index into the computed values).
    Computed(usize),
}

/// Values of one select column are checked against its choices.
#[derive(Debug, Clone)]
pub(crate) struct ChoiceCheck {
    pub column: usize,
    pub multiple: bool,
    pub list: String,
    pub choices: ChoiceSet,
}

/// Choice names: a short list is searched in order (faster than hashing for the few choices
/// most questions have), a long one hashed.
#[derive(Debug, Clone)]
pub(crate) enum ChoiceSet {
    Few(Vec<String>),
    Many(HashSet<String>),
}

impl ChoiceSet {
    fn new(names: Vec<String>) -> ChoiceSet {
        if names.len() <= 16 {
            ChoiceSet::Few(names)
        } else {
            ChoiceSet::Many(names.into_iter().collect())
        }
    }

    pub fn contains(&self, value: &str) -> bool {
        match self {
            ChoiceSet::Few(v) => v.iter().any(|c| crate::fast::short_eq(c, value)),
            ChoiceSet::Many(h) => h.contains(value),
        }
    }

    /// Sorted, for messages.
    pub fn names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = match self {
            ChoiceSet::Few(v) => v.iter().map(String::as_str).collect(),
            ChoiceSet::Many(h) => h.iter().map(String::as_str).collect(),
        };
        out.sort_unstable();
        out
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub headers: Vec<String>,
    pub slot_of_node: Vec<Slot>,
    /// Calculate fields computed per row, in dependency order.
    pub calcs: Vec<NodeId>,
    pub checks: Vec<ChoiceCheck>,
    pub by: Vec<usize>,
    pub cluster: Option<usize>,
    pub weight: Option<usize>,
    pub panel: Option<usize>,
}

impl Layout {
    pub fn new(
        analysis: &Analysis,
        headers: Vec<String>,
        file: &str,
    ) -> Result<Layout, AnalysisError> {
        let form = &analysis.form;
        let refs: Vec<&str> = headers.iter().map(String::as_str).collect();
        let map = ColumnMap::new(form, &refs);
        let mut slot_of_node: Vec<Slot> = map
            .column_of_node
            .iter()
            .map(|c| c.map_or(Slot::Absent, Slot::Column))
            .collect();

        // Which fields the indicators read, directly or through calculations.
        let mut calcs = Vec::new();
        let mut read = Vec::new();
        let mut missing: Vec<(String, String)> = Vec::new();
        let mut visited = HashSet::new();
        for ind in &analysis.indicators {
            for &node in &ind.refs {
                visit(
                    analysis,
                    &map,
                    node,
                    &ind.name,
                    &mut visited,
                    &mut calcs,
                    &mut read,
                    &mut missing,
                );
            }
        }
        if !missing.is_empty() {
            let list: Vec<String> = missing
                .iter()
                .map(|(field, ind)| {
                    format!("{} (for indicator {ind})", describe_field(analysis, field))
                })
                .collect();
            return Err(AnalysisError::data(
                Place {
                    file: file.to_string(),
                    row: 1,
                    column: None,
                },
                format!(
                    "no column for {}; a column is found by the field's name, its group path \
                     (ODK Central `group-field`, KoboToolbox `group/field`) or a header ending \
                     in `-field` or `/field`",
                    list.join(", ")
                ),
            ));
        }
        for (i, &node) in calcs.iter().enumerate() {
            slot_of_node[node] = Slot::Computed(i);
        }

        let place = |what: &str, name: &str| {
            AnalysisError::data(
                Place {
                    file: file.to_string(),
                    row: 1,
                    column: None,
                },
                format!(
                    "no column {name:?} for {what} (neither a header nor a field of the form \
                     with a column); the headers are: {}",
                    headers.join(", ")
                ),
            )
        };
        let find = |name: &str| -> Option<usize> {
            headers
                .iter()
                .position(|h| h.trim() == name)
                .or_else(|| analysis.field_ids.get(name).and_then(|&id| map.column(id)))
        };
        let mut by = Vec::new();
        for name in &analysis.spec.by {
            by.push(find(name).ok_or_else(|| place("--by", name))?);
        }
        let special = |what: &str, name: &Option<String>| match name {
            None => Ok(None),
            Some(n) => find(n).map(Some).ok_or_else(|| place(what, n)),
        };
        let cluster = special("--cluster", &analysis.spec.cluster)?;
        let weight = special("--weight", &analysis.spec.weight)?;
        let panel = special("--panel-id", &analysis.spec.panel_id)?;

        // Select values are checked in every column the analysis reads.
        let node_of_column: HashMap<usize, NodeId> = map
            .column_of_node
            .iter()
            .enumerate()
            .filter_map(|(node, c)| c.map(|c| (c, node)))
            .collect();
        let mut checked = HashSet::new();
        let mut checks = Vec::new();
        let read_nodes = read
            .iter()
            .copied()
            .chain(by.iter().filter_map(|c| node_of_column.get(c).copied()));
        for node in read_nodes {
            if !checked.insert(node) {
                continue;
            }
            if let Some(check) = choice_check(analysis, node, &map) {
                checks.push(check);
            }
        }
        Ok(Layout {
            headers,
            slot_of_node,
            calcs,
            checks,
            by,
            cluster,
            weight,
            panel,
        })
    }
}

/// `"knows_hotline" (know/knows_hotline)`: the name and where the form puts it.
fn describe_field(analysis: &Analysis, name: &str) -> String {
    let rel = analysis
        .field_ids
        .get(name)
        .map(|&id| analysis.form.nodes[id].path.as_str())
        .and_then(|p| p.strip_prefix(&analysis.form.root().path))
        .map(|p| p.trim_start_matches('/'))
        .unwrap_or(name);
    if rel == name {
        format!("field {name:?}")
    } else {
        format!("field {name:?} ({rel})")
    }
}

#[allow(clippy::too_many_arguments)]
fn visit(
    analysis: &Analysis,
    map: &ColumnMap,
    node: NodeId,
    indicator: &str,
    visited: &mut HashSet<NodeId>,
    calcs: &mut Vec<NodeId>,
    read: &mut Vec<NodeId>,
    missing: &mut Vec<(String, String)>,
) {
    if !visited.insert(node) {
        return;
    }
    let n = &analysis.form.nodes[node];
    if map.column(node).is_some() {
        read.push(node);
        return;
    }
    if let Some(calc) = &n.bind.calculate {
        for name in calc.expr().field_refs() {
            if let Some(&dep) = analysis.field_ids.get(name) {
                visit(analysis, map, dep, indicator, visited, calcs, read, missing);
            }
        }
        calcs.push(node);
        return;
    }
    if matches!(n.kind, NodeKind::Question(_)) {
        missing.push((n.name.clone(), indicator.to_string()));
    }
}

fn choice_check(analysis: &Analysis, node: NodeId, map: &ColumnMap) -> Option<ChoiceCheck> {
    let form = &analysis.form;
    let n = &form.nodes[node];
    let multiple = match n.question_type()? {
        QuestionType::SelectOne => false,
        QuestionType::SelectMultiple => true,
        _ => return None,
    };
    let list = match n.choices.as_ref()? {
        ChoiceSource::List { list } => list.clone(),
        ChoiceSource::File {
            file, loaded: true, ..
        } => file.clone(),
        _ => return None,
    };
    let choices = ChoiceSet::new(
        form.choice_list(&list)?
            .choices
            .iter()
            .map(|c| c.name.clone())
            .collect(),
    );
    Some(ChoiceCheck {
        column: map.column(node)?,
        multiple,
        list,
        choices,
    })
}

/// One submission as the XPath engine sees it.
pub(crate) struct Row<'a> {
    pub analysis: &'a Analysis,
    pub layout: &'a Layout,
    pub record: &'a csv::StringRecord,
    pub computed: &'a [String],
}

impl Row<'_> {
    pub fn value(&self, node: NodeId) -> &str {
        match self.layout.slot_of_node.get(node) {
            Some(Slot::Column(c)) => self.record.get(*c).unwrap_or(""),
            Some(Slot::Computed(i)) => self.computed.get(*i).map_or("", String::as_str),
            _ => "",
        }
    }

    pub fn is_true(&self, expr: &Expr) -> Result<bool, EvalError> {
        fieldline_xpath::evaluate_boolean(expr, self, 0)
    }
}

impl Context for Row<'_> {
    type Node = u32;

    fn root(&self, _node: u32) -> u32 {
        DOC
    }

    fn parent(&self, node: u32) -> Option<u32> {
        if node == DOC {
            return None;
        }
        Some(
            self.analysis.form.nodes[node as usize]
                .parent
                .map_or(DOC, |p| p as u32),
        )
    }

    fn children(&self, node: u32, name: Option<&str>, out: &mut NodeSet<u32>) {
        let nodes = &self.analysis.form.nodes;
        if node == DOC {
            if name.is_none_or(|n| n == nodes[0].name) {
                out.push(0);
            }
            return;
        }
        for &c in &nodes[node as usize].children {
            let child = &nodes[c];
            if child.in_instance && name.is_none_or(|n| n == child.name) {
                out.push(c as u32);
            }
        }
    }

    fn name(&self, node: u32) -> &str {
        if node == DOC {
            ""
        } else {
            &self.analysis.form.nodes[node as usize].name
        }
    }

    fn string_value(&self, node: u32) -> Cow<'_, str> {
        if node == DOC {
            return Cow::Borrowed("");
        }
        Cow::Borrowed(self.value(node as usize))
    }

    fn resolve_field(
        &self,
        name: &str,
        _context: u32,
        out: &mut NodeSet<u32>,
    ) -> Result<(), EvalError> {
        match self.analysis.field_ids.get(name) {
            Some(&id) => {
                out.push(id as u32);
                Ok(())
            }
            None => Err(EvalError::Context(format!("no field named {name}"))),
        }
    }

    fn instance(&self, _id: &str) -> Option<u32> {
        None
    }

    fn now_millis(&self) -> f64 {
        self.analysis.spec.now_millis
    }

    fn random(&self) -> f64 {
        0.5
    }
}

/// Compute the calculate fields that have no column, in dependency order.
pub(crate) fn compute(
    analysis: &Analysis,
    layout: &Layout,
    record: &csv::StringRecord,
    computed: &mut Vec<String>,
) -> Result<(), (NodeId, EvalError)> {
    // The strings are reused from row to row.
    computed.resize_with(layout.calcs.len(), String::new);
    for (i, &node) in layout.calcs.iter().enumerate() {
        let Some(calc) = &analysis.form.nodes[node].bind.calculate else {
            continue;
        };
        let (done, rest) = computed.split_at_mut(i);
        let row = Row {
            analysis,
            layout,
            record,
            computed: done,
        };
        let value = fieldline_xpath::evaluate_string(calc.expr(), &row, node as u32)
            .map_err(|e| (node, e))?;
        rest[0].clear();
        rest[0].push_str(&value);
    }
    Ok(())
}
