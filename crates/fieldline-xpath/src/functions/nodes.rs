//! Node-set, context, checklist and select functions.

use std::borrow::Cow;

use crate::ast::Expr;
use crate::context::{Context, NodeSet};
use crate::error::EvalError;
use crate::eval::{Evaluator, Focus, Res, V};
use crate::func::Func;
use crate::value::{is_xml_space, Value};

impl<'a, C: Context> Evaluator<'a, C> {
    /// ODK's truthiness of one item of a node-set: a node is true when it has a non-blank
    /// value (so `checklist()` counts answered questions, not existing ones).
    fn item_truthy(&self, v: &V<'a, C>) -> bool {
        match v {
            Value::NodeSet(nodes) if nodes.len() == 1 => !self
                .ctx
                .string_value(nodes[0])
                .trim_matches(is_xml_space)
                .is_empty(),
            other => other.to_boolean(),
        }
    }

    pub(crate) fn checklist(
        &self,
        func: Func,
        args: &'a [Expr],
        f: Focus<C::Node>,
    ) -> Res<V<'a, C>> {
        let min = self.eval_number(&args[0], f)?;
        let mut max = self.eval_number(&args[1], f)?;
        if max == -1.0 {
            if min < 1.0 {
                return Ok(Value::Boolean(true));
            }
            max = f64::INFINITY;
        }
        let mut satisfied = 0.0;
        if func == Func::Checklist {
            for arg in &args[2..] {
                for item in self.items(arg, f)? {
                    if self.item_truthy(&item) {
                        satisfied += 1.0;
                        if satisfied > max {
                            return Ok(Value::Boolean(false));
                        }
                    }
                }
            }
        } else {
            let rest = &args[2..];
            if !rest.len().is_multiple_of(2) {
                return Err(EvalError::func(
                    "weighted-checklist",
                    "must be given an even number of arguments",
                ));
            }
            for pair in rest.chunks(2) {
                let results = self.items(&pair[0], f)?;
                let weights = self.items(&pair[1], f)?;
                for (j, weight) in weights.iter().enumerate() {
                    let Some(result) = results.get(j) else {
                        return Ok(Value::Boolean(false));
                    };
                    if self.item_truthy(result) {
                        satisfied += weight.to_number(self.ctx);
                        if satisfied > max {
                            return Ok(Value::Boolean(false));
                        }
                    }
                }
            }
        }
        Ok(Value::Boolean(satisfied >= min))
    }

    pub(crate) fn node_function(
        &self,
        func: Func,
        args: &'a [Expr],
        f: Focus<C::Node>,
    ) -> Res<V<'a, C>> {
        let ctx = self.ctx;
        match func {
            Func::Count => Ok(Value::Number(self.eval_nodes(&args[0], f)?.len() as f64)),
            Func::CountNonEmpty => {
                let nodes = self.eval_nodes(&args[0], f)?;
                let n = nodes
                    .iter()
                    .filter(|&&n| !ctx.string_value(n).is_empty())
                    .count();
                Ok(Value::Number(n as f64))
            }
            Func::Current => Ok(Value::NodeSet(smallvec::smallvec![self.current])),
            Func::Last => Ok(Value::Number(f.size as f64)),
            Func::Position => {
                let Some(arg) = args.first() else {
                    return Ok(Value::Number(f.position as f64));
                };
                // ODK's position(node): 1 + the number of immediately preceding siblings with
                // the same name (the node's index among its repeat instances).
                let nodes = self.eval_nodes(arg, f)?;
                match nodes.as_slice() {
                    [] => Ok(Value::Number(f64::NAN)),
                    [node] => {
                        let siblings = self.siblings(*node);
                        let name = ctx.name(*node);
                        let at = siblings.iter().position(|s| s == node).unwrap_or(0);
                        let same = siblings[..at]
                            .iter()
                            .rev()
                            .take_while(|&&s| ctx.name(s) == name)
                            .count();
                        Ok(Value::Number((same + 1) as f64))
                    }
                    _ => Err(EvalError::func("position", "expected a single node")),
                }
            }
            Func::LocalName | Func::Name => {
                let v = self.arg_or_context(args, f)?;
                let Value::NodeSet(nodes) = v else {
                    return Err(EvalError::NotANodeSet {
                        found: v.type_name(),
                    });
                };
                let name = nodes.first().map_or("", |&n| ctx.name(n));
                let name = if func == Func::LocalName {
                    name.rsplit(':').next().unwrap_or(name)
                } else {
                    name
                };
                Ok(Value::String(Cow::Owned(name.to_string())))
            }
            Func::Instance => {
                let id = self.eval_string(&args[0], f)?;
                Ok(Value::NodeSet(ctx.instance(&id).into_iter().collect()))
            }
            Func::Once => {
                let own = ctx.string_value(f.node);
                if own.is_empty() {
                    Ok(Value::String(self.eval_string(&args[0], f)?))
                } else {
                    Ok(Value::String(own))
                }
            }
            Func::IndexedRepeat => self.indexed_repeat(args, f),
            Func::Randomize => self.randomize(args, f),
            _ => unreachable!("{func:?} is dispatched elsewhere"),
        }
    }

    /// `indexed-repeat(target, repeat1, index1, [repeat2, index2, ...])`: every argument is
    /// evaluated in the calling context; pairs are applied outermost repeat first and each
    /// picks the n-th instance inside the previously picked one.
    fn indexed_repeat(&self, args: &'a [Expr], f: Focus<C::Node>) -> Res<V<'a, C>> {
        let mut pairs: Vec<(NodeSet<C::Node>, f64)> = Vec::new();
        for pair in args[1..].chunks(2) {
            let [repeats, index] = pair else {
                return Err(EvalError::func(
                    "indexed-repeat",
                    "each repeat needs an index",
                ));
            };
            let position = self.eval_number(index, f)?;
            if position.is_nan() {
                return Ok(Value::NodeSet(NodeSet::new()));
            }
            let repeats = self.eval_nodes(repeats, f)?;
            if repeats.is_empty() {
                return Ok(Value::NodeSet(NodeSet::new()));
            }
            pairs.push((repeats, position));
        }
        // Outer repeats contain inner ones; order pairs by containment.
        pairs.sort_by(|(a, _), (b, _)| {
            let contains = |outer: &NodeSet<C::Node>, inner: &NodeSet<C::Node>| {
                outer
                    .iter()
                    .any(|&o| inner.iter().any(|&i| o != i && self.is_within(o, i)))
            };
            if contains(a, b) {
                std::cmp::Ordering::Less
            } else if contains(b, a) {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        });
        let mut chosen: Option<C::Node> = None;
        for (repeats, position) in pairs {
            let candidates: NodeSet<C::Node> = match chosen {
                Some(outer) => repeats
                    .into_iter()
                    .filter(|&r| self.is_within(outer, r))
                    .collect(),
                None => repeats,
            };
            let picked = (position >= 1.0 && position.fract() == 0.0)
                .then(|| candidates.get(position as usize - 1).copied())
                .flatten();
            match picked {
                Some(p) => chosen = Some(p),
                None => return Ok(Value::NodeSet(NodeSet::new())),
            }
        }
        let targets = self.eval_nodes(&args[0], f)?;
        let Some(scope) = chosen else {
            return Ok(Value::NodeSet(targets));
        };
        Ok(Value::NodeSet(
            targets
                .into_iter()
                .filter(|&t| self.is_within(scope, t))
                .collect(),
        ))
    }

    /// `randomize(nodes[, seed])`: ODK's (and JavaRosa's) Park–Miller shuffle, so a seeded
    /// order matches theirs exactly.
    fn randomize(&self, args: &'a [Expr], f: Focus<C::Node>) -> Res<V<'a, C>> {
        let nodes = self.eval_nodes(&args[0], f)?;
        let mut rng = match args.get(1) {
            None => None,
            Some(e) => {
                let seed = self.eval(e, f)?;
                let x = seed.to_number(self.ctx);
                let seed = if x.is_nan() {
                    let s = seed.to_str(self.ctx);
                    if s.is_empty() {
                        0
                    } else {
                        super::hash::sha256_seed(&s)
                    }
                } else {
                    java_long(x)
                };
                Some(ParkMiller::new(seed))
            }
        };
        let mut out: Vec<C::Node> = Vec::with_capacity(nodes.len());
        for (i, &node) in nodes.iter().enumerate() {
            let r = match rng.as_mut() {
                Some(g) => g.next(),
                None => self.ctx.random(),
            };
            let j = ((r * (i + 1) as f64).floor() as usize).min(i);
            if j == i {
                out.push(node);
            } else {
                let moved = out[j];
                out.push(moved);
                out[j] = node;
            }
        }
        Ok(Value::NodeSet(out.into_iter().collect()))
    }

    pub(crate) fn select_function(
        &self,
        func: Func,
        args: &'a [Expr],
        f: Focus<C::Node>,
    ) -> Res<V<'a, C>> {
        match func {
            Func::Selected => {
                let list = self.eval_string(&args[0], f)?;
                let value = self.eval_string(&args[1], f)?;
                let value = value.trim_matches(is_xml_space);
                let found = split_list(&list).any(|item| item == value);
                Ok(Value::Boolean(found))
            }
            Func::CountSelected => {
                let list = self.eval_string(&args[0], f)?;
                let trimmed = list.trim_matches(is_xml_space);
                let n = if trimmed.is_empty() {
                    0
                } else {
                    split_list(trimmed).count()
                };
                Ok(Value::Number(n as f64))
            }
            Func::SelectedAt => {
                let list = self.eval_string(&args[0], f)?;
                let index = super::strings::parse_int(&self.eval_string(&args[1], f)?);
                let item = if index >= 0.0 {
                    split_list(&list).nth(index as usize)
                } else {
                    None
                };
                Ok(Value::String(Cow::Owned(item.unwrap_or("").to_string())))
            }
            Func::ChoiceName => {
                let value = self.eval_string(&args[0], f)?;
                // The second argument is a *string* holding the select's path, which ODK
                // evaluates as an expression in the current context.
                let path_text = self.eval_string(&args[1], f)?;
                let path = crate::parse(&path_text).map_err(|e| {
                    EvalError::func("jr:choice-name", format!("invalid path '{path_text}': {e}"))
                })?;
                let nodes = self.eval_nodes_owned(&path, f)?;
                let Some(&node) = nodes.first() else {
                    return Err(EvalError::func(
                        "jr:choice-name",
                        format!("no element found by evaluating '{path_text}'"),
                    ));
                };
                let label = self.ctx.choice_label(node, &value).map(Cow::into_owned);
                Ok(Value::String(Cow::Owned(label.unwrap_or_default())))
            }
            Func::Itext => {
                let id = self.eval_string(&args[0], f)?;
                let text = self.ctx.itext(&id).map(Cow::into_owned);
                Ok(Value::String(Cow::Owned(text.unwrap_or_default())))
            }
            _ => unreachable!("{func:?} is dispatched elsewhere"),
        }
    }

    /// Evaluate an expression that does not live as long as `'a` (parsed at run time).
    fn eval_nodes_owned(&self, e: &Expr, f: Focus<C::Node>) -> Res<NodeSet<C::Node>> {
        let inner: Evaluator<'_, C> = Evaluator {
            ctx: self.ctx,
            current: self.current,
        };
        match inner.eval(e, f)? {
            Value::NodeSet(nodes) => Ok(nodes),
            other => Err(EvalError::NotANodeSet {
                found: other.type_name(),
            }),
        }
    }
}

