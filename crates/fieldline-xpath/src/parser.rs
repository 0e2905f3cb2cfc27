//! Recursive-descent parser for XPath 1.0 plus `${name}`, following the grammar productions
//! of XPath 1.0 §3 (precedence: or < and < equality < relational < additive < multiplicative <
//! unary < union < path).

use crate::ast::{Axis, BinOp, Expr, NodeTest, Path, PathStart, Step};
use crate::error::ParseError;
use crate::func;
use crate::lexer::{tokenize, Spanned, Tok};

/// How deeply an expression may nest parentheses, function calls, predicates and unary minus.
///
/// Parsing, evaluating, printing and dropping an expression all recurse, so without bounds a
/// hostile form or request (10,000 parentheses, `not(not(...))`) would overflow the stack: a
/// crash no caller can catch. The parser recurses through a handful of frames per level, so
/// this bound keeps even an unoptimised build within a 2 MiB thread stack. Real forms stay far
/// below it: their deepest calculations are a few dozen nested `if()`s.
pub const MAX_NESTING: usize = 100;

/// How deep an expression's tree may be: [`MAX_NESTING`]'s levels plus one per operator of a
/// chain such as `a + b + c`, whose tree leans one level deeper per operator. Chains cost the
/// parser no stack (it loops over them) but evaluating and dropping the tree recurse, so they
/// are bounded too, above sums of a hundred or so answers.
pub const MAX_DEPTH: usize = 250;

/// Parse an expression. Calls to unsupported functions parse (so the form reader can name them
/// through [`Expr::function_names`]); calls to supported ones with the wrong number of arguments
/// are parse errors, pointing at the function name. An expression nesting deeper than
/// [`MAX_NESTING`] or [`MAX_DEPTH`] is a parse error pointing where it crossed the limit.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let tokens = tokenize(src)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        nesting: 0,
        depth: 0,
    };
    if p.peek() == &Tok::Eof {
        return Err(ParseError::new(0, "empty expression"));
    }
    let expr = p.or_expr()?;
    match p.peek() {
        Tok::Eof => Ok(expr),
        Tok::RParen => Err(p.error("unmatched ')'")),
        Tok::RBracket => Err(p.error("unmatched ']'")),
        other => Err(p.error(format!("expected an operator, found {}", other.describe()))),
    }
}

struct Parser<'s> {
    tokens: Vec<Spanned<'s>>,
    pos: usize,
    /// Levels of recursion open at this point of the descent (see [`MAX_NESTING`]).
    nesting: usize,
    /// Depth of the tree being built at this point (see [`MAX_DEPTH`]).
    depth: usize,
}

