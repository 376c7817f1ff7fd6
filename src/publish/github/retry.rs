//! When to repeat a GitHub call and how long to wait first.
//!
//! octocrab's own retry layer (its `retry` feature) is left out on purpose: it repeats a POST after
//! a 5xx or a lost answer (a second sticky comment), repeats 5xx at once with no backoff, sleeps as
//! long as `Retry-After` or `x-ratelimit-reset` say (an hour, in a CI job), and, working below
//! octocrab's error mapping, cannot read the body that tells a secondary rate limit from a
//! read-only token's 403. Each call is repeated here instead, on octocrab's typed error:
//!
//! - no connection: always repeated (nothing was sent); timeouts and 5xx only when the call is
//!   idempotent (a create looks for its comment again first, see `comments.rs`);
//! - 403/429 with `Retry-After`, or with `x-ratelimit-remaining: 0` until `x-ratelimit-reset`: the
//!   wait GitHub asks for, unless it is longer than the cap, in which case the call is not repeated
//!   and the error says so (retrying sooner than asked only earns another refusal);
//! - 403/429 whose message names a secondary rate limit: backoff of at least
//!   `secondary_min_wait` (GitHub asks for a minute), a bare 429: backoff;
//! - any other 403 is a permission (a fork PR's read-only token) and is not repeated.

use std::future::Future;
use std::time::Duration;

use super::failure::{Failure, Transport};
use super::GitHubClient;

#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_delay: Duration,
    /// Upper bound of any single wait, including one asked for by `Retry-After`.
    pub max_wait: Duration,
    /// Shortest wait after a secondary rate limit that named no wait.
    pub secondary_min_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
            secondary_min_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The exponential backoff before attempt `attempt + 1`, at most `max_wait`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        self.base_delay
            .saturating_mul(1u32 << attempt.min(10))
            .min(self.max_wait)
    }
}

/// The headers that decide a retry, already read from the answer.
#[derive(Clone, Debug, Default)]
pub struct RateHeaders {
    pub retry_after: Option<String>,
    pub ratelimit_remaining: Option<String>,
    pub ratelimit_reset: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Wait, then call again; `why` goes into the warning.
    Retry { wait: Duration, why: String },
    /// Give up; the note (e.g. a wait over the cap) goes into the error.
    Stop(Option<String>),
}

impl Failure {
    /// A rate limit rather than a permission: GitHub said when to come back, or said why.
    pub fn is_rate_limited(&self) -> bool {
        matches!(self.status, Some(403 | 429))
            && (self.headers.retry_after.is_some()
                || self.headers.ratelimit_remaining.as_deref().map(str::trim) == Some("0")
                || is_secondary_limit(&self.message))
    }
}

/// GitHub's words for a secondary rate limit (and the older abuse-detection one).
fn is_secondary_limit(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("secondary rate limit") || m.contains("abuse detection")
}

/// What to do after `failure` on attempt `attempt` (0-based); `now` is the Unix time in seconds.
pub fn decide(failure: &Failure, attempt: u32, idempotent: bool, policy: &RetryPolicy, now: i64) -> Decision {
    if attempt + 1 >= policy.max_attempts {
        return Decision::Stop(None);
    }
    let backoff = policy.backoff(attempt);
    let retry = |wait: Duration, why: &str| Decision::Retry {
        wait,
        why: why.to_string(),
    };
    let h = &failure.headers;
    let retry_after = h.retry_after.as_deref().and_then(|v| v.trim().parse::<u64>().ok());
    match (failure.status, failure.transport) {
        (None, Transport::Connect) => retry(backoff, "no connection"),
        (None, Transport::Timeout | Transport::Other) if idempotent => retry(backoff, "no answer"),
        (Some(500..=599), _) if idempotent => match retry_after {
            Some(secs) => asked(secs, "Retry-After", policy),
            None => retry(backoff, "server error"),
        },
        (Some(403 | 429), _) if retry_after.is_some() => asked(retry_after.unwrap_or(0), "Retry-After", policy),
        (Some(403 | 429), _) if h.ratelimit_remaining.as_deref().map(str::trim) == Some("0") => {
            match h.ratelimit_reset.as_deref().and_then(|v| v.trim().parse::<i64>().ok()) {
                Some(reset) => asked((reset - now).max(1) as u64, "x-ratelimit-reset", policy),
                None => retry(backoff, "rate limit exhausted"),
            }
        }
        (Some(403 | 429), _) if is_secondary_limit(&failure.message) => retry(
            backoff.max(policy.secondary_min_wait).min(policy.max_wait),
            "secondary rate limit",
        ),
        (Some(429), _) => retry(backoff, "too many requests"),
        _ => Decision::Stop(None),
    }
}

/// The wait GitHub asked for, or no retry when it is longer than the cap.
fn asked(secs: u64, header: &str, policy: &RetryPolicy) -> Decision {
    let wait = Duration::from_secs(secs);
    if wait > policy.max_wait {
        return Decision::Stop(Some(format!(
            "GitHub asked to wait {secs} s ({header}), longer than the {} s cap: not waiting; \
             `stress-action publish` can retry later",
            policy.max_wait.as_secs()
        )));
    }
    Decision::Retry {
        wait,
        why: format!("waiting as {header} asks"),
    }
}

