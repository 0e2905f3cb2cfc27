//! The shapes indicators are nearly always written in, evaluated without the general XPath
//! machinery: `${q} = 'x'`, `${q} != 'x'` (either side), `selected(${q}, 'x')`, a field's
//! number or `count-selected(${q})` compared with a number (`${age} <= 29`,
//! `count-selected(${q}) >= 2`, either side), `and`, `or`, `not()`, `true()`, `false()`. Anything else is handed to the XPath engine for that
//! sub-expression, so results are the engine's in every case (the tests compare both).

use fieldline_form::NodeId;
use fieldline_xpath::{BinOp, EvalError, Expr, Func};

use crate::compile::Analysis;
use crate::context::Row;

#[derive(Debug, Clone)]
pub(crate) enum Fast {
    /// The field's value equals (or, `negate`, differs from) the literal: XPath's comparison
    /// of a one-node node-set with a string.
    Equals {
        node: NodeId,
        literal: String,
        negate: bool,
    },
    /// ODK's `selected(list, value)` with a literal value (already trimmed, as ODK trims it).
    Selected {
        node: NodeId,
        value: String,
    },
    /// A number compared with a number literal (`op` is `=`, `!=`, `<`, `<=`, `>` or `>=`,
    /// with the number on the left).
    Compare {
        number: Number,
        op: BinOp,
        literal: f64,
    },
    And(Box<Fast>, Box<Fast>),
    Or(Box<Fast>, Box<Fast>),
    Not(Box<Fast>),
    Const(bool),
    /// Evaluated by the XPath engine.
    Engine(Expr),
}

/// The numbers [`Fast::Compare`] reads from a row.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Number {
    /// The field's number value, as XPath compares a one-node node-set with a number: empty
    /// (after trimming) is NaN, anything else ODK's string-to-number.
    Field(NodeId),
    /// ODK's `count-selected(${q})`.
    CountSelected(NodeId),
}

/// The operator with its sides swapped (`29 >= ${age}` is `${age} <= 29`).
fn mirrored(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::Gt,
        BinOp::Lte => BinOp::Gte,
        BinOp::Gt => BinOp::Lt,
        BinOp::Gte => BinOp::Lte,
        other => other,
    }
}

impl Fast {
    pub fn compile(expr: &Expr, analysis: &Analysis) -> Fast {
        let field = |e: &Expr| match e {
            Expr::Field(name) => analysis.field_ids.get(name).copied(),
            _ => None,
        };
        let number = |e: &Expr| match e {
            Expr::Call {
                func: Some(Func::CountSelected),
                args,
                ..
            } => match args.as_slice() {
                [list] => field(list).map(Number::CountSelected),
                _ => None,
            },
            other => field(other).map(Number::Field),
        };
        let numeric = |op: BinOp, a: &Expr, b: &Expr| match (a, b) {
            (n, Expr::Number(x)) => number(n).map(|number| Fast::Compare {
                number,
                op,
                literal: *x,
            }),
            (Expr::Number(x), n) => number(n).map(|number| Fast::Compare {
                number,
                op: mirrored(op),
                literal: *x,
            }),
            _ => None,
        };
        match expr {
            Expr::Binary(
                op @ (BinOp::Eq | BinOp::Neq | BinOp::Lt | BinOp::Lte | BinOp::Gt | BinOp::Gte),
                a,
                b,
            ) if numeric(*op, a, b).is_some() => {
                numeric(*op, a, b).unwrap_or_else(|| Fast::Engine(expr.clone()))
            }
            Expr::Binary(op @ (BinOp::Eq | BinOp::Neq), a, b) => {
                let pair = match (a.as_ref(), b.as_ref()) {
                    (f, Expr::Literal(l)) | (Expr::Literal(l), f) => field(f).map(|n| (n, l)),
                    _ => None,
                };
                match pair {
                    Some((node, literal)) => Fast::Equals {
                        node,
                        literal: literal.clone(),
                        negate: *op == BinOp::Neq,
                    },
                    None => Fast::Engine(expr.clone()),
                }
            }
            Expr::Binary(BinOp::And, a, b) => Fast::And(
                Box::new(Fast::compile(a, analysis)),
                Box::new(Fast::compile(b, analysis)),
            ),
            Expr::Binary(BinOp::Or, a, b) => Fast::Or(
                Box::new(Fast::compile(a, analysis)),
                Box::new(Fast::compile(b, analysis)),
            ),
            Expr::Call {
                func: Some(func),
                args,
                ..
            } => match (func, args.as_slice()) {
                (Func::Selected, [list, Expr::Literal(value)]) => match field(list) {
                    Some(node) => Fast::Selected {
                        node,
                        value: value.trim_matches(is_xml_space).to_string(),
                    },
                    None => Fast::Engine(expr.clone()),
                },
                (Func::Not, [inner]) => Fast::Not(Box::new(Fast::compile(inner, analysis))),
                (Func::True, []) => Fast::Const(true),
                (Func::False, []) => Fast::Const(false),
                _ => Fast::Engine(expr.clone()),
            },
            _ => Fast::Engine(expr.clone()),
        }
    }

