//! The shapes indicators are nearly always written in, evaluated without the general XPath
//! machinery: `${q} = 'x'`, `${q} != 'x'` (either side), `selected(${q}, 'x')`, `and`, `or`,
//! `not()`, `true()`, `false()`. Anything else is handed to the XPath engine for that
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
    And(Box<Fast>, Box<Fast>),
    Or(Box<Fast>, Box<Fast>),
    Not(Box<Fast>),
    Const(bool),
    /// Evaluated by the XPath engine.
    Engine(Expr),
}

impl Fast {
    pub fn compile(expr: &Expr, analysis: &Analysis) -> Fast {
        let field = |e: &Expr| match e {
            Expr::Field(name) => analysis.field_ids.get(name).copied(),
            _ => None,
        };
        match expr {
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
            } => (row.value(*node) == literal) != *negate,
            Fast::Selected { node, value } => selected(row.value(*node), value),
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

/// ODK's `selected()`: the items of the space-separated list, or the single item "" when the
/// list is empty.
fn selected(list: &str, value: &str) -> bool {
    let t = list.trim_matches(is_xml_space);
    if t.is_empty() {
        return value.is_empty();
    }
    t.split(is_xml_space)
        .any(|item| !item.is_empty() && item == value)
}
