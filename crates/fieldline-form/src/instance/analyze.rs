//! Compiling a form expression for the engine: `${name}` references are bound to definitions
//! the way pyxform writes them into the XForm (a relative path when the two nodes share a
//! repeat, an absolute one otherwise, always absolute inside `indexed-repeat`), and the
//! definitions the expression reads are collected for the dependency graph.
//!
//! References are rewritten into [`Expr::Field`] names that carry the definition index and the
//! mode (see [`encode_field`]), so evaluation resolves them with an integer parse instead of a
//! name lookup. The analysis is conservative: anything it cannot bind statically (a `//x`
//! step, `*`, an absolute path that names no definition) marks the expression as reading
//! everything, which costs speed, never correctness.

use fieldline_xpath::{Axis, Expr, Func, NodeTest, Path, PathStart, Step};

use super::plan::{DefId, DefKind, Defs};

/// How a reference is resolved at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Within the repeat instance the evaluation context shares with the target (pyxform's
    /// relative path).
    Contextual,
    /// Every instance of the target (pyxform's absolute path).
    Absolute,
}

/// What an expression reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Read {
    /// The value (and, through it, the relevance) of a leaf definition.
    Value(DefId, Mode),
    /// The set of instances of a repeat definition.
    Structure(DefId, Mode),
}

/// Where an expression is evaluated, which decides what its relative paths mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Site {
    /// A bind (`relevant`, `calculation`...): the context node is the node itself.
    Bind,
    /// A `choice_filter` predicate: the context node is a choice item of a secondary instance
    /// and `current()` is the select.
    ChoiceFilter,
}

/// An expression ready for evaluation, with what it reads.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub expr: Expr,
    pub reads: Vec<Read>,
    /// Reads something the analysis could not bind: recompute it after every change.
    pub everything: bool,
    /// Uses `jr:itext` or `jr:choice-name`: recompute it when the language changes.
    pub language: bool,
}

/// Prefix bytes of encoded field names (never valid in XML names).
const CONTEXTUAL: char = '\u{1}';
const ABSOLUTE: char = '\u{2}';

pub(crate) fn encode_field(def: DefId, mode: Mode) -> String {
    let tag = if mode == Mode::Contextual {
        CONTEXTUAL
    } else {
        ABSOLUTE
    };
    format!("{tag}{def}")
}

/// The definition and mode of an encoded field name; `None` for a plain `${name}` (as found in
/// the path string of `jr:choice-name`, parsed at run time).
pub(crate) fn decode_field(name: &str) -> Option<(DefId, Mode)> {
    let mode = match name.as_bytes().first()? {
        1 => Mode::Contextual,
        2 => Mode::Absolute,
        _ => return None,
    };
    name[1..].parse().ok().map(|d| (d, mode))
}

/// What the analysis knows about the node-set an expression yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Def(DefId),
    Secondary,
    Unknown,
}

struct Compiler<'a> {
    defs: &'a Defs,
    src: DefId,
    reads: Vec<Read>,
    everything: bool,
    language: bool,
}

/// Compile `expr`, written on definition `src`, for evaluation at `site`.
pub(crate) fn compile(defs: &Defs, src: DefId, expr: &Expr, site: Site) -> Compiled {
    let mut c = Compiler {
        defs,
        src,
        reads: Vec::new(),
        everything: false,
        language: false,
    };
    let mut expr = expr.clone();
    let top = match site {
        Site::Bind => Ctx::Def(src),
        Site::ChoiceFilter => Ctx::Secondary,
    };
    c.walk(&mut expr, top, site == Site::ChoiceFilter, false);
    c.reads.sort_by_key(|r| match *r {
        Read::Value(d, m) => (0, d, m == Mode::Absolute),
        Read::Structure(d, m) => (1, d, m == Mode::Absolute),
    });
    c.reads.dedup();
    Compiled {
        expr,
        reads: c.reads,
        everything: c.everything,
        language: c.language,
    }
}

