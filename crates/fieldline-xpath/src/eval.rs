//! The evaluator: operators, comparisons and location paths. Functions live in `functions/`.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::ast::{BinOp, Expr, Path, PathStart};
use crate::context::{Context, NodeSet};
use crate::error::EvalError;
use crate::value::{node_number, Value};

/// Where an expression is evaluated: the context node with its position and size in the
/// context node-set (XPath's "focus"), and the node `current()` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Focus<N> {
    pub node: N,
    pub position: usize,
    pub size: usize,
}

impl<N> Focus<N> {
    pub fn new(node: N) -> Self {
        Focus {
            node,
            position: 1,
            size: 1,
        }
    }
}

/// Evaluate `expr` with `node` as context node (and as `current()`), position and size 1.
pub fn evaluate<'a, C: Context>(
    expr: &'a Expr,
    ctx: &'a C,
    node: C::Node,
) -> Result<Value<'a, C::Node>, EvalError> {
    Evaluator { ctx, current: node }.eval(expr, Focus::new(node))
}

/// Evaluate with an explicit focus and `current()` node (e.g. a predicate of a choice filter,
/// where `current()` is the select question while `.` is the choice item).
pub fn evaluate_in<'a, C: Context>(
    expr: &'a Expr,
    ctx: &'a C,
    focus: Focus<C::Node>,
    current: C::Node,
) -> Result<Value<'a, C::Node>, EvalError> {
    Evaluator { ctx, current }.eval(expr, focus)
}

/// `boolean(expr)`, the question a relevance, constraint or required expression asks.
pub fn evaluate_boolean<C: Context>(
    expr: &Expr,
    ctx: &C,
    node: C::Node,
) -> Result<bool, EvalError> {
    Evaluator { ctx, current: node }.eval_bool(expr, Focus::new(node))
}

/// `string(expr)`, the value a calculation stores.
pub fn evaluate_string<'a, C: Context>(
    expr: &'a Expr,
    ctx: &'a C,
    node: C::Node,
) -> Result<Cow<'a, str>, EvalError> {
    Ok(evaluate(expr, ctx, node)?.into_string(ctx))
}

pub(crate) struct Evaluator<'a, C: Context> {
    pub ctx: &'a C,
    pub current: C::Node,
}

pub(crate) type V<'a, C> = Value<'a, <C as Context>::Node>;
pub(crate) type Res<T> = Result<T, EvalError>;

