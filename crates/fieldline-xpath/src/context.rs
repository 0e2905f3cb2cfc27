//! The document an expression is evaluated against, as the form layer exposes it.
//!
//! The trait is deliberately small: tree navigation over `Copy` handles, string values as
//! borrowed text, and the few environmental inputs (clock, time zone, randomness, labels) that
//! make evaluation deterministic under test. Everything else (axes, predicates, coercions,
//! functions) is built on top by the evaluator.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt::Debug;

use smallvec::SmallVec;

use crate::error::EvalError;

/// A node-set: Copy handles, inline up to four (most form references select one node).
pub type NodeSet<N> = SmallVec<[N; 4]>;

pub trait Context {
    /// A handle to an element or attribute of the primary or a secondary instance.
    type Node: Copy + Eq + Ord + Debug;

    /// The document node above the top element of `node`'s instance (what `/` selects).
    fn root(&self, node: Self::Node) -> Self::Node;

    /// The parent (element or document node); `None` for a document node.
    fn parent(&self, node: Self::Node) -> Option<Self::Node>;

    /// Append the element children of `node` in document order, only those named `name`
    /// when given (names compared as written, prefix included). Attributes are not children.
    fn children(&self, node: Self::Node, name: Option<&str>, out: &mut NodeSet<Self::Node>);

    /// Append the attributes of `node` (only the one named `name` when given). Instances
    /// without attributes can keep the default.
    fn attributes(&self, node: Self::Node, name: Option<&str>, out: &mut NodeSet<Self::Node>) {
        let _ = (node, name, out);
    }

    /// The node's name as written (`hh`, `jr:template`); empty for a document node.
    fn name(&self, node: Self::Node) -> &str;

    /// The XPath string value: a leaf's answer as its XForm string. (For a group, XPath wants
    /// the concatenated text of its descendants; forms rarely rely on that.)
    fn string_value(&self, node: Self::Node) -> Cow<'_, str>;

    /// Document order of two nodes of the same instance. The default is the handles' `Ord`,
    /// which is right when handles are allocated in document order.
    fn document_order(&self, a: Self::Node, b: Self::Node) -> Ordering {
        a.cmp(&b)
    }

    /// Append the nodes `${name}` denotes when evaluated at `context` (the form layer applies
    /// ODK's rules, including contextualisation inside repeats).
    fn resolve_field(
        &self,
        name: &str,
        context: Self::Node,
        out: &mut NodeSet<Self::Node>,
    ) -> Result<(), EvalError>;

    /// The document node of the secondary instance `id` (`instance('id')`); `None` when the
    /// form has no such instance (ODK then yields an empty node-set).
    fn instance(&self, id: &str) -> Option<Self::Node>;

    /// The current instant in milliseconds since 1970-01-01T00:00:00Z (for `now()`/`today()`).
    fn now_millis(&self) -> f64;

    /// The local time zone's offset from UTC in minutes at the given instant (ODK evaluates
    /// dates in the device's zone). The default is UTC.
    fn utc_offset_minutes(&self, epoch_millis: f64) -> i32 {
        let _ = epoch_millis;
        0
    }

    /// A uniformly distributed number in [0, 1): `random()`, `uuid()` and unseeded
    /// `randomize()` draw from it, so callers decide how (and whether) to seed.
    fn random(&self) -> f64;

    /// The label of choice `value` of the select question `select` in the current language
    /// (`jr:choice-name`). `None` if the node has no choices.
    fn choice_label(&self, select: Self::Node, value: &str) -> Option<Cow<'_, str>> {
        let _ = (select, value);
        None
    }

    /// The translated text with itext `id` in the current language (`jr:itext`).
    fn itext(&self, id: &str) -> Option<Cow<'_, str>> {
        let _ = id;
        None
    }
}
