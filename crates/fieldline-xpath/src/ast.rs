//! The syntax tree produced by [`crate::parse`].
//!
//! Function names are resolved to [`Func`] while parsing, so evaluation dispatches on an enum.
//! `${name}` is kept as its own node ([`Expr::Field`], or [`NodeTest::Field`] as a path step)
//! because only the form layer knows which instance node a question name denotes (including
//! ODK's contextualisation inside repeats).

use std::fmt;

use crate::func::Func;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(f64),
    /// A string literal (without quotes).
    Literal(String),
    /// `${name}`: an XLSForm question reference, resolved by [`crate::Context::resolve_field`].
    Field(String),
    /// `$name`: an XPath variable. Parsed so errors are clear, but forms have no variables.
    Variable(String),
    /// Unary minus.
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// A function call. `func` is `None` when the name is not supported (see
    /// [`crate::is_supported_function`]); such an expression parses but fails to evaluate.
    Call {
        name: String,
        func: Option<Func>,
        args: Vec<Expr>,
        /// Byte offset of the name in the source, for error messages.
        offset: usize,
    },
    /// A primary expression filtered by predicates, e.g. `${x}[. = 'yes']`.
    Filter(Box<Expr>, Vec<Expr>),
    /// A location path, possibly starting from a primary expression (`instance('c')/root/item`).
    Path(Path),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Union,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "=",
            BinOp::Neq => "!=",
            BinOp::Lt => "<",
            BinOp::Lte => "<=",
            BinOp::Gt => ">",
            BinOp::Gte => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "div",
            BinOp::Mod => "mod",
            BinOp::Union => "|",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub start: PathStart,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PathStart {
    /// `/...`: from the root of the context node's document.
    Root,
    /// `a/b`: from the context node.
    Context,
    /// `expr/...`: from the node-set a primary (possibly filtered) expression yields.
    Expr(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub axis: Axis,
    pub test: NodeTest,
    pub predicates: Vec<Expr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    Child,
    Descendant,
    DescendantOrSelf,
    Parent,
    Ancestor,
    AncestorOrSelf,
    FollowingSibling,
    PrecedingSibling,
    Following,
    Preceding,
    Attribute,
    SelfAxis,
}

impl Axis {
    pub(crate) fn from_name(name: &str) -> Option<Axis> {
        Some(match name {
            "child" => Axis::Child,
            "descendant" => Axis::Descendant,
            "descendant-or-self" => Axis::DescendantOrSelf,
            "parent" => Axis::Parent,
            "ancestor" => Axis::Ancestor,
            "ancestor-or-self" => Axis::AncestorOrSelf,
            "following-sibling" => Axis::FollowingSibling,
            "preceding-sibling" => Axis::PrecedingSibling,
            "following" => Axis::Following,
            "preceding" => Axis::Preceding,
            "attribute" => Axis::Attribute,
            "self" => Axis::SelfAxis,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Axis::Child => "child",
            Axis::Descendant => "descendant",
            Axis::DescendantOrSelf => "descendant-or-self",
            Axis::Parent => "parent",
            Axis::Ancestor => "ancestor",
            Axis::AncestorOrSelf => "ancestor-or-self",
            Axis::FollowingSibling => "following-sibling",
            Axis::PrecedingSibling => "preceding-sibling",
            Axis::Following => "following",
            Axis::Preceding => "preceding",
            Axis::Attribute => "attribute",
            Axis::SelfAxis => "self",
        }
    }

    /// Reverse axes number their proximity positions backwards (XPath 1.0 §2.4).
    pub(crate) fn is_reverse(self) -> bool {
        matches!(
            self,
            Axis::Parent
                | Axis::Ancestor
                | Axis::AncestorOrSelf
                | Axis::PrecedingSibling
                | Axis::Preceding
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeTest {
    /// A (possibly prefixed) name, compared as written against node names.
    Name(String),
    /// `*`
    Any,
    /// `prefix:*`
    AnyWithPrefix(String),
    /// `node()`
    Node,
    /// `text()`: XForm instances are read as elements with values, so this selects nothing
    /// unless the context exposes text nodes.
    Text,
    /// `comment()` and `processing-instruction()`: never match in form instances.
    Comment,
    ProcessingInstruction,
    /// `${name}` used as a step (`${roster}/${age}`): resolved relative to each node.
    Field(String),
}

impl Expr {
    /// Question names used as `${name}`, in order of first appearance, without duplicates.
    ///
    /// Includes references written inside the string second argument of `jr:choice-name`
    /// (`jr:choice-name(${x}, '${x}')`), because ODK evaluates that string as a path, so the
    /// expression depends on that question too.
    pub fn field_refs(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_field_refs(&mut out);
        out
    }

    fn collect_field_refs<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Expr::Field(name) => push_unique(out, name),
            Expr::Number(_) | Expr::Literal(_) | Expr::Variable(_) => {}
            Expr::Neg(e) => e.collect_field_refs(out),
            Expr::Binary(_, a, b) => {
                a.collect_field_refs(out);
                b.collect_field_refs(out);
            }
            Expr::Call { func, args, .. } => {
                for (i, arg) in args.iter().enumerate() {
                    match arg {
                        Expr::Literal(path) if i == 1 && *func == Some(Func::ChoiceName) => {
                            collect_fields_in_text(path, out)
                        }
                        _ => arg.collect_field_refs(out),
                    }
                }
            }
            Expr::Filter(primary, preds) => {
                primary.collect_field_refs(out);
                preds.iter().for_each(|p| p.collect_field_refs(out));
            }
            Expr::Path(path) => {
                if let PathStart::Expr(e) = &path.start {
                    e.collect_field_refs(out);
                }
                for step in &path.steps {
                    if let NodeTest::Field(name) = &step.test {
                        push_unique(out, name);
                    }
                    step.predicates
                        .iter()
                        .for_each(|p| p.collect_field_refs(out));
                }
            }
        }
    }

    /// Names of the functions called, as written (e.g. `jr:choice-name`), in order of first
    /// appearance, without duplicates.
    pub fn function_names(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let Expr::Call { name, .. } = e {
                push_unique(&mut out, name);
            }
        });
        out
    }

    /// Names of called functions that [`crate::is_supported_function`] rejects.
    pub fn unsupported_functions(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let Expr::Call {
                name, func: None, ..
            } = e
            {
                push_unique(&mut out, name);
            }
        });
        out
    }

    /// Pre-order traversal in source order (a step's predicates after the step's own test).
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match self {
            Expr::Number(_) | Expr::Literal(_) | Expr::Field(_) | Expr::Variable(_) => {}
            Expr::Neg(e) => e.walk(f),
            Expr::Binary(_, a, b) => {
                a.walk(f);
                b.walk(f);
            }
            Expr::Call { args, .. } => args.iter().for_each(|a| a.walk(f)),
            Expr::Filter(primary, preds) => {
                primary.walk(f);
                preds.iter().for_each(|p| p.walk(f));
            }
            Expr::Path(path) => {
                if let PathStart::Expr(e) = &path.start {
                    e.walk(f);
                }
                for step in &path.steps {
                    step.predicates.iter().for_each(|p| p.walk(f));
                }
            }
        }
    }
}

