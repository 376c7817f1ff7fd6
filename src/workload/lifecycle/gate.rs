//! The in-flight cap of the lifecycle workload (`--max-in-flight`).
//!
//! A burst of 100,000 sandboxes cannot hold 100,000 connections (descriptors, ephemeral ports,
//! memory on both ends), yet every sandbox must still be released at the one barrier and measured
//! from it. So every provider call of a sandbox first takes a permit here: at most N calls run at
//! once and the rest wait in arrival order (the semaphore is fair). Arrival order matters: the
//! creates of a burst all queue at the release, so they reach the platform before any first
//! command, as they would without the cap. The wait is part of every latency (they are measured
//! from the scheduled start, so queueing in this tool shows instead of hiding), but a step's
//! timeout starts only once it holds a permit: a timeout is a statement about the platform.

use std::future::Future;

use tokio::sync::Semaphore;

pub struct Gate {
    permits: Semaphore,
}

impl Gate {
    pub fn new(max_in_flight: u64) -> Self {
        let n = usize::try_from(max_in_flight)
            .unwrap_or(usize::MAX)
            .clamp(1, Semaphore::MAX_PERMITS);
        Self {
            permits: Semaphore::new(n),
        }
    }

    /// Waits for a permit, then builds and runs the step (built only then, so timeouts inside it
    /// start with the call, not with the wait).
    pub async fn run<F, Fut>(&self, step: F) -> Fut::Output
    where
        F: FnOnce() -> Fut,
        Fut: Future,
    {
        // The semaphore is never closed, so acquiring cannot fail; run the step regardless.
        let _permit = self.permits.acquire().await.ok();
        step().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn at_most_n_steps_run_at_once_and_all_run() {
        let gate = Arc::new(Gate::new(3));
        let (now, peak, done) = (
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(0)),
        );
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let (gate, now, peak, done) = (gate.clone(), now.clone(), peak.clone(), done.clone());
            tasks.spawn(async move {
                gate.run(|| async {
                    let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(n, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    now.fetch_sub(1, Ordering::SeqCst);
                    done.fetch_add(1, Ordering::SeqCst);
                })
                .await
            });
        }
        while tasks.join_next().await.is_some() {}
        assert_eq!(done.load(Ordering::SeqCst), 20);
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_timeout_inside_the_step_starts_after_the_wait() {
        let gate = Arc::new(Gate::new(1));
        let busy = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.run(|| tokio::time::sleep(Duration::from_millis(200))).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        // Waits ~180 ms for the permit, then has its full 100 ms.
        let r = gate
            .run(|| {
                tokio::time::timeout(
                    Duration::from_millis(100),
                    tokio::time::sleep(Duration::from_millis(50)),
                )
            })
            .await;
        assert!(r.is_ok(), "the wait for a permit must not eat the step's timeout");
        busy.await.unwrap();
    }
}
