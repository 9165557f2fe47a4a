//! `Retry-After` (RFC 9110 section 10.2.3): delta-seconds, or an HTTP-date in the three forms a
//! recipient must accept (section 5.6.7), read as a delay from a clock the caller passes.

#[allow(unused_imports)]
use crate::prelude::*;

use super::decimal::parse_digits;
use super::text::trim_bytes;

/// Reads a `Retry-After` value (RFC 9110 section 10.2.3) as the delay in ms from `now_ms` (Unix
/// ms): delta-seconds, or an HTTP-date in any of the three forms a recipient must accept
/// (section 5.6.7: IMF-fixdate, RFC 850, asctime). A date in the past gives 0. Anything else,
/// a wrong weekday or an impossible date included, gives `None` (the caller then treats the delay
/// as unknown).
pub fn parse_retry_after(value: &str, now_ms: u64) -> Option<u64> {
    let v = trim_bytes(value, b" \t");
    if v.is_empty() || v.len() > 40 {
        return None;
    }
    if v.bytes().all(|b| b.is_ascii_digit()) {
        return if v.len() > 10 { None } else { parse_digits(v.as_bytes()).map(|s| s.saturating_mul(1000)) };
    }
    let at = http_date_secs(v.as_bytes(), now_ms / 1000)?;
    Some(at.saturating_mul(1000).saturating_sub(now_ms))
}

const WEEKDAYS: [&[u8]; 7] = [b"Monday", b"Tuesday", b"Wednesday", b"Thursday", b"Friday", b"Saturday", b"Sunday"];
const MONTHS: [&[u8; 3]; 12] = [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];