impl GitHubClient {
    /// Calls `send` until it succeeds or [`decide`] gives up, saying each retry as a warning.
    /// `idempotent` is false for a create, which must not be repeated blindly.
    pub(super) async fn call<T, F, Fut>(&self, what: &str, idempotent: bool, mut send: F) -> Result<T, Failure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = octocrab::Result<T>>,
    {
        let mut attempt = 0;
        loop {
            let mut failure = match send().await {
                Ok(value) => return Ok(value),
                Err(e) => Failure::from_octocrab(&e),
            };
            let now = chrono::Utc::now().timestamp();
            match decide(&failure, attempt, idempotent, &self.policy, now) {
                Decision::Retry { wait, why } => {
                    self.warn(format!(
                        "GitHub {what} {}; {why}: retrying in {wait:?}",
                        failure.summary()
                    ));
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Decision::Stop(note) => {
                    failure.note = note;
                    return Err(failure);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(status: u16, headers: &[(&str, &str)], message: &str) -> Failure {
        let get = |k: &str| headers.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
        Failure {
            status: Some(status),
            message: message.into(),
            headers: RateHeaders {
                retry_after: get("retry-after"),
                ratelimit_remaining: get("x-ratelimit-remaining"),
                ratelimit_reset: get("x-ratelimit-reset"),
            },
            transport: Transport::Answered,
            note: None,
        }
    }

    fn wait(d: Decision) -> Option<Duration> {
        match d {
            Decision::Retry { wait, .. } => Some(wait),
            Decision::Stop(_) => None,
        }
    }

    const NOW: i64 = 1_700_000_000;

    #[test]
    fn server_errors_back_off_and_are_not_repeated_for_a_create() {
        let p = RetryPolicy::default();
        let bad_gateway = failure(502, &[], "Bad Gateway");
        assert_eq!(
            wait(decide(&bad_gateway, 0, true, &p, NOW)),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            wait(decide(&bad_gateway, 2, true, &p, NOW)),
            Some(Duration::from_secs(2))
        );
        assert_eq!(wait(decide(&bad_gateway, 4, true, &p, NOW)), None, "5 attempts at most");
        assert_eq!(wait(decide(&bad_gateway, 0, false, &p, NOW)), None);
        let refused = Failure {
            status: None,
            transport: Transport::Connect,
            ..bad_gateway.clone()
        };
        assert!(wait(decide(&refused, 0, false, &p, NOW)).is_some(), "nothing was sent");
        let timeout = Failure {
            transport: Transport::Timeout,
            ..refused
        };
        assert_eq!(wait(decide(&timeout, 0, false, &p, NOW)), None);
        assert!(wait(decide(&timeout, 0, true, &p, NOW)).is_some());
        let unreadable = Failure {
            transport: Transport::Unreadable,
            ..timeout
        };
        assert_eq!(
            wait(decide(&unreadable, 0, true, &p, NOW)),
            None,
            "the same answer again"
        );
    }

    #[test]
    fn rate_limits_wait_as_asked_within_the_cap_and_say_so_beyond_it() {
        let p = RetryPolicy::default();
        let asked = failure(403, &[("retry-after", "3")], "slow down");
        assert_eq!(wait(decide(&asked, 0, false, &p, NOW)), Some(Duration::from_secs(3)));
        let too_long = failure(429, &[("retry-after", "7200")], "slow down");
        match decide(&too_long, 0, true, &p, NOW) {
            Decision::Stop(Some(note)) => assert!(note.contains("7200 s") && note.contains("60 s cap"), "{note}"),
            other => panic!("{other:?}"),
        }
        let reset = (NOW + 20).to_string();
        let exhausted = failure(
            403,
            &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &reset)],
            "API rate limit exceeded",
        );
        assert_eq!(
            wait(decide(&exhausted, 0, true, &p, NOW)),
            Some(Duration::from_secs(20))
        );
        let late = (NOW + 3600).to_string();
        let exhausted = failure(403, &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &late)], "");
        assert!(matches!(decide(&exhausted, 0, true, &p, NOW), Decision::Stop(Some(_))));
    }

    #[test]
    fn a_secondary_limit_is_told_from_a_read_only_token_by_its_message() {
        let p = RetryPolicy {
            max_attempts: 10,
            secondary_min_wait: Duration::from_secs(5),
            ..RetryPolicy::default()
        };
        let reset = (NOW + 3000).to_string();
        let headers = [("x-ratelimit-remaining", "4999"), ("x-ratelimit-reset", reset.as_str())];
        let secondary = failure(
            403,
            &headers,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        );
        assert!(secondary.is_rate_limited());
        assert_eq!(
            wait(decide(&secondary, 0, false, &p, NOW)),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            wait(decide(&secondary, 4, false, &p, NOW)),
            Some(Duration::from_secs(8))
        );
        let read_only = failure(403, &headers, "Resource not accessible by integration");
        assert!(!read_only.is_rate_limited());
        assert_eq!(decide(&read_only, 0, true, &p, NOW), Decision::Stop(None));
        assert_eq!(
            wait(decide(&failure(429, &[], ""), 1, true, &p, NOW)),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            decide(&failure(404, &[], "Not Found"), 0, true, &p, NOW),
            Decision::Stop(None)
        );
    }
}
