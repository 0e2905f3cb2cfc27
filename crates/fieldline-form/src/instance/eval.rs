//! The instance as an XPath document: primary-instance nodes are arena handles, secondary
//! instances (choice lists) are handles offset by [`SECONDARY`]. A non-relevant node reads as
//! `""`, as in ODK.

use std::borrow::Cow;
use std::cmp::Ordering;

use fieldline_xpath::{Context, EvalError, NodeSet};

use super::analyze::{decode_field, Mode};
use super::plan::DefKind;
use super::tree::{DOC, RELEVANT, SECONDARY};
use super::Instance;

/// Evaluation view of an instance.
pub(crate) struct Ev<'a>(pub &'a Instance);

impl Instance {
    /// Resolve a `${name}` reference (decoded) from `context`.
    fn resolve(&self, target: usize, mode: Mode, context: u32, out: &mut NodeSet<u32>) {
        let start = match (mode, context < SECONDARY) {
            (Mode::Contextual, true) => self
                .def_of(context)
                .and_then(|cd| self.plan.defs.common_repeat(cd, target))
                .and_then(|r| self.ancestor_of_def(context, r))
                .unwrap_or(DOC),
            _ => DOC,
        };
        self.descend(start, target, out);
    }

    /// The string value of a primary node: its value if relevant, else `""`; for a container
    /// the concatenation of its leaves.
    pub(crate) fn read(&self, node: u32) -> Cow<'_, str> {
        let n = &self.nodes[node as usize];
        if node == DOC || self.plan.defs[n.def as usize].kind != DefKind::Leaf {
            let mut out = String::new();
            let mut stack: Vec<u32> = n.children.iter().rev().copied().collect();
            while let Some(c) = stack.pop() {
                let cn = &self.nodes[c as usize];
                if cn.children.is_empty() {
                    if cn.has(RELEVANT) {
                        out.push_str(&cn.value);
                    }
                } else {
                    stack.extend(cn.children.iter().rev());
                }
            }
            return Cow::Owned(out);
        }
        if n.has(RELEVANT) {
            Cow::Borrowed(&n.value)
        } else {
            Cow::Borrowed("")
        }
    }
}

impl Context for Ev<'_> {
    type Node = u32;

    fn root(&self, node: u32) -> u32 {
        if node >= SECONDARY {
            SECONDARY + self.0.plan.secondary.document(node - SECONDARY)
        } else {
            DOC
        }
    }

    fn parent(&self, node: u32) -> Option<u32> {
        if node >= SECONDARY {
            let s = &self.0.plan.secondary.nodes[(node - SECONDARY) as usize];
            s.parent.map(|p| p + SECONDARY)
        } else if node == DOC {
            None
        } else {
            Some(self.0.nodes[node as usize].parent)
        }
    }

    fn children(&self, node: u32, name: Option<&str>, out: &mut NodeSet<u32>) {
        let inst = self.0;
        if node >= SECONDARY {
            let sec = &inst.plan.secondary;
            for &c in &sec.nodes[(node - SECONDARY) as usize].children {
                if name.is_none_or(|n| sec.nodes[c as usize].name == n) {
                    out.push(c + SECONDARY);
                }
            }
            return;
        }
        for &c in &inst.nodes[node as usize].children {
            let def = inst.nodes[c as usize].def as usize;
            if name.is_none_or(|n| inst.plan.defs[def].name == n) {
                out.push(c);
            }
        }
    }

    fn name(&self, node: u32) -> &str {
        if node >= SECONDARY {
            return &self.0.plan.secondary.nodes[(node - SECONDARY) as usize].name;
        }
        match self.0.def_of(node) {
            Some(d) => &self.0.plan.defs[d].name,
            None => "",
        }
    }

    fn string_value(&self, node: u32) -> Cow<'_, str> {
        if node >= SECONDARY {
            self.0.plan.secondary.string_value(node - SECONDARY)
        } else {
            self.0.read(node)
        }
    }

    fn document_order(&self, a: u32, b: u32) -> Ordering {
        match (a >= SECONDARY, b >= SECONDARY) {
            (false, false) => {
                let nodes = &self.0.nodes;
                nodes[a as usize].order.cmp(&nodes[b as usize].order)
            }
            _ => a.cmp(&b),
        }
    }

    fn resolve_field(
        &self,
        name: &str,
        context: u32,
        out: &mut NodeSet<u32>,
    ) -> Result<(), EvalError> {
        let inst = self.0;
        let (target, mode) = match decode_field(name) {
            Some(found) => found,
            // A plain name: the path string of jr:choice-name, parsed at run time.
            None => match inst.plan.defs.by_name.get(name) {
                Some(&d) => (d, Mode::Contextual),
                None => return Ok(()),
            },
        };
        inst.resolve(target, mode, context, out);
        Ok(())
    }

    fn instance(&self, id: &str) -> Option<u32> {
        self.0
            .plan
            .secondary
            .documents
            .get(id)
            .map(|&d| d + SECONDARY)
    }

    fn now_millis(&self) -> f64 {
        self.0.env.now_millis
    }

    fn utc_offset_minutes(&self, _epoch_millis: f64) -> i32 {
        self.0.env.utc_offset_minutes
    }

    fn random(&self) -> f64 {
        // SplitMix64: small, seedable, and the same on every platform.
        let mut z = self.0.rng.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.0.rng.set(z);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    fn choice_label(&self, select: u32, value: &str) -> Option<Cow<'_, str>> {
        if select >= SECONDARY || select == DOC {
            return None;
        }
        let inst = self.0;
        let label = inst.choice_label_of(select, value, &inst.language)?;
        Some(Cow::Owned(label))
    }

    fn itext(&self, id: &str) -> Option<Cow<'_, str>> {
        let inst = self.0;
        let (list, index) = id.rsplit_once('-')?;
        let index: usize = index.parse().ok()?;
        let list = inst.plan.form.choice_list(list)?;
        let choice = list.choices.get(index)?;
        Some(Cow::Owned(inst.translate(&choice.label)?.to_string()))
    }
}
