//! Which CSV column holds which field of the form.
//!
//! Accepted headers, best first (a field takes the first column of the best kind):
//! 1. the field's name, as Fieldline's own export and hand-made sheets write it (`age`);
//! 2. its group path, as ODK Central (`about-age`) and KoboToolbox (`about/age`) write it, or
//!    the full instance path (`/data/about/age`);
//! 3. any header whose last path segment (after a `/` or `-`) is the name of exactly one field,
//!    for exports whose group names differ from the form's (`section1-age`). A header whose
//!    possible last segments name two fields is ambiguous and left alone.
//!
//! Fields inside repeats are not mapped: exports put repeats in files of their own.

use std::collections::HashMap;

use fieldline_form::{Form, NodeId, NodeKind};

/// The column of each form node (indexed by [`NodeId`]), `None` when the file has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    pub column_of_node: Vec<Option<usize>>,
}

impl ColumnMap {
    pub fn new(form: &Form, headers: &[&str]) -> ColumnMap {
        let mut by_name: HashMap<&str, NodeId> = HashMap::new();
        let mut by_path: HashMap<String, NodeId> = HashMap::new();
        let root_prefix = format!("{}/", form.root().path);
        for node in form.leaves() {
            if inside_repeat(form, node.id) {
                continue;
            }
            by_name.entry(node.name.as_str()).or_insert(node.id);
            by_path.insert(node.path.clone(), node.id);
            if let Some(rel) = node.path.strip_prefix(&root_prefix) {
                by_path.insert(rel.to_string(), node.id);
                by_path.insert(rel.replace('/', "-"), node.id);
            }
        }
        // (rank, column) per node: lower rank is better.
        let mut best: Vec<Option<(u8, usize)>> = vec![None; form.nodes.len()];
        let mut offer = |node: NodeId, rank: u8, column: usize| {
            let slot = &mut best[node];
            if slot.is_none_or(|(r, _)| rank < r) {
                *slot = Some((rank, column));
            }
        };
        for (column, raw) in headers.iter().enumerate() {
            let header = raw.trim();
            if let Some(&id) = by_name.get(header) {
                offer(id, 0, column);
            } else if let Some(&id) = by_path.get(header) {
                offer(id, 1, column);
            } else if let Some(id) = last_segment(header, &by_name) {
                offer(id, 2, column);
            }
        }
        ColumnMap {
            column_of_node: best.into_iter().map(|b| b.map(|(_, c)| c)).collect(),
        }
    }

    pub fn column(&self, node: NodeId) -> Option<usize> {
        self.column_of_node.get(node).copied().flatten()
    }
}

/// The one field named by a suffix of `header` that follows a `/` or `-`.
fn last_segment(header: &str, by_name: &HashMap<&str, NodeId>) -> Option<NodeId> {
    let mut found: Option<NodeId> = None;
    for (i, c) in header.char_indices() {
        if c != '/' && c != '-' {
            continue;
        }
        if let Some(&id) = by_name.get(&header[i + 1..]) {
            match found {
                Some(other) if other != id => return None,
                _ => found = Some(id),
            }
        }
    }
    found
}

pub(crate) fn inside_repeat(form: &Form, id: NodeId) -> bool {
    let mut parent = form.nodes[id].parent;
    while let Some(p) = parent {
        if form.nodes[p].kind == NodeKind::Repeat {
            return true;
        }
        parent = form.nodes[p].parent;
    }
    false
}
