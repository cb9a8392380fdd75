//! CloudTrail event times: parsing both forms we meet, and the formats we print.

/// Nanoseconds since the Unix epoch for a civil UTC date and time.
fn civil_to_nanos(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, nanos: u32) -> Option<i64> {
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60
    {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s);
    secs.checked_mul(1_000_000_000)?
        .checked_add(i64::from(nanos))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 (proleptic Gregorian), after H. Hinnant's algorithm.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date for days since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
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

fn num(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    b.iter().try_fold(0u32, |acc, &c| {
        acc.checked_mul(10)?.checked_add(u32::from(c - b'0'))
    })
}

/// Parse an event time into UTC nanoseconds.
///
/// Accepts `YYYY-MM-DDTHH:MM:SS[.f…]Z`, the same with a `±HH:MM` offset, and the form other
/// tools rewrite it to, `YYYY-MM-DD HH:MM:SS[.f…]` (taken as UTC).
pub fn parse_event_time(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if b[10] != b'T' && b[10] != b' ' && b[10] != b't' {
        return None;
    }
    let y = i64::from(num(&b[0..4])?);
    let (mo, d) = (num(&b[5..7])?, num(&b[8..10])?);
    let (h, mi, sec) = (num(&b[11..13])?, num(&b[14..16])?, num(&b[17..19])?);
    let mut rest = &b[19..];
    let mut nanos = 0u32;
    if let Some((&b'.', frac)) = rest.split_first() {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let mut scale = 100_000_000u32;
        for &c in frac.iter().take(n.min(9)) {
            nanos += u32::from(c - b'0') * scale;
            scale /= 10;
        }
        rest = &frac[n..];
    }
    let offset_secs: i64 = match rest {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), hh1, hh2, b':', mm1, mm2]
        | [sign @ (b'+' | b'-'), hh1, hh2, mm1, mm2] => {
            let hh = i64::from(num(&[*hh1, *hh2])?);
            let mm = i64::from(num(&[*mm1, *mm2])?);
            let o = hh * 3600 + mm * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    civil_to_nanos(y, mo, d, h, mi, sec, nanos)?.checked_sub(offset_secs * 1_000_000_000)
}

/// Epoch values below this are seconds, at or above it milliseconds: 10^11 ms is
/// 1973-03-03, 10^11 s the year 5138, so no event time is ambiguous.
const SECONDS_BELOW: i64 = 100_000_000_000;

/// UTC nanoseconds for an epoch number as forwarders write `@timestamp`: milliseconds
/// (values from 10^11 on), or seconds (below).
pub fn epoch_nanos(v: i64) -> Option<i64> {
    if v.unsigned_abs() < SECONDS_BELOW as u64 {
        v.checked_mul(1_000_000_000)
    } else {
        v.checked_mul(1_000_000)
    }
}

/// [`epoch_nanos`] for a number with a fraction (`1709294460.5`, `1709294460123.0`).
pub fn epoch_nanos_f64(v: f64) -> Option<i64> {
    if !v.is_finite() {
        return None;
    }
    let ns = if v.abs() < SECONDS_BELOW as f64 {
        v * 1e9
    } else {
        v * 1e6
    }
    .round();
    // i64::MAX as f64 rounds up to 2^63, itself out of range.
    (ns.abs() < 9.2e18).then_some(ns as i64)
}

/// The time a forwarder's `@timestamp` holds: ISO 8601 (as [`parse_event_time`] reads
/// it), or an epoch number written as text (see [`epoch_nanos`]).
pub fn parse_forwarder_time(s: &str) -> Option<i64> {
    if let Some(t) = parse_event_time(s) {
        return Some(t);
    }
    let t = s.trim();
    let digits = t.strip_prefix('-').unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    match t.parse::<i64>() {
        Ok(v) => epoch_nanos(v),
        Err(_) => t.parse::<f64>().ok().and_then(epoch_nanos_f64),
    }
}

/// `YYYY-MM-DD HH:MM:SS.ffffff`, the form window ids carry (microseconds, as the notebook).
pub fn format_window_time(nanos: i64) -> String {
    let (days, rem) = (
        nanos.div_euclid(86_400_000_000_000),
        nanos.rem_euclid(86_400_000_000_000),
    );
    let (y, m, d) = civil_from_days(days);
    let secs = rem / 1_000_000_000;
    let micros = (rem % 1_000_000_000) / 1000;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{micros:06}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// RFC 3339 in UTC with a `Z`, fractional seconds only when present.
pub fn format_rfc3339(nanos: i64) -> String {
    let (days, rem) = (
        nanos.div_euclid(86_400_000_000_000),
        nanos.rem_euclid(86_400_000_000_000),
    );
    let (y, m, d) = civil_from_days(days);
    let secs = rem / 1_000_000_000;
    let frac = rem % 1_000_000_000;
    let base = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if frac == 0 {
        format!("{base}Z")
    } else {
        let f = format!("{frac:09}");
        format!("{base}.{}Z", f.trim_end_matches('0'))
    }
}

/// The zone printed times are shown in (`--tz`). Times trailhunt compares, stores or
/// puts in identifiers stay UTC ([`format_rfc3339`]); only [`format_display`] uses it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Zone {
    /// UTC, printed with a `Z`.
    #[default]
    Utc,
    /// A fixed offset east of UTC, in seconds.
    Fixed(i32),
    /// The system's zone (`TZ`, else /etc/localtime), daylight saving included.
    Local,
}

static DISPLAY_ZONE: std::sync::OnceLock<Zone> = std::sync::OnceLock::new();

/// Set the zone of [`format_display`] for this process (once; later calls are ignored).
pub fn set_display_zone(z: Zone) {
    let _ = DISPLAY_ZONE.set(z);
}

/// `UTC` (or `Z`), `local`, or an offset: `+02:00`, `-05:30`, `+0200`, `+02`.
pub fn parse_zone(s: &str) -> Result<Zone, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("z") {
        return Ok(Zone::Utc);
    }
    if t.eq_ignore_ascii_case("local") {
        return Ok(Zone::Local);
    }
    let bad = || {
        format!(
            "`{s}` is not a zone trailhunt reads: give UTC, local or an offset like +02:00 (for a named zone, set TZ and give local, e.g. TZ=Europe/Paris trailhunt --tz local …)"
        )
    };
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return Err(bad()),
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    let colons = rest.matches(':').count();
    if !digits.chars().all(|c| c.is_ascii_digit())
        || !matches!((digits.len(), colons), (2, 0) | (4, 0) | (4, 1))
        || (colons == 1 && rest.find(':') != Some(2))
    {
        return Err(bad());
    }
    let h: i32 = digits[..2].parse().map_err(|_| bad())?;
    let m: i32 = if digits.len() == 4 {
        digits[2..].parse().map_err(|_| bad())?
    } else {
        0
    };
    if h > 23 || m > 59 {
        return Err(format!("`{s}`: an offset is at most 23:59 hours"));
    }
    Ok(Zone::Fixed(sign * (h * 3600 + m * 60)))
}

