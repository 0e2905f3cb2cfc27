//! The instance tree: an arena of nodes in which repeat instances come and go. Handles are
//! stable (removed nodes become tombstones), children are kept in document order, and
//! definitions are numbered in document order, so the children of one definition form a
//! contiguous run found by binary search.

use super::plan::{DefId, DefKind};
use super::Instance;

/// Handle of the document node (above the root element).
pub(crate) const DOC: u32 = 0;
/// Handle of the root element.
pub(crate) const ROOT: u32 = 1;
/// Handles at or above this denote nodes of secondary instances.
pub(crate) const SECONDARY: u32 = 1 << 31;
/// The definition number of the document node.
pub(crate) const NO_DEF: u32 = u32::MAX;

pub(crate) const ALIVE: u8 = 1;
pub(crate) const SELF_RELEVANT: u8 = 2;
pub(crate) const RELEVANT: u8 = 4;
pub(crate) const SELF_READONLY: u8 = 8;
pub(crate) const READONLY: u8 = 16;
pub(crate) const REQUIRED: u8 = 32;
pub(crate) const VALID: u8 = 64;

#[derive(Debug, Clone)]
pub(crate) struct INode {
    pub def: u32,
    pub parent: u32,
    pub children: Vec<u32>,
    /// The value expressions read while the node is relevant (for a select: the selection
    /// restricted to the choices currently offered).
    pub value: String,
    /// For a select: the choices as set, before restriction to the offered ones.
    pub selection: String,
    /// For a select: indices of the choices currently offered.
    pub options: Vec<u32>,
    pub flags: u8,
    /// Bit per computation kind already in the queue.
    pub queued: u8,
    /// Position in document order (renumbered after structural changes).
    pub order: u32,
}

impl INode {
    fn new(def: u32, parent: u32) -> INode {
        INode {
            def,
            parent,
            children: Vec::new(),
            value: String::new(),
            selection: String::new(),
            options: Vec::new(),
            flags: ALIVE | SELF_RELEVANT | RELEVANT | VALID,
            queued: 0,
            order: 0,
        }
    }

    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    pub fn set(&mut self, flag: u8, on: bool) {
        if on {
            self.flags |= flag;
        } else {
            self.flags &= !flag;
        }
    }
}

impl Instance {
    pub(crate) fn new_tree(&mut self) {
        self.nodes.push(INode::new(NO_DEF, DOC));
        let mut created = Vec::new();
        self.build(0, DOC, false, &mut created);
        self.nodes[DOC as usize].children.push(ROOT);
        self.renumber();
        self.created = created;
    }

    /// Create the subtree of `def` under `parent` (not yet linked into the parent's children).
    /// `template`: built from the repeat template (a new repeat instance), where uncounted
    /// nested repeats start empty; otherwise from the form's initial instance, where pyxform
    /// writes one instance of each.
    pub(crate) fn build(
        &mut self,
        def: DefId,
        parent: u32,
        template: bool,
        created: &mut Vec<u32>,
    ) -> u32 {
        let id = self.nodes.len() as u32;
        let mut node = INode::new(def as u32, parent);
        let d = &self.plan.defs[def];
        if let Some(v) = &d.static_default {
            if d.value.is_select() {
                node.selection = v.clone();
            } else {
                node.value = d.normalize(v);
            }
        }
        self.nodes.push(node);
        created.push(id);
        let plan = self.plan.clone();
        for &child in &plan.defs[def].children {
            let c = &plan.defs[child];
            let copies = match c.kind {
                DefKind::Repeat if c.counted || template => 0,
                _ => 1,
            };
            for _ in 0..copies {
                let cid = self.build(child, id, template, created);
                self.nodes[id as usize].children.push(cid);
            }
        }
        id
    }

