//! The compiled form: what every instance of a form shares. Built once per form (an instance
//! holds it in an `Arc`), it binds every expression to definitions, lists for each definition
//! the computations that read it, and ranks all computations in topological order so a
//! change recomputes only its dependents, each once, inputs first.

use std::collections::HashMap;
use std::ops::Index;
use std::sync::Arc;

use crate::model::{ChoiceSource, Form, NodeId, NodeKind};
use crate::types::QuestionType;

use super::analyze::{compile, Compiled, Mode, Read, Site};
use super::codec::ValueKind;
use super::secondary::Secondary;

/// A definition: the index of its node in [`Form::nodes`].
pub(crate) type DefId = NodeId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DefKind {
    Root,
    Group,
    Repeat,
    Leaf,
}

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

/// A definition as the engine sees it.
#[derive(Debug)]
pub(crate) struct Def {
    pub name: String,
    pub kind: DefKind,
    pub parent: Option<DefId>,
    /// Children that exist in the primary instance, in document order.
    pub children: Vec<DefId>,
    /// Repeat ancestors-or-self, outermost first.
    pub repeats: Vec<DefId>,
    /// Definitions from the root down to this one (inclusive).
    pub chain: Vec<DefId>,
    pub value: ValueKind,
    pub relevant: Option<Compiled>,
    pub readonly: Option<Compiled>,
    pub required: Option<Compiled>,
    pub constraint: Option<Compiled>,
    /// A calculation that runs whenever its inputs change (no `trigger`).
    pub calculate: Option<Compiled>,
    /// A calculation that runs only when one of these questions changes.
    pub trigger: Option<(Vec<Compiled>, Compiled)>,
    pub choice_filter: Option<Compiled>,
    /// For a container: `(repeat child, count expression)` of its count-controlled repeats.
    pub counts: Vec<(DefId, Compiled)>,
    /// Whether this repeat's instances are set by `repeat_count`.
    pub counted: bool,
    pub static_default: Option<String>,
    pub dynamic_default: Option<Compiled>,
    /// For a select: where its choices come from.
    pub options: Options,
}

/// Where a select's choices come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Options {
    None,
    /// A choice list (index into [`Form::choice_lists`]), possibly filtered.
    List(usize),
    /// The current answers to another (repeated) question.
    Answers(DefId),
    /// An attachment that was not supplied: no choices.
    Missing,
}

/// All definitions, with name lookup.
#[derive(Debug)]
pub(crate) struct Defs {
    pub defs: Vec<Def>,
    pub by_name: HashMap<String, DefId>,
}

impl Index<DefId> for Defs {
    type Output = Def;
    fn index(&self, i: DefId) -> &Def {
        &self.defs[i]
    }
}

impl Defs {
    /// The compiled expressions of a computation.
    pub(crate) fn exprs(&self, def: DefId, kind: Kind) -> Vec<&Compiled> {
        let d = &self[def];
        match kind {
            Kind::Relevant => d.relevant.iter().collect(),
            Kind::Readonly => d.readonly.iter().collect(),
            Kind::Required => d.required.iter().collect(),
            Kind::Constraint => d.constraint.iter().collect(),
            Kind::Calculate => d.calculate.iter().collect(),
            Kind::Trigger => d
                .trigger
                .iter()
                .flat_map(|(sources, _)| sources.iter())
                .collect(),
            Kind::Options => d.choice_filter.iter().collect(),
            Kind::Count => d.counts.iter().map(|(_, c)| c).collect(),
        }
    }

    /// Whether instances of `def` carry this computation at all.
    pub(crate) fn has(&self, def: DefId, kind: Kind) -> bool {
        let d = &self[def];
        match kind {
            Kind::Relevant | Kind::Readonly => true,
            Kind::Required => d.required.is_some(),
            Kind::Constraint => d.constraint.is_some(),
            Kind::Calculate => d.calculate.is_some(),
            Kind::Trigger => d.trigger.is_some(),
            Kind::Options => d.options != Options::None,
            Kind::Count => !d.counts.is_empty(),
        }
    }

    /// The innermost repeat that `a` and `b` are both in (or are).
    pub fn common_repeat(&self, a: DefId, b: DefId) -> Option<DefId> {
        self[a]
            .repeats
            .iter()
            .zip(&self[b].repeats)
            .take_while(|(x, y)| x == y)
            .last()
            .map(|(x, _)| *x)
    }
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
}

