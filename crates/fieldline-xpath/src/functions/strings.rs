//! String functions. Lengths and indices count UTF-16 code units, as JavaScript (and so ODK)
//! does; for the scripts forms use (Latin, Devanagari, Arabic…) that equals characters.

use std::borrow::Cow;

use crate::ast::Expr;
use crate::context::Context;
use crate::error::EvalError;
use crate::eval::{Evaluator, Focus, Res, V};
use crate::func::Func;
use crate::value::{is_xml_space, Value};

impl<'a, C: Context> Evaluator<'a, C> {
    pub(crate) fn string_function(
        &self,
        func: Func,
        args: &'a [Expr],
        f: Focus<C::Node>,
    ) -> Res<V<'a, C>> {
        let s = |i: usize| self.eval_string(&args[i], f);
        let text = |v: String| Ok(Value::String(Cow::Owned(v)));
        match func {
            Func::String => Ok(Value::String(
                self.arg_or_context(args, f)?.into_string(self.ctx),
            )),
            Func::Concat => {
                // ODK's concat flattens node-sets: concat(${repeated}) joins every instance.
                let mut parts = Vec::new();
                self.item_strings(args, f, &mut parts)?;
                if parts.len() == 1 {
                    return Ok(Value::String(parts.pop().unwrap_or_default()));
                }
                text(parts.concat())
            }
            Func::Join => {
                let glue = s(0)?;
                let mut parts = Vec::new();
                self.item_strings(&args[1..], f, &mut parts)?;
                text(parts.join(&*glue))
            }
            Func::Coalesce => {
                let a = s(0)?;
                if a.is_empty() {
                    Ok(Value::String(s(1)?))
                } else {
                    Ok(Value::String(a))
                }
            }
            Func::Contains => Ok(Value::Boolean(s(0)?.contains(&*s(1)?))),
            Func::StartsWith => Ok(Value::Boolean(s(0)?.starts_with(&*s(1)?))),
            Func::EndsWith => Ok(Value::Boolean(s(0)?.ends_with(&*s(1)?))),
            Func::SubstringBefore => {
                let (h, n) = (s(0)?, s(1)?);
                text(h.find(&*n).map_or(String::new(), |i| h[..i].to_string()))
            }
            Func::SubstringAfter => {
                let h = s(0)?;
                if h.is_empty() {
                    return text(String::new());
                }
                let n = s(1)?;
                if n.is_empty() {
                    return Ok(Value::String(h));
                }
                // ODK skips one code unit past the match start, not the needle's length, so
                // substring-after('abcd', 'bc') is 'cd' there. Kept for conformance.
                text(match h.find(&*n) {
                    Some(i) => {
                        let start = utf16_index(&h, i) + 1;
                        utf16_slice(&h, start, utf16_len(&h))
                    }
                    None => String::new(),
                })
            }
            Func::Substring => {
                let h = s(0)?;
                if h.is_empty() {
                    return text(String::new());
                }
                let start = js_round(self.eval_number(&args[1], f)?) - 1.0;
                if start == f64::INFINITY || start.is_nan() {
                    return text(String::new());
                }
                let len = utf16_len(&h) as f64;
                let end = match args.get(2) {
                    Some(e) => {
                        let l = self.eval_number(e, f)?;
                        if l.is_nan() {
                            return text(String::new());
                        }
                        start + js_round(l)
                    }
                    None => len,
                };
                // JavaScript's String.prototype.substring: NaN is 0, clamp, swap if reversed.
                let clamp = |x: f64| if x.is_nan() { 0.0 } else { x.clamp(0.0, len) } as usize;
                let (a, b) = (clamp(start), clamp(end));
                text(utf16_slice(&h, a.min(b), a.max(b)))
            }
            Func::Substr => {
                let h = s(0)?;
                let len = utf16_len(&h) as f64;
                if len == 0.0 {
                    return text(String::new());
                }
                let mut start = parse_int(&s(1)?);
                let mut end = match args.get(2) {
                    Some(_) => parse_int(&s(2)?),
                    None => len,
                };
                if start < 0.0 {
                    start += len;
                }
                if end < 0.0 {
                    end += len;
                }
                // NaN propagates through Math.min/max and fails the comparison: ''.
                let end = end.max(0.0).min(len);
                let start = start.max(0.0).min(len);
                if start <= end {
                    text(utf16_slice(&h, start as usize, end as usize))
                } else {
                    text(String::new())
                }
            }
            Func::StringLength => {
                let v = self.arg_or_context(args, f)?;
                Ok(Value::Number(utf16_len(&v.to_str(self.ctx)) as f64))
            }
            Func::NormalizeSpace => {
                let v = self.arg_or_context(args, f)?;
                text(normalize_space(&v.to_str(self.ctx)))
            }
            Func::Translate => {
                let (h, from, to) = (s(0)?, s(1)?, s(2)?);
                let from: Vec<char> = from.chars().collect();
                let to: Vec<char> = to.chars().collect();
                text(
                    h.chars()
                        .filter_map(|c| match from.iter().position(|&x| x == c) {
                            Some(i) => to.get(i).copied(),
                            None => Some(c),
                        })
                        .collect(),
                )
            }
            Func::Regex => {
                let value = s(0)?;
                let pattern = s(1)?;
                let re = regex::Regex::new(&pattern)
                    .map_err(|e| EvalError::func("regex", format!("invalid pattern: {e}")))?;
                Ok(Value::Boolean(re.is_match(&value)))
            }
            Func::Uuid => {
                let length = match args.first() {
                    Some(e) => Some(self.eval_number(e, f)?),
                    None => None,
                };
                text(self.uuid(length)?)
            }
            Func::Base64Decode => {
                let decoded = super::hash::base64_decode(&s(0)?)
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .unwrap_or_default();
                text(decoded)
            }
            Func::Pulldata => self.pulldata(args, f),
            _ => unreachable!("{func:?} is dispatched elsewhere"),
        }
    }

    fn uuid(&self, length: Option<f64>) -> Res<String> {
        let one = || {
            let mut bytes = [0u8; 16];
            for b in &mut bytes {
                *b = (self.ctx.random() * 256.0) as u8;
            }
            bytes[6] = (bytes[6] & 0x0f) | 0x40;
            bytes[8] = (bytes[8] & 0x3f) | 0x80;
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            format!(
                "{}-{}-{}-{}-{}",
                &hex[..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..]
            )
        };
        let mut out = one();
        let Some(length) = length else {
            return Ok(out);
        };
        if length.is_nan() {
            return Err(EvalError::func(
                "uuid",
                "expected a valid number for the UUID length, but received NaN",
            ));
        }
        while (out.len() as f64) < length {
            out.push_str(&one());
        }
        let keep = if length <= 0.0 {
            0
        } else {
            length.ceil() as usize
        };
        out.truncate(keep.min(out.len()));
        Ok(out)
    }

    /// ODK implements pulldata as a lookup in the secondary instance of that name:
    /// `instance(id)/root/item[query_field = query]/wanted_field`.
    fn pulldata(&self, args: &'a [Expr], f: Focus<C::Node>) -> Res<V<'a, C>> {
        let id = self.eval_string(&args[0], f)?;
        let wanted = self.eval_string(&args[1], f)?;
        let key = self.eval_string(&args[2], f)?;
        let query = self.eval_string(&args[3], f)?;
        let Some(doc) = self.ctx.instance(&id) else {
            return Ok(Value::String(Cow::Borrowed("")));
        };
        let mut roots = smallvec::SmallVec::<[C::Node; 4]>::new();
        self.ctx.children(doc, Some("root"), &mut roots);
        for root in roots {
            let mut items = smallvec::SmallVec::<[C::Node; 4]>::new();
            self.ctx.children(root, Some("item"), &mut items);
            for item in items {
                let mut keys = smallvec::SmallVec::<[C::Node; 4]>::new();
                self.ctx.children(item, Some(&key), &mut keys);
                if keys.iter().any(|&k| self.ctx.string_value(k) == *query) {
                    let mut found = smallvec::SmallVec::<[C::Node; 4]>::new();
                    self.ctx.children(item, Some(&wanted), &mut found);
                    let v = found.first().map(|&n| self.ctx.string_value(n));
                    return Ok(Value::String(Cow::Owned(
                        v.map(Cow::into_owned).unwrap_or_default(),
                    )));
                }
            }
        }
        Ok(Value::String(Cow::Borrowed("")))
    }
}

