//! Definitions as the engine sees them: the form's nodes with their expressions compiled
//! (references bound, reads collected), their value kinds, defaults and choice sources.

use std::collections::HashMap;
use std::ops::Index;

use crate::model::{ChoiceSource, Form, NodeId, NodeKind};
use crate::types::QuestionType;

use super::analyze::{compile, Compiled, Site};
use super::codec::ValueKind;
use super::plan::Kind;

/// A definition: the index of its node in [`Form::nodes`].
pub(crate) type DefId = NodeId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DefKind {
    Root,
    Group,
    Repeat,
    Leaf,
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
    /// For a range: `(start, end)`; ODK stores nothing outside them.
    pub bounds: Option<(f64, f64)>,
}

impl Def {
    /// The stored form of a value: the type's codec, then a range's bounds.
    pub fn normalize(&self, value: &str) -> String {
        let stored = self.value.normalize(value);
        match self.bounds {
            Some((start, end)) if !stored.is_empty() => {
                let n = fieldline_xpath::value::js_number(&stored);
                if n >= start && n <= end {
                    stored
                } else {
                    String::new()
                }
            }
            _ => stored,
        }
    }
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

impl Defs {
    /// Compile every definition of a form.
    pub fn build(form: &Form) -> Defs {
        let mut defs = skeleton(form);
        for id in 0..form.nodes.len() {
            compile_def(form, &mut defs, id);
        }
        defs
    }
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
            bounds: range_bounds(n),
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

/// A range's bounds as pyxform writes them (`start` 1 and `end` 10 unless given).
fn range_bounds(node: &crate::model::Node) -> Option<(f64, f64)> {
    if node.question_type() != Some(QuestionType::Range) {
        return None;
    }
    let bound = |key: &str, default: f64| {
        node.parameters
            .get(key)
            .map_or(default, |v| fieldline_xpath::value::js_number(v))
    };
    Some((bound("start", 1.0), bound("end", 10.0)))
}