fn push_unique<'a>(out: &mut Vec<&'a str>, name: &'a str) {
    if !out.contains(&name) {
        out.push(name);
    }
}

/// `${name}` occurrences in free text (used for the path string of `jr:choice-name`).
fn collect_fields_in_text<'a>(text: &'a str, out: &mut Vec<&'a str>) {
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = after[..end].trim();
        if !name.is_empty() {
            push_unique(out, name);
        }
        rest = &after[end + 1..];
    }
}

/// Prints a canonical, fully parenthesised form that parses back to an equal tree.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Number(n) => write!(f, "{}", crate::value::number_to_string(*n)),
            Expr::Literal(s) if s.contains('\'') => write!(f, "\"{s}\""),
            Expr::Literal(s) => write!(f, "'{s}'"),
            Expr::Field(n) => write!(f, "${{{n}}}"),
            Expr::Variable(n) => write!(f, "${n}"),
            Expr::Neg(e) => write!(f, "-({e})"),
            Expr::Binary(op, a, b) => write!(f, "({a} {} {b})", op.symbol()),
            Expr::Call { name, args, .. } => {
                write!(f, "{name}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
            Expr::Filter(e, preds) => {
                write!(f, "({e})")?;
                preds.iter().try_for_each(|p| write!(f, "[{p}]"))
            }
            Expr::Path(p) => {
                match &p.start {
                    PathStart::Root => f.write_str("/")?,
                    PathStart::Context => {}
                    PathStart::Expr(e) => write!(f, "({e})/")?,
                }
                for (i, step) in p.steps.iter().enumerate() {
                    if i > 0 {
                        f.write_str("/")?;
                    }
                    if !matches!(step.test, NodeTest::Field(_)) {
                        write!(f, "{}::", step.axis.name())?;
                    }
                    match &step.test {
                        NodeTest::Name(n) => f.write_str(n)?,
                        NodeTest::Any => f.write_str("*")?,
                        NodeTest::AnyWithPrefix(p) => write!(f, "{p}:*")?,
                        NodeTest::Node => f.write_str("node()")?,
                        NodeTest::Text => f.write_str("text()")?,
                        NodeTest::Comment => f.write_str("comment()")?,
                        NodeTest::ProcessingInstruction => {
                            f.write_str("processing-instruction()")?
                        }
                        NodeTest::Field(n) => write!(f, "${{{n}}}")?,
                    }
                    step.predicates
                        .iter()
                        .try_for_each(|p| write!(f, "[{p}]"))?;
                }
                Ok(())
            }
        }
    }
}