/// JavaScript's `Math.round`: halves round towards +∞.
pub(crate) fn js_round(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let floor = x.floor();
    if x - floor >= 0.5 {
        floor + 1.0
    } else {
        floor
    }
}

/// JavaScript's `parseInt(s, 10)`: leading whitespace, optional sign, the longest digit prefix.
pub(crate) fn parse_int(s: &str) -> f64 {
    let t = s.trim_start();
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'-') => (-1.0, &t[1..]),
        Some(b'+') => (1.0, &t[1..]),
        _ => (1.0, t),
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return f64::NAN;
    }
    rest[..digits].parse::<f64>().map_or(f64::NAN, |v| sign * v)
}

/// XML whitespace trimmed, and runs of two or more collapsed to one space. (ODK leaves a single
/// tab or newline between words as it is.)
pub(crate) fn normalize_space(s: &str) -> String {
    let t = s.trim_matches(is_xml_space);
    let mut out = String::with_capacity(t.len());
    let mut run = 0;
    let mut pending = ' ';
    for c in t.chars() {
        if is_xml_space(c) {
            run += 1;
            pending = c;
            continue;
        }
        match run {
            0 => {}
            1 => out.push(pending),
            _ => out.push(' '),
        }
        run = 0;
        out.push(c);
    }
    out
}

pub(crate) fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.encode_utf16().count()
    }
}

/// The UTF-16 index of byte offset `byte` (a char boundary).
fn utf16_index(s: &str, byte: usize) -> usize {
    utf16_len(&s[..byte])
}

/// Code units `[start, end)`; a split surrogate pair becomes U+FFFD, as lossy decoding does.
pub(crate) fn utf16_slice(s: &str, start: usize, end: usize) -> String {
    if s.is_ascii() {
        return s[start.min(s.len())..end.min(s.len())].to_string();
    }
    let units: Vec<u16> = s.encode_utf16().collect();
    let end = end.min(units.len());
    String::from_utf16_lossy(&units[start.min(end)..end])
}
