//! When to retry a failed request, and how long to wait: the official SDKs' policy.
//!
//! Up to 2 retries (3 attempts). Retry on 408, 409, 429, any 5xx (529 included) and connection
//! failures; `x-should-retry: true|false` overrides that either way. Wait what the server says
//! (`retry-after-ms`, then `retry-after` in seconds), else 0.5 s × 2ⁿ capped at 8 s, shortened by
//! up to 25 % at random.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Retries after the first attempt.
pub const MAX_RETRIES: u32 = 2;
/// The longest server-given wait we honour; longer ones are treated as "don't retry".
const MAX_SERVER_WAIT: Duration = Duration::from_secs(60);

/// What a failed attempt tells us.
#[derive(Clone, Debug, Default)]
pub struct Failure<'a> {
    /// `None` for a failure before any response (connect, reset, timeout).
    pub status: Option<u16>,
    pub should_retry: Option<&'a str>,
    pub retry_after_ms: Option<&'a str>,
    pub retry_after: Option<&'a str>,
}

/// How long to wait before retry number `retries_made + 1`, or `None` to give up.
pub fn delay(failure: &Failure<'_>, retries_made: u32, jitter: f64) -> Option<Duration> {
    if retries_made >= MAX_RETRIES || !should_retry(failure) {
        return None;
    }
    if let Some(wait) = server_wait(failure) {
        return (wait <= MAX_SERVER_WAIT).then_some(wait);
    }
    let base = (0.5 * 2f64.powi(i32::try_from(retries_made).unwrap_or(i32::MAX))).min(8.0);
    Some(Duration::from_secs_f64(
        base * (1.0 - 0.25 * jitter.clamp(0.0, 1.0)),
    ))
}

fn should_retry(failure: &Failure<'_>) -> bool {
    match failure.should_retry.map(str::trim) {
        Some("true") => return true,
        Some("false") => return false,
        _ => {}
    }
    match failure.status {
        None => true,
        Some(status) => matches!(status, 408 | 409 | 429) || status >= 500,
    }
}

fn server_wait(failure: &Failure<'_>) -> Option<Duration> {
    let positive =
        |secs: f64| (secs.is_finite() && secs > 0.0).then(|| Duration::from_secs_f64(secs));
    let ms = failure
        .retry_after_ms
        .and_then(|v| v.trim().parse::<f64>().ok())
        .and_then(|ms| positive(ms / 1000.0));
    ms.or_else(|| {
        failure
            .retry_after
            .and_then(|v| v.trim().parse::<f64>().ok())
            .and_then(positive)
    })
}

/// A number in [0, 1) that differs from call to call (no cryptographic use).
pub fn jitter() -> f64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut x = u64::from(nanos) ^ 0x9E37_79B9_7F4A_7C15;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    #[allow(clippy::cast_precision_loss)]
    let unit = (x >> 11) as f64 / (1u64 << 53) as f64;
    unit
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(s: u16) -> Failure<'static> {
        Failure {
            status: Some(s),
            ..Failure::default()
        }
    }

    #[test]
    fn retries_the_right_statuses_twice() {
        for s in [408, 409, 429, 500, 502, 529] {
            assert_eq!(
                delay(&status(s), 0, 0.0),
                Some(Duration::from_millis(500)),
                "{s}"
            );
            assert_eq!(
                delay(&status(s), 1, 0.0),
                Some(Duration::from_secs(1)),
                "{s}"
            );
            assert_eq!(delay(&status(s), 2, 0.0), None, "{s}");
        }
        for s in [400, 401, 403, 404, 413] {
            assert_eq!(delay(&status(s), 0, 0.0), None, "{s}");
        }
        assert!(
            delay(&Failure::default(), 0, 0.0).is_some(),
            "connection errors retry"
        );
    }

    #[test]
    fn headers_override() {
        let f = Failure {
            status: Some(500),
            should_retry: Some("false"),
            ..Failure::default()
        };
        assert_eq!(delay(&f, 0, 0.0), None);
        let f = Failure {
            status: Some(400),
            should_retry: Some("true"),
            ..Failure::default()
        };
        assert!(delay(&f, 0, 0.0).is_some());
        let f = Failure {
            status: Some(429),
            retry_after_ms: Some("250"),
            retry_after: Some("9"),
            ..Failure::default()
        };
        assert_eq!(delay(&f, 0, 0.9), Some(Duration::from_millis(250)));
        let f = Failure {
            status: Some(429),
            retry_after: Some("2"),
            ..Failure::default()
        };
        assert_eq!(delay(&f, 1, 0.9), Some(Duration::from_secs(2)));
        let f = Failure {
            status: Some(429),
            retry_after: Some("3600"),
            ..Failure::default()
        };
        assert_eq!(delay(&f, 0, 0.0), None);
    }

    #[test]
    fn backoff_is_capped_and_jittered_down_only() {
        assert_eq!(
            delay(&status(500), 1, 1.0),
            Some(Duration::from_secs_f64(0.75))
        );
        for _ in 0..100 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j));
        }
    }
}