/// ODK's space-separated list: trimmed, runs of 2+ whitespace collapsed, then split on each
/// whitespace character (so an empty list is one empty item, as in ODK).
fn split_list(s: &str) -> impl Iterator<Item = &str> {
    let t = s.trim_matches(is_xml_space);
    let empty = t.is_empty();
    std::iter::once("")
        .filter(move |_| empty)
        .chain(t.split(is_xml_space).filter(|item| !item.is_empty()))
}

/// Java's `(long) double`: NaN is 0, saturating at the long range, truncating fractions.
fn java_long(x: f64) -> i64 {
    if x.is_nan() {
        0
    } else {
        x as i64
    }
}

/// The Park–Miller "minimal standard" generator as ODK seeds it.
struct ParkMiller {
    seed: f64,
}

impl ParkMiller {
    const M: i64 = 2_147_483_647;

    fn new(seed: i64) -> Self {
        let mut s = seed % Self::M;
        if s <= 0 {
            s += Self::M - 1;
        }
        ParkMiller { seed: s as f64 }
    }

    fn next(&mut self) -> f64 {
        // seed * 16807 < 2^53, so f64 arithmetic is exact, as in JavaScript.
        self.seed = (self.seed * 16_807.0) % Self::M as f64;
        (self.seed - 1.0) / (Self::M - 1) as f64
    }
}
