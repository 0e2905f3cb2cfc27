//! XPath values and the XPath 1.0 / ODK conversions between them.

/// Number to string as XPath 1.0 §4.2 prescribes: integers without a fractional part, no
/// exponent notation, `NaN`, `Infinity`, `-Infinity`, and `-0` as `0`.
///
/// Note: when *evaluating*, ODK converts NaN to the empty string instead (see
/// [`crate::value::odk_number_to_string`]); this function is the spec's rule, used for printing
/// expressions.
pub fn number_to_string(n: f64) -> String {
    if n.is_nan() {
        "NaN".to_string()
    } else {
        odk_number_to_string(n)
    }
}

/// Number to string as ODK's evaluator does it: like [`number_to_string`] but NaN (the result
/// of arithmetic on an empty answer) becomes the empty string.
pub fn odk_number_to_string(n: f64) -> String {
    if n.is_nan() {
        String::new()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else if n == 0.0 {
        "0".to_string()
    } else {
        // Rust prints the shortest representation that round-trips, never with an exponent,
        // which is what XPath asks for; integers print without ".0".
        format!("{n}")
    }
}

use std::borrow::Cow;

use crate::context::{Context, NodeSet};
use crate::dates;

/// The result of evaluating an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a, N> {
    Boolean(bool),
    Number(f64),
    /// Borrowed from the expression or the document where possible.
    String(Cow<'a, str>),
    /// Nodes in document order (except the result of `randomize()`, which keeps its shuffle).
    NodeSet(NodeSet<N>),
    /// A date or date-time from `date()`, `today()`, `now()` or `number()` of a date string.
    /// ODK types it as a number (days since the epoch, for arithmetic and comparison) whose
    /// string value is nevertheless the ISO text, so `today()` stores as `2024-05-01`.
    Date(DateValue),
}

#[derive(Debug, Clone, PartialEq)]
pub struct DateValue {
    pub days: f64,
    pub truthy: bool,
    pub text: String,
}

impl DateValue {
    /// A date-time at an instant (NaN for ODK's "Invalid Date").
    pub(crate) fn at<C: Context + ?Sized>(ctx: &C, epoch_millis: Option<f64>) -> DateValue {
        match epoch_millis {
            Some(ms) => DateValue {
                days: ms / dates::DAY_MILLIS,
                truthy: ms != 0.0,
                text: dates::format_instant(ctx, ms),
            },
            None => DateValue {
                days: f64::NAN,
                truthy: false,
                text: "Invalid Date".to_string(),
            },
        }
    }
}

impl<'a, N: Copy> Value<'a, N> {
    /// XPath `boolean()`.
    pub fn to_boolean(&self) -> bool {
        match self {
            Value::Boolean(b) => *b,
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::String(s) => !s.is_empty(),
            Value::NodeSet(nodes) => !nodes.is_empty(),
            Value::Date(d) => d.truthy,
        }
    }

    /// XPath `number()` with ODK's extensions: ISO date strings convert to days since the
    /// epoch, and strings follow JavaScript's `Number()` (so `" 12 "`, `"1e3"`, `"0x1F"` are
    /// numbers, and an empty answer is NaN).
    pub fn to_number<C: Context<Node = N> + ?Sized>(&self, ctx: &C) -> f64 {
        match self {
            Value::Boolean(b) => f64::from(u8::from(*b)),
            Value::Number(n) => *n,
            Value::String(s) => string_to_number(ctx, s),
            Value::NodeSet(nodes) => nodes.first().map_or(f64::NAN, |&n| node_number(ctx, n)),
            Value::Date(d) => d.days,
        }
    }

    /// XPath `string()` as ODK evaluates it (NaN becomes the empty string).
    pub fn to_str<'s, C: Context<Node = N> + ?Sized>(&'s self, ctx: &'a C) -> Cow<'s, str>
    where
        'a: 's,
    {
        match self {
            Value::Boolean(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Value::Number(n) => Cow::Owned(odk_number_to_string(*n)),
            Value::String(s) => Cow::Borrowed(s.as_ref()),
            Value::NodeSet(nodes) => nodes
                .first()
                .map_or(Cow::Borrowed(""), |&n| ctx.string_value(n)),
            Value::Date(d) => Cow::Borrowed(d.text.as_str()),
        }
    }

    /// Like [`Value::to_str`] but consuming, so an owned string is moved rather than copied.
    pub fn into_string<C: Context<Node = N> + ?Sized>(self, ctx: &'a C) -> Cow<'a, str> {
        match self {
            Value::String(s) => s,
            Value::Date(d) => Cow::Owned(d.text),
            Value::NodeSet(nodes) => nodes
                .first()
                .map_or(Cow::Borrowed(""), |&n| ctx.string_value(n)),
            other => Cow::Owned(other.to_str(ctx).into_owned()),
        }
    }

    /// ODK's type name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Boolean(_) => "boolean",
            Value::Number(_) | Value::Date(_) => "number",
            Value::String(_) => "string",
            Value::NodeSet(_) => "node-set",
        }
    }

    pub(crate) fn is_numeric(&self) -> bool {
        matches!(self, Value::Number(_) | Value::Date(_))
    }
}

/// XML whitespace as XPath's `normalize-space` and ODK's emptiness checks understand it.
pub(crate) fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// A node's number value: empty (after trimming XML whitespace) is NaN, not 0.
pub(crate) fn node_number<C: Context + ?Sized>(ctx: &C, node: C::Node) -> f64 {
    let s = ctx.string_value(node);
    if s.trim_matches(is_xml_space).is_empty() {
        f64::NAN
    } else {
        string_to_number(ctx, &s)
    }
}

/// ODK's string-to-number: "" is NaN, an ISO date or date-time is days since the epoch (as an
/// instant in the context's zone), anything else as JavaScript's `Number()`.
pub fn string_to_number<C: Context + ?Sized>(ctx: &C, s: &str) -> f64 {
    if s.is_empty() {
        return f64::NAN;
    }
    // Cheap pre-check keeps ordinary numbers off the date parser.
    if s.len() >= 10 && s.as_bytes()[4] == b'-' {
        if let Some(ms) = dates::parse_date_time(ctx, s) {
            return ms / dates::DAY_MILLIS;
        }
    }
    js_number(s)
}

/// JavaScript's `Number(string)`: surrounding whitespace ignored, empty is 0, optional sign,
/// decimal with optional exponent, `Infinity`, or an unsigned `0x`/`0o`/`0b` integer.
pub fn js_number(s: &str) -> f64 {
    let t = s.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
    if t.is_empty() {
        return 0.0;
    }
    let b = t.as_bytes();
    if b.len() > 2 && b[0] == b'0' {
        let radix = match b[1] {
            b'x' | b'X' => 16,
            b'o' | b'O' => 8,
            b'b' | b'B' => 2,
            _ => 0,
        };
        if radix != 0 {
            return t[2..]
                .chars()
                .try_fold(0.0_f64, |acc, c| {
                    c.to_digit(radix)
                        .map(|d| acc * f64::from(radix) + f64::from(d))
                })
                .unwrap_or(f64::NAN);
        }
    }
    let (sign, body) = match b[0] {
        b'-' => (-1.0, &t[1..]),
        b'+' => (1.0, &t[1..]),
        _ => (1.0, t),
    };
    if body == "Infinity" {
        return sign * f64::INFINITY;
    }
    // Validate the StrDecimalLiteral grammar ourselves: Rust's parser also takes "inf"/"nan".
    let bytes = body.as_bytes();
    let mut i = 0;
    let int_digits = bytes.iter().take_while(|c| c.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = bytes[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return f64::NAN;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_digits = bytes[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp_digits == 0 {
            return f64::NAN;
        }
        i += exp_digits;
    }
    if i != bytes.len() {
        return f64::NAN;
    }
    body.parse::<f64>().map_or(f64::NAN, |v| sign * v)
}