impl Compiler<'_> {
    /// Record a read of `def` (a leaf, or every leaf and repeat under a container), plus the
    /// structure of the repeats around it that the source does not share.
    fn read(&mut self, def: DefId, mode: Mode) {
        let d = &self.defs[def];
        match d.kind {
            DefKind::Leaf => self.reads.push(Read::Value(def, mode)),
            _ => {
                for &child in &d.children {
                    self.read(child, mode);
                }
                if d.kind == DefKind::Repeat {
                    self.reads.push(Read::Structure(def, mode));
                }
            }
        }
        for &r in &d.repeats {
            let shared = self.defs[self.src].repeats.contains(&r);
            if mode == Mode::Absolute || !shared {
                self.reads.push(Read::Structure(r, mode));
            }
        }
    }

    fn field(&mut self, name: &mut String, in_indexed: bool) -> Option<DefId> {
        let target = *self.defs.by_name.get(name.as_str())?;
        let shared = self.defs.common_repeat(self.src, target).is_some();
        let mode = if shared && !in_indexed {
            Mode::Contextual
        } else {
            Mode::Absolute
        };
        self.read(target, mode);
        *name = encode_field(target, mode);
        Some(target)
    }

    /// Rewrite and analyse `e` evaluated with a context of kind `ctx`. `wrap` asks for
    /// contextual references to be resolved from `current()` (inside predicates and choice
    /// filters, where the context node is not the bind's node).
    fn walk(&mut self, e: &mut Expr, ctx: Ctx, wrap: bool, in_indexed: bool) -> Ctx {
        match e {
            Expr::Number(_) | Expr::Literal(_) | Expr::Variable(_) => Ctx::Unknown,
            Expr::Field(name) => {
                let Some(target) = self.field(name, in_indexed) else {
                    return Ctx::Unknown;
                };
                if wrap && name.starts_with(CONTEXTUAL) {
                    let field = std::mem::take(name);
                    *e = from_current(field);
                }
                Ctx::Def(target)
            }
            Expr::Neg(inner) => {
                self.walk(inner, ctx, wrap, in_indexed);
                Ctx::Unknown
            }
            Expr::Binary(op, a, b) => {
                let l = self.walk(a, ctx, wrap, in_indexed);
                let r = self.walk(b, ctx, wrap, in_indexed);
                if *op == fieldline_xpath::BinOp::Union && l == r {
                    l
                } else {
                    Ctx::Unknown
                }
            }
            Expr::Call { func, args, .. } => self.call(*func, args, ctx, wrap, in_indexed),
            Expr::Filter(primary, preds) => {
                let base = self.walk(primary, ctx, wrap, in_indexed);
                for p in preds.iter_mut() {
                    self.walk(p, base, true, in_indexed);
                }
                base
            }
            Expr::Path(path) => self.path(path, ctx, wrap, in_indexed),
        }
    }

    fn call(
        &mut self,
        func: Option<Func>,
        args: &mut [Expr],
        ctx: Ctx,
        wrap: bool,
        in_indexed: bool,
    ) -> Ctx {
        let indexed = in_indexed || func == Some(Func::IndexedRepeat);
        for a in args.iter_mut() {
            self.walk(a, ctx, wrap, indexed);
        }
        match func {
            Some(Func::Current) => Ctx::Def(self.src),
            Some(Func::Instance) => Ctx::Secondary,
            Some(Func::Position | Func::Last) => {
                // Positions shift when instances are added or removed.
                for &r in &self.defs[self.src].repeats {
                    self.reads.push(Read::Structure(r, Mode::Contextual));
                }
                Ctx::Unknown
            }
            Some(Func::Once) => {
                self.reads.push(Read::Value(self.src, Mode::Contextual));
                Ctx::Unknown
            }
            Some(Func::Itext) => {
                self.language = true;
                Ctx::Unknown
            }
            Some(Func::ChoiceName) => {
                self.language = true;
                // The second argument is a path written as a string; ODK evaluates it, so the
                // expression depends on the question it names.
                if let Some(Expr::Literal(text)) = args.get(1) {
                    match fieldline_xpath::parse(text) {
                        Ok(mut parsed) => {
                            self.walk(&mut parsed, Ctx::Def(self.src), false, false);
                        }
                        Err(_) => self.everything = true,
                    }
                }
                Ctx::Unknown
            }
            _ => Ctx::Unknown,
        }
    }

    fn path(&mut self, path: &mut Path, ctx: Ctx, wrap: bool, in_indexed: bool) -> Ctx {
        let mut at = match &mut path.start {
            PathStart::Root => Ctx::Def(usize::MAX),
            PathStart::Context => ctx,
            PathStart::Expr(e) => self.walk(e, ctx, wrap, in_indexed),
        };
        let steps = path.steps.len();
        for (i, step) in path.steps.iter_mut().enumerate() {
            at = self.step(step, at, in_indexed);
            for p in step.predicates.iter_mut() {
                self.walk(p, at, true, in_indexed);
            }
            // A primary node reached by navigation is read at the end of the path, or where
            // a predicate filters on it.
            if let Ctx::Def(d) = at {
                if d != usize::MAX && (i + 1 == steps || !step.predicates.is_empty()) {
                    let mode = if matches!(path.start, PathStart::Root) {
                        Mode::Absolute
                    } else {
                        Mode::Contextual
                    };
                    self.read_navigated(d, mode);
                }
            }
        }
        at
    }

    /// A node reached by a written path: its value, or for a container what is under it.
    fn read_navigated(&mut self, def: DefId, mode: Mode) {
        self.read(def, mode);
    }

    fn step(&mut self, step: &mut Step, at: Ctx, in_indexed: bool) -> Ctx {
        if let NodeTest::Field(name) = &mut step.test {
            return match self.field(name, in_indexed) {
                Some(t) => Ctx::Def(t),
                None => Ctx::Unknown,
            };
        }
        let Ctx::Def(d) = at else {
            return at;
        };
        let defs = self.defs;
        let next = match (step.axis, &step.test) {
            (Axis::SelfAxis, NodeTest::Node) => Some(d),
            (Axis::Parent, NodeTest::Node) if d == usize::MAX => None,
            (Axis::Parent, NodeTest::Node) => Some(defs[d].parent.unwrap_or(usize::MAX)),
            (Axis::Child, NodeTest::Name(n)) if d == usize::MAX => {
                (defs[0].name == *n).then_some(0)
            }
            (Axis::Child, NodeTest::Name(n)) => defs[d]
                .children
                .iter()
                .copied()
                .find(|&c| defs[c].name == *n),
            _ => None,
        };
        match next {
            Some(n) => Ctx::Def(n),
            None => {
                self.everything = true;
                Ctx::Unknown
            }
        }
    }
}

/// `current()/${x}`: a contextual reference resolved from the bind's node.
fn from_current(field: String) -> Expr {
    Expr::Path(Path {
        start: PathStart::Expr(Box::new(Expr::Call {
            name: "current".into(),
            func: Some(Func::Current),
            args: Vec::new(),
            offset: 0,
        })),
        steps: vec![Step {
            axis: Axis::Child,
            test: NodeTest::Field(field),
            predicates: Vec::new(),
        }],
    })
}
