//! Timestamps: RFC 3339 parsing and formatting without allocation.
//!
//! Times are `i64` nanoseconds since the Unix epoch (UTC), which covers the years
//! 1678–2262.

use core::fmt;

const NS_PER_SEC: i64 = 1_000_000_000;

/// Days since 1970-01-01 of the proleptic Gregorian date `y-m-d` (H. Hinnant's
/// `days_from_civil`).
pub const fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `(year, month, day)` of `days` since 1970-01-01 (inverse of
/// [`days_from_civil`]).
pub const fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
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

/// Whether `y` is a Gregorian leap year.
pub const fn is_leap_year(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Number of days in month `m` (1–12) of year `y`.
pub const fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(y) => 29,
        2 => 28,
        _ => 0,
    }
}

#[inline]
fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Parse an RFC 3339 timestamp into nanoseconds since the Unix epoch.
///
/// Accepted: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)`, with `t` and `z` also
/// accepted in lower case. The fraction may have any number of digits ≥ 1; digits beyond
/// the ninth (sub-nanosecond) are ignored. Dates and times are range-checked (leap
/// years included); leap seconds (`:60`) are rejected, as Elasticsearch does. Anything
/// else (date only, missing seconds, missing zone, trailing text) is `None`. Results
/// outside the `i64` nanosecond range are `None`.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    let hour = digits(b, 11, 2)?;
    let min = digits(b, 14, 2)?;
    let sec = digits(b, 17, 2)?;
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(i64::from(year), month)
        || hour > 23
        || min > 59
        || sec > 59
    {
        return None;
    }
    let mut i = 19;
    let mut frac: i64 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        let mut scale = NS_PER_SEC / 10;
        while let Some(&c) = b.get(i) {
            if !c.is_ascii_digit() {
                break;
            }
            frac += i64::from(c - b'0') * scale;
            scale /= 10;
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset_secs: i64 = match b.get(i)? {
        b'Z' | b'z' => {
            i += 1;
            0
        }
        sign @ (b'+' | b'-') => {
            let oh = digits(b, i + 1, 2)?;
            let om = digits(b, i + 4, 2)?;
            if b[i + 3] != b':' || oh > 23 || om > 59 {
                return None;
            }
            let off = i64::from(oh * 3600 + om * 60);
            let off = if *sign == b'-' { -off } else { off };
            i += 6;
            off
        }
        _ => return None,
    };
    if i != b.len() {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + min * 60 + sec) - offset_secs;
    secs.checked_mul(NS_PER_SEC)?.checked_add(frac)
}

/// Parse a string of ASCII digits (optionally with a leading `-`) as epoch milliseconds,
/// the other form Elasticsearch's default date format (`strict_date_optional_time ||
/// epoch_millis`) accepts. Returns nanoseconds.
pub fn parse_epoch_millis(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let ms: i64 = s.parse().ok()?;
    ms.checked_mul(1_000_000)
}

