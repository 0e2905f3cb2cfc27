//! Adding and removing repeat instances, by the user (uncounted repeats) or by `repeat_count`.

use super::error::RepeatError;
use super::plan::{DefId, DefKind};
use super::tree::ALIVE;
use super::{Instance, InstanceNodeId};

impl Instance {
    /// The instances of repeat definition `repeat` under container instance `parent`.
    pub fn repeat_instances(&self, parent: InstanceNodeId, repeat: DefId) -> Vec<InstanceNodeId> {
        self.children_of_def(parent.0, repeat)
            .iter()
            .map(|&n| InstanceNodeId(n))
            .collect()
    }

    /// Add an instance of repeat `repeat` under `parent` at `position` (0-based; `None` = at
    /// the end) and recompute what depends on it. The new instance gets its defaults, dynamic
    /// defaults and calculations, as in ODK. Refused for repeats whose count the form sets.
    pub fn add_repeat(
        &mut self,
        parent: InstanceNodeId,
        repeat: DefId,
        position: Option<usize>,
    ) -> Result<InstanceNodeId, RepeatError> {
        self.check_repeat(parent, repeat)?;
        if self.plan.defs[repeat].counted {
            return Err(RepeatError::Counted {
                path: self.repeat_path(parent, repeat),
            });
        }
        let existing = self.children_of_def(parent.0, repeat).len();
        let at = position.unwrap_or(existing).min(existing);
        let node = self.insert_instance(parent.0, repeat, at);
        self.structure_changed(parent.0, repeat);
        self.run();
        Ok(InstanceNodeId(node))
    }

    /// Remove a repeat instance and recompute what depends on the repeat. Refused for repeats
    /// whose count the form sets.
    pub fn remove_repeat(&mut self, instance: InstanceNodeId) -> Result<(), RepeatError> {
        let n = self
            .node_checked(instance)
            .map_err(|_| RepeatError::NotARepeat {
                what: format!("node {}", instance.0),
            })?;
        let def = n.def as DefId;
        if self.plan.defs[def].kind != DefKind::Repeat {
            return Err(RepeatError::NotARepeat {
                what: self.path_of(instance.0),
            });
        }
        if self.plan.defs[def].counted {
            return Err(RepeatError::Counted {
                path: self.path_of(instance.0),
            });
        }
        let parent = n.parent;
        self.detach(instance.0);
        self.structure_changed(parent, def);
        self.run();
        Ok(())
    }

    fn check_repeat(&self, parent: InstanceNodeId, repeat: DefId) -> Result<(), RepeatError> {
        let p = self
            .node_checked(parent)
            .map_err(|_| RepeatError::NotARepeat {
                what: format!("node {}", parent.0),
            })?;
        let ok = repeat < self.plan.defs.defs.len()
            && self.plan.defs[repeat].kind == DefKind::Repeat
            && self.plan.defs[repeat].parent == Some(p.def as DefId);
        if ok {
            Ok(())
        } else {
            Err(RepeatError::NotARepeat {
                what: format!("definition {repeat} under {}", self.path_of(parent.0)),
            })
        }
    }

    fn repeat_path(&self, parent: InstanceNodeId, repeat: DefId) -> String {
        format!("{}/{}", self.path_of(parent.0), self.plan.defs[repeat].name)
    }

    /// Build an instance from the template, link it as the `at`-th instance and enqueue its
    /// computations (dynamic defaults follow once they have settled).
    pub(crate) fn insert_instance(&mut self, parent: u32, repeat: DefId, at: usize) -> u32 {
        let mut created = Vec::new();
        let node = self.build(repeat, parent, true, &mut created);
        let children = &self.nodes[parent as usize].children;
        let first = children.partition_point(|&c| (self.nodes[c as usize].def as DefId) < repeat);
        let index = first + at;
        self.nodes[parent as usize].children.insert(index, node);
        self.renumber();
        self.push_all(&created);
        self.pending_defaults.extend(created);
        node
    }

    fn detach(&mut self, node: u32) {
        let parent = self.nodes[node as usize].parent;
        self.nodes[parent as usize].children.retain(|&c| c != node);
        self.kill(node);
        self.renumber();
    }

    /// Make `parent` hold exactly `want` instances of the counted repeat `repeat`, adding or
    /// removing at the end.
    pub(crate) fn set_instance_count(&mut self, parent: u32, repeat: DefId, want: usize) {
        let have = self.children_of_def(parent, repeat).len();
        if have == want {
            return;
        }
        if want > have {
            for i in have..want {
                self.insert_instance(parent, repeat, i);
            }
        } else {
            let extra: Vec<u32> = self.children_of_def(parent, repeat)[want..].to_vec();
            for n in extra {
                self.detach(n);
            }
        }
        self.structure_changed(parent, repeat);
    }

    pub(crate) fn node_checked(
        &self,
        node: InstanceNodeId,
    ) -> Result<&super::tree::INode, super::error::SetError> {
        match self.nodes.get(node.0 as usize) {
            Some(n) if n.has(ALIVE) && node.0 != super::tree::DOC => Ok(n),
            _ => Err(super::error::SetError::NoSuchNode { node: node.0 }),
        }
    }
}
