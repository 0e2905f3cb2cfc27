//! Checking a received submission with the same engine that took its answers on the device.
//!
//! The server holds a submission's values (the engine's submission, as `[path, value]` pairs in
//! document order) but not the draft's log, so it rebuilds an instance from the values alone:
//! the repeat instances the paths name are created, the questions' values set in document order,
//! and calculations, metadata, notes and read-only questions left to the engine. The submission
//! is good when every path is a leaf of the form, every value is one its question can take, no
//! value is given for a question that is not relevant, and nothing would block finalizing on the
//! device (a relevant required question left empty, a constraint not satisfied).

use std::collections::HashSet;
use std::sync::Arc;

use fieldline_form::instance::{
    Environment, Instance, InstanceNodeId, Plan, ProblemKind, SetError,
};
use fieldline_form::NodeKind;

/// Whether `values` are a complete, valid interview of the form `plan` compiles; `Err` says
/// why, in words for people, naming the question's path.
pub fn check_submission(plan: Arc<Plan>, values: &[(String, String)]) -> Result<(), String> {
    let mut inst = Instance::from_plan(plan, Environment::default());
    for (path, value) in values {
        if !path.starts_with('/') {
            return Err(format!("{path:?} is not a question path of this form"));
        }
        let node = inst
            .resolve_key(path)
            .map_err(|e| format!("{path} is not a question of this form ({e})"))?;
        match inst.set_value(node, value) {
            Ok(()) => {}
            // Calculations, metadata, notes and read-only questions: the engine computes them.
            Err(SetError::NotSettable { .. } | SetError::ReadOnly { .. }) => {}
            Err(e) => return Err(format!("{path}: {e}")),
        }
    }
    remove_unsent_repeat_instances(&mut inst, values);
    for (path, _) in values {
        let Ok(node) = inst.find_key(path) else {
            return Err(format!(
                "{path} is no longer part of the interview once the other answers are given"
            ));
        };
        if !inst.is_relevant(node) {
            return Err(format!(
                "{path} has a value, but the question is not asked given the other answers"
            ));
        }
    }
    if let Some(problem) = inst.first_problem(None) {
        let what = match problem.kind {
            ProblemKind::Required => "is required but not answered".to_string(),
            ProblemKind::Constraint => {
                let value = inst.value(problem.node).to_string();
                if problem.message.is_empty() {
                    format!("{value:?} does not satisfy the question's constraint")
                } else {
                    format!(
                        "{value:?} does not satisfy the question's constraint: {}",
                        problem.message
                    )
                }
            }
        };
        return Err(format!("{} {what}", problem.path));
    }
    Ok(())
}

/// The device sends every relevant leaf, so a relevant repeat instance the values do not name
/// was removed on the device (the form's first instance of a repeat, say): remove it here too,
/// last ones first so that the positions the values name stay where they are.
fn remove_unsent_repeat_instances(inst: &mut Instance, values: &[(String, String)]) {
    let named: HashSet<String> = values.iter().flat_map(|(path, _)| prefixes(path)).collect();
    loop {
        let Some(node) = last_unnamed_instance(inst, inst.root(), &named) else {
            return;
        };
        if inst.remove_repeat(node).is_err() {
            // Counted by the form (`repeat_count`): the engine keeps it, and its questions are
            // checked as they are.
            return;
        }
    }
}

/// Every `/a/b[2]` prefix of `/a/b[2]/c`.
fn prefixes(path: &str) -> impl Iterator<Item = String> + '_ {
    path.match_indices('/')
        .skip(1)
        .map(|(i, _)| path[..i].to_string())
}

/// A relevant repeat instance, after every instance of its repeat that the values name, that the
/// values do not name; the deepest and last first.
fn last_unnamed_instance(
    inst: &Instance,
    node: InstanceNodeId,
    named: &HashSet<String>,
) -> Option<InstanceNodeId> {
    let children = inst.children(node);
    for &child in children.iter().rev() {
        if inst.is_leaf(child) {
            continue;
        }
        let path = inst.path(child);
        let is_instance = inst.definition(child).kind == NodeKind::Repeat;
        if is_instance && !named.contains(&path) {
            let later_named = children
                .iter()
                .skip_while(|&&c| c != child)
                .skip(1)
                .any(|&c| {
                    inst.definition(c).name == inst.definition(child).name
                        && named.contains(&inst.path(c))
                });
            if !later_named && inst.is_relevant(child) {
                return Some(child);
            }
            continue;
        }
        if let Some(found) = last_unnamed_instance(inst, child, named) {
            return Some(found);
        }
    }
    None
}
