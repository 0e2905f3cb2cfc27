//! Typed storage as ODK's engine does it: every value a node receives, typed or calculated,
//! goes through its type's codec (decode then encode), so `10` becomes `10.0` in a decimal and
//! `2.5` becomes `2` in an int. The functions here return that canonical string.

use fieldline_xpath::value::js_number;

use crate::model::{Node, NodeKind};
use crate::types::{DataType, QuestionType};

/// How a node's value is stored and set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Containers have no value of their own.
    None,
    String,
    Int,
    Decimal,
    Date,
    Time,
    DateTime,
    Geopoint,
    Geotrace,
    Geoshape,
    /// Files (a file name), barcodes and other values kept as given.
    Opaque,
    /// `select_one`: one choice name.
    Select1,
    /// `select_multiple`: choice names, space-separated, in choice-list order.
    Select,
    /// `rank`: choice names in the order given.
    Rank,
    /// `acknowledge`/`trigger`: `OK` or empty.
    Acknowledge,
}

impl ValueKind {
    pub(crate) fn of(node: &Node) -> ValueKind {
        let NodeKind::Question(q) = node.kind else {
            return ValueKind::None;
        };
        match q {
            QuestionType::SelectOne => ValueKind::Select1,
            QuestionType::SelectMultiple => ValueKind::Select,
            QuestionType::Rank => ValueKind::Rank,
            QuestionType::Acknowledge | QuestionType::Trigger => ValueKind::Acknowledge,
            // pyxform binds a range as decimal when a bound or the step has a fraction.
            QuestionType::Range
                if ["start", "end", "step"]
                    .iter()
                    .filter_map(|k| node.parameters.get(*k))
                    .any(|v| v.contains('.')) =>
            {
                ValueKind::Decimal
            }
            _ => match q.data_type() {
                DataType::Int => ValueKind::Int,
                DataType::Decimal => ValueKind::Decimal,
                DataType::Date => ValueKind::Date,
                DataType::Time => ValueKind::Time,
                DataType::DateTime => ValueKind::DateTime,
                DataType::Geopoint => ValueKind::Geopoint,
                DataType::Geotrace => ValueKind::Geotrace,
                DataType::Geoshape => ValueKind::Geoshape,
                DataType::Binary | DataType::Barcode => ValueKind::Opaque,
                DataType::String | DataType::Rank => ValueKind::String,
            },
        }
    }

    pub(crate) fn is_select(self) -> bool {
        matches!(
            self,
            ValueKind::Select1 | ValueKind::Select | ValueKind::Rank
        )
    }

    /// The canonical stored form of `value` (ODK's `decodeInstanceValue`); `""` when the value
    /// is not of this type. Selects are canonicalised against their choices elsewhere.
    pub fn normalize(self, value: &str) -> String {
        match self {
            ValueKind::Int => int(value),
            ValueKind::Decimal => decimal(value),
            ValueKind::Date => date(value),
            ValueKind::Time => time(value).to_string(),
            ValueKind::DateTime => date_time(value).to_string(),
            ValueKind::Geopoint => geopoint(value).unwrap_or_default(),
            ValueKind::Geotrace => shape(value, false),
            ValueKind::Geoshape => shape(value, true),
            _ => value.to_string(),
        }
    }

    /// Whether a given value and its stored form mean the same: equal, the same number
    /// written as XPath writes numbers (`07` = `7`, `3` = `3.0`), or the same points.
    pub fn same(self, given: &str, stored: &str) -> bool {
        if given == stored {
            return true;
        }
        if stored.is_empty() || given.trim().is_empty() {
            return false;
        }
        match self {
            ValueKind::Int | ValueKind::Decimal => same_number(given, stored),
            ValueKind::Geopoint | ValueKind::Geotrace | ValueKind::Geoshape => {
                let a: Vec<&str> = given.split(';').collect();
                let b: Vec<&str> = stored.split(';').collect();
                a.len() == b.len()
                    && a.iter().zip(&b).all(|(p, q)| {
                        let p: Vec<&str> = p.split_whitespace().collect();
                        let q: Vec<&str> = q.split_whitespace().collect();
                        p.len() == q.len() && p.iter().zip(&q).all(|(x, y)| same_number(x, y))
                    })
            }
            _ => false,
        }
    }
}