impl Zone {
    /// Seconds east of UTC at instant `nanos`.
    pub fn offset_at(self, nanos: i64) -> i32 {
        match self {
            Zone::Utc => 0,
            Zone::Fixed(s) => s,
            Zone::Local => {
                use chrono::{Offset, TimeZone};
                chrono::Local
                    .timestamp_opt(nanos.div_euclid(1_000_000_000), 0)
                    .earliest()
                    .map_or(0, |t| t.offset().fix().local_minus_utc())
            }
        }
    }
}

/// RFC 3339 in `zone`: `Z` when the offset is 0, else `±HH:MM`.
pub fn format_in(nanos: i64, zone: Zone) -> String {
    let off = zone.offset_at(nanos);
    if off == 0 {
        return format_rfc3339(nanos);
    }
    let local = nanos.saturating_add(i64::from(off) * 1_000_000_000);
    let mut s = format_rfc3339(local);
    s.pop(); // the `Z`
    let a = off.unsigned_abs();
    s.push_str(&format!(
        "{}{:02}:{:02}",
        if off < 0 { '-' } else { '+' },
        a / 3600,
        a / 60 % 60
    ));
    s
}

/// A time as printed for people and output files: RFC 3339 in the `--tz` zone (UTC
/// unless [`set_display_zone`] said otherwise).
pub fn format_display(nanos: i64) -> String {
    format_in(nanos, DISPLAY_ZONE.get().copied().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #[test]
    fn zones_parse_and_print() {
        use super::{Zone, format_in, parse_event_time, parse_zone};
        assert_eq!(parse_zone("UTC"), Ok(Zone::Utc));
        assert_eq!(parse_zone("local"), Ok(Zone::Local));
        assert_eq!(parse_zone("+02:00"), Ok(Zone::Fixed(7200)));
        assert_eq!(parse_zone("-0530"), Ok(Zone::Fixed(-(5 * 3600 + 30 * 60))));
        assert_eq!(parse_zone("+02"), Ok(Zone::Fixed(7200)));
        for bad in [
            "Europe/Paris",
            "2",
            "+2",
            "+02:0",
            "+0:200",
            "+24:00",
            "+02:60",
            "++02",
        ] {
            assert!(parse_zone(bad).is_err(), "{bad}");
        }
        let t = parse_event_time("2024-03-01T23:30:00Z").unwrap();
        assert_eq!(format_in(t, Zone::Utc), "2024-03-01T23:30:00Z");
        assert_eq!(format_in(t, Zone::Fixed(7200)), "2024-03-02T01:30:00+02:00");
        assert_eq!(
            format_in(t, Zone::Fixed(-(5 * 3600 + 30 * 60))),
            "2024-03-01T18:00:00-05:30"
        );
        assert_eq!(format_in(t, Zone::Fixed(0)), "2024-03-01T23:30:00Z");
        let f = parse_event_time("2024-03-01T00:00:00.25Z").unwrap();
        assert_eq!(
            format_in(f, Zone::Fixed(-3600)),
            "2024-02-29T23:00:00.25-01:00"
        );
    }

    use super::*;

    #[test]
    fn parses_both_forms_and_offsets() {
        let iso = parse_event_time("2023-07-10T12:20:05Z").unwrap();
        assert_eq!(iso, 1_688_991_605_000_000_000);
        assert_eq!(parse_event_time("2023-07-10 12:20:05"), Some(iso));
        assert_eq!(parse_event_time("2023-07-10 12:20:05.000000"), Some(iso));
        assert_eq!(
            parse_event_time("2023-07-10T12:20:05.5Z"),
            Some(iso + 500_000_000)
        );
        assert_eq!(parse_event_time("2023-07-10T22:20:05+10:00"), Some(iso));
        assert_eq!(parse_event_time("2023-02-30T00:00:00Z"), None);
        assert_eq!(parse_event_time("2023-07-10"), None);
        assert_eq!(parse_event_time("2023-07-10T12:20:05Zjunk"), None);
        assert_eq!(parse_event_time("２０２３-07-10T12:20:05Z"), None);
    }

    #[test]
    fn forwarder_times_iso_millis_and_seconds() {
        let t = parse_event_time("2024-03-01T12:01:00Z").unwrap();
        assert_eq!(parse_forwarder_time("2024-03-01T12:01:00.000Z"), Some(t));
        assert_eq!(parse_forwarder_time("1709294460000"), Some(t));
        assert_eq!(parse_forwarder_time("1709294460"), Some(t));
        assert_eq!(parse_forwarder_time("1709294460.5"), Some(t + 500_000_000));
        assert_eq!(epoch_nanos(1_709_294_460_123), Some(t + 123_000_000));
        assert_eq!(epoch_nanos(1_709_294_460), Some(t));
        assert_eq!(epoch_nanos_f64(1_709_294_460_000.0), Some(t));
        assert_eq!(epoch_nanos(i64::MAX), None);
        assert_eq!(epoch_nanos_f64(f64::NAN), None);
        assert_eq!(epoch_nanos_f64(1e300), None);
        for bad in ["", "-", ".", "12ab", "1.2.3", "yesterday", "1e12"] {
            assert_eq!(parse_forwarder_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_round_trip() {
        let t = parse_event_time("2017-02-12T19:57:06Z").unwrap();
        assert_eq!(format_window_time(t), "2017-02-12 19:57:06.000000");
        assert_eq!(format_rfc3339(t), "2017-02-12T19:57:06Z");
        assert_eq!(format_rfc3339(t + 1_500_000), "2017-02-12T19:57:06.0015Z");
        let before_epoch = parse_event_time("1969-12-31T23:59:59Z").unwrap();
        assert_eq!(format_rfc3339(before_epoch), "1969-12-31T23:59:59Z");
        for days in [-800_000i64, -1, 0, 59, 19_000, 800_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
