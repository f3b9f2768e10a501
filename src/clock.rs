//! Wall-clock time: now in milliseconds since the Unix epoch, and UTC dates for people and for
//! file names. No time-zone data: every time memdeck writes or shows is UTC.

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The UTC time as digits only, `YYYYMMDDhhmmss`, for names of files made at that moment.
pub fn compact_utc(ts_ms: u64) -> String {
    format_utc(ts_ms)
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// `YYYY-MM-DD HH:MM:SS` in UTC.
pub fn format_utc(ts_ms: u64) -> String {
    let secs = ts_ms / 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Read a UTC time as people write it: `2026-12-31` (midnight), `2026-12-31 17:30`,
/// `2026-12-31T17:30:00Z`, `2026-12-31 17:30:00 UTC`. `None` when it is not one.
pub fn parse_utc(text: &str) -> Option<u64> {
    let text = text.trim();
    let text = text
        .strip_suffix("UTC")
        .or_else(|| text.strip_suffix('Z'))
        .unwrap_or(text)
        .trim_end();
    let (date, time) = match text.split_once(['T', ' ']) {
        Some((date, time)) => (date, Some(time.trim())),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut secs_of_day = 0;
    if let Some(time) = time {
        let fields: Vec<i64> = time
            .split(':')
            .map(|f| f.parse().ok())
            .collect::<Option<_>>()?;
        let (h, m, s) = match fields[..] {
            [h, m] => (h, m, 0),
            [h, m, s] => (h, m, s),
            _ => return None,
        };
        if !(0..24).contains(&h) || !(0..60).contains(&m) || !(0..60).contains(&s) {
            return None;
        }
        secs_of_day = h * 3600 + m * 60 + s;
    }
    // Days since 1970-01-01 from the civil date (the inverse of `format_utc`).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let ms = (days * 86_400 + secs_of_day).checked_mul(1000)?;
    let ms = u64::try_from(ms).ok()?;
    // A day past the month's end (2026-02-30) is no date.
    format_utc(ms).starts_with(date).then_some(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_utc_times_as_people_write_them() {
        let cases = [
            ("2026-12-31", Some("2026-12-31 00:00:00")),
            ("2026-12-31 17:30", Some("2026-12-31 17:30:00")),
            ("2026-12-31T17:30:05Z", Some("2026-12-31 17:30:05")),
            ("2000-02-29 00:00:00 UTC", Some("2000-02-29 00:00:00")),
            ("2026-02-30", None),
            ("2026-13-01", None),
            ("tomorrow", None),
            ("2026-12-31 25:00", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_utc(text).map(format_utc).as_deref(), want, "{text}");
        }
    }

    #[test]
    fn formats_utc_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00");
        assert_eq!(format_utc(1_795_000_000_000), "2026-11-18 11:06:40");
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00:00");
        assert_eq!(compact_utc(951_782_400_000), "20000229000000");
    }
}
