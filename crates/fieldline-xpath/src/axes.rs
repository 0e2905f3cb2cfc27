//! Location steps: axes and node tests over the [`Context`] tree.

use crate::ast::{Axis, NodeTest, Step};
use crate::context::{Context, NodeSet};
use crate::eval::{Evaluator, Res};

impl<'a, C: Context> Evaluator<'a, C> {
    /// Apply one step to every node of `input`, returning the union in document order.
    pub(crate) fn step(&self, step: &'a Step, input: &[C::Node]) -> Res<NodeSet<C::Node>> {
        let mut out = NodeSet::new();
        for &node in input {
            let mut selected = NodeSet::new();
            if let NodeTest::Field(name) = &step.test {
                self.ctx.resolve_field(name, node, &mut selected)?;
            } else {
                self.axis(step.axis, &step.test, node, &mut selected);
            }
            // Predicates see proximity positions: reverse axes were collected nearest first.
            for pred in &step.predicates {
                selected = self.filter(selected, pred)?;
            }
            out.extend(selected);
        }
        // One input node on a forward axis already yields document order without duplicates;
        // anything else is normalised.
        if input.len() > 1 || step.axis.is_reverse() || matches!(step.test, NodeTest::Field(_)) {
            self.sort_dedup(&mut out);
        }
        Ok(out)
    }

    fn matches(&self, test: &NodeTest, node: C::Node) -> bool {
        match test {
            NodeTest::Node => true,
            NodeTest::Name(name) => self.ctx.name(node) == name,
            NodeTest::Any => !self.ctx.name(node).is_empty(),
            NodeTest::AnyWithPrefix(prefix) => self
                .ctx
                .name(node)
                .strip_prefix(prefix.as_str())
                .is_some_and(|rest| rest.starts_with(':')),
            NodeTest::Text
            | NodeTest::Comment
            | NodeTest::ProcessingInstruction
            | NodeTest::Field(_) => false,
        }
    }

    /// Nodes on `axis` from `node` that pass `test`, in proximity order (nearest first).
    fn axis(&self, axis: Axis, test: &NodeTest, node: C::Node, out: &mut NodeSet<C::Node>) {
        let ctx = self.ctx;
        match axis {
            Axis::Child => match test {
                // Let the context use its name index.
                NodeTest::Name(name) => ctx.children(node, Some(name), out),
                NodeTest::Any | NodeTest::Node => ctx.children(node, None, out),
                _ => {
                    let mut all = NodeSet::new();
                    ctx.children(node, None, &mut all);
                    out.extend(all.into_iter().filter(|&n| self.matches(test, n)));
                }
            },
            Axis::Attribute => match test {
                NodeTest::Name(name) => ctx.attributes(node, Some(name), out),
                NodeTest::Any | NodeTest::Node => ctx.attributes(node, None, out),
                _ => {
                    let mut all = NodeSet::new();
                    ctx.attributes(node, None, &mut all);
                    out.extend(all.into_iter().filter(|&n| self.matches(test, n)));
                }
            },
            Axis::SelfAxis => {
                if self.matches(test, node) {
                    out.push(node);
                }
            }
            Axis::Parent => {
                if let Some(p) = ctx.parent(node).filter(|&p| self.matches(test, p)) {
                    out.push(p);
                }
            }
            Axis::Ancestor | Axis::AncestorOrSelf => {
                let mut cur = if axis == Axis::AncestorOrSelf {
                    Some(node)
                } else {
                    ctx.parent(node)
                };
                while let Some(n) = cur {
                    if self.matches(test, n) {
                        out.push(n);
                    }
                    cur = ctx.parent(n);
                }
            }
            Axis::Descendant | Axis::DescendantOrSelf => {
                if axis == Axis::DescendantOrSelf && self.matches(test, node) {
                    out.push(node);
                }
                self.descendants(test, node, out);
            }
            Axis::FollowingSibling | Axis::PrecedingSibling => {
                let siblings = self.siblings(node);
                let Some(at) = siblings.iter().position(|&s| s == node) else {
                    return;
                };
                if axis == Axis::FollowingSibling {
                    out.extend(
                        siblings[at + 1..]
                            .iter()
                            .copied()
                            .filter(|&s| self.matches(test, s)),
                    );
                } else {
                    out.extend(
                        siblings[..at]
                            .iter()
                            .rev()
                            .copied()
                            .filter(|&s| self.matches(test, s)),
                    );
                }
            }
            Axis::Following | Axis::Preceding => {
                // Siblings of each ancestor-or-self, with their subtrees.
                let mut cur = Some(node);
                let mut found = NodeSet::new();
                while let Some(n) = cur {
                    let siblings = self.siblings(n);
                    if let Some(at) = siblings.iter().position(|&s| s == n) {
                        let range: Vec<C::Node> = if axis == Axis::Following {
                            siblings[at + 1..].to_vec()
                        } else {
                            siblings[..at].to_vec()
                        };
                        for s in range {
                            if self.matches(test, s) {
                                found.push(s);
                            }
                            self.descendants(test, s, &mut found);
                        }
                    }
                    cur = ctx.parent(n);
                }
                found.sort_by(|a, b| ctx.document_order(*a, *b));
                found.dedup();
                if axis == Axis::Preceding {
                    found.reverse();
                }
                out.extend(found);
            }
        }
    }

    fn descendants(&self, test: &NodeTest, node: C::Node, out: &mut NodeSet<C::Node>) {
        let mut children = NodeSet::new();
        self.ctx.children(node, None, &mut children);
        for child in children {
            if self.matches(test, child) {
                out.push(child);
            }
            self.descendants(test, child, out);
        }
    }

    /// All element children of `node`'s parent (including `node`), in document order.
    pub(crate) fn siblings(&self, node: C::Node) -> NodeSet<C::Node> {
        let mut out = NodeSet::new();
        if let Some(parent) = self.ctx.parent(node) {
            self.ctx.children(parent, None, &mut out);
        }
        out
    }

    /// Whether `node` is `ancestor` or inside it.
    pub(crate) fn is_within(&self, ancestor: C::Node, node: C::Node) -> bool {
        let mut cur = Some(node);
        while let Some(n) = cur {
            if n == ancestor {
                return true;
            }
            cur = self.ctx.parent(n);
        }
        false
    }
}
