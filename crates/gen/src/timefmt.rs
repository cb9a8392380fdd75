//! UTC calendar arithmetic and CloudTrail timestamp formatting (no chrono).

/// Civil date `(year, month, day)` of a day count since 1970-01-01 (H. Hinnant's algorithm).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Broken-down UTC time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tm {
    pub y: i64,
    pub mo: u32,
    pub d: u32,
    pub h: u32,
    pub mi: u32,
    pub s: u32,
}

/// Splits unix seconds into UTC fields.
pub(crate) fn tm(t: i64) -> Tm {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400) as u32;
    let (y, mo, d) = civil_from_days(days);
    Tm {
        y,
        mo,
        d,
        h: secs / 3600,
        mi: secs / 60 % 60,
        s: secs % 60,
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
#[cfg(test)]
pub(crate) fn iso(t: i64) -> String {
    let x = tm(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        x.y, x.mo, x.d, x.h, x.mi, x.s
    )
}

/// `YYYYMMDDTHHmmZ` (log file names).
pub(crate) fn compact_min(t: i64) -> String {
    let x = tm(t);
    format!("{:04}{:02}{:02}T{:02}{:02}Z", x.y, x.mo, x.d, x.h, x.mi)
}

/// `YYYYMMDDTHHmmssZ` (digest file names).
pub(crate) fn compact_sec(t: i64) -> String {
    let x = tm(t);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        x.y, x.mo, x.d, x.h, x.mi, x.s
    )
}

/// `YYYY/MM/DD` (S3 key directories).
pub(crate) fn date_dirs(t: i64) -> String {
    let x = tm(t);
    format!("{:04}/{:02}/{:02}", x.y, x.mo, x.d)
}

/// Writes `YYYY-MM-DDTHH:MM:SSZ` into a 20-byte buffer without allocating.
pub(crate) fn iso_bytes(t: i64, out: &mut [u8; 20]) {
    let x = tm(t);
    let y = x.y.clamp(0, 9999) as u32;
    let put2 = |o: &mut [u8], v: u32| {
        o[0] = b'0' + (v / 10) as u8;
        o[1] = b'0' + (v % 10) as u8;
    };
    put2(&mut out[0..2], y / 100);
    put2(&mut out[2..4], y % 100);
    out[4] = b'-';
    put2(&mut out[5..7], x.mo);
    out[7] = b'-';
    put2(&mut out[8..10], x.d);
    out[10] = b'T';
    put2(&mut out[11..13], x.h);
    out[13] = b':';
    put2(&mut out[14..16], x.mi);
    out[16] = b':';
    put2(&mut out[17..19], x.s);
    out[19] = b'Z';
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(iso(1_709_251_200), "2024-03-01T00:00:00Z");
        assert_eq!(iso(1_709_164_799), "2024-02-28T23:59:59Z");
        assert_eq!(iso(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(compact_min(1_709_251_500), "20240301T0005Z");
        assert_eq!(date_dirs(1_709_251_200), "2024/03/01");
        let mut b = [0u8; 20];
        iso_bytes(1_709_337_599, &mut b);
        assert_eq!(&b, b"2024-03-01T23:59:59Z");
    }
}