impl<'s> Parser<'s> {
    fn peek(&self) -> &Tok<'s> {
        &self.tokens[self.pos].tok
    }

    fn peek_at(&self, n: usize) -> &Tok<'s> {
        let last = self.tokens.len() - 1;
        &self.tokens[(self.pos + n).min(last)].tok
    }

    fn offset(&self) -> usize {
        self.tokens[self.pos].offset
    }

    fn bump(&mut self) -> Tok<'s> {
        let tok = self.tokens[self.pos].tok.clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        tok
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError::new(self.offset(), message)
    }

    fn expect(&mut self, tok: Tok<'static>) -> Result<(), ParseError> {
        if *self.peek() == tok {
            self.bump();
            Ok(())
        } else {
            Err(self.error(format!("expected {}", tok.describe())))
        }
    }

    /// Opens one more level of nesting, or refuses the expression past [`MAX_NESTING`]; every
    /// call is matched by a [`Parser::leave_nesting`] on success (an error ends the parse).
    fn enter_nesting(&mut self) -> Result<(), ParseError> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(self.error(format!(
                "the expression nests more than {MAX_NESTING} levels deep (parentheses, \
                 function calls, predicates and signs each open one); split it into several \
                 calculations"
            )));
        }
        self.deepen()
    }

    fn leave_nesting(&mut self) {
        self.nesting -= 1;
        self.depth -= 1;
    }

    /// One more level of the tree, or a refusal past [`MAX_DEPTH`].
    fn deepen(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(format!(
                "the expression is more than {MAX_DEPTH} levels deep (each operator of a \
                 chain such as a + b + c adds one); split it into several calculations"
            )));
        }
        Ok(())
    }

    /// A whole (sub)expression: the top, a parenthesized one, a predicate or an argument.
    fn or_expr(&mut self) -> Result<Expr, ParseError> {
        self.enter_nesting()?;
        let expr = self.binary_expr(Precedence::Or)?;
        self.leave_nesting();
        Ok(expr)
    }

    /// Operators binding at least as tightly as `min`, left-associative (precedence climbing:
    /// one frame per level of nesting instead of one per precedence level, which keeps deep
    /// but legal expressions within small stacks).
    fn binary_expr(&mut self, min: Precedence) -> Result<Expr, ParseError> {
        let mut lhs = self.unary_expr()?;
        // Each operator puts the chain so far one level further down the tree.
        let mut levels = 0;
        while let Some((op, precedence)) = binary_operator(self.peek()) {
            if precedence < min {
                break;
            }
            self.bump();
            self.deepen()?;
            levels += 1;
            let rhs = match precedence.tighter() {
                Some(tighter) => self.binary_expr(tighter)?,
                None => self.unary_expr()?,
            };
            lhs = Expr::Binary(op, Box::new(lhs), Box::new(rhs));
        }
        self.depth -= levels;
        Ok(lhs)
    }

    fn unary_expr(&mut self) -> Result<Expr, ParseError> {
        if *self.peek() == Tok::Minus {
            self.bump();
            self.enter_nesting()?;
            let operand = self.unary_expr()?;
            self.leave_nesting();
            return Ok(Expr::Neg(Box::new(operand)));
        }
        self.union_expr()
    }

    fn union_expr(&mut self) -> Result<Expr, ParseError> {
        let mut lhs = self.path_expr()?;
        let mut levels = 0;
        while *self.peek() == Tok::Pipe {
            self.bump();
            self.deepen()?;
            levels += 1;
            let rhs = self.path_expr()?;
            lhs = Expr::Binary(BinOp::Union, Box::new(lhs), Box::new(rhs));
        }
        self.depth -= levels;
        Ok(lhs)
    }

    /// PathExpr ::= LocationPath | FilterExpr (('/' | '//') RelativeLocationPath)?
    fn path_expr(&mut self) -> Result<Expr, ParseError> {
        let starts_filter = match self.peek() {
            Tok::LParen | Tok::Literal(_) | Tok::Number(_) | Tok::Field(_) | Tok::Variable(_) => {
                true
            }
            Tok::Name(name) => *self.peek_at(1) == Tok::LParen && !is_node_type(name),
            _ => false,
        };
        if !starts_filter {
            return self.location_path();
        }
        let primary = self.primary_expr()?;
        let predicates = self.predicates()?;
        let filtered = if predicates.is_empty() {
            primary
        } else {
            Expr::Filter(Box::new(primary), predicates)
        };
        let mut steps = Vec::new();
        match self.peek() {
            Tok::Slash => {
                self.bump();
            }
            Tok::DoubleSlash => {
                self.bump();
                steps.push(descendant_or_self());
            }
            _ => return Ok(filtered),
        }
        self.relative_steps(&mut steps)?;
        Ok(Expr::Path(Path {
            start: PathStart::Expr(Box::new(filtered)),
            steps,
        }))
    }

    fn location_path(&mut self) -> Result<Expr, ParseError> {
        let mut steps = Vec::new();
        let start = match self.peek() {
            Tok::Slash => {
                self.bump();
                // A lone '/' selects the root; it is followed by a step only if one can start.
                if !self.step_can_start() {
                    return Ok(Expr::Path(Path {
                        start: PathStart::Root,
                        steps,
                    }));
                }
                PathStart::Root
            }
            Tok::DoubleSlash => {
                self.bump();
                steps.push(descendant_or_self());
                PathStart::Root
            }
            _ => PathStart::Context,
        };
        self.relative_steps(&mut steps)?;
        Ok(Expr::Path(Path { start, steps }))
    }

    fn step_can_start(&self) -> bool {
        matches!(
            self.peek(),
            Tok::Name(_)
                | Tok::Star
                | Tok::PrefixStar(_)
                | Tok::Dot
                | Tok::DotDot
                | Tok::At
                | Tok::Field(_)
        )
    }

    fn relative_steps(&mut self, steps: &mut Vec<Step>) -> Result<(), ParseError> {
        loop {
            steps.push(self.step()?);
            match self.peek() {
                Tok::Slash => {
                    self.bump();
                }
                Tok::DoubleSlash => {
                    self.bump();
                    steps.push(descendant_or_self());
                }
                _ => return Ok(()),
            }
        }
    }

    fn step(&mut self) -> Result<Step, ParseError> {
        let simple = |axis, test| Step {
            axis,
            test,
            predicates: Vec::new(),
        };
        match self.peek().clone() {
            Tok::Dot => {
                self.bump();
                return Ok(simple(Axis::SelfAxis, NodeTest::Node));
            }
            Tok::DotDot => {
                self.bump();
                return Ok(simple(Axis::Parent, NodeTest::Node));
            }
            Tok::Field(name) => {
                self.bump();
                let predicates = self.predicates()?;
                return Ok(Step {
                    axis: Axis::Child,
                    test: NodeTest::Field(name.to_string()),
                    predicates,
                });
            }
            _ => {}
        }
        let axis = match self.peek().clone() {
            Tok::At => {
                self.bump();
                Axis::Attribute
            }
            Tok::Name(name) if *self.peek_at(1) == Tok::ColonColon => {
                let Some(axis) = Axis::from_name(name) else {
                    return Err(self.error(format!("unknown axis '{name}'")));
                };
                self.bump();
                self.bump();
                axis
            }
            _ => Axis::Child,
        };
        let test = self.node_test()?;
        let predicates = self.predicates()?;
        Ok(Step {
            axis,
            test,
            predicates,
        })
    }

    fn node_test(&mut self) -> Result<NodeTest, ParseError> {
        match self.peek().clone() {
            Tok::Star => {
                self.bump();
                Ok(NodeTest::Any)
            }
            Tok::PrefixStar(prefix) => {
                self.bump();
                Ok(NodeTest::AnyWithPrefix(prefix.to_string()))
            }
            Tok::Name(name) if is_node_type(name) && *self.peek_at(1) == Tok::LParen => {
                self.bump();
                self.bump();
                let test = match name {
                    "node" => NodeTest::Node,
                    "text" => NodeTest::Text,
                    "comment" => NodeTest::Comment,
                    _ => {
                        // processing-instruction('target') may name its target; it never
                        // matches in form instances either way.
                        if let Tok::Literal(_) = self.peek() {
                            self.bump();
                        }
                        NodeTest::ProcessingInstruction
                    }
                };
                self.expect(Tok::RParen)?;
                Ok(test)
            }
            Tok::Name(name) => {
                self.bump();
                Ok(NodeTest::Name(name.to_string()))
            }
            Tok::Eof => Err(self.error("expected a step after '/'")),
            other => Err(self.error(format!(
                "expected a node name or test, found {}",
                other.describe()
            ))),
        }
    }

    fn predicates(&mut self) -> Result<Vec<Expr>, ParseError> {
        let mut out = Vec::new();
        while *self.peek() == Tok::LBracket {
            self.bump();
            if *self.peek() == Tok::RBracket {
                return Err(self.error("empty predicate"));
            }
            out.push(self.or_expr()?);
            self.expect(Tok::RBracket)?;
        }
        Ok(out)
    }

    fn primary_expr(&mut self) -> Result<Expr, ParseError> {
        let offset = self.offset();
        match self.bump() {
            Tok::LParen => {
                if *self.peek() == Tok::RParen {
                    return Err(self.error("expected an expression"));
                }
                let inner = self.or_expr()?;
                self.expect(Tok::RParen)?;
                Ok(inner)
            }
            Tok::Literal(s) => Ok(Expr::Literal(s.to_string())),
            Tok::Number(n) => Ok(Expr::Number(n)),
            Tok::Field(name) => Ok(Expr::Field(name.to_string())),
            Tok::Variable(name) => Ok(Expr::Variable(name.to_string())),
            Tok::Name(name) => self.call(name, offset),
            // path_expr only calls primary_expr on the tokens above.
            other => Err(ParseError::new(
                offset,
                format!("expected an expression, found {}", other.describe()),
            )),
        }
    }

    fn call(&mut self, name: &'s str, offset: usize) -> Result<Expr, ParseError> {
        self.expect(Tok::LParen)?;
        let mut args = Vec::new();
        if *self.peek() != Tok::RParen {
            loop {
                args.push(self.or_expr()?);
                match self.peek() {
                    Tok::Comma => {
                        self.bump();
                    }
                    Tok::RParen => break,
                    Tok::Eof => return Err(self.error("expected ')'")),
                    other => {
                        return Err(self.error(format!(
                            "expected ',' or ')' in the arguments of {name}(), found {}",
                            other.describe()
                        )))
                    }
                }
            }
        }
        self.expect(Tok::RParen)?;
        let func = match func::lookup(name) {
            Some((func, min, max)) => {
                let n = args.len();
                if n < usize::from(min) || n > usize::from(max) {
                    return Err(ParseError::new(offset, arity_message(name, min, max, n)));
                }
                Some(func)
            }
            None => None,
        };
        Ok(Expr::Call {
            name: name.to_string(),
            func,
            args,
            offset,
        })
    }
}