/// An XPath number literal (no exponent, no hex) equal to the stored number.
fn same_number(given: &str, stored: &str) -> bool {
    let t = given.trim_matches([' ', '\t', '\r', '\n']);
    let body = t.strip_prefix('-').unwrap_or(t);
    let (int_part, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let ok = digits(int_part) && digits(frac) && !(int_part.is_empty() && frac.is_empty());
    ok && js_number(t) == js_number(stored)
}

fn int(value: &str) -> String {
    if value.is_empty() {
        return String::new();
    }
    let n = js_number(value);
    if !n.is_finite() {
        return String::new();
    }
    let t = n.trunc();
    if !(-2_147_483_648.0..=2_147_483_647.0).contains(&t) {
        return String::new();
    }
    format!("{}", t as i64)
}

fn decimal(value: &str) -> String {
    if value.is_empty() {
        return String::new();
    }
    let n = js_number(value);
    if n.is_finite() {
        format_decimal(n)
    } else {
        String::new()
    }
}

/// ODK's decimal format (`Intl.NumberFormat`, 1 to 20 fraction digits, no grouping).
pub(crate) fn format_decimal(n: f64) -> String {
    let mut s = format!("{n}");
    if let Some((_, frac)) = s.split_once('.') {
        if frac.len() > 20 {
            s = format!("{n:.20}");
            let trimmed = s.trim_end_matches('0').len();
            s.truncate(trimmed);
        }
    } else {
        s.push_str(".0");
    }
    s
}

fn digits(s: &str, n: usize) -> Option<u32> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
}

fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Some(y), Some(m), Some(d)) = (digits(&s[..4], 4), digits(&s[5..7], 2), digits(&s[8..], 2))
    else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// `HH`, `HH:MM`, `HH:MM:SS` or with a fraction; `strict` requires seconds.
