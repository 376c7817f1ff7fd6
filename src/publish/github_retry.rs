//! When to retry a GitHub API call and how long to wait: 5xx with exponential backoff, secondary
//! rate limits (403/429 with `Retry-After` or `x-ratelimit-remaining: 0`) honoring the server's
//! wait, bounded so a misbehaving server cannot stall a CI job for an hour.

use std::time::Duration;

#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_delay: Duration,
    /// Upper bound of any single wait, including one asked for by `Retry-After`.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
        }
    }
}

/// The headers that decide a retry, already read from the response.
#[derive(Clone, Debug, Default)]
pub struct RateHeaders {
    pub retry_after: Option<String>,
    pub ratelimit_remaining: Option<String>,
    pub ratelimit_reset: Option<String>,
}

/// `Some(wait)` if the response is worth retrying after `attempt` (0-based) attempts.
pub fn retry_delay(status: u16, headers: &RateHeaders, attempt: u32, policy: &RetryPolicy) -> Option<Duration> {
    if attempt + 1 >= policy.max_attempts {
        return None;
    }
    let backoff = policy
        .base_delay
        .saturating_mul(1u32 << attempt.min(10))
        .min(policy.max_wait);
    let retry_after = headers
        .retry_after
        .as_deref()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let exhausted = headers.ratelimit_remaining.as_deref().map(str::trim) == Some("0");
    let wait = match status {
        500..=599 => retry_after.unwrap_or(backoff),
        403 | 429 if retry_after.is_some() => retry_after.unwrap_or(backoff),
        403 | 429 if exhausted => until_reset(headers.ratelimit_reset.as_deref()).unwrap_or(backoff),
        429 => backoff,
        _ => return None,
    };
    Some(wait.min(policy.max_wait))
}

fn until_reset(reset: Option<&str>) -> Option<Duration> {
    let reset: i64 = reset?.trim().parse().ok()?;
    let now = chrono::Utc::now().timestamp();
    Some(Duration::from_secs((reset - now).max(1) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(retry_after: Option<&str>, remaining: Option<&str>) -> RateHeaders {
        RateHeaders {
            retry_after: retry_after.map(String::from),
            ratelimit_remaining: remaining.map(String::from),
            ratelimit_reset: None,
        }
    }

    #[test]
    fn decides_which_responses_are_retried() {
        let p = RetryPolicy::default();
        assert_eq!(
            retry_delay(502, &headers(None, None), 0, &p),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            retry_delay(502, &headers(None, None), 2, &p),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            retry_delay(403, &headers(Some("3"), None), 0, &p),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_delay(429, &headers(Some("7200"), None), 0, &p),
            Some(Duration::from_secs(60))
        );
        assert!(retry_delay(403, &headers(None, Some("0")), 0, &p).is_some());
        // A plain 403 is a permission problem (read-only token), not a rate limit.
        assert_eq!(retry_delay(403, &headers(None, Some("4999")), 0, &p), None);
        assert_eq!(retry_delay(404, &headers(None, None), 0, &p), None);
        assert_eq!(retry_delay(502, &headers(None, None), 4, &p), None);
    }
}
