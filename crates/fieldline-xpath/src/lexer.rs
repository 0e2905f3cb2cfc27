//! Tokeniser for the XLSForm/ODK dialect of XPath 1.0.
//!
//! XPath's grammar is ambiguous at the token level (`*` is both a name test and multiplication,
//! `div` is both an operator and an element name). The XPath 1.0 spec (section 3.7) resolves it
//! from the *preceding* token, so the lexer keeps that state and emits the resolved kind; the
//! parser then never needs to look behind.

use crate::error::ParseError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok<'s> {
    Number(f64),
    /// String literal without its quotes (XPath 1.0 has no escapes).
    Literal(&'s str),
    /// `${name}`: an XLSForm question reference.
    Field(&'s str),
    /// `$name`: an XPath variable reference.
    Variable(&'s str),
    /// A QName or NCName used as a name test, function name, axis name or node type.
    Name(&'s str),
    /// `prefix:*`
    PrefixStar(&'s str),
    /// `*` as a name test.
    Star,
    /// `*` as multiplication.
    Mul,
    And,
    Or,
    Div,
    Mod,
    Slash,
    DoubleSlash,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Dot,
    DotDot,
    At,
    Comma,
    ColonColon,
    Pipe,
    Plus,
    Minus,
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    Eof,
}

impl Tok<'_> {
    /// Human description used in "expected X, found Y" messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Number(n) => format!("number {n}"),
            Tok::Literal(s) => format!("string '{s}'"),
            Tok::Field(n) => format!("${{{n}}}"),
            Tok::Variable(n) => format!("${n}"),
            Tok::Name(n) => format!("'{n}'"),
            Tok::PrefixStar(p) => format!("'{p}:*'"),
            Tok::Star | Tok::Mul => "'*'".into(),
            Tok::And => "'and'".into(),
            Tok::Or => "'or'".into(),
            Tok::Div => "'div'".into(),
            Tok::Mod => "'mod'".into(),
            Tok::Slash => "'/'".into(),
            Tok::DoubleSlash => "'//'".into(),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::LBracket => "'['".into(),
            Tok::RBracket => "']'".into(),
            Tok::Dot => "'.'".into(),
            Tok::DotDot => "'..'".into(),
            Tok::At => "'@'".into(),
            Tok::Comma => "','".into(),
            Tok::ColonColon => "'::'".into(),
            Tok::Pipe => "'|'".into(),
            Tok::Plus => "'+'".into(),
            Tok::Minus => "'-'".into(),
            Tok::Eq => "'='".into(),
            Tok::Neq => "'!='".into(),
            Tok::Lt => "'<'".into(),
            Tok::Lte => "'<='".into(),
            Tok::Gt => "'>'".into(),
            Tok::Gte => "'>='".into(),
            Tok::Eof => "end of expression".into(),
        }
    }

    /// XPath 1.0 §3.7: after these tokens (or at the start) `*` and NCNames are *not* operators.
    fn allows_operator_after(&self) -> bool {
        !matches!(
            self,
            Tok::At
                | Tok::ColonColon
                | Tok::LParen
                | Tok::LBracket
                | Tok::Comma
                | Tok::And
                | Tok::Or
                | Tok::Div
                | Tok::Mod
                | Tok::Mul
                | Tok::Slash
                | Tok::DoubleSlash
                | Tok::Pipe
                | Tok::Plus
                | Tok::Minus
                | Tok::Eq
                | Tok::Neq
                | Tok::Lt
                | Tok::Lte
                | Tok::Gt
                | Tok::Gte
        )
    }
}

/// A token and the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spanned<'s> {
    pub tok: Tok<'s>,
    pub offset: usize,
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    // Combining marks matter: Devanagari names carry vowel signs that are not "alphabetic".
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '\u{B7}') || is_combining(c)
}

fn is_combining(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x0900..=0x0DFF | 0x200C | 0x200D)
}

