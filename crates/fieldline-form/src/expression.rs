//! Expressions from the form (`relevant`, `calculation`, `choice_filter`, indicators...), kept
//! both as the author's text and as the parsed tree the engine evaluates.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[cfg(feature = "xlsform")]
use crate::{headers::Header, problems::Problems};

pub use fieldline_xpath::{Expr, ParseError};

/// An XLSForm expression: source text plus its parse.
#[derive(Debug, Clone, PartialEq)]
pub struct Expression {
    source: String,
    parsed: Expr,
}

impl Expression {
    /// Parse an expression.
    pub fn parse(source: &str) -> Result<Self, ParseError> {
        Ok(Expression {
            source: source.to_string(),
            parsed: fieldline_xpath::parse(source)?,
        })
    }

    /// The text as written in the form (after pyxform's quote clean-up).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The parsed expression.
    pub fn expr(&self) -> &Expr {
        &self.parsed
    }
}

/// Stored forms keep only the text: the tree is rebuilt on load, so a stored definition does
/// not depend on the parser's internal representation.
impl Serialize for Expression {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for Expression {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let source = String::deserialize(d)?;
        Expression::parse(&source)
            .map_err(|e| serde::de::Error::custom(format!("unparsable expression {source:?}: {e}")))
    }
}

/// A `${name}` reference found in text, with its byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference<'a> {
    pub name: &'a str,
    pub offset: usize,
    pub last_saved: bool,
}

/// All `${name}` references in any text (labels, hints, expressions), following pyxform's
/// rules: `${` must be followed by an XML name (optionally `last-saved#`) and `}`.
/// Returns the byte offset of the first malformed reference as the error.
pub fn references(text: &str) -> Result<Vec<Reference<'_>>, usize> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("${") {
        let start = from + i;
        let inner_start = start + 2;
        let Some(len) = text[inner_start..].find('}') else {
            return Err(start);
        };
        let inner = &text[inner_start..inner_start + len];
        let (last_saved, name) = match inner.strip_prefix("last-saved#") {
            Some(n) => (true, n),
            None => (false, inner),
        };
        if !is_xml_name(name) {
            return Err(start);
        }
        out.push(Reference {
            name,
            offset: start,
            last_saved,
        });
        from = inner_start + len + 1;
    }
    Ok(out)
}

/// XML NCName rules as pyxform applies them to question names: a letter or underscore, then
/// letters, digits, `_`, `-`, `.`.
pub fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let start_ok = |c: char| c == '_' || c.is_alphabetic();
    start_ok(first)
        && chars.all(|c| {
            start_ok(c)
                || c.is_ascii_digit()
                || matches!(c, '-' | '.' | '\u{b7}')
                || c.is_numeric()
                || ('\u{300}'..='\u{36f}').contains(&c)
                || ('\u{203f}'..='\u{2040}').contains(&c)
        })
}

/// Parse an expression cell; an unparsable expression or an unsupported function is a
/// problem at that cell.
#[cfg(feature = "xlsform")]
pub fn parse_expression(
    source: &str,
    sheet: &str,
    row: u32,
    header: &Header,
    problems: &mut Problems,
) -> Option<Expression> {
    match Expression::parse(source) {
        Err(e) => {
            problems.at(
                sheet,
                row,
                Some(header.column()),
                format!("the expression could not be read: {}", e.message),
                format!(
                    "{}\ncheck the brackets, quotes and operators at the caret",
                    e.caret(source)
                ),
            );
            None
        }
        Ok(expr) => {
            for f in expr.expr().function_names() {
                if fieldline_xpath::is_supported_function(f) {
                    continue;
                }
                let (msg, hint) = unsupported(f, source);
                problems.at(sheet, row, Some(header.column()), msg, hint);
            }
            Some(expr)
        }
    }
}

#[cfg(feature = "xlsform")]
fn unsupported(name: &str, source: &str) -> (String, String) {
    if name == "pulldata" {
        // The first argument names the attached CSV: pulldata('fruits', 'name', 'key', ${x}).
        let file = source
            .split_once("pulldata(")
            .map(|(_, rest)| rest.trim_start())
            .and_then(|rest| {
                let q = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
                rest[1..].split(q).next().map(str::to_string)
            })
            .unwrap_or_default();
        return (
            format!(
                "the function pulldata() is not supported: it reads the attached CSV \
                 '{file}.csv', and Fieldline forms cannot carry CSV files for pulldata() yet"
            ),
            "replace pulldata() with a select_one_from_file question, or a choice list and \
             instance('list')/root/item[...] lookup"
                .to_string(),
        );
    }
    (
        format!("the function {name}() is not supported"),
        "see the list of supported functions in the fieldline-xpath README".to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_references() {
        let r = references("${a} + ${last-saved#b_2}").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].name, "a");
        assert_eq!(r[1].name, "b_2");
        assert!(r[1].last_saved);
        assert_eq!(r[1].offset, 7);
        assert_eq!(references("${a b}"), Err(0));
        assert_eq!(references("x ${a"), Err(2));
        assert!(references("no refs").unwrap().is_empty());
    }

    #[test]
    fn xml_names() {
        assert!(is_xml_name("hh_size"));
        assert!(is_xml_name("_x.y-z1"));
        assert!(!is_xml_name("1abc"));
        assert!(!is_xml_name("a b"));
        assert!(!is_xml_name(""));
    }

    #[test]
    fn serde_round_trip_reparses() {
        let e = Expression::parse("${a} > 1").unwrap();
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, "\"${a} > 1\"");
        let back: Expression = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
    }
}