    /// Assign document order positions (after any structural change).
    pub(crate) fn renumber(&mut self) {
        let mut stack = vec![DOC];
        let mut next = 0;
        while let Some(n) = stack.pop() {
            self.nodes[n as usize].order = next;
            next += 1;
            stack.extend(self.nodes[n as usize].children.iter().rev());
        }
    }

    /// Mark a subtree dead.
    pub(crate) fn kill(&mut self, node: u32) {
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            let inode = &mut self.nodes[n as usize];
            inode.set(ALIVE, false);
            stack.extend(inode.children.iter().copied());
        }
    }

    pub(crate) fn def_of(&self, node: u32) -> Option<DefId> {
        let d = self.nodes[node as usize].def;
        (d != NO_DEF).then_some(d as DefId)
    }

    /// The children of `node` that are instances of `def`.
    pub(crate) fn children_of_def(&self, node: u32, def: DefId) -> &[u32] {
        let children = &self.nodes[node as usize].children;
        let d = def as u32;
        let start = children.partition_point(|&c| self.nodes[c as usize].def < d);
        let end = start + children[start..].partition_point(|&c| self.nodes[c as usize].def == d);
        &children[start..end]
    }

    /// The ancestor-or-self of `node` that is an instance of `def`.
    pub(crate) fn ancestor_of_def(&self, mut node: u32, def: DefId) -> Option<u32> {
        let d = def as u32;
        loop {
            let n = &self.nodes[node as usize];
            if n.def == d {
                return Some(node);
            }
            if node == DOC {
                return None;
            }
            node = n.parent;
        }
    }

    /// Every instance of `target` under `from` (an instance of the definition at
    /// `chain[depth]`), in document order.
    pub(crate) fn descend(
        &self,
        from: u32,
        target: DefId,
        out: &mut fieldline_xpath::NodeSet<u32>,
    ) {
        let chain = &self.plan.defs[target].chain;
        let from_def = self.nodes[from as usize].def;
        let depth = if from == DOC {
            0
        } else {
            match chain.iter().position(|&d| d as u32 == from_def) {
                Some(i) => i + 1,
                None => return,
            }
        };
        if depth == 0 {
            // From the document: the root element first.
            if chain.len() == 1 {
                out.push(ROOT);
                return;
            }
            self.descend_steps(ROOT, &chain[1..], out);
        } else {
            self.descend_steps(from, &chain[depth..], out);
        }
    }

    fn descend_steps(&self, from: u32, steps: &[DefId], out: &mut fieldline_xpath::NodeSet<u32>) {
        let Some((&first, rest)) = steps.split_first() else {
            out.push(from);
            return;
        };
        for &c in self.children_of_def(from, first) {
            self.descend_steps(c, rest, out);
        }
    }

    /// The XForm instance path of a node, with 1-based positions on repeat instances.
    pub(crate) fn path_of(&self, node: u32) -> String {
        let mut steps = Vec::new();
        let mut n = node;
        while n != DOC {
            let inode = &self.nodes[n as usize];
            let def = inode.def as DefId;
            let d = &self.plan.defs[def];
            if d.kind == DefKind::Repeat {
                let pos = self
                    .children_of_def(inode.parent, def)
                    .iter()
                    .position(|&c| c == n)
                    .unwrap_or(0);
                steps.push(format!("{}[{}]", d.name, pos + 1));
            } else {
                steps.push(d.name.clone());
            }
            n = inode.parent;
        }
        steps.reverse();
        let mut out = String::new();
        for s in steps {
            out.push('/');
            out.push_str(&s);
        }
        out
    }

    /// Alive leaves in document order.
    pub(crate) fn leaf_nodes(&self) -> Vec<u32> {
        let mut out = Vec::new();
        let mut stack = vec![ROOT];
        while let Some(n) = stack.pop() {
            let inode = &self.nodes[n as usize];
            if self.plan.defs[inode.def as DefId].kind == DefKind::Leaf {
                out.push(n);
            }
            stack.extend(inode.children.iter().rev());
        }
        out
    }
}
