//! The compiled form: what every instance of a form shares. Built once per form (an instance
//! holds it in an `Arc`), it binds every expression to definitions, lists for each definition
//! the computations that read it, and ranks all computations in topological order so a
//! change recomputes only its dependents, each once, inputs first.

use std::sync::Arc;

use crate::model::Form;

use super::analyze::{Mode, Read};
use super::secondary::Secondary;
use super::texts::Templates;

pub(crate) use super::defs::{DefId, DefKind, Defs, Options};

/// The kinds of computation, one slot each per instance node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Kind {
    Relevant = 0,
    Readonly = 1,
    Count = 2,
    Calculate = 3,
    Trigger = 4,
    Options = 5,
    Required = 6,
    Constraint = 7,
}

pub(crate) const KINDS: [Kind; 8] = [
    Kind::Relevant,
    Kind::Readonly,
    Kind::Count,
    Kind::Calculate,
    Kind::Trigger,
    Kind::Options,
    Kind::Required,
    Kind::Constraint,
];

/// Computation id: `def * 8 + kind`.
pub(crate) fn comp(def: DefId, kind: Kind) -> usize {
    def * 8 + kind as usize
}

/// A computation that reads something, and how to find its instances from a change.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader {
    pub def: DefId,
    pub kind: Kind,
    pub mode: Mode,
}

/// The compiled form. Create it once with [`Plan::new`] and share it between instances.
#[derive(Debug)]
pub struct Plan {
    pub(crate) form: Arc<Form>,
    pub(crate) defs: Defs,
    /// For each leaf definition, the computations reading its value.
    pub(crate) value_readers: Vec<Vec<Reader>>,
    /// For each repeat definition, the computations reading its set of instances.
    pub(crate) structure_readers: Vec<Vec<Reader>>,
    /// Computations that read something unbound: run after every change.
    pub(crate) everything: Vec<Reader>,
    /// Computations that use the language.
    pub(crate) language: Vec<Reader>,
    /// Topological rank of each computation id.
    pub(crate) rank: Vec<u32>,
    pub(crate) secondary: Secondary,
    /// Labels, hints and messages with `${name}` references, compiled.
    pub(crate) texts: Templates,
}

impl Plan {
    /// Compile a form for the engine. The form must have loaded without problems (as
    /// [`Form::from_xlsform`] guarantees).
    pub fn new(form: Arc<Form>) -> Plan {
        let defs = Defs::build(&form);
        let mut plan = Plan {
            texts: Templates::build(&form, &defs),
            secondary: Secondary::build(&form),
            value_readers: vec![Vec::new(); form.nodes.len()],
            structure_readers: vec![Vec::new(); form.nodes.len()],
            everything: Vec::new(),
            language: Vec::new(),
            rank: Vec::new(),
            defs,
            form,
        };
        plan.link();
        plan
    }

    /// The form this plan was compiled from.
    pub fn form(&self) -> &Arc<Form> {
        &self.form
    }

    /// Whether instances of `def` carry this computation at all.
    pub(crate) fn has(&self, def: DefId, kind: Kind) -> bool {
        self.defs.has(def, kind)
    }

    /// Register readers and rank computations.
    fn link(&mut self) {
        let n = self.defs.defs.len();
        // Edges between computation ids: writer -> reader.
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); n * 8];
        for def in 0..n {
            let d = &self.defs[def];
            if let Some(p) = d.parent {
                edges[comp(p, Kind::Relevant)].push(comp(def, Kind::Relevant));
                edges[comp(p, Kind::Readonly)].push(comp(def, Kind::Readonly));
            }
            for k in [
                Kind::Calculate,
                Kind::Options,
                Kind::Trigger,
                Kind::Constraint,
            ] {
                edges[comp(def, Kind::Relevant)].push(comp(def, k));
            }
            for k in [Kind::Calculate, Kind::Options, Kind::Trigger] {
                edges[comp(def, k)].push(comp(def, Kind::Constraint));
            }
            for kind in KINDS {
                if !self.defs.has(def, kind) {
                    continue;
                }
                for c in self.defs.exprs(def, kind) {
                    let reader = |mode| Reader { def, kind, mode };
                    if c.everything {
                        self.everything.push(reader(Mode::Absolute));
                    }
                    if c.language {
                        self.language.push(reader(Mode::Absolute));
                    }
                    for r in &c.reads {
                        match *r {
                            Read::Value(t, mode) => {
                                self.value_readers[t].push(reader(mode));
                                for k in [Kind::Calculate, Kind::Options, Kind::Trigger] {
                                    edges[comp(t, k)].push(comp(def, kind));
                                }
                                edges[comp(t, Kind::Relevant)].push(comp(def, kind));
                            }
                            Read::Structure(t, mode) => {
                                self.structure_readers[t].push(reader(mode));
                                if let Some(p) = self.defs[t].parent {
                                    edges[comp(p, Kind::Count)].push(comp(def, kind));
                                }
                            }
                        }
                    }
                }
            }
        }
        for list in self
            .value_readers
            .iter_mut()
            .chain(self.structure_readers.iter_mut())
        {
            list.sort_by_key(|r| (comp(r.def, r.kind), r.mode == Mode::Absolute));
            list.dedup_by_key(|r| (comp(r.def, r.kind), r.mode == Mode::Absolute));
        }
        self.rank = topological_rank(&edges);
    }
}

/// Kahn's algorithm; computations on a cycle (which the form reader refuses for calculations
/// but relevance can still form) are ranked after the rest, in id order.
fn topological_rank(edges: &[Vec<usize>]) -> Vec<u32> {
    let n = edges.len();
    let mut indegree = vec![0u32; n];
    for targets in edges {
        for &t in targets {
            indegree[t] += 1;
        }
    }
    let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<usize>> = (0..n)
        .filter(|&i| indegree[i] == 0)
        .map(std::cmp::Reverse)
        .collect();
    let mut rank = vec![u32::MAX; n];
    let mut next = 0u32;
    while let Some(std::cmp::Reverse(i)) = ready.pop() {
        rank[i] = next;
        next += 1;
        for &t in &edges[i] {
            indegree[t] -= 1;
            if indegree[t] == 0 {
                ready.push(std::cmp::Reverse(t));
            }
        }
    }
    for r in rank.iter_mut().filter(|r| **r == u32::MAX) {
        *r = next;
        next += 1;
    }
    rank
}
