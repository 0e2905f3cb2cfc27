//! The actions an interview is made of, and applying one to an engine instance.

use fieldline_form::instance::{AnswerError, Instance, InstanceNodeId};
use fieldline_form::NodeKind;
use serde::{Deserialize, Serialize};

/// One entry of a draft's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Answer a leaf: `path` is its instance path (`/data/migrants[2]/m_country`) or, when
    /// unique, its name.
    Set { path: String, value: String },
    /// Add an instance at the end of the repeat at `path` (`/data/migrants`, or
    /// `/data/a[2]/b` inside another repeat's instance).
    AddRepeat { path: String },
    /// Remove the repeat instance at `path` (`/data/migrants[2]`).
    RemoveRepeat { path: String },
}

impl Action {
    /// The path the action names.
    pub fn path(&self) -> &str {
        match self {
            Action::Set { path, .. }
            | Action::AddRepeat { path }
            | Action::RemoveRepeat { path } => path,
        }
    }
}

/// Why an action was refused. The instance may have changed on the way (an answer to a path in
/// a repeat instance not there yet creates it), so after an error replay the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error(transparent)]
    Answer(#[from] AnswerError),
    #[error("{0}")]
    Repeat(String),
}

/// Applies `action`; returns the answered leaf's path, the added repeat instance's, or the
/// removed one's.
pub fn apply(inst: &mut Instance, action: &Action) -> Result<String, ActionError> {
    match action {
        Action::Set { path, value } => {
            let node = inst.set_answer(path, value)?;
            Ok(inst.path(node))
        }
        Action::AddRepeat { path } => {
            let (parent_path, name) = path
                .rsplit_once('/')
                .ok_or_else(|| ActionError::Repeat(format!("{path:?} is not a path")))?;
            let parent = find_node(inst, parent_path).ok_or_else(|| {
                ActionError::Repeat(format!("there is no {parent_path} in this interview"))
            })?;
            let form = inst.form();
            let def = inst
                .definition(parent)
                .children
                .iter()
                .copied()
                .find(|&c| form.nodes[c].name == name && form.nodes[c].kind == NodeKind::Repeat)
                .ok_or_else(|| ActionError::Repeat(format!("{path} is not a repeat")))?;
            let added = inst
                .add_repeat(parent, def, None)
                .map_err(|e| ActionError::Repeat(e.to_string()))?;
            Ok(inst.path(added))
        }
        Action::RemoveRepeat { path } => {
            let node = find_node(inst, path).ok_or_else(|| {
                ActionError::Repeat(format!("there is no {path} in this interview"))
            })?;
            inst.remove_repeat(node)
                .map_err(|e| ActionError::Repeat(e.to_string()))?;
            Ok(path.clone())
        }
    }
}

/// The instance node at `path` (`/data/migrants[2]`; a repeat instance needs its `[n]`).
pub fn find_node(inst: &Instance, path: &str) -> Option<InstanceNodeId> {
    let mut node = inst.root();
    if inst.path(node) == path {
        return Some(node);
    }
    'descend: loop {
        for child in inst.children(node) {
            let p = inst.path(child);
            if p == path {
                return Some(child);
            }
            if path.starts_with(&p) && path[p.len()..].starts_with('/') {
                node = child;
                continue 'descend;
            }
        }
        return None;
    }
}
