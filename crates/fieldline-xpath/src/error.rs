//! Errors: parse errors (with a caret renderer for form authors) and evaluation errors.

use std::fmt;

/// An expression that could not be parsed (or that calls a function with the wrong number of
/// arguments, which is detected at parse time so a form is refused at load).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// Byte offset into the source where the problem is.
    pub offset: usize,
    /// What is wrong, e.g. "expected ')'".
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.message, self.offset)
    }
}

impl ParseError {
    pub(crate) fn new(offset: usize, message: impl Into<String>) -> Self {
        ParseError {
            offset,
            message: message.into(),
        }
    }

    /// The expression on one line and a `^` under the offending character on the next.
    ///
    /// The column counts characters, not bytes, so that a caret under Devanagari or other
    /// multi-byte text lines up in a monospace terminal. Line breaks and tabs inside the
    /// expression are shown as spaces so the two lines stay aligned.
    pub fn caret(&self, src: &str) -> String {
        let mut offset = self.offset.min(src.len());
        while !src.is_char_boundary(offset) {
            offset -= 1;
        }
        let line: String = src
            .chars()
            .map(|c| if c.is_whitespace() { ' ' } else { c })
            .collect();
        let column = src[..offset].chars().count();
        format!("{line}\n{}^", " ".repeat(column))
    }
}

/// A failure while evaluating an expression that ODK also treats as an error (rather than
/// producing NaN or an empty string), e.g. an unsupported digest algorithm.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("function {name}() is not supported")]
    UnsupportedFunction { name: String },
    #[error("{function}(): {message}")]
    Function {
        function: &'static str,
        message: String,
    },
    #[error("expected a node-set, got {found}")]
    NotANodeSet { found: &'static str },
    #[error("XPath variables are not supported (${name})")]
    Variable { name: String },
    #[error("{0}")]
    Context(String),
}

impl EvalError {
    pub(crate) fn func(function: &'static str, message: impl Into<String>) -> Self {
        EvalError::Function {
            function,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_byte_offset() {
        let e = ParseError::new(14, "expected ')'");
        assert_eq!(e.to_string(), "expected ')' at byte 14");
    }

    #[test]
    fn caret_counts_characters_not_bytes() {
        let src = "${नाम} = 'हाँ' and";
        let offset = src.len();
        let e = ParseError::new(offset, "expected an expression");
        let caret = e.caret(src);
        let mut lines = caret.lines();
        assert_eq!(lines.next().unwrap(), src);
        let second = lines.next().unwrap();
        assert_eq!(second.chars().count(), src.chars().count() + 1);
        assert!(second.ends_with('^'));
    }

    #[test]
    fn caret_at_start_and_with_newlines() {
        let e = ParseError::new(0, "x");
        assert_eq!(e.caret(")a"), ")a\n^");
        let e = ParseError::new(3, "x");
        assert_eq!(e.caret("a\nb c"), "a b c\n   ^");
    }
}
