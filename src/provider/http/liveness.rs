//! Whether the server is still there: the streak of calls that got no answer at all.
//!
//! "Gone for the rest of the run" is defined so a reader can check it: the last calls of the run
//! failed without any answer (`network_error` or `timeout`, after their retries), no call succeeded
//! after the first of them, and a health check after the workloads gets no answer either. Any
//! answer, even an error status, proves the server alive and ends the streak, so a server that
//! recovers is never called dead. A long open streak mid-run is reported as a suspicion
//! ([`Liveness::streak`]) so the console can stop repeating the same failure.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::provider::InfraClass;
use crate::provider::ProviderError;

/// The open streak: the request that started it, when, why, and how many calls it holds.
#[derive(Clone, Debug)]
pub struct Streak {
    pub first_request: u64,
    pub since: Instant,
    pub cause: String,
    pub calls: u64,
}

#[derive(Default)]
pub struct Liveness {
    requests: AtomicU64,
    /// Fast path: successes only look at this flag.
    open: AtomicBool,
    streak: Mutex<Option<Streak>>,
}

impl Liveness {
    /// Numbers a new call (1 is the first request of the run, the health check before it).
    pub fn begin(&self) -> u64 {
        self.requests.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Notes how a call ended.
    pub fn ended(&self, request: u64, result: Result<(), &ProviderError>) {
        match result {
            Err(e) if matches!(e.class, InfraClass::NetworkError | InfraClass::Timeout) => {
                let mut streak = self.lock();
                match streak.as_mut() {
                    Some(s) => s.calls += 1,
                    None => {
                        *streak = Some(Streak {
                            first_request: request,
                            since: Instant::now(),
                            cause: short_cause(e),
                            calls: 1,
                        })
                    }
                }
                self.open.store(true, Ordering::Relaxed);
            }
            _ => {
                if self.open.load(Ordering::Relaxed) {
                    *self.lock() = None;
                    self.open.store(false, Ordering::Relaxed);
                }
            }
        }
    }

    /// The open streak, if it holds at least `min_calls` calls.
    pub fn streak(&self, min_calls: u64) -> Option<Streak> {
        if !self.open.load(Ordering::Relaxed) {
            return None;
        }
        self.lock().clone().filter(|s| s.calls >= min_calls)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Streak>> {
        self.streak.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// "network_error: Connection refused (os error 111)": the class and the innermost cause, which is
/// what a person needs; the full chain stays in error-details.log.
fn short_cause(e: &ProviderError) -> String {
    if e.class == InfraClass::Timeout {
        return "timeout: no answer in time".to_string();
    }
    let msg = e.message.as_str();
    let msg = match msg.rfind(" (after ") {
        Some(i) if msg.ends_with(" attempts)") => &msg[..i],
        _ => msg,
    };
    let innermost: String = msg.rsplit(": ").next().unwrap_or(msg).chars().take(160).collect();
    format!("{}: {innermost}", e.class)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused() -> ProviderError {
        ProviderError::new(
            InfraClass::NetworkError,
            "create: error sending request: Connection refused",
        )
    }

    #[test]
    fn a_streak_opens_on_no_answer_and_any_answer_ends_it() {
        let l = Liveness::default();
        let (a, b, c) = (l.begin(), l.begin(), l.begin());
        l.ended(a, Ok(()));
        assert!(l.streak(1).is_none());
        l.ended(b, Err(&refused()));
        l.ended(c, Err(&ProviderError::timeout("slow")));
        let s = l.streak(2).expect("two calls without an answer");
        assert_eq!((s.first_request, s.calls), (2, 2));
        assert!(s.cause.contains("Connection refused"), "{}", s.cause);
        assert!(l.streak(3).is_none(), "not long enough yet");
        l.ended(l.begin(), Err(&ProviderError::http(503, "busy")));
        assert!(
            l.streak(1).is_none(),
            "an error status is an answer: the server is there"
        );
    }
}
