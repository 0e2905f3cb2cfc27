//! Recomputation: a priority queue of (computation, instance node) keyed by the computation's
//! topological rank, so inputs settle before what reads them and each dirty computation runs
//! once per change wave. A change (value, relevance, repeat instances) enqueues only the
//! computations registered as reading it, restricted to the repeat instance the change
//! happened in when the reference is contextual.

use std::cmp::Reverse;

use fieldline_xpath::{evaluate, evaluate_boolean, evaluate_in, Focus};

use super::analyze::{Compiled, Mode};
use super::eval::Ev;
use super::plan::{comp, DefId, Kind, Options, Reader, KINDS};
use super::tree::{
    ALIVE, DOC, READONLY, RELEVANT, REQUIRED, SECONDARY, SELF_READONLY, SELF_RELEVANT, VALID,
};
use super::Instance;

/// A safety net for forms whose relevance expressions feed each other in a cycle.
const MAX_STEPS_PER_WAVE: usize = 1_000_000;
/// Repeat counts beyond this are treated as this (a typo must not exhaust memory).
pub(crate) const MAX_REPEAT_COUNT: usize = 10_000;

impl Instance {
    /// Enqueue computation `kind` of `node` (if it has one and is not already queued).
    pub(crate) fn push(&mut self, node: u32, kind: Kind) {
        let n = &self.nodes[node as usize];
        let bit = 1u8 << kind as u8;
        if n.queued & bit != 0 || !n.has(ALIVE) || node == DOC {
            return;
        }
        let def = n.def as DefId;
        if !self.plan.has(def, kind) {
            return;
        }
        self.nodes[node as usize].queued |= bit;
        let rank = u64::from(self.plan.rank[comp(def, kind)]);
        self.queue
            .push(Reverse((rank << 35) | (u64::from(node) << 3) | kind as u64));
    }

    /// Enqueue every computation of the given nodes (new nodes).
    pub(crate) fn push_all(&mut self, nodes: &[u32]) {
        for &n in nodes {
            for kind in KINDS {
                self.push(n, kind);
            }
        }
    }

    /// Run queued computations until nothing changes, then dynamic defaults of new nodes.
    pub(crate) fn run(&mut self) {
        let mut steps = 0;
        loop {
            while let Some(Reverse(key)) = self.queue.pop() {
                let node = ((key >> 3) & 0xFFFF_FFFF) as u32;
                let kind = KINDS[(key & 7) as usize];
                self.nodes[node as usize].queued &= !(1u8 << kind as u8);
                if !self.nodes[node as usize].has(ALIVE) {
                    continue;
                }
                steps += 1;
                if steps > MAX_STEPS_PER_WAVE {
                    self.note_error(node, "recomputation did not settle (cyclic expressions)");
                    self.queue.clear();
                    for n in &mut self.nodes {
                        n.queued = 0;
                    }
                    return;
                }
                self.evaluations += 1;
                self.compute(node, kind);
            }
            if self.pending_defaults.is_empty() {
                return;
            }
            let pending = std::mem::take(&mut self.pending_defaults);
            self.apply_dynamic_defaults(&pending);
        }
    }

