//! A small in-memory document implementing `Context` for the tests.
#![allow(dead_code)]

use std::borrow::Cow;
use std::cell::Cell;

use fieldline_xpath::{evaluate, parse, Context, EvalError, NodeSet, Value};

#[derive(Debug)]
struct NodeData {
    name: String,
    value: String,
    parent: Option<usize>,
    children: Vec<usize>,
    attrs: Vec<usize>,
}

/// Node handles are allocated in document order, so `Ord` is document order.
pub struct Doc {
    nodes: Vec<NodeData>,
    instances: Vec<(String, usize)>,
    pub now: f64,
    pub offset_minutes: i32,
    seed: Cell<u64>,
    pub labels: Vec<(usize, String, String)>,
}

impl Doc {
    /// A document node (index 0) with a top element `data`.
    pub fn new() -> Doc {
        let mut d = Doc {
            nodes: Vec::new(),
            instances: Vec::new(),
            // 2024-05-05T10:20:30.123Z, a Sunday.
            now: 1_714_904_430_123.0,
            offset_minutes: 0,
            seed: Cell::new(42),
            labels: Vec::new(),
        };
        d.push(None, "", "");
        d.push(Some(0), "data", "");
        d
    }

    fn push(&mut self, parent: Option<usize>, name: &str, value: &str) -> usize {
        let id = self.nodes.len();
        self.nodes.push(NodeData {
            name: name.into(),
            value: value.into(),
            parent,
            children: Vec::new(),
            attrs: Vec::new(),
        });
        if let Some(p) = parent {
            self.nodes[p].children.push(id);
        }
        id
    }

    pub fn data(&self) -> usize {
        1
    }

    /// Append an element (build depth-first to keep document order).
    pub fn el(&mut self, parent: usize, name: &str, value: &str) -> usize {
        self.push(Some(parent), name, value)
    }

    pub fn attr(&mut self, owner: usize, name: &str, value: &str) -> usize {
        let id = self.nodes.len();
        self.nodes.push(NodeData {
            name: name.into(),
            value: value.into(),
            parent: Some(owner),
            children: Vec::new(),
            attrs: Vec::new(),
        });
        self.nodes[owner].attrs.push(id);
        id
    }

    pub fn set(&mut self, node: usize, value: &str) {
        self.nodes[node].value = value.into();
    }

    /// A secondary instance `id` whose document node has a `root` of `item`s with fields.
    pub fn choices(&mut self, id: &str, items: &[&[(&str, &str)]]) -> usize {
        let doc = self.push(None, "", "");
        let root = self.el(doc, "root", "");
        for fields in items {
            let item = self.el(root, "item", "");
            for (k, v) in *fields {
                self.el(item, k, v);
            }
        }
        self.instances.push((id.into(), doc));
        doc
    }

    pub fn find(&self, name: &str) -> usize {
        self.nodes.iter().position(|n| n.name == name).expect(name)
    }

    /// Evaluate at `node`, panicking on errors.
    pub fn eval_at(&self, node: usize, src: &str) -> Value<'static, usize> {
        let expr = parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        let v = evaluate(&expr, self, node).unwrap_or_else(|e| panic!("{src}: {e}"));
        // Detach borrowed strings so the expression can be dropped.
        match v {
            Value::String(s) => Value::String(Cow::Owned(s.into_owned())),
            Value::Boolean(b) => Value::Boolean(b),
            Value::Number(n) => Value::Number(n),
            Value::NodeSet(n) => Value::NodeSet(n),
            Value::Date(d) => Value::Date(d),
        }
    }

    pub fn str_at(&self, node: usize, src: &str) -> String {
        self.eval_at(node, src).to_str(self).into_owned()
    }

    pub fn str(&self, src: &str) -> String {
        self.str_at(self.data(), src)
    }

    pub fn num(&self, src: &str) -> f64 {
        self.eval_at(self.data(), src).to_number(self)
    }

    pub fn bool(&self, src: &str) -> bool {
        self.eval_at(self.data(), src).to_boolean()
    }

    pub fn err(&self, src: &str) -> EvalError {
        let expr = parse(src).unwrap();
        evaluate(&expr, self, self.data()).expect_err(src)
    }
}

impl Context for Doc {
    type Node = usize;

    fn root(&self, mut node: usize) -> usize {
        while let Some(p) = self.nodes[node].parent {
            node = p;
        }
        node
    }

    fn parent(&self, node: usize) -> Option<usize> {
        self.nodes[node].parent
    }

    fn children(&self, node: usize, name: Option<&str>, out: &mut NodeSet<usize>) {
        out.extend(
            self.nodes[node]
                .children
                .iter()
                .copied()
                .filter(|&c| name.is_none_or(|n| self.nodes[c].name == n)),
        );
    }

    fn attributes(&self, node: usize, name: Option<&str>, out: &mut NodeSet<usize>) {
        out.extend(
            self.nodes[node]
                .attrs
                .iter()
                .copied()
                .filter(|&c| name.is_none_or(|n| self.nodes[c].name == n)),
        );
    }

    fn name(&self, node: usize) -> &str {
        &self.nodes[node].name
    }

    fn string_value(&self, node: usize) -> Cow<'_, str> {
        Cow::Borrowed(&self.nodes[node].value)
    }

    /// Every element of that name in the primary instance, except that inside a repeat
    /// instance a name found in the same instance resolves to that one (ODK's rule).
    fn resolve_field(
        &self,
        name: &str,
        context: usize,
        out: &mut NodeSet<usize>,
    ) -> Result<(), EvalError> {
        // Written without temporary collections so the no-allocation test measures the
        // evaluator, not this fixture.
        let is_match = |i: usize| {
            self.nodes[i].name == name && self.nodes[i].parent.is_some() && self.root(i) == 0
        };
        let total = (0..self.nodes.len()).filter(|&i| is_match(i)).count();
        if total == 0 {
            return Err(EvalError::Context(format!("no question named {name}")));
        }
        if total > 1 {
            let mut anc = self.nodes[context].parent;
            while let Some(a) = anc {
                if a != 1 && self.nodes[a].children.iter().any(|&c| is_match(c)) {
                    out.extend(
                        self.nodes[a]
                            .children
                            .iter()
                            .copied()
                            .filter(|&c| is_match(c)),
                    );
                    return Ok(());
                }
                anc = self.nodes[a].parent;
            }
        }
        out.extend((0..self.nodes.len()).filter(|&i| is_match(i)));
        Ok(())
    }

    fn instance(&self, id: &str) -> Option<usize> {
        self.instances
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, d)| *d)
    }

    fn now_millis(&self) -> f64 {
        self.now
    }

    fn utc_offset_minutes(&self, _: f64) -> i32 {
        self.offset_minutes
    }

    fn random(&self) -> f64 {
        // xorshift64*, deterministic for the tests.
        let mut x = self.seed.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.seed.set(x);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn choice_label(&self, select: usize, value: &str) -> Option<Cow<'_, str>> {
        self.labels
            .iter()
            .find(|(n, v, _)| *n == select && v == value)
            .map(|(_, _, l)| Cow::Borrowed(l.as_str()))
    }

    fn itext(&self, id: &str) -> Option<Cow<'_, str>> {
        (id == "greeting").then_some(Cow::Borrowed("Namaste"))
    }
}