/// Seconds since the Unix epoch of an HTTP-date (RFC 9110 section 5.6.7, without surrounding
/// white space), or `None` if it is not one. `now_secs` places RFC 850's two-digit years.
pub(crate) fn http_date_secs(b: &[u8], now_secs: u64) -> Option<u64> {
    let comma = b.iter().position(|&c| c == b',');
    // The weekday: three letters (IMF-fixdate, asctime) or the full name (RFC 850).
    let name_len = comma.unwrap_or(3);
    let weekday = WEEKDAYS.iter().position(|w| if name_len > 3 { b.get(..name_len) == Some(*w) } else { b.get(..3) == w.get(..3) })?;
    let num = |from: usize, len: usize| b.get(from..from + len).and_then(parse_digits);
    let month = |from: usize| MONTHS.iter().position(|m| b.get(from..from + 3) == Some(&m[..])).map(|m| m as u64 + 1);
    let lit = |from: usize, s: &[u8]| b.get(from..from + s.len()) == Some(s);
    let (year, month, day, time) = match comma {
        // "Sun, 06 Nov 1994 08:49:37 GMT"
        Some(3) if b.len() == 29 && lit(3, b", ") && lit(7, b" ") && lit(11, b" ") && lit(16, b" ") && lit(25, b" GMT") => {
            (num(12, 4)?, month(8)?, num(5, 2)?, 17)
        }
        // "Sunday, 06-Nov-94 08:49:37 GMT"
        Some(n)
            if n > 3
                && b.len() == n + 24
                && lit(n, b", ")
                && lit(n + 4, b"-")
                && lit(n + 8, b"-")
                && lit(n + 11, b" ")
                && lit(n + 20, b" GMT") =>
        {
            // Two-digit years: the most recent past year with those digits, unless that is more
            // than 50 years ago (RFC 9110 section 5.6.7).
            let now_year = civil_from_days(now_secs / 86_400).0;
            let mut year = now_year - now_year % 100 + num(n + 9, 2)?;
            if year > now_year + 50 {
                year = year.checked_sub(100)?;
            }
            (year, month(n + 5)?, num(n + 2, 2)?, n + 12)
        }
        // "Sun Nov  6 08:49:37 1994"
        None if b.len() == 24 && lit(3, b" ") && lit(7, b" ") && lit(10, b" ") && lit(19, b" ") => {
            let day = if b[8] == b' ' { num(9, 1)? } else { num(8, 2)? };
            (num(20, 4)?, month(4)?, day, 11)
        }
        _ => return None,
    };
    if !(lit(time + 2, b":") && lit(time + 5, b":")) {
        return None;
    }
    let (h, m, s) = (num(time, 2)?, num(time + 3, 2)?, num(time + 6, 2)?);
    if h > 23 || m > 59 || s > 60 || day == 0 || day > days_in_month(year, month) || year < 1970 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // 1970-01-01 was a Thursday (index 3).
    if (days + 3) % 7 != weekday as u64 {
        return None;
    }
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

fn is_leap(y: u64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: u64, m: u64) -> u64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date with `year >= 1970` (H. Hinnant's
/// algorithm).
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day count since 1970-01-01 (the inverse of `days_from_civil`).
fn civil_from_days(z: u64) -> (u64, u64, u64) {
    let z = z + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + u64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    // 784111777 s since the epoch: the three forms RFC 9110 section 5.6.7 gives for one instant.
    const NOV_6_1994: u64 = 784_111_777_000;

    #[test]
    fn retry_after_delta_seconds() {
        assert_eq!(parse_retry_after("1", 0), Some(1000));
        assert_eq!(parse_retry_after(" 120 ", 0), Some(120_000));
        assert_eq!(parse_retry_after("\t0", 0), Some(0));
        assert_eq!(parse_retry_after("9999999999", 0), Some(9_999_999_999_000));
        for bad in ["", "-1", "1.5", "99999999999", "1e3", "\u{a0}1"] {
            assert_eq!(parse_retry_after(bad, 0), None, "{bad}");
        }
    }

    #[test]
    fn retry_after_reads_delta_seconds_and_all_three_http_date_forms() {
        let now = NOV_6_1994 - 120_000;
        assert_eq!(parse_retry_after("120", now), Some(120_000));
        assert_eq!(parse_retry_after(" 0 ", now), Some(0));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), Some(120_000));
        assert_eq!(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now), Some(120_000));
        assert_eq!(parse_retry_after("Sun Nov  6 08:49:37 1994", now), Some(120_000));
        // The example in RFC 9110 section 10.2.3, seen one second before.
        assert_eq!(parse_retry_after("Fri, 31 Dec 1999 23:59:59 GMT", 946_684_798_000), Some(1000));
        // A date in the past means: retry now.
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", NOV_6_1994 + 5_000), Some(0));
        // Leap days and the last second of a leap second.
        assert_eq!(parse_retry_after("Thu, 29 Feb 2024 00:00:00 GMT", 1_709_164_800_000), Some(0));
        assert_eq!(parse_retry_after("Sat, 31 Dec 2016 23:59:60 GMT", 1_483_228_800_000), Some(0));
        assert_eq!(parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", 0), Some(0));
    }

    #[test]
    fn rfc850_two_digit_years_are_at_most_50_years_ahead() {
        // Seen in 2026: "76" is 2076 (50 years ahead), "77" is 1977.
        let now_2026 = 1_767_225_600_000; // 2026-01-01
        let in_2076 = parse_retry_after("Wednesday, 01-Jan-76 00:00:00 GMT", now_2026);
        assert_eq!(in_2076, Some((days_from_civil(2076, 1, 1) * 86_400) * 1000 - now_2026));
        assert_eq!(parse_retry_after("Saturday, 01-Jan-77 00:00:00 GMT", now_2026), Some(0));
        assert_eq!(parse_retry_after("Friday, 01-Jan-77 00:00:00 GMT", now_2026), None, "2077 was a Friday, 1977 a Saturday");
    }

    #[test]
    fn retry_after_refuses_what_is_not_exactly_one_of_the_forms() {
        let now = NOV_6_1994;
        for bad in [
            "",
            " ",
            "-1",
            "1.5",
            "+3",
            "12345678901",
            "0x10",
            "Mon, 06 Nov 1994 08:49:37 GMT", // wrong weekday
            "sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun,  06 Nov 1994 08:49:37 GMT",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 06 Nov 1994 08:49:61 GMT",
            "Sun, 06 Nov 1994 08-49-37 GMT",
            "Wed, 30 Feb 2000 00:00:00 GMT",
            "Thu, 29 Feb 2100 00:00:00 GMT", // 2100 is not a leap year
            "Mon, 00 Jan 2024 00:00:00 GMT",
            "Wed, 31 Dec 1969 23:59:59 GMT", // before the epoch
            "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMTX",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sunday, 06 Nov 94 08:49:37 GMT",
            "Sundays, 06-Nov-94 08:49:37 GMT",
            "Sund, 06-Nov-94 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Sun Nov  6 08:49:37 1994 GMT",
            "Sun Nov 06 08:49:37 94",
            "Sun, 06 Nov 1994 08:49:37 GMT\u{0}",
            "Sün, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMé",
            "Sun Nov  é 08:49:37 1994",
            ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,",
            "Sun,",
            ",",
        ] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn day_counts_round_trip_over_centuries() {
        for days in (0..200_000).step_by(7) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            assert!((1..=days_in_month(y, m)).contains(&d));
        }
    }
}