    fn compute(&mut self, node: u32, kind: Kind) {
        let plan = self.plan.clone();
        let def = self.nodes[node as usize].def as DefId;
        let d = &plan.defs[def];
        match kind {
            Kind::Relevant => {
                let own = d
                    .relevant
                    .as_ref()
                    .is_none_or(|c| self.eval_bool(c, node, true));
                let n = &self.nodes[node as usize];
                let parent_ok = n.parent == DOC || self.nodes[n.parent as usize].has(RELEVANT);
                let eff = own && parent_ok;
                let was = n.has(RELEVANT);
                let n = &mut self.nodes[node as usize];
                n.set(SELF_RELEVANT, own);
                n.set(RELEVANT, eff);
                if eff != was {
                    self.relevance_changed(node);
                }
            }
            Kind::Readonly => {
                let own = d
                    .readonly
                    .as_ref()
                    .is_some_and(|c| self.eval_bool(c, node, false));
                let n = &self.nodes[node as usize];
                let parent = n.parent != DOC && self.nodes[n.parent as usize].has(READONLY);
                let eff = own || parent;
                let was = n.has(READONLY);
                let n = &mut self.nodes[node as usize];
                n.set(SELF_READONLY, own);
                n.set(READONLY, eff);
                if eff != was {
                    for c in self.nodes[node as usize].children.clone() {
                        self.push(c, Kind::Readonly);
                    }
                }
            }
            Kind::Required => {
                let req = d
                    .required
                    .as_ref()
                    .is_some_and(|c| self.eval_bool(c, node, false));
                self.nodes[node as usize].set(REQUIRED, req);
            }
            Kind::Constraint => {
                let n = &self.nodes[node as usize];
                let valid = !n.has(RELEVANT)
                    || n.value.is_empty()
                    || d.constraint
                        .as_ref()
                        .is_none_or(|c| self.eval_bool(c, node, true));
                self.nodes[node as usize].set(VALID, valid);
            }
            Kind::Calculate => {
                if let Some(c) = &d.calculate {
                    if self.nodes[node as usize].has(RELEVANT) {
                        let v = self.eval_string(c, node);
                        self.store(node, d.normalize(&v));
                    }
                }
            }
            Kind::Trigger => {
                if let Some((sources, calc)) = &d.trigger {
                    let mut seen = String::new();
                    for s in sources {
                        seen.push_str(&self.eval_string(s, node));
                        seen.push('\u{0}');
                    }
                    let previous = self.trigger_seen.insert(node, seen.clone());
                    if previous.is_some_and(|p| p != seen) {
                        let v = self.eval_string(calc, node);
                        self.store(node, d.normalize(&v));
                    }
                }
            }
            Kind::Options => self.compute_options(node, def),
            Kind::Count => {
                for (repeat, c) in &d.counts {
                    let n = self.eval_number(c, node);
                    // ODK keeps the current instances while the count is blank (NaN), e.g.
                    // while the question giving it is unanswered or not relevant.
                    if n.is_nan() {
                        continue;
                    }
                    let want = if n > 0.0 {
                        (n.trunc().min(MAX_REPEAT_COUNT as f64)) as usize
                    } else {
                        0
                    };
                    self.set_instance_count(node, *repeat, want);
                }
            }
        }
    }

    /// Store a computed or given value (a select's selection, restricted to its offered
    /// choices) and propagate if what expressions read changed.
    pub(crate) fn store(&mut self, node: u32, value: String) {
        let def = self.nodes[node as usize].def as DefId;
        if self.plan.defs[def].value.is_select() {
            self.nodes[node as usize].selection = value;
            self.apply_options(node);
        } else if self.nodes[node as usize].value != value {
            self.nodes[node as usize].value = value;
            self.value_changed(node);
        }
    }

    /// The offered choices changed or the selection did: recompute the visible value.
    pub(crate) fn apply_options(&mut self, node: u32) {
        let effective = self.restrict_to_offered(node, &self.nodes[node as usize].selection);
        if effective != self.nodes[node as usize].value {
            self.nodes[node as usize].value = effective;
            self.value_changed(node);
        }
    }

    fn compute_options(&mut self, node: u32, def: DefId) {
        let plan = self.plan.clone();
        let d = &plan.defs[def];
        match &d.options {
            Options::List(list) => {
                let items = &plan.secondary.items[*list];
                let offered: Vec<u32> = match &d.choice_filter {
                    None => (0..items.len() as u32).collect(),
                    Some(c) => {
                        let ev = Ev(self);
                        let size = items.len();
                        let mut keep = Vec::new();
                        for (i, &item) in items.iter().enumerate() {
                            let focus = Focus {
                                node: item + SECONDARY,
                                position: i + 1,
                                size,
                            };
                            match evaluate_in(&c.expr, &ev, focus, node) {
                                Ok(v) => {
                                    if v.to_boolean() {
                                        keep.push(i as u32);
                                    }
                                }
                                Err(e) => {
                                    let msg = e.to_string();
                                    self.note_error(node, &msg);
                                    break;
                                }
                            }
                        }
                        keep
                    }
                };
                self.nodes[node as usize].options = offered;
            }
            Options::Answers(_) => {
                let mut values: Vec<String> = Vec::new();
                if let Some(c) = &d.choice_filter {
                    let ev = Ev(self);
                    if let Ok(fieldline_xpath::Value::NodeSet(nodes)) = evaluate(&c.expr, &ev, node)
                    {
                        for n in nodes {
                            let v = self.read(n);
                            if !v.is_empty() && !values.iter().any(|x| *x == *v) {
                                values.push(v.into_owned());
                            }
                        }
                    }
                }
                self.answer_options.insert(node, values);
            }
            Options::Missing | Options::None => {}
        }
        self.apply_options(node);
    }