    pub fn eval(&self, row: &Row<'_>) -> Result<bool, EvalError> {
        Ok(match self {
            Fast::Equals {
                node,
                literal,
                negate,
            } => short_eq(row.value(*node), literal) != *negate,
            Fast::Selected { node, value } => selected(row.value(*node), value),
            Fast::Compare {
                number,
                op,
                literal,
            } => {
                let x = match number {
                    Number::Field(node) => node_number(row, row.value(*node)),
                    Number::CountSelected(node) => count_selected(row.value(*node)),
                };
                compare(*op, x, *literal)
            }
            Fast::And(a, b) => a.eval(row)? && b.eval(row)?,
            Fast::Or(a, b) => a.eval(row)? || b.eval(row)?,
            Fast::Not(a) => !a.eval(row)?,
            Fast::Const(b) => *b,
            Fast::Engine(e) => row.is_true(e)?,
        })
    }
}

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// A node's number value as the XPath engine takes it: empty after trimming is NaN.
fn node_number(row: &Row<'_>, value: &str) -> f64 {
    if value.trim_matches(is_xml_space).is_empty() {
        f64::NAN
    } else {
        fieldline_xpath::value::string_to_number(row, value)
    }
}

/// ODK's `count-selected()`: the items of the space-separated list. XML whitespace is ASCII,
/// so counting the runs of other bytes counts the same items as splitting the text.
fn count_selected(list: &str) -> f64 {
    let mut count = 0usize;
    let mut inside = false;
    for &b in list.as_bytes() {
        let space = is_xml_space_byte(b);
        count += usize::from(!space && !inside);
        inside = !space;
    }
    count as f64
}

fn is_xml_space_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Two numbers compared as XPath compares them: NaN is neither equal, less nor greater (and
/// `!=` with NaN is true, as `not(=)`).
fn compare(op: BinOp, x: f64, y: f64) -> bool {
    match op {
        BinOp::Eq => x == y,
        BinOp::Neq => x != y,
        BinOp::Lt => x < y,
        BinOp::Lte => x <= y,
        BinOp::Gt => x > y,
        BinOp::Gte => x >= y,
        _ => false,
    }
}

/// ODK's `selected()`: the items of the space-separated list, or the single item "" when the
/// list is empty. `value` is trimmed already. XML whitespace is ASCII, so splitting the bytes
/// finds the same items as splitting the text.
fn selected(list: &str, value: &str) -> bool {
    if value.is_empty() {
        return list.trim_matches(is_xml_space).is_empty();
    }
    list.as_bytes()
        .split(|&b| is_xml_space_byte(b))
        .any(|item| short_eq_bytes(item, value.as_bytes()))
}

/// String equality without a call into the C library for the short values of survey data
/// (choice names, numbers); long values compare as usual.
pub(crate) fn short_eq(a: &str, b: &str) -> bool {
    short_eq_bytes(a.as_bytes(), b.as_bytes())
}

fn short_eq_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() > 16 {
        return a == b;
    }
    a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}