/// The binary operators above unary minus, loosest first (XPath 1.0 §3.4, §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Precedence {
    Or,
    And,
    Equality,
    Relational,
    Additive,
    Multiplicative,
}

impl Precedence {
    /// The next level binding more tightly, if any.
    fn tighter(self) -> Option<Precedence> {
        match self {
            Precedence::Or => Some(Precedence::And),
            Precedence::And => Some(Precedence::Equality),
            Precedence::Equality => Some(Precedence::Relational),
            Precedence::Relational => Some(Precedence::Additive),
            Precedence::Additive => Some(Precedence::Multiplicative),
            Precedence::Multiplicative => None,
        }
    }
}

fn binary_operator(tok: &Tok<'_>) -> Option<(BinOp, Precedence)> {
    Some(match tok {
        Tok::Or => (BinOp::Or, Precedence::Or),
        Tok::And => (BinOp::And, Precedence::And),
        Tok::Eq => (BinOp::Eq, Precedence::Equality),
        Tok::Neq => (BinOp::Neq, Precedence::Equality),
        Tok::Lt => (BinOp::Lt, Precedence::Relational),
        Tok::Lte => (BinOp::Lte, Precedence::Relational),
        Tok::Gt => (BinOp::Gt, Precedence::Relational),
        Tok::Gte => (BinOp::Gte, Precedence::Relational),
        Tok::Plus => (BinOp::Add, Precedence::Additive),
        Tok::Minus => (BinOp::Sub, Precedence::Additive),
        Tok::Mul => (BinOp::Mul, Precedence::Multiplicative),
        Tok::Div => (BinOp::Div, Precedence::Multiplicative),
        Tok::Mod => (BinOp::Mod, Precedence::Multiplicative),
        _ => return None,
    })
}

fn arity_message(name: &str, min: u8, max: u8, got: usize) -> String {
    let expected = if min == max {
        format!("{min}")
    } else if max == u8::MAX {
        format!("at least {min}")
    } else {
        format!("{min} to {max}")
    };
    let plural = if max == 1 || (min == 1 && max == u8::MAX) {
        ""
    } else {
        "s"
    };
    format!("{name}() takes {expected} argument{plural}, got {got}")
}

fn is_node_type(name: &str) -> bool {
    matches!(name, "node" | "text" | "comment" | "processing-instruction")
}

fn descendant_or_self() -> Step {
    Step {
        axis: Axis::DescendantOrSelf,
        test: NodeTest::Node,
        predicates: Vec::new(),
    }
}
