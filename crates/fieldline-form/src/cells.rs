//! Cell values as the text pyxform sees: the XForm a form becomes is built from these strings,
//! so `1` must stay `1` (not `1.0`) and a date cell must read as pyxform prints it.

use calamine::{Data, ExcelDateTime};
use fieldline_xpath::civil_from_days;

/// Which reader pyxform would have used: dates are rendered slightly differently by xlrd
/// (legacy `.xls`, whole seconds, ambiguous early dates refused) and openpyxl (`.xlsx`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Xls,
    Xlsx,
}

/// Why a cell could not be turned into text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellError {
    /// A legacy `.xls` date before 1900-03-01, which Excel's 1900 leap-year bug makes ambiguous.
    AmbiguousDate,
}

/// The text of a cell, or `None` for an empty or blank one.
pub fn cell_text(data: &Data, flavor: Flavor) -> Result<Option<String>, CellError> {
    let text = match data {
        Data::Empty => return Ok(None),
        Data::String(s) => {
            // pyxform strips, treats whitespace-only as empty, then turns no-break spaces into
            // plain ones (pyxform issue 83).
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            s.replace('\u{a0}', " ")
        }
        Data::Int(i) => i.to_string(),
        Data::Float(f) => python_number(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) => excel_datetime(dt, flavor)?,
        Data::DateTimeIso(s) => s.replacen('T', " ", 1),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
    };
    Ok(Some(text))
}

/// A number as Python prints it: integral values as integers, others as `repr(float)`.
pub fn python_number(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e18 {
        return format!("{}", f as i64);
    }
    if f.is_finite() && f.fract() == 0.0 {
        // Python's int() of a huge float prints every digit.
        return format!("{f:.0}");
    }
    python_float_repr(f)
}

/// `repr(float)` for a non-integral float: the shortest round-trip digits, in fixed notation
/// when the decimal exponent is in -4..16, otherwise scientific with a signed 2-digit exponent.
fn python_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    // Rust's `{:e}` gives the shortest round-trip digits too: "1.5e-5", "-2.25e0".
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').expect("exponent");
    let exp: i32 = exp.parse().expect("integer exponent");
    if (-4..16).contains(&exp) {
        return format!("{f}");
    }
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

/// Dates and times as pyxform renders them: `str(datetime)` (`2020-01-31 00:00:00`) or, for a
/// time of day alone, `str(time)` (`09:30:00`).
fn excel_datetime(dt: &ExcelDateTime, flavor: Flavor) -> Result<String, CellError> {
    let value = dt.as_f64();
    let is_1904 = is_1904(dt);
    if dt.is_duration() {
        return Ok(python_timedelta(value));
    }
    match flavor {
        Flavor::Xls => {
            // xlrd's xldate_as_tuple: whole seconds, time-only when the day part is zero.
            let mut days = value.trunc() as i64;
            let mut seconds = ((value - value.trunc()) * 86400.0).round() as i64;
            if seconds == 86400 {
                seconds = 0;
                days += 1;
            }
            if days == 0 {
                return Ok(hms(seconds, 0));
            }
            if days < 61 && !is_1904 {
                return Err(CellError::AmbiguousDate);
            }
            let epoch = if is_1904 { EPOCH_1904 } else { EPOCH_1900 };
            let (y, m, d) = civil_from_days(epoch + days);
            Ok(format!("{y:04}-{m:02}-{d:02} {}", hms(seconds, 0)))
        }
        Flavor::Xlsx => {
            // openpyxl's from_excel: milliseconds, a time when 0 <= value < 1.
            let mut day = value.floor() as i64;
            let ms = ((value - value.floor()) * 86_400_000.0).round() as i64;
            let (extra_days, ms) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
            if (0.0..1.0).contains(&value) && extra_days == 0 {
                return Ok(hms(ms / 1000, (ms % 1000) * 1000));
            }
            if !is_1904 && value > 0.0 && value < 60.0 {
                day += 1;
            }
            let epoch = if is_1904 { EPOCH_1904 } else { EPOCH_1900 };
            let (y, m, d) = civil_from_days(epoch + day + extra_days);
            Ok(format!(
                "{y:04}-{m:02}-{d:02} {}",
                hms(ms / 1000, (ms % 1000) * 1000)
            ))
        }
    }
}