pub(crate) fn tokenize(src: &str) -> Result<Vec<Spanned<'_>>, ParseError> {
    let bytes = src.as_bytes();
    let mut out: Vec<Spanned<'_>> = Vec::with_capacity(src.len() / 2 + 1);
    let mut i = 0;
    while i < bytes.len() {
        let c = src[i..].chars().next().unwrap_or(' ');
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        let start = i;
        let prev_allows_op = out.last().is_some_and(|t| t.tok.allows_operator_after());
        let two = bytes.get(i + 1).copied();
        let tok = match c {
            '(' => {
                i += 1;
                Tok::LParen
            }
            ')' => {
                i += 1;
                Tok::RParen
            }
            '[' => {
                i += 1;
                Tok::LBracket
            }
            ']' => {
                i += 1;
                Tok::RBracket
            }
            ',' => {
                i += 1;
                Tok::Comma
            }
            '@' => {
                i += 1;
                Tok::At
            }
            '|' => {
                i += 1;
                Tok::Pipe
            }
            '+' => {
                i += 1;
                Tok::Plus
            }
            '-' => {
                i += 1;
                Tok::Minus
            }
            '=' => {
                i += 1;
                Tok::Eq
            }
            '!' if two == Some(b'=') => {
                i += 2;
                Tok::Neq
            }
            '<' if two == Some(b'=') => {
                i += 2;
                Tok::Lte
            }
            '<' => {
                i += 1;
                Tok::Lt
            }
            '>' if two == Some(b'=') => {
                i += 2;
                Tok::Gte
            }
            '>' => {
                i += 1;
                Tok::Gt
            }
            ':' if two == Some(b':') => {
                i += 2;
                Tok::ColonColon
            }
            '/' if two == Some(b'/') => {
                i += 2;
                Tok::DoubleSlash
            }
            '/' => {
                i += 1;
                Tok::Slash
            }
            '*' => {
                i += 1;
                if prev_allows_op {
                    Tok::Mul
                } else {
                    Tok::Star
                }
            }
            '.' if two == Some(b'.') => {
                i += 2;
                Tok::DotDot
            }
            '.' if !two.is_some_and(|b| b.is_ascii_digit()) => {
                i += 1;
                Tok::Dot
            }
            '0'..='9' | '.' => {
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                if i < bytes.len() && bytes[i] == b'.' {
                    i += 1;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                // Digits and at most one dot always parse as f64.
                Tok::Number(src[start..i].parse().unwrap_or(f64::NAN))
            }
            '\'' | '"' => {
                let body = start + 1;
                match src[body..].find(c) {
                    Some(len) => {
                        i = body + len + 1;
                        Tok::Literal(&src[body..body + len])
                    }
                    None => return Err(ParseError::new(start, "unterminated string literal")),
                }
            }
            '$' if two == Some(b'{') => {
                let body = start + 2;
                let Some(len) = src[body..].find('}') else {
                    return Err(ParseError::new(start, "unterminated ${...} reference"));
                };
                let name = src[body..body + len].trim();
                if name.is_empty() || !name.chars().all(|c| is_name_char(c) || c == ':') {
                    return Err(ParseError::new(
                        start,
                        format!("invalid question name in ${{{}}}", &src[body..body + len]),
                    ));
                }
                i = body + len + 1;
                Tok::Field(name)
            }
            '$' => {
                let body = start + 1;
                let len = scan_qname(&src[body..]);
                if len == 0 {
                    return Err(ParseError::new(start, "expected a name after '$'"));
                }
                i = body + len;
                Tok::Variable(&src[body..i])
            }
            c if is_name_start(c) => {
                let len = scan_qname(&src[i..]);
                let name = &src[i..i + len];
                i += len;
                // `prefix:*`
                if src[i..].starts_with(":*") && !name.contains(':') {
                    i += 2;
                    Tok::PrefixStar(name)
                } else if prev_allows_op {
                    match name {
                        "and" => Tok::And,
                        "or" => Tok::Or,
                        "div" => Tok::Div,
                        "mod" => Tok::Mod,
                        _ => Tok::Name(name),
                    }
                } else {
                    Tok::Name(name)
                }
            }
            other => {
                return Err(ParseError::new(
                    start,
                    format!("unexpected character '{other}'"),
                ))
            }
        };
        out.push(Spanned { tok, offset: start });
    }
    out.push(Spanned {
        tok: Tok::Eof,
        offset: src.len(),
    });
    Ok(out)
}

/// Length in bytes of the (Q)Name at the start of `s`; 0 if none.
fn scan_qname(s: &str) -> usize {
    let ncname = |s: &str| -> usize {
        let mut chars = s.char_indices();
        match chars.next() {
            Some((_, c)) if is_name_start(c) => {}
            _ => return 0,
        }
        for (idx, c) in chars {
            if !is_name_char(c) {
                return idx;
            }
        }
        s.len()
    };
    let first = ncname(s);
    if first == 0 {
        return 0;
    }
    // A single ':' followed by a name start makes a QName; '::' is an axis separator.
    let rest = &s[first..];
    if rest.starts_with(':') && !rest.starts_with("::") {
        let second = ncname(&rest[1..]);
        if second > 0 {
            return first + 1 + second;
        }
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok<'_>> {
        tokenize(src).unwrap().into_iter().map(|s| s.tok).collect()
    }

    #[test]
    fn star_and_names_are_disambiguated_by_the_previous_token() {
        assert_eq!(
            kinds("* * div div div"),
            vec![
                Tok::Star,
                Tok::Mul,
                Tok::Name("div"),
                Tok::Div,
                Tok::Name("div"),
                Tok::Eof
            ]
        );
        assert_eq!(
            kinds("and and or"),
            vec![Tok::Name("and"), Tok::And, Tok::Name("or"), Tok::Eof]
        );
    }

    #[test]
    fn qnames_axes_and_fields() {
        assert_eq!(
            kinds("jr:choice-name(${a_b}, child::x)"),
            vec![
                Tok::Name("jr:choice-name"),
                Tok::LParen,
                Tok::Field("a_b"),
                Tok::Comma,
                Tok::Name("child"),
                Tok::ColonColon,
                Tok::Name("x"),
                Tok::RParen,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn numbers_and_literals() {
        assert_eq!(
            kinds(".5 12 3.25 'it\"s' \"it's\""),
            vec![
                Tok::Number(0.5),
                Tok::Number(12.0),
                Tok::Number(3.25),
                Tok::Literal("it\"s"),
                Tok::Literal("it's"),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn unterminated_literal_reports_its_start() {
        let e = tokenize("concat('a, 'b')").unwrap_err();
        assert_eq!(e.offset, 13);
    }
}
