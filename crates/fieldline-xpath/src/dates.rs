//! Dates as ODK handles them: ISO strings parsed in the device's time zone, numbers as days
//! since 1970-01-01 (an *instant*, so a local date in UTC+5:30 is a fraction below the UTC
//! day), and the string form `YYYY-MM-DD` for local midnight or
//! `YYYY-MM-DDTHH:MM:SS.mmm+HH:MM` otherwise.

use crate::context::Context;

pub(crate) const DAY_MILLIS: f64 = 86_400_000.0;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day number (days since 1970-01-01, proleptic Gregorian). Public so the
/// form reader turns spreadsheet dates into text with the same calendar arithmetic.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// A local date-time broken into fields, with the offset that applies to it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Local {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub millis: u32,
    pub offset_minutes: i32,
    /// 1 = Monday … 7 = Sunday (ISO, as Temporal numbers them).
    pub weekday: u32,
}

/// The local fields of an instant in the context's time zone.
pub(crate) fn to_local<C: Context + ?Sized>(ctx: &C, epoch_millis: f64) -> Local {
    let offset = ctx.utc_offset_minutes(epoch_millis);
    let local = epoch_millis.round() as i64 + i64::from(offset) * 60_000;
    let days = local.div_euclid(86_400_000);
    let ms = local.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    Local {
        year,
        month,
        day,
        hour: (ms / 3_600_000) as u32,
        minute: (ms / 60_000 % 60) as u32,
        second: (ms / 1000 % 60) as u32,
        millis: (ms % 1000) as u32,
        offset_minutes: offset,
        weekday: ((days + 3).rem_euclid(7) + 1) as u32,
    }
}

/// The instant at which a local wall-clock time occurs in the context's zone. Uses the offset
/// in force at that wall time (two-step lookup, adequate across DST changes).
pub(crate) fn from_local<C: Context + ?Sized>(ctx: &C, local_as_utc_millis: f64) -> f64 {
    let first = ctx.utc_offset_minutes(local_as_utc_millis);
    let guess = local_as_utc_millis - f64::from(first) * 60_000.0;
    let second = ctx.utc_offset_minutes(guess);
    local_as_utc_millis - f64::from(second) * 60_000.0
}

/// ODK's `localDateTimeOrDateString`: the date alone at local midnight, else the full local
/// date-time with milliseconds and offset.
pub(crate) fn format_instant<C: Context + ?Sized>(ctx: &C, epoch_millis: f64) -> String {
    let l = to_local(ctx, epoch_millis);
    let date = format!("{}-{:02}-{:02}", pad_year(l.year), l.month, l.day);
    if l.hour == 0 && l.minute == 0 && l.second == 0 && l.millis == 0 {
        return date;
    }
    // Temporal prints fractional seconds without trailing zeros; ODK pads only a missing
    // fraction to ".000".
    let fraction = if l.millis == 0 {
        ".000".to_string()
    } else {
        let f = format!(".{:03}", l.millis);
        f.trim_end_matches('0').to_string()
    };
    format!(
        "{date}T{:02}:{:02}:{:02}{fraction}{}",
        l.hour,
        l.minute,
        l.second,
        format_offset(l.offset_minutes)
    )
}

fn pad_year(y: i64) -> String {
    if (0..=9999).contains(&y) {
        format!("{y:04}")
    } else if y < 0 {
        format!("-{:06}", -y)
    } else {
        format!("+{y:06}")
    }
}

fn format_offset(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.unsigned_abs();
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}