impl Plan {
    /// Compile a form for the engine. The form must have loaded without problems (as
    /// [`Form::from_xlsform`] guarantees).
    pub fn new(form: Arc<Form>) -> Plan {
        let mut defs = skeleton(&form);
        for id in 0..form.nodes.len() {
            compile_def(&form, &mut defs, id);
        }
        let mut plan = Plan {
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

/// Definitions without expressions: kinds, tree, repeat chains, names.
fn skeleton(form: &Form) -> Defs {
    let mut defs = Vec::with_capacity(form.nodes.len());
    let mut by_name = HashMap::new();
    for n in &form.nodes {
        let kind = match n.kind {
            NodeKind::Root => DefKind::Root,
            NodeKind::Group => DefKind::Group,
            NodeKind::Repeat => DefKind::Repeat,
            NodeKind::Question(_) => DefKind::Leaf,
        };
        let parent_def: Option<&Def> = n.parent.map(|p| &defs[p]);
        let mut repeats = parent_def.map(|p| p.repeats.clone()).unwrap_or_default();
        let mut chain = parent_def.map(|p| p.chain.clone()).unwrap_or_default();
        if kind == DefKind::Repeat {
            repeats.push(n.id);
        }
        chain.push(n.id);
        let children = n
            .children
            .iter()
            .copied()
            .filter(|&c| form.nodes[c].in_instance)
            .collect();
        if n.in_instance {
            by_name.entry(n.name.clone()).or_insert(n.id);
        }
        defs.push(Def {
            name: n.name.clone(),
            kind,
            parent: n.parent,
            children,
            repeats,
            chain,
            value: ValueKind::of(n),
            relevant: None,
            readonly: None,
            required: None,
            constraint: None,
            calculate: None,
            trigger: None,
            choice_filter: None,
            counts: Vec::new(),
            counted: n.repeat_count.is_some(),
            static_default: None,
            dynamic_default: None,
            options: Options::None,
        });
    }
    Defs { defs, by_name }
}

fn compile_def(form: &Form, defs: &mut Defs, id: DefId) {
    let node = &form.nodes[id];
    if !node.in_instance {
        return;
    }
    let bind = |e: &Option<crate::Expression>, defs: &Defs| {
        e.as_ref().map(|e| compile(defs, id, e.expr(), Site::Bind))
    };
    let relevant = bind(&node.bind.relevant, defs);
    let readonly = bind(&node.bind.readonly, defs);
    let required = bind(&node.bind.required, defs);
    let constraint = bind(&node.bind.constraint, defs);
    let calculation = bind(&node.bind.calculate, defs);
    let choice_filter = node
        .choice_filter
        .as_ref()
        .map(|e| compile(defs, id, e.expr(), Site::ChoiceFilter));
    let counts: Vec<(DefId, Compiled)> = node
        .children
        .iter()
        .filter_map(|&c| {
            let count = form.nodes[c].repeat_count.as_ref()?;
            Some((c, compile(defs, c, count.expr(), Site::Bind)))
        })
        .collect();
    let (static_default, dynamic_default) = default_of(form, defs, id);
    let trigger = if node.trigger.is_empty() {
        None
    } else {
        let sources = node
            .trigger
            .iter()
            .filter_map(|t| fieldline_xpath::parse(&format!("${{{t}}}")).ok())
            .map(|e| compile(defs, id, &e, Site::Bind))
            .collect();
        let calc = calculation.clone().unwrap_or_else(|| {
            compile(
                defs,
                id,
                &fieldline_xpath::Expr::Literal(String::new()),
                Site::Bind,
            )
        });
        Some((sources, calc))
    };
    let options = match &node.choices {
        None => Options::None,
        Some(ChoiceSource::List { list }) => list_index(form, list),
        Some(ChoiceSource::File { file, loaded, .. }) if *loaded => list_index(form, file),
        Some(ChoiceSource::File { .. }) => Options::Missing,
        Some(ChoiceSource::PreviousAnswers { reference }) => {
            let name = reference
                .trim()
                .trim_start_matches("${")
                .trim_end_matches('}');
            match defs.by_name.get(name) {
                Some(&d) => Options::Answers(d),
                None => Options::Missing,
            }
        }
        Some(ChoiceSource::External { .. }) => Options::None,
    };
    let options = match node.question_type() {
        Some(QuestionType::SelectOneExternal) => Options::None,
        _ => options,
    };
    // Options read the answers they offer.
    let choice_filter = match (&options, choice_filter) {
        (Options::Answers(d), None) => {
            let e = fieldline_xpath::Expr::Field(defs[*d].name.clone());
            Some(compile(defs, id, &e, Site::Bind))
        }
        (_, f) => f,
    };
    let d = &mut defs.defs[id];
    d.relevant = relevant;
    d.readonly = readonly;
    d.required = required;
    d.constraint = constraint;
    d.calculate = if trigger.is_some() { None } else { calculation };
    d.trigger = trigger;
    d.choice_filter = choice_filter;
    d.counts = counts;
    d.static_default = static_default;
    d.dynamic_default = dynamic_default;
    d.options = options;
}

fn list_index(form: &Form, name: &str) -> Options {
    match form.choice_lists.iter().position(|l| l.name == name) {
        Some(i) => Options::List(i),
        None => Options::Missing,
    }
}

/// A `default` is either a stored value or, when pyxform would make it a `setvalue` action, an
/// expression evaluated when the instance (or the repeat instance) is created.
fn default_of(form: &Form, defs: &Defs, id: DefId) -> (Option<String>, Option<Compiled>) {
    let node = &form.nodes[id];
    let Some(text) = node.default.as_deref().filter(|t| !t.is_empty()) else {
        return (None, None);
    };
    let date_like = node.question_type().is_some_and(|q| {
        use crate::types::DataType::*;
        matches!(
            q.data_type(),
            Date | DateTime | Geopoint | Geotrace | Geoshape
        )
    });
    if crate::fields::default_is_dynamic(text, date_like) {
        match fieldline_xpath::parse(text) {
            Ok(e) => (None, Some(compile(defs, id, &e, Site::Bind))),
            Err(_) => (Some(text.to_string()), None),
        }
    } else {
        (Some(text.to_string()), None)
    }
}