    /// Something reading `node`'s value must recompute.
    pub(crate) fn value_changed(&mut self, node: u32) {
        self.push(node, Kind::Constraint);
        let def = self.nodes[node as usize].def as DefId;
        let plan = self.plan.clone();
        for r in &plan.value_readers[def] {
            self.push_targets(*r, node);
        }
        self.push_everything();
    }

    /// The instances of repeat `repeat` under `parent` changed.
    pub(crate) fn structure_changed(&mut self, parent: u32, repeat: DefId) {
        let plan = self.plan.clone();
        for r in &plan.structure_readers[repeat] {
            self.push_targets(*r, parent);
        }
        self.push_everything();
    }

    fn relevance_changed(&mut self, node: u32) {
        for c in self.nodes[node as usize].children.clone() {
            self.push(c, Kind::Relevant);
        }
        for k in [Kind::Calculate, Kind::Constraint] {
            self.push(node, k);
        }
        if !self.nodes[node as usize].value.is_empty() {
            self.value_changed(node);
        }
    }

    fn push_everything(&mut self) {
        if self.plan.everything.is_empty() {
            return;
        }
        let plan = self.plan.clone();
        for r in &plan.everything {
            self.push_targets(*r, DOC);
        }
    }

    /// Enqueue `reader` on the instances a change at `from` can affect.
    pub(crate) fn push_targets(&mut self, reader: Reader, from: u32) {
        let start = match (reader.mode, self.def_of(from)) {
            (Mode::Contextual, Some(from_def)) => self
                .plan
                .defs
                .common_repeat(reader.def, from_def)
                .and_then(|r| self.ancestor_of_def(from, r))
                .unwrap_or(DOC),
            _ => DOC,
        };
        let mut out: fieldline_xpath::NodeSet<u32> = Default::default();
        self.descend(start, reader.def, &mut out);
        for n in out {
            self.push(n, reader.kind);
        }
    }

    pub(crate) fn eval_bool(&self, c: &Compiled, node: u32, default: bool) -> bool {
        match evaluate_boolean(&c.expr, &Ev(self), node) {
            Ok(b) => b,
            Err(e) => {
                self.note_error(node, &e.to_string());
                default
            }
        }
    }

    pub(crate) fn eval_string(&self, c: &Compiled, node: u32) -> String {
        let ev = Ev(self);
        match evaluate(&c.expr, &ev, node) {
            Ok(v) => v.into_string(&ev).into_owned(),
            Err(e) => {
                self.note_error(node, &e.to_string());
                String::new()
            }
        }
    }

    pub(crate) fn eval_number(&self, c: &Compiled, node: u32) -> f64 {
        let ev = Ev(self);
        match evaluate(&c.expr, &ev, node) {
            Ok(v) => v.to_number(&ev),
            Err(e) => {
                self.note_error(node, &e.to_string());
                f64::NAN
            }
        }
    }

    /// Keep evaluation errors for [`Instance::evaluation_errors`]; the computation falls back
    /// to its default.
    pub(crate) fn note_error(&self, node: u32, message: &str) {
        let mut errors = self.errors.borrow_mut();
        if errors.len() < 100 {
            errors.push(format!("{}: {message}", self.path_of(node)));
        }
    }

    /// Apply dynamic defaults (pyxform's `setvalue` on first load / new repeat) to the given
    /// new nodes that are relevant, in document order.
    pub(crate) fn apply_dynamic_defaults(&mut self, nodes: &[u32]) {
        let plan = self.plan.clone();
        for &n in nodes {
            let inode = &self.nodes[n as usize];
            if !inode.has(ALIVE) || !inode.has(RELEVANT) {
                continue;
            }
            let d = &plan.defs[inode.def as DefId];
            if let Some(c) = &d.dynamic_default {
                let v = self.eval_string(c, n);
                self.store(n, d.normalize(&v));
            }
        }
    }
}