impl<'a, C: Context> Evaluator<'a, C> {
    pub fn eval(&self, e: &'a Expr, f: Focus<C::Node>) -> Res<V<'a, C>> {
        Ok(match e {
            Expr::Number(n) => Value::Number(*n),
            Expr::Literal(s) => Value::String(Cow::Borrowed(s)),
            Expr::Field(name) => {
                let mut out = NodeSet::new();
                self.ctx.resolve_field(name, f.node, &mut out)?;
                Value::NodeSet(out)
            }
            Expr::Variable(name) => return Err(EvalError::Variable { name: name.clone() }),
            Expr::Neg(inner) => Value::Number(-self.eval_number(inner, f)?),
            Expr::Binary(BinOp::And, a, b) => {
                Value::Boolean(self.eval_bool(a, f)? && self.eval_bool(b, f)?)
            }
            Expr::Binary(BinOp::Or, a, b) => {
                Value::Boolean(self.eval_bool(a, f)? || self.eval_bool(b, f)?)
            }
            Expr::Binary(BinOp::Union, a, b) => {
                let mut left = self.eval_nodes(a, f)?;
                let right = self.eval_nodes(b, f)?;
                left.extend(right);
                self.sort_dedup(&mut left);
                Value::NodeSet(left)
            }
            Expr::Binary(op, a, b) if is_arithmetic(*op) => {
                let x = self.eval_number(a, f)?;
                let y = self.eval_number(b, f)?;
                Value::Number(match op {
                    BinOp::Add => x + y,
                    BinOp::Sub => x - y,
                    BinOp::Mul => x * y,
                    BinOp::Div => x / y,
                    // Truncating remainder with the dividend's sign, as XPath and JavaScript.
                    _ => x % y,
                })
            }
            Expr::Binary(op, a, b) => {
                let x = self.eval(a, f)?;
                let y = self.eval(b, f)?;
                Value::Boolean(compare(self.ctx, *op, &x, &y))
            }
            Expr::Call {
                name, func, args, ..
            } => match func {
                Some(func) => return self.call(*func, args, f),
                None => return Err(EvalError::UnsupportedFunction { name: name.clone() }),
            },
            Expr::Filter(primary, predicates) => {
                let mut nodes = self.eval_nodes(primary, f)?;
                for p in predicates {
                    nodes = self.filter(nodes, p)?;
                }
                Value::NodeSet(nodes)
            }
            Expr::Path(path) => Value::NodeSet(self.eval_path(path, f)?),
        })
    }

    pub fn eval_bool(&self, e: &'a Expr, f: Focus<C::Node>) -> Res<bool> {
        Ok(self.eval(e, f)?.to_boolean())
    }

    pub fn eval_number(&self, e: &'a Expr, f: Focus<C::Node>) -> Res<f64> {
        Ok(self.eval(e, f)?.to_number(self.ctx))
    }

    pub fn eval_string(&self, e: &'a Expr, f: Focus<C::Node>) -> Res<Cow<'a, str>> {
        Ok(self.eval(e, f)?.into_string(self.ctx))
    }

    pub fn eval_nodes(&self, e: &'a Expr, f: Focus<C::Node>) -> Res<NodeSet<C::Node>> {
        match self.eval(e, f)? {
            Value::NodeSet(nodes) => Ok(nodes),
            other => Err(EvalError::NotANodeSet {
                found: other.type_name(),
            }),
        }
    }

    pub fn sort_dedup(&self, nodes: &mut NodeSet<C::Node>) {
        if nodes.len() > 1 {
            nodes.sort_by(|a, b| self.ctx.document_order(*a, *b));
            nodes.dedup();
        }
    }

    /// Keep the nodes for which the predicate holds; a numeric predicate selects by position.
    pub fn filter(&self, nodes: NodeSet<C::Node>, pred: &'a Expr) -> Res<NodeSet<C::Node>> {
        // `[n]` with a literal number is common in forms (`item[1]`); skip the evaluation loop.
        if let Expr::Number(n) = pred {
            let pos = *n;
            let mut out = NodeSet::new();
            if pos >= 1.0 && pos.fract() == 0.0 && (pos as usize) <= nodes.len() {
                out.push(nodes[pos as usize - 1]);
            }
            return Ok(out);
        }
        let size = nodes.len();
        let mut out = NodeSet::new();
        for (i, &node) in nodes.iter().enumerate() {
            let focus = Focus {
                node,
                position: i + 1,
                size,
            };
            let keep = match self.eval(pred, focus)? {
                v if v.is_numeric() => v.to_number(self.ctx) == (i + 1) as f64,
                v => v.to_boolean(),
            };
            if keep {
                out.push(node);
            }
        }
        Ok(out)
    }

    fn eval_path(&self, path: &'a Path, f: Focus<C::Node>) -> Res<NodeSet<C::Node>> {
        let mut nodes: NodeSet<C::Node> = match &path.start {
            PathStart::Root => smallvec::smallvec![self.ctx.root(f.node)],
            PathStart::Context => smallvec::smallvec![f.node],
            PathStart::Expr(e) => self.eval_nodes(e, f)?,
        };
        for step in &path.steps {
            nodes = self.step(step, &nodes)?;
        }
        Ok(nodes)
    }
}

fn is_arithmetic(op: BinOp) -> bool {
    matches!(
        op,
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod
    )
}

/// XPath 1.0 §3.4 comparisons as ODK implements them: node-sets compare existentially (a node
/// against a number by its number value, against a string by its string value, node-sets
/// pairwise by string); a boolean on either side of `=`/`!=` compares as booleans; otherwise
/// numbers win over strings; `<`, `<=`, `>`, `>=` always compare numbers (and ODK's numbers
/// include ISO dates, so `'2024-01-02' > '2024-01-01'` holds).
pub(crate) fn compare<C: Context>(
    ctx: &C,
    op: BinOp,
    a: &Value<'_, C::Node>,
    b: &Value<'_, C::Node>,
) -> bool {
    let equality = matches!(op, BinOp::Eq | BinOp::Neq);
    let negate = op == BinOp::Neq;
    if equality {
        if let (Value::Boolean(_), _) | (_, Value::Boolean(_)) = (a, b) {
            return (a.to_boolean() == b.to_boolean()) != negate;
        }
    }
    match (a, b) {
        (Value::NodeSet(xs), Value::NodeSet(ys)) => xs.iter().any(|&x| {
            ys.iter().any(|&y| {
                if equality {
                    (ctx.string_value(x) == ctx.string_value(y)) != negate
                } else {
                    relational(op, node_number(ctx, x), node_number(ctx, y))
                }
            })
        }),
        (Value::NodeSet(xs), other) => xs.iter().any(|&x| compare_node(ctx, op, x, other, false)),
        (other, Value::NodeSet(ys)) => ys.iter().any(|&y| compare_node(ctx, op, y, other, true)),
        _ if equality => {
            let eq = if a.is_numeric() || b.is_numeric() {
                a.to_number(ctx) == b.to_number(ctx)
            } else {
                a.to_str(ctx) == b.to_str(ctx)
            };
            eq != negate
        }
        _ => relational(op, a.to_number(ctx), b.to_number(ctx)),
    }
}

/// One node against a non-node-set value; `swapped` when the node was on the right.
fn compare_node<C: Context>(
    ctx: &C,
    op: BinOp,
    node: C::Node,
    other: &Value<'_, C::Node>,
    swapped: bool,
) -> bool {
    match op {
        BinOp::Eq | BinOp::Neq => {
            let eq = if other.is_numeric() {
                node_number(ctx, node) == other.to_number(ctx)
            } else {
                *ctx.string_value(node) == *other.to_str(ctx)
            };
            eq != (op == BinOp::Neq)
        }
        _ => {
            let (x, y) = (node_number(ctx, node), other.to_number(ctx));
            if swapped {
                relational(op, y, x)
            } else {
                relational(op, x, y)
            }
        }
    }
}

fn relational(op: BinOp, x: f64, y: f64) -> bool {
    match x.partial_cmp(&y) {
        None => false,
        Some(ord) => match op {
            BinOp::Lt => ord == Ordering::Less,
            BinOp::Lte => ord != Ordering::Greater,
            BinOp::Gt => ord == Ordering::Greater,
            BinOp::Gte => ord != Ordering::Less,
            _ => false,
        },
    }
}
