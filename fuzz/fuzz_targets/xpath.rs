//! The expression language on arbitrary text: parsing never panics or overflows the stack;
//! what parses prints, and evaluates against a small instance (a household with repeated
//! members) to a value or an error, never a panic.
#![no_main]

use std::borrow::Cow;

use fieldline_xpath::{evaluate, parse, Context, EvalError, NodeSet};
use libfuzzer_sys::fuzz_target;

/// A tiny primary instance: `/data` with `a`, `b`, `d` and three `hh` with `age`, in document
/// order (handles are indices, so `Ord` is document order). Node 0 is the document node.
struct Household;

const NODES: &[(&str, &str, Option<usize>)] = &[
    ("", "", None),
    ("data", "", Some(0)),
    ("a", "yes", Some(1)),
    ("b", "5", Some(1)),
    ("d", "2024-01-15", Some(1)),
    ("hh", "", Some(1)),
    ("age", "30", Some(5)),
    ("hh", "", Some(1)),
    ("age", "12", Some(7)),
    ("hh", "", Some(1)),
    ("age", "", Some(9)),
];

impl Context for Household {
    type Node = usize;

    fn root(&self, _node: usize) -> usize {
        0
    }

    fn parent(&self, node: usize) -> Option<usize> {
        NODES[node].2
    }

    fn children(&self, node: usize, name: Option<&str>, out: &mut NodeSet<usize>) {
        out.extend(
            (0..NODES.len())
                .filter(|&i| NODES[i].2 == Some(node) && name.is_none_or(|n| NODES[i].0 == n)),
        );
    }

    fn name(&self, node: usize) -> &str {
        NODES[node].0
    }

    fn string_value(&self, node: usize) -> Cow<'_, str> {
        Cow::Borrowed(NODES[node].1)
    }

    fn resolve_field(
        &self,
        name: &str,
        _context: usize,
        out: &mut NodeSet<usize>,
    ) -> Result<(), EvalError> {
        out.extend((0..NODES.len()).filter(|&i| NODES[i].0 == name));
        Ok(())
    }

    fn instance(&self, _id: &str) -> Option<usize> {
        None
    }

    fn now_millis(&self) -> f64 {
        1_714_904_430_123.0
    }

    fn random(&self) -> f64 {
        0.5
    }
}

fuzz_target!(|bytes: &[u8]| {
    let Ok(src) = std::str::from_utf8(bytes) else {
        return;
    };
    let Ok(expr) = parse(src) else {
        return;
    };
    let _ = expr.to_string();
    let _ = expr.field_refs();
    // At /data and inside the second household, as a calculation inside a repeat runs.
    for node in [1, 7] {
        if let Ok(value) = evaluate(&expr, &Household, node) {
            let _ = value.to_str(&Household);
            let _ = value.to_number(&Household);
        }
    }
});
