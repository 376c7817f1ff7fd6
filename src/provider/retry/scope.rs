//! Which attempts belong to one logical call, whoever retried.
//!
//! Two layers retry: the HTTP transport retries each request a bounded number of times, and
//! workloads retry read-only checks with [`super::with_retries`]. A check retried twice whose second
//! try needed three HTTP attempts is still one call of four attempts. Neither layer can pass a
//! counter through the `Provider` trait, so the call in progress lives in a task-local scope: the
//! outermost layer opens it and records the call when it ends, inner layers add their attempts to
//! it. A call abandoned half-way (a workload's own timeout dropped it) is recorded as given up.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::sync::Arc;

use super::log::{Op, RetryLog};
use crate::provider::ProviderResult;

tokio::task_local! {
    static CALL: Scope;
}

struct Scope {
    attempts: Cell<u32>,
    /// Where the call is recorded; set by the first observed provider call inside a
    /// [`logical_call`] (a `with_retries` loop does not know which provider or kind it retries).
    target: RefCell<Option<(Arc<RetryLog>, Op)>>,
}

impl Scope {
    fn new(attempts: u32) -> Self {
        Self {
            attempts: Cell::new(attempts),
            target: RefCell::new(None),
        }
    }
}

/// Counts one more attempt of the call in progress; transports call it before each retry. Outside
/// any observed call it does nothing.
pub fn note_retry() {
    let _ = CALL.try_with(|s| s.attempts.set(s.attempts.get().saturating_add(1)));
}

fn in_call() -> bool {
    CALL.try_with(|_| ()).is_ok()
}

/// Runs one provider call of kind `op` and records it in `log`, or, inside a [`logical_call`],
/// adds it to that call as one attempt.
pub async fn observe<T, F>(log: &Arc<RetryLog>, op: Op, call: F) -> ProviderResult<T>
where
    F: Future<Output = ProviderResult<T>>,
{
    let joined = CALL.try_with(|s| {
        s.attempts.set(s.attempts.get().saturating_add(1));
        let mut target = s.target.borrow_mut();
        if target.is_none() {
            *target = Some((log.clone(), op));
        }
    });
    if joined.is_ok() {
        return call.await;
    }
    CALL.scope(Scope::new(1), async {
        let mut pending = Pending {
            fixed: Some((log.as_ref(), op)),
            done: false,
        };
        let result = call.await;
        pending.finish(result.is_ok());
        result
    })
    .await
}

/// Runs `f` as one logical call whose attempts are the observed provider calls inside it; nested
/// in another logical call it simply joins that one.
pub async fn logical_call<T, F>(f: F) -> (ProviderResult<T>, u32)
where
    F: Future<Output = (ProviderResult<T>, u32)>,
{
    if in_call() {
        return f.await;
    }
    CALL.scope(Scope::new(0), async {
        let mut pending = Pending {
            fixed: None,
            done: false,
        };
        let out = f.await;
        pending.finish(out.0.is_ok());
        out
    })
    .await
}

/// Records the call when it ends, or when it is dropped unfinished (then as given up). Lives
/// inside the scope's future, which tokio drops with the task-local still set.
struct Pending<'a> {
    fixed: Option<(&'a RetryLog, Op)>,
    done: bool,
}

impl Pending<'_> {
    fn finish(&mut self, ok: bool) {
        self.done = true;
        self.record(ok);
    }

    fn record(&self, ok: bool) {
        let _ = CALL.try_with(|s| {
            let attempts = s.attempts.get();
            match (self.fixed, s.target.borrow().as_ref()) {
                (Some((log, op)), _) => log.record(op, attempts, ok),
                (None, Some((log, op))) => log.record(*op, attempts, ok),
                (None, None) => {}
            }
        });
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.record(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ProviderError;
    use std::time::Duration;

    #[tokio::test]
    async fn transport_retries_add_attempts_to_the_call() {
        let log = Arc::new(RetryLog::default());
        let r: ProviderResult<()> = observe(&log, Op::Create, async {
            note_retry();
            note_retry();
            Ok(())
        })
        .await;
        assert!(r.is_ok());
        let s = log.stats()["create"];
        assert_eq!((s.calls, s.retried, s.attempts, s.gave_up), (1, 1, 3, 0));
        note_retry(); // outside any call: nothing to count, no panic
    }

    #[tokio::test]
    async fn a_logical_call_counts_once_with_every_inner_attempt() {
        let log = Arc::new(RetryLog::default());
        let (r, n) = logical_call(async {
            let first: ProviderResult<()> = observe(&log, Op::Exec, async {
                note_retry();
                Err(ProviderError::timeout("slow"))
            })
            .await;
            assert!(first.is_err());
            let second: ProviderResult<()> = observe(&log, Op::Exec, async { Ok(()) }).await;
            (second, 2)
        })
        .await;
        assert!(r.is_ok());
        assert_eq!(n, 2);
        let s = log.stats()["exec"];
        assert_eq!((s.calls, s.retried, s.attempts, s.gave_up), (1, 1, 3, 0));
    }

    #[tokio::test]
    async fn an_abandoned_call_is_recorded_as_given_up() {
        let log = Arc::new(RetryLog::default());
        let slow = observe(&log, Op::Create, async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok::<_, ProviderError>(())
        });
        assert!(tokio::time::timeout(Duration::from_millis(10), slow).await.is_err());
        let s = log.stats()["create"];
        assert_eq!((s.calls, s.gave_up), (1, 1));
    }
}
