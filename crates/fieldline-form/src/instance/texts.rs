//! Form texts (labels, hints, constraint and required messages) with their `${name}`
//! references filled in, as ODK's engine shows them.
//!
//! pyxform turns each `${name}` of a text into `<output value=" path "/>`, the path bound as in
//! any expression (relative when the two nodes share a repeat), and ODK evaluates each output
//! as a string in the context of the node the text belongs to. pyxform also pads mixed text:
//! when the text has more than one piece and some of it is plain text, it writes a space
//! before a leading text piece and one after the last piece (`" ni <output/> cm. "`), and ODK
//! shows those spaces. A reference alone, or references with no text between them, are
//! written bare.
//!
//! Texts are compiled once per form (with the [`Plan`](super::Plan)) and rendered when read, so
//! a text is always current, whatever answer changed the values it shows, and answering costs
//! nothing extra.

use std::borrow::Cow;
use std::collections::HashMap;

use fieldline_xpath::Expr;

use crate::expression::references;
use crate::model::{Form, Node, Translations};

use super::analyze::{compile, Compiled, Site};
use super::plan::{DefId, Defs};
use super::{Instance, InstanceNodeId};

/// Which text of a node to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FormText {
    Label,
    Hint,
    GuidanceHint,
    /// Shown while the constraint is violated.
    ConstraintMessage,
    /// Shown while the node is required, relevant and empty.
    RequiredMessage,
}

impl FormText {
    const ALL: [FormText; 5] = [
        FormText::Label,
        FormText::Hint,
        FormText::GuidanceHint,
        FormText::ConstraintMessage,
        FormText::RequiredMessage,
    ];

    /// The text in each language, as written in the form.
    pub(crate) fn of(self, node: &Node) -> &Translations {
        match self {
            FormText::Label => &node.label,
            FormText::Hint => &node.hint,
            FormText::GuidanceHint => &node.guidance_hint,
            FormText::ConstraintMessage => &node.bind.constraint_message,
            FormText::RequiredMessage => &node.bind.required_message,
        }
    }
}

/// A piece of a text with references.
#[derive(Debug)]
enum Piece {
    Literal(String),
    /// A `${name}` reference, compiled in the context of the text's node.
    Output(Compiled),
    /// `${last-saved#name}`: the previous submission's value, which an instance filled in
    /// on its own does not have (ODK reads an empty last-saved instance then).
    Empty,
}

/// A text with references, compiled for one definition.
#[derive(Debug)]
struct Template {
    source: String,
    pieces: Vec<Piece>,
}

/// The texts with references of every definition.
#[derive(Debug, Default)]
pub(crate) struct Templates {
    by_def: HashMap<DefId, Vec<Template>>,
}

impl Templates {
    /// Compile every text (in every language) that has `${name}` references.
    pub(crate) fn build(form: &Form, defs: &Defs) -> Templates {
        let mut by_def: HashMap<DefId, Vec<Template>> = HashMap::new();
        for node in form.nodes.iter().filter(|n| n.in_instance) {
            for which in FormText::ALL {
                for source in which.of(node).values() {
                    let known = by_def
                        .get(&node.id)
                        .is_some_and(|ts| ts.iter().any(|t| t.source == *source));
                    if known {
                        continue;
                    }
                    if let Some(pieces) = pieces(defs, node.id, source) {
                        by_def.entry(node.id).or_default().push(Template {
                            source: source.clone(),
                            pieces,
                        });
                    }
                }
            }
        }
        Templates { by_def }
    }

    fn find(&self, def: DefId, source: &str) -> Option<&Template> {
        self.by_def.get(&def)?.iter().find(|t| t.source == source)
    }
}

/// The pieces of `source` written on `def`, padded as pyxform writes them; `None` when it has
/// no (well-formed) references and is shown as written.
fn pieces(defs: &Defs, def: DefId, source: &str) -> Option<Vec<Piece>> {
    if !source.contains("${") {
        return None;
    }
    let refs = references(source).ok().filter(|r| !r.is_empty())?;
    let mut pieces = Vec::with_capacity(refs.len() * 2 + 1);
    let mut at = 0;
    for r in refs {
        if r.offset > at {
            pieces.push(Piece::Literal(source[at..r.offset].to_string()));
        }
        pieces.push(if r.last_saved {
            Piece::Empty
        } else {
            let field = Expr::Field(r.name.to_string());
            Piece::Output(compile(defs, def, &field, Site::Bind))
        });
        // `${`, an optional `last-saved#`, the name, `}`.
        at = source[r.offset..]
            .find('}')
            .map_or(source.len(), |i| r.offset + i + 1);
    }
    if at < source.len() {
        pieces.push(Piece::Literal(source[at..].to_string()));
    }
    let mixed = pieces.iter().any(|p| matches!(p, Piece::Literal(_)));
    if pieces.len() > 1 && mixed {
        if let Some(Piece::Literal(first)) = pieces.first_mut() {
            first.insert(0, ' ');
        }
        pieces.push(Piece::Literal(" ".to_string()));
    }
    Some(pieces)
}

impl Instance {
    /// A text of `node` in `language` (`None` = the current language; a text missing in
    /// that language falls back to the form's default language, then to any) with its
    /// `${name}` references replaced by their current values, evaluated in the node's
    /// context and spaced exactly as ODK shows pyxform's `<output>`s. `None` when the node
    /// has no such text. Rendered on each call, so it is current after any answer.
    pub fn render_text(
        &self,
        node: InstanceNodeId,
        text: FormText,
        language: Option<&str>,
    ) -> Option<String> {
        let n = self.node_checked(node).ok()?;
        let translations = text.of(&self.plan.form.nodes[n.def as DefId]);
        let source = self.translate_in(translations, language.unwrap_or(&self.language))?;
        Some(self.fill(node.0, source).into_owned())
    }

    /// `source`, one of `node`'s texts as written, with its references filled in.
    pub(crate) fn fill<'s>(&self, node: u32, source: &'s str) -> Cow<'s, str> {
        if !source.contains("${") {
            return Cow::Borrowed(source);
        }
        let def = self.nodes[node as usize].def as DefId;
        let Some(template) = self.plan.texts.find(def, source) else {
            return Cow::Borrowed(source);
        };
        let mut out = String::with_capacity(source.len());
        for piece in &template.pieces {
            match piece {
                Piece::Literal(text) => out.push_str(text),
                Piece::Output(c) => out.push_str(&self.eval_string(c, node)),
                Piece::Empty => {}
            }
        }
        Cow::Owned(out)
    }
}