fn digits(s: &[u8], at: usize, n: usize) -> Option<u32> {
    let part = s.get(at..at + n)?;
    if !part.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(part.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
}

/// ODK's `dateTimeFromString`: `YYYY-MM-DD` optionally followed by `THH`, `THH:MM`,
/// `THH:MM:SS` or `THH:MM:SS.f…` and an optional `Z` or `±HH:MM` offset. Without an offset the
/// value is local time in the context's zone. Returns the instant in epoch milliseconds.
pub(crate) fn parse_date_time<C: Context + ?Sized>(ctx: &C, value: &str) -> Option<f64> {
    let s = value.as_bytes();
    if s.len() < 10 || s[4] != b'-' || s[7] != b'-' {
        return None;
    }
    let year = i64::from(digits(s, 0, 4)?);
    let month = digits(s, 5, 2)?;
    let day = digits(s, 8, 2)?;
    let (mut hour, mut minute, mut second, mut millis) = (0, 0, 0, 0.0);
    let mut i = 10;
    let mut offset: Option<i32> = None;
    if i < s.len() {
        if s[i] != b'T' {
            return None;
        }
        hour = digits(s, i + 1, 2)?;
        i += 3;
        if s.get(i) == Some(&b':') {
            minute = digits(s, i + 1, 2)?;
            i += 3;
            if s.get(i) == Some(&b':') {
                second = digits(s, i + 1, 2)?;
                i += 3;
                if s.get(i) == Some(&b'.') {
                    let start = i + 1;
                    i = start;
                    while i < s.len() && s[i].is_ascii_digit() {
                        i += 1;
                    }
                    if i == start {
                        return None;
                    }
                    // Milliseconds, truncated past nanoseconds as Temporal would, then the
                    // instant is rounded to whole milliseconds like ODK does.
                    let frac: f64 = format!("0.{}", &value[start..i]).parse().ok()?;
                    millis = frac * 1000.0;
                }
            }
        }
        match s.get(i) {
            None => {}
            Some(b'Z') if i + 1 == s.len() => offset = Some(0),
            Some(&sign @ (b'+' | b'-')) if i + 6 == s.len() && s[i + 3] == b':' => {
                let h = digits(s, i + 1, 2)?;
                let m = digits(s, i + 4, 2)?;
                // ODK rejects offsets beyond ±14:59 or with minutes ≥ 60.
                if h > 14 || m > 59 {
                    return None;
                }
                let total = (h * 60 + m) as i32;
                offset = Some(if sign == b'-' { -total } else { total });
            }
            _ => return None,
        }
    }
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let local = days_from_civil(year, month, day) as f64 * DAY_MILLIS
        + f64::from(hour * 3_600_000 + minute * 60_000 + second * 1000)
        + millis;
    let instant = match offset {
        Some(off) => local - f64::from(off) * 60_000.0,
        None => from_local(ctx, local),
    };
    Some(instant.round())
}

const SHORT_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
/// Indexed by ISO weekday (1 = Monday) into ODK's Sunday-first table, which is why ODK prints
/// an empty `%a` for Sundays; kept for conformance.
const SHORT_DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// `format-date` / `format-date-time` patterns. Unknown `%x` sequences are kept as written.
pub(crate) fn format_pattern(l: &Local, pattern: &str, with_time: bool) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(&k) = chars.peek() else {
            out.push('%');
            break;
        };
        let year = pad_year_plain(l.year);
        let piece = match k {
            'Y' => year,
            'y' => year.chars().skip(2).collect(),
            'm' => format!("{:02}", l.month),
            'n' => l.month.to_string(),
            'b' => SHORT_MONTHS[(l.month - 1) as usize].to_string(),
            'd' => format!("{:02}", l.day),
            'e' => l.day.to_string(),
            'a' => SHORT_DAYS
                .get(l.weekday as usize)
                .copied()
                .unwrap_or("")
                .to_string(),
            'H' if with_time => format!("{:02}", l.hour),
            'h' if with_time => l.hour.to_string(),
            'M' if with_time => format!("{:02}", l.minute),
            'S' if with_time => format!("{:02}", l.second),
            '3' if with_time => format!("{:03}", l.millis),
            _ => {
                out.push('%');
                continue;
            }
        };
        chars.next();
        out.push_str(&piece);
    }
    out
}

fn pad_year_plain(y: i64) -> String {
    format!("{y:04}")
}

/// ODK's `decimal-time`: the fraction of a day a `HH:MM[:SS[.f]][offset]` time represents,
/// after converting a time with an offset into the local zone.
pub(crate) fn decimal_time<C: Context + ?Sized>(ctx: &C, value: &str) -> f64 {
    let s = value.as_bytes();
    let valid = (|| {
        digits(s, 0, 2)?;
        (s.get(2) == Some(&b':')).then_some(())?;
        digits(s, 3, 2)?;
        Some(())
    })();
    // Temporal.PlainTime rejects a `Z` designator, so such times are NaN in ODK too.
    if valid.is_none() || value.ends_with('Z') {
        return f64::NAN;
    }
    let Some(instant) = parse_date_time(ctx, &format!("1970-01-01T{value}")) else {
        return f64::NAN;
    };
    let l = to_local(ctx, instant);
    f64::from(l.hour * 3_600_000 + l.minute * 60_000 + l.second * 1000 + l.millis) / DAY_MILLIS
}