fn time_like(s: &str, strict: bool) -> bool {
    let (main, frac) = s.split_once('.').unwrap_or((s, ""));
    if s.contains('.') && (frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let parts: Vec<&str> = main.split(':').collect();
    if s.contains('.') && parts.len() != 3 {
        return false;
    }
    let need = if strict { 3..=3 } else { 1..=3 };
    if !need.contains(&parts.len()) {
        return false;
    }
    let limits = [23, 59, 59];
    parts
        .iter()
        .zip(limits)
        .all(|(p, max)| digits(p, 2).is_some_and(|v| v <= max))
}

/// Split a trailing `Z` or `±HH:MM` offset, which must be valid when present.
fn split_offset(s: &str) -> Option<(&str, &str)> {
    if let Some(rest) = s.strip_suffix(['Z', 'z']) {
        return Some((rest, "Z"));
    }
    if s.len() > 6 {
        let (rest, off) = s.split_at(s.len() - 6);
        let b = off.as_bytes();
        if (b[0] == b'+' || b[0] == b'-') && b[3] == b':' {
            let h = digits(&off[1..3], 2)?;
            let m = digits(&off[4..], 2)?;
            return (h <= 14 && m <= 59).then_some((rest, off));
        }
    }
    Some((s, ""))
}

fn date(value: &str) -> String {
    let (d, rest) = value.split_at(value.len().min(10));
    let ok = valid_date(d)
        && (rest.is_empty() || rest.strip_prefix('T').is_some_and(|t| time_like(t, false)));
    if ok {
        d.to_string()
    } else {
        String::new()
    }
}

fn time(value: &str) -> &str {
    match split_offset(value) {
        Some((t, _)) if time_like(t, true) => value,
        _ => "",
    }
}

fn date_time(value: &str) -> &str {
    let Some((d, t)) = value.split_once('T') else {
        return "";
    };
    match split_offset(t) {
        Some((t, _)) if valid_date(d) && time_like(t, true) => value,
        _ => "",
    }
}

/// ODK's `Geolocation.parseString` then `toCoordinatesString`.
fn geopoint(value: &str) -> Option<String> {
    let t = value.trim();
    if t.is_empty() {
        return None;
    }
    let nums: Vec<f64> = t.split_whitespace().map(js_number).collect();
    let (lat, lon) = (*nums.first()?, *nums.get(1)?);
    let alt = nums.get(2).copied();
    let acc = nums.get(3).copied();
    if alt.is_some_and(f64::is_nan) || acc.is_some_and(f64::is_nan) {
        return None;
    }
    let degrees = |v: f64, max: f64| !v.is_nan() && v.abs() <= max;
    if !degrees(lat, 90.0) || !degrees(lon, 180.0) || (lat == 0.0 && lon == 0.0) {
        return None;
    }
    let mut parts = vec![lat, lon];
    match (alt, acc) {
        (_, Some(a)) => parts.extend([alt.unwrap_or(0.0), a]),
        (Some(a), None) => parts.push(a),
        _ => {}
    }
    Some(
        parts
            .into_iter()
            .map(format_decimal)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

fn shape(value: &str, closed: bool) -> String {
    if value.trim().is_empty() {
        return String::new();
    }
    let mut parts: Vec<&str> = value.split(';').collect();
    if parts.last().is_some_and(|p| p.trim().is_empty()) {
        parts.pop();
    }
    let points: Option<Vec<String>> = parts.iter().map(|p| geopoint(p)).collect();
    let Some(points) = points else {
        return String::new();
    };
    let first_last_same = {
        let key = |p: &String| p.split(' ').take(2).collect::<Vec<_>>().join(" ");
        points.first().map(key) == points.last().map(key)
    };
    let ok = if closed {
        points.len() >= 3 && first_last_same
    } else {
        points.len() >= 2 && !first_last_same
    };
    if ok {
        points.join(";")
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::ValueKind::*;

    #[test]
    fn numbers_as_odk_stores_them() {
        assert_eq!(Decimal.normalize("10"), "10.0");
        assert_eq!(Decimal.normalize("2.50"), "2.5");
        assert_eq!(Decimal.normalize("abc"), "");
        assert_eq!(Int.normalize("2.5"), "2");
        assert_eq!(Int.normalize("-2.5"), "-2");
        assert_eq!(Int.normalize("07"), "7");
        assert_eq!(Int.normalize("3000000000"), "");
        assert_eq!(Int.normalize("x"), "");
        assert!(Int.same("07", "7"));
        assert!(Decimal.same("3", "3.0"));
        assert!(!Int.same("3.7", "3"));
        assert!(!Int.same("1e3", "1000"));
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(Date.normalize("2024-01-31"), "2024-01-31");
        assert_eq!(Date.normalize("2024-01-31T10:00"), "2024-01-31");
        assert_eq!(Date.normalize("2024-02-30"), "");
        assert_eq!(Date.normalize("45"), "");
        assert_eq!(Time.normalize("10:30:00"), "10:30:00");
        assert_eq!(Time.normalize("10:30:00.5+02:00"), "10:30:00.5+02:00");
        assert_eq!(Time.normalize("10:30"), "");
        assert_eq!(
            DateTime.normalize("2024-01-01T10:30:00Z"),
            "2024-01-01T10:30:00Z"
        );
        assert_eq!(DateTime.normalize("2024-01-01"), "");
    }

    #[test]
    fn geopoints_get_decimals() {
        assert_eq!(Geopoint.normalize("1 2 3 4"), "1.0 2.0 3.0 4.0");
        assert_eq!(Geopoint.normalize("1 2"), "1.0 2.0");
        assert_eq!(Geopoint.normalize("95 2"), "");
        assert!(Geopoint.same("1 2", "1.0 2.0"));
        assert_eq!(Geotrace.normalize("1 2;3 4"), "1.0 2.0;3.0 4.0");
        assert_eq!(
            Geoshape.normalize("1 2;3 4;5 6;1 2"),
            "1.0 2.0;3.0 4.0;5.0 6.0;1.0 2.0"
        );
    }
}