fn is_1904(dt: &ExcelDateTime) -> bool {
    // calamine keeps the flag private; its Debug output is the only way to see it.
    format!("{dt:?}").contains("is_1904: true")
}

/// Days from 1970-01-01 to Excel's 1900 epoch (1899-12-30) and to 1904-01-01.
const EPOCH_1900: i64 = -25569;
const EPOCH_1904: i64 = -24107;

/// `HH:MM:SS` with `.ffffff` microseconds when there are any, as Python's `str(time)`.
fn hms(seconds: i64, micros: i64) -> String {
    let (h, m, s) = (seconds / 3600, (seconds / 60) % 60, seconds % 60);
    if micros == 0 {
        format!("{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}.{micros:06}")
    }
}

/// `str(timedelta)`: `1:30:00`, `2 days, 0:00:00`.
fn python_timedelta(days_f: f64) -> String {
    let total_ms = (days_f * 86_400_000.0).round() as i64;
    let days = total_ms.div_euclid(86_400_000);
    let rest = total_ms.rem_euclid(86_400_000);
    let secs = rest / 1000;
    let micros = (rest % 1000) * 1000;
    let clock = {
        let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
        if micros == 0 {
            format!("{h}:{m:02}:{s:02}")
        } else {
            format!("{h}:{m:02}:{s:02}.{micros:06}")
        }
    };
    match days {
        0 => clock,
        1 | -1 => format!("{days} day, {clock}"),
        _ => format!("{days} days, {clock}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::ExcelDateTimeType;

    #[test]
    fn numbers_read_as_people_see_them() {
        assert_eq!(python_number(1.0), "1");
        assert_eq!(python_number(-3.0), "-3");
        assert_eq!(python_number(0.1), "0.1");
        assert_eq!(python_number(2.5), "2.5");
        assert_eq!(python_number(1e-5), "1e-05");
        assert_eq!(python_number(0.0001), "0.0001");
        assert_eq!(python_number(1.5e16), "15000000000000000");
        assert_eq!(python_number(1.25e17 + 0.5), "125000000000000000");
        assert_eq!(python_number(1e20), "100000000000000000000");
    }

    #[test]
    fn strings_are_trimmed_and_blank_is_empty() {
        let t = |s: &str| cell_text(&Data::String(s.into()), Flavor::Xlsx).unwrap();
        assert_eq!(t("  a b "), Some("a b".into()));
        assert_eq!(t("   "), None);
        assert_eq!(t("a\u{a0}b"), Some("a b".into()));
        assert_eq!(
            cell_text(&Data::Bool(true), Flavor::Xls).unwrap(),
            Some("TRUE".into())
        );
    }

    fn dt(v: f64) -> Data {
        Data::DateTime(ExcelDateTime::new(v, ExcelDateTimeType::DateTime, false))
    }

    #[test]
    fn dates_as_pyxform_prints_them() {
        // 2020-01-31 is serial 43861.
        let x = |v, fl| cell_text(&dt(v), fl);
        assert_eq!(
            x(43861.0, Flavor::Xlsx).unwrap().unwrap(),
            "2020-01-31 00:00:00"
        );
        assert_eq!(
            x(43861.5, Flavor::Xls).unwrap().unwrap(),
            "2020-01-31 12:00:00"
        );
        assert_eq!(x(0.395833333, Flavor::Xls).unwrap().unwrap(), "09:30:00");
        assert_eq!(x(0.395833333, Flavor::Xlsx).unwrap().unwrap(), "09:30:00");
        assert_eq!(x(2.0, Flavor::Xls), Err(CellError::AmbiguousDate));
        assert_eq!(
            x(2.0, Flavor::Xlsx).unwrap().unwrap(),
            "1900-01-02 00:00:00"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(python_timedelta(1.0 / 24.0 * 1.5), "1:30:00");
        assert_eq!(python_timedelta(2.0), "2 days, 0:00:00");
    }
}
