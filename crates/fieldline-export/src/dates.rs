//! ODK's date and dateTime values as the day and millisecond counts Stata and SPSS store.
//!
//! A dateTime is the local time as recorded: `2026-11-25T10:00:00.000+05:45` is 10:00 on
//! 25 November 2026 whatever its offset, which is what ODK Central's and KoboToolbox's exports
//! show and what the enumerator's clock read; Stata and SPSS datetimes carry no time zone, and
//! converting to UTC would put morning interviews on the previous day. The server's
//! `received_at` ends in `Z`, so it reads as UTC.

/// Days from 1970-01-01 to `YYYY-MM-DD` (proleptic Gregorian), the date of a `date` or `today`
/// answer; `None` when `value` is not one. A time after the date is ignored.
pub fn days_since_1970(value: &str) -> Option<i64> {
    let value = value.trim();
    let date = value.get(..10)?;
    if !(value.len() == 10 || value[10..].starts_with('T')) {
        return None;
    }
    let mut parts = date.splitn(3, '-');
    let year: i64 = digits(parts.next()?, 4)?;
    let month: i64 = digits(parts.next()?, 2)?;
    let day: i64 = digits(parts.next()?, 2)?;
    if !(1..=12).contains(&month) || !(1..=days_in_month(year, month)).contains(&day) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// Milliseconds from 1970-01-01T00:00 to the local time of `YYYY-MM-DDTHH:MM[:SS[.fff]]`
/// with or without an offset (see the module documentation); `None` when `value` is not one.
pub fn local_millis_since_1970(value: &str) -> Option<i64> {
    let value = value.trim();
    let days = days_since_1970(value.get(..10)?)?;
    let time = value.get(10..)?.strip_prefix('T')?;
    // The offset (`Z`, `+05:45`, `-03:00`) is not part of the local time.
    let time = time
        .find(['Z', 'z', '+', '-'])
        .map_or(time, |at| &time[..at]);
    let mut parts = time.splitn(3, ':');
    let hour = digits(parts.next()?, 2)?;
    let minute = digits(parts.next()?, 2)?;
    let (second, millis) = match parts.next() {
        None => (0, 0),
        Some(seconds) => {
            let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
            let fraction_ok = fraction.bytes().all(|b| b.is_ascii_digit());
            if !fraction_ok {
                return None;
            }
            // Milliseconds: the first three digits of the fraction, padded.
            let millis = format!("{:0<3}", &fraction[..fraction.len().min(3)]);
            (digits(whole, 2)?, millis.parse::<i64>().ok()?)
        }
    };
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(days * 86_400_000 + ((hour * 60 + minute) * 60 + second) * 1000 + millis)
}

/// `text` as a number when it is exactly `len` ASCII digits.
fn digits(text: &str, len: usize) -> Option<i64> {
    (text.len() == len && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_count_days_from_1970() {
        assert_eq!(days_since_1970("1970-01-01"), Some(0));
        assert_eq!(days_since_1970("1960-01-01"), Some(-3653));
        assert_eq!(days_since_1970("1582-10-14"), Some(-141_428));
        assert_eq!(days_since_1970("2024-02-29"), Some(19_782));
        assert_eq!(days_since_1970("2023-02-29"), None);
        assert_eq!(days_since_1970("25/11/2026"), None);
        assert_eq!(days_since_1970(""), None);
    }

    #[test]
    fn date_times_are_local_time_as_recorded() {
        let ten = 20_417 * 86_400_000 + 10 * 3_600_000;
        assert_eq!(days_since_1970("2025-11-25"), Some(20_417));
        assert_eq!(
            local_millis_since_1970("2025-11-25T10:00:00.000+05:45"),
            Some(ten)
        );
        assert_eq!(
            local_millis_since_1970("2025-11-25T10:00:00.000-03:00"),
            Some(ten)
        );
        assert_eq!(local_millis_since_1970("2025-11-25T10:00:00Z"), Some(ten));
        assert_eq!(local_millis_since_1970("2025-11-25T10:00"), Some(ten));
        assert_eq!(
            local_millis_since_1970("2025-11-25T10:00:01.5"),
            Some(ten + 1500)
        );
        assert_eq!(local_millis_since_1970("2025-11-25"), None);
        assert_eq!(local_millis_since_1970("2025-11-25T25:00"), None);
    }
}
