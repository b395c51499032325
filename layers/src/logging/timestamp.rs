//! RFC 3339 UTC timestamps with milliseconds, as Lambda writes them.

use std::time::{SystemTime, UNIX_EPOCH};

/// Appends `time` as `YYYY-MM-DDTHH:MM:SS.mmmZ` to `out`.
///
/// Digits are written directly: this runs once per log line, and the
/// formatting machinery's padding cost more than the rest of the line.
pub(crate) fn write_rfc3339(out: &mut Vec<u8>, time: SystemTime) {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    digits(out, year.clamp(0, 9999) as u64, 4);
    out.push(b'-');
    digits(out, u64::from(month), 2);
    out.push(b'-');
    digits(out, u64::from(day), 2);
    out.push(b'T');
    digits(out, rest / 3600, 2);
    out.push(b':');
    digits(out, rest % 3600 / 60, 2);
    out.push(b':');
    digits(out, rest % 60, 2);
    out.push(b'.');
    digits(out, u64::from(since.subsec_millis()), 3);
    out.push(b'Z');
}

/// Appends the last `width` decimal digits of `value`, zero-padded.
fn digits(out: &mut Vec<u8>, mut value: u64, width: usize) {
    let mut buf = [b'0'; 4];
    for slot in buf[..width].iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
    out.extend_from_slice(&buf[..width]);
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_known_instants() {
        let mut out = Vec::new();
        write_rfc3339(
            &mut out,
            UNIX_EPOCH + Duration::from_millis(1_709_251_200_123),
        );
        assert_eq!(out, b"2024-03-01T00:00:00.123Z");
        out.clear();
        write_rfc3339(&mut out, UNIX_EPOCH);
        assert_eq!(out, b"1970-01-01T00:00:00.000Z");
        out.clear();
        write_rfc3339(
            &mut out,
            UNIX_EPOCH + Duration::from_millis(4_102_444_799_999),
        );
        assert_eq!(out, b"2099-12-31T23:59:59.999Z");
    }
}
