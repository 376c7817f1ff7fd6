//! Bounded retries of idempotent provider calls, and the accounting of every retry.
//!
//! An infra blip on a read-only check must not cost a verdict, but a failure that persists is
//! reported as what it is; and however a call was retried (by the HTTP transport, by a workload's
//! [`with_retries`], or both), it is counted once in [`RetryLog`] with all of its attempts.

mod log;
mod scope;

use std::future::Future;

pub use log::{Op, RetryLog};
pub use scope::{note_retry, observe};

use super::{ProviderError, ProviderResult};

/// Runs `call` and retries it up to `retries` more times while it fails with an infra error.
/// Returns the last result together with the number of attempts made. The whole loop is one
/// logical call in the [`RetryLog`] of the provider it calls.
pub async fn with_retries<T, F, Fut>(retries: u32, mut call: F) -> (ProviderResult<T>, u32)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    scope::logical_call(async move {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match call().await {
                Ok(value) => return (Ok(value), attempts),
                Err(err) if attempts > retries => return (Err(err), attempts),
                Err(_) => continue,
            }
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn retries_until_success_and_stops_after_budget() {
        let calls = AtomicU32::new(0);
        let (res, attempts) = with_retries(2, || async {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            if n < 2 {
                Err(ProviderError::timeout("slow"))
            } else {
                Ok(n)
            }
        })
        .await;
        assert_eq!((res.unwrap(), attempts), (2, 3));

        let (res, attempts) = with_retries(2, || async { Err::<(), _>(ProviderError::timeout("always")) }).await;
        assert!(res.is_err());
        assert_eq!(attempts, 3);
    }
}