/// Parse a date the way Elasticsearch's default `date` format
/// (`strict_date_optional_time || epoch_millis`) reads it, for date literals compared
/// with date fields: everything [`parse_rfc3339`] accepts, plus date only
/// (`2020-01-31`), time without seconds or without zone (`2020-01-31T10:00`, taken as
/// UTC), an `hhmm` / `hh` offset, and epoch milliseconds as a string of digits. Returns
/// nanoseconds since the epoch. A fraction of more than nine digits is refused, as the
/// format's `nano-of-second` field takes at most nine.
pub fn parse_date_lenient(s: &str) -> Option<i64> {
    if let Some(dot) = s.find(['.', ',']) {
        let frac = s.as_bytes()[dot + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if frac > 9 {
            return None;
        }
    }
    if let Some(t) = parse_rfc3339(s) {
        return Some(t);
    }
    if let Some(t) = parse_epoch_millis(s) {
        return Some(t);
    }
    let b = s.as_bytes();
    let year = digits(b, 0, 4)?;
    let mut month = 1;
    let mut day = 1;
    let mut i = 4;
    if b.get(i) == Some(&b'-') {
        month = digits(b, 5, 2)?;
        i = 7;
        if b.get(i) == Some(&b'-') {
            day = digits(b, 8, 2)?;
            i = 10;
        }
    }
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(i64::from(year), month) {
        return None;
    }
    let (mut hour, mut min, mut sec, mut frac) = (0u32, 0u32, 0u32, 0i64);
    let mut offset: i64 = 0;
    if matches!(b.get(i), Some(b'T' | b't')) {
        hour = digits(b, i + 1, 2)?;
        i += 3;
        if b.get(i) == Some(&b':') {
            min = digits(b, i + 1, 2)?;
            i += 3;
            if b.get(i) == Some(&b':') {
                sec = digits(b, i + 1, 2)?;
                i += 3;
                if matches!(b.get(i), Some(b'.' | b',')) {
                    i += 1;
                    let start = i;
                    let mut scale = NS_PER_SEC / 10;
                    while let Some(&c) = b.get(i) {
                        if !c.is_ascii_digit() {
                            break;
                        }
                        frac += i64::from(c - b'0') * scale;
                        scale /= 10;
                        i += 1;
                    }
                    if i == start {
                        return None;
                    }
                }
            }
        }
        if hour > 23 || min > 59 || sec > 59 {
            return None;
        }
        match b.get(i) {
            None => {}
            Some(b'Z' | b'z') => i += 1,
            Some(&sign @ (b'+' | b'-')) => {
                let oh = digits(b, i + 1, 2)?;
                i += 3;
                let mut om = 0;
                if b.get(i) == Some(&b':') {
                    om = digits(b, i + 1, 2)?;
                    i += 3;
                } else if let Some(m) = digits(b, i, 2) {
                    om = m;
                    i += 2;
                }
                if oh > 23 || om > 59 {
                    return None;
                }
                offset = i64::from(oh * 3600 + om * 60);
                if sign == b'-' {
                    offset = -offset;
                }
            }
            _ => return None,
        }
    }
    if i != b.len() {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + min * 60 + sec) - offset;
    secs.checked_mul(NS_PER_SEC)?.checked_add(frac)
}

/// Write `ns` (nanoseconds since the epoch) as RFC 3339 in UTC:
/// `YYYY-MM-DDTHH:MM:SS[.fff[fff[fff]]]Z`. The fraction is omitted when zero and
/// otherwise printed with 3, 6 or 9 digits (the shortest that is exact).
pub fn format_rfc3339<W: fmt::Write + ?Sized>(ns: i64, w: &mut W) -> fmt::Result {
    let secs = ns.div_euclid(NS_PER_SEC);
    let frac = ns.rem_euclid(NS_PER_SEC);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    if (0..=9999).contains(&y) {
        write!(w, "{y:04}")?;
    } else {
        write!(w, "{y:+05}")?;
    }
    write!(
        w,
        "-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    )?;
    if frac != 0 {
        if frac % 1_000_000 == 0 {
            write!(w, ".{:03}", frac / 1_000_000)?;
        } else if frac % 1_000 == 0 {
            write!(w, ".{:06}", frac / 1_000)?;
        } else {
            write!(w, ".{frac:09}")?;
        }
    }
    w.write_char('Z')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(ns: i64) -> String {
        let mut s = String::new();
        format_rfc3339(ns, &mut s).unwrap();
        s
    }

    #[test]
    fn parses_basic_forms() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        // 2017-08-30T20:47:33Z = 1504126053 s (date -d @1504126053 -u)
        assert_eq!(
            parse_rfc3339("2017-08-30T20:47:33Z"),
            Some(1_504_126_053_000_000_000)
        );
        assert_eq!(
            parse_rfc3339("2017-08-30t20:47:33z"),
            Some(1_504_126_053_000_000_000)
        );
        // 7 fractional digits (Windows-style)
        assert_eq!(
            parse_rfc3339("2022-02-16T23:49:50.5022851Z"),
            Some(1_645_055_390_502_285_100)
        );
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00.1Z"), Some(100_000_000));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00.000000001Z"), Some(1));
        // more than 9 digits: sub-nanosecond digits ignored
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00.0000000019Z"), Some(1));
    }

    #[test]
    fn offsets() {
        let utc = parse_rfc3339("2020-03-01T00:30:00Z").unwrap();
        assert_eq!(parse_rfc3339("2020-03-01T01:30:00+01:00"), Some(utc));
        assert_eq!(parse_rfc3339("2020-02-29T19:00:00-05:30"), Some(utc));
        assert_eq!(parse_rfc3339("2020-03-01T00:30:00-00:00"), Some(utc));
    }

    #[test]
    fn leap_years_and_before_epoch() {
        assert!(parse_rfc3339("2020-02-29T00:00:00Z").is_some());
        assert!(parse_rfc3339("2000-02-29T00:00:00Z").is_some());
        assert!(parse_rfc3339("1900-02-29T00:00:00Z").is_none());
        assert!(parse_rfc3339("2021-02-29T00:00:00Z").is_none());
        assert!(parse_rfc3339("2021-04-31T00:00:00Z").is_none());
        // 2000-03-01 = day 11017 since the epoch
        assert_eq!(
            parse_rfc3339("2000-03-01T00:00:00Z"),
            Some(11_017 * 86_400 * NS_PER_SEC)
        );
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59.5Z"), Some(-500_000_000));
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "2020-01-01",
            "2020-01-01T00:00Z",
            "2020-01-01T00:00:00",
            "2020-01-01 00:00:00Z",
            "2020-13-01T00:00:00Z",
            "2020-00-01T00:00:00Z",
            "2020-01-00T00:00:00Z",
            "2020-01-01T24:00:00Z",
            "2020-01-01T00:60:00Z",
            "2020-01-01T00:00:60Z",
            "2020-01-01T00:00:00.Z",
            "2020-01-01T00:00:00Zjunk",
            "2020-01-01T00:00:00+0100",
            "2020-01-01T00:00:00+24:00",
            "2020/01/01T00:00:00Z",
            "20x0-01-01T00:00:00Z",
            "2020-01-01T00:00:00+01:0",
            "٢٠٢٠-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z", // out of i64 ns range
        ] {
            assert_eq!(parse_rfc3339(s), None, "{s}");
        }
    }

    #[test]
    fn lenient_dates() {
        let midnight = parse_rfc3339("2020-01-31T00:00:00Z").unwrap();
        assert_eq!(parse_date_lenient("2020-01-31"), Some(midnight));
        assert_eq!(parse_date_lenient("2020-01-31T00:00"), Some(midnight));
        assert_eq!(parse_date_lenient("2020-01-31T01:00+0100"), Some(midnight));
        assert_eq!(
            parse_date_lenient("2020-01-31T00:00:00.000"),
            Some(midnight)
        );
        assert_eq!(parse_date_lenient("1580428800000"), Some(midnight));
        assert_eq!(parse_date_lenient("2020-01-31X"), None);
        assert_eq!(parse_date_lenient("nope"), None);
        // nine fraction digits at most (`nano-of-second`), with or without a zone
        assert_eq!(
            parse_date_lenient("2020-01-31T00:00:00.000000001Z"),
            Some(midnight + 1)
        );
        assert_eq!(parse_date_lenient("2020-01-31T00:00:00.0000000000Z"), None);
        assert_eq!(parse_date_lenient("2020-01-31T00:00:00.0000000000"), None);
    }

    #[test]
    fn formats() {
        assert_eq!(fmt(0), "1970-01-01T00:00:00Z");
        assert_eq!(fmt(1_504_126_053_000_000_000), "2017-08-30T20:47:33Z");
        assert_eq!(fmt(1_645_055_390_502_000_000), "2022-02-16T23:49:50.502Z");
        assert_eq!(
            fmt(1_645_055_390_502_285_000),
            "2022-02-16T23:49:50.502285Z"
        );
        assert_eq!(
            fmt(1_645_055_390_502_285_100),
            "2022-02-16T23:49:50.502285100Z"
        );
        assert_eq!(fmt(-500_000_000), "1969-12-31T23:59:59.500Z");
        for s in [
            "2020-02-29T23:59:59.999999999Z",
            "1900-03-01T00:00:00Z",
            "2262-04-11T23:47:16.854775807Z",
        ] {
            assert_eq!(fmt(parse_rfc3339(s).unwrap()), s);
        }
    }

    #[test]
    fn civil_round_trip() {
        for d in (-200_000..200_000).step_by(37) {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
            assert!(dd <= days_in_month(y, m));
        }
    }
}
