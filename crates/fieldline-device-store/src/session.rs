//! The engine side of a draft: rebuilding its `Instance` from the answer log and applying one
//! logged action to it. The log is the truth; an `OpenDraft` is only a cache of its replay.

use fieldline_form::instance::{Environment, Instance, InstanceNodeId};
use fieldline_form::NodeKind;

use crate::drafts::EventKind;
use crate::StoreError;

/// A draft's replayed instance and the sequence number its next log entry takes.
pub(crate) struct OpenDraft {
    pub instance_id: String,
    pub instance: Instance,
    pub next_seq: i64,
}

/// The engine's environment of a draft. It depends only on stored facts (the interview's start,
/// the device and user, the instance id), so every replay computes the same values, `uuid()`
/// and `random()` included.
pub(crate) fn environment(
    instance_id: &str,
    created_at: i64,
    utc_offset_minutes: i32,
    device_id: String,
    username: String,
) -> Environment {
    let seed = uuid::Uuid::parse_str(instance_id).map_or(0, |u| u.as_u128() as u64);
    Environment {
        now_millis: created_at as f64,
        utc_offset_minutes,
        device_id,
        username,
        seed,
        instance_id: Some(instance_id.to_owned()),
        ..Environment::default()
    }
}

/// Applies one action; returns the answered leaf's path, the added instance's or the removed
/// one's. On `Err` the caller must forget the instance: a refused answer to a path in a
/// repeat instance not yet created may have created it.
pub(crate) fn apply(
    inst: &mut Instance,
    kind: EventKind,
    path: &str,
    value: Option<&str>,
) -> Result<String, StoreError> {
    match kind {
        EventKind::Set => {
            let node = inst.set_answer(path, value.unwrap_or_default())?;
            Ok(inst.path(node))
        }
        EventKind::AddRepeat => {
            let (parent_path, name) = path
                .rsplit_once('/')
                .ok_or_else(|| StoreError::RepeatRefused(format!("{path:?} is not a path")))?;
            let parent = find_node(inst, parent_path).ok_or_else(|| {
                StoreError::RepeatRefused(format!("there is no {parent_path} in this interview"))
            })?;
            let form = inst.form();
            let def = inst
                .definition(parent)
                .children
                .iter()
                .copied()
                .find(|&c| form.nodes[c].name == name && form.nodes[c].kind == NodeKind::Repeat)
                .ok_or_else(|| StoreError::RepeatRefused(format!("{path} is not a repeat")))?;
            let added = inst
                .add_repeat(parent, def, None)
                .map_err(|e| StoreError::RepeatRefused(e.to_string()))?;
            Ok(inst.path(added))
        }
        EventKind::RemoveRepeat => {
            let node = find_node(inst, path).ok_or_else(|| {
                StoreError::RepeatRefused(format!("there is no {path} in this interview"))
            })?;
            inst.remove_repeat(node)
                .map_err(|e| StoreError::RepeatRefused(e.to_string()))?;
            Ok(path.to_owned())
        }
    }
}

/// The instance node at `path` (`/data/migrants[2]`; a repeat instance needs its `[n]`).
fn find_node(inst: &Instance, path: &str) -> Option<InstanceNodeId> {
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
